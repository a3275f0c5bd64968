"""The project walk remembered folder by folder: a later walk finds exactly what a fresh walk
finds, after every kind of change, and does not list the folders that did not change."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fastapi_lint import discovery
from fastapi_lint.cache import WalkCache
from fastapi_lint.discovery import discover
from fastapi_lint.projects import Projects

SETTINGS = "[tool.fastapi-lint]\n"
CACHE = ".fastapi_lint_cache"


def write(path: Path, text: str = "x = 1\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def walk(root: Path, cache: Path | None) -> list[str]:
    """The project's files, walked as the index walks them (with the memo in `cache`)."""
    projects = Projects()
    project = projects.project_at(root)
    own = projects.own_files(project)
    walks = WalkCache(cache, own.key())
    found = discover([root], own, force_exclude=True, root=root, memo=walks.memo)
    walks.save()
    return sorted(path.relative_to(root).as_posix() for path in found.files)


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    # Folders changed in the test are trusted at once (the clock-tick guard has its own test).
    monkeypatch.setattr(discovery, "_FRESH_NS", -(10**18))
    root = tmp_path / "proj"
    write(root / "pyproject.toml", SETTINGS + 'extend-exclude = ["legacy"]\n')
    write(root / "app" / "__init__.py")
    write(root / "app" / "main.py")
    write(root / "app" / "routes" / "users.py")
    write(root / "app" / "routes" / "items.py")
    write(root / "legacy" / "old.py")
    write(root / "nested" / "pyproject.toml", "[tool.black]\n")
    write(root / "nested" / "tool.py")
    return root


def _same_as_fresh(root: Path, cache: Path) -> list[str]:
    remembered = walk(root, cache)
    assert remembered == walk(root, None)
    return remembered


def _add(root):
    write(root / "app" / "routes" / "orders.py")


def _remove(root):
    (root / "app" / "routes" / "items.py").unlink()


def _rename(root):
    (root / "app" / "routes" / "items.py").rename(root / "app" / "routes" / "things.py")


def _new_folder(root):
    write(root / "app" / "routes" / "admin" / "panel.py")


def _new_excluded_folder(root):
    write(root / "app" / "routes" / "legacy" / "v1.py")


def _gitignore_added(root):
    write(root / ".gitignore", "users.py\n")


def _gitignore_edited(root):
    write(root / "app" / ".gitignore", "*.tmp\n")
    walk(root, root / CACHE)  # remembered with this .gitignore
    write(root / "app" / ".gitignore", "*.tmp\nitems.py\n")


def _settings_exclude(root):
    write(root / "pyproject.toml", SETTINGS + 'extend-exclude = ["legacy", "routes"]\n')


def _settings_include(root):
    write(root / "pyproject.toml", SETTINGS)


def _nested_becomes_project(root):
    write(root / "nested" / "pyproject.toml", SETTINGS)  # same folder entries, new content


def _nested_stops_being_project(root):
    write(root / "nested" / "pyproject.toml", SETTINGS)
    walk(root, root / CACHE)
    write(root / "nested" / "pyproject.toml", "[tool.black]\n")


def _repository_inside(root):
    (root / "app" / "routes" / ".git").mkdir()


def _symlinked_folder(root):
    write(root / "elsewhere" / "shared.py")
    (root / "app" / "shared").symlink_to(root / "elsewhere")


def _symlink_retargeted(root):
    write(root / "one" / "a.py")
    write(root / "two" / "b.py")
    link = root / "app" / "linked"
    link.symlink_to(root / "one")
    walk(root, root / CACHE)
    link.unlink()
    link.symlink_to(root / "two")


def _unreadable_folder(root):
    os.chmod(root / "app" / "routes", 0)


CHANGES = [
    (_add, {"app/routes/orders.py"}, set()),
    (_remove, set(), {"app/routes/items.py"}),
    (_rename, {"app/routes/things.py"}, {"app/routes/items.py"}),
    (_new_folder, {"app/routes/admin/panel.py"}, set()),
    (_new_excluded_folder, set(), set()),
    (_gitignore_added, set(), {"app/routes/users.py"}),
    (_gitignore_edited, set(), {"app/routes/items.py"}),
    (_settings_exclude, set(), {"app/routes/users.py", "app/routes/items.py"}),
    (_settings_include, {"legacy/old.py"}, set()),
    (_nested_becomes_project, set(), {"nested/tool.py"}),
    (_nested_stops_being_project, set(), set()),
    (_repository_inside, set(), {"app/routes/users.py", "app/routes/items.py"}),
    (_symlinked_folder, {"app/shared/shared.py"}, set()),  # the same file once
    (_symlink_retargeted, set(), set()),
]


@pytest.mark.parametrize(
    ("change", "added", "removed"), CHANGES, ids=lambda c: getattr(c, "__name__", "")
)
def test_a_remembered_walk_finds_what_a_fresh_walk_finds(project, change, added, removed):
    cache = project / CACHE
    before = _same_as_fresh(project, cache)
    assert _same_as_fresh(project, cache) == before  # taken from the memo
    change(project)
    after = _same_as_fresh(project, cache)
    if change is _symlink_retargeted:
        assert "app/linked/b.py" in after and "app/linked/a.py" not in after
    else:
        assert set(after) - set(before) == added
        assert set(before) - set(after) == removed


@pytest.mark.skipif(getattr(os, "geteuid", lambda: 0)() == 0, reason="root reads every folder")
def test_a_folder_made_unreadable_is_reported_again(project):
    cache = project / CACHE
    walk(project, cache)
    _unreadable_folder(project)
    try:
        projects = Projects()
        own = projects.own_files(projects.project_at(project))
        walks = WalkCache(cache, own.key())
        found = discover([project], own, force_exclude=True, root=project, memo=walks.memo)
        assert any(path.endswith("routes") for path, _ in found.errors)
    finally:
        os.chmod(project / "app" / "routes", 0o755)


def _listings(monkeypatch) -> list[str]:
    """The names of the folders the walk lists (the others it takes from the memo)."""
    listed: list[str] = []
    original = discovery._Walk._list

    def counting(self, directory, *args):
        listed.append(directory.name)
        return original(self, directory, *args)

    monkeypatch.setattr(discovery._Walk, "_list", counting)
    return listed


def test_only_the_folders_that_changed_are_listed_again(project, monkeypatch):
    cache = project / CACHE
    walk(project, cache)
    walk(project, cache)  # the cache folder was new: the root was listed again
    listed = _listings(monkeypatch)
    walk(project, cache)
    assert listed == []
    (project / "app" / "main.py").write_text("y = 2\n")  # an edit changes no folder
    walk(project, cache)
    assert listed == []
    write(project / "app" / "routes" / "orders.py")
    walk(project, cache)
    assert listed == ["routes"]


def test_a_folder_changed_within_the_clock_tick_is_listed_again(project, monkeypatch):
    monkeypatch.setattr(discovery, "_FRESH_NS", 2_000_000_000)
    cache = project / CACHE
    walk(project, cache)  # everything was written just now: nothing can be trusted yet
    listed = _listings(monkeypatch)
    walk(project, cache)
    assert "routes" in listed
    past = time.time() - 60
    for folder, _, _ in os.walk(project):
        os.utime(folder, (past, past))
    # A status change (ctime) is as recent as the edit that made it: still listed.
    listed.clear()
    walk(project, cache)
    assert "routes" in listed


def test_the_index_of_a_warm_pre_commit_run_sees_a_module_added_since(tmp_path, monkeypatch):
    """End to end: a module added after the walk was remembered is in the project index."""
    from click.testing import CliRunner

    from fastapi_lint.cli import main

    monkeypatch.setattr(discovery, "_FRESH_NS", -(10**18))
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", SETTINGS)
    write(tmp_path / "app" / "__init__.py", "")
    route = (
        "from fastapi import APIRouter\nfrom app.helpers import slow\n\n"
        "router = APIRouter()\n\n\n@router.get('/')\nasync def read() -> dict:\n"
        "    slow()\n    return {}\n"
    )
    write(tmp_path / "app" / "routes.py", route)
    write(tmp_path / "app" / "other.py")

    def codes() -> set[str]:
        result = CliRunner().invoke(main, ["check", "--output-format", "concise", "app/routes.py"])
        return {line.split()[1] for line in result.output.splitlines() if ": FAL" in line}

    before = codes()
    assert codes() == before
    write(tmp_path / "app" / "helpers.py", "import time\n\n\ndef slow():\n    time.sleep(1)\n")
    assert codes() - before == {"FAL201"}


def _run_check(*args: str) -> list[str]:
    from click.testing import CliRunner

    from fastapi_lint.cli import main

    result = CliRunner().invoke(main, ["check", "--output-format", "concise", *args])
    assert result.exit_code in (0, 1), result.output
    return sorted(line for line in result.output.splitlines() if ": FAL" in line)


def test_a_run_on_the_root_remembers_its_walk_and_sees_every_change(tmp_path, monkeypatch):
    monkeypatch.setattr(discovery, "_FRESH_NS", -(10**18))
    monkeypatch.chdir(tmp_path)
    finding = "def f(x=[]):\n    return x\n"
    write(tmp_path / "pyproject.toml", SETTINGS)
    write(tmp_path / "app" / "main.py", finding)
    write(tmp_path / "svc" / "pyproject.toml", SETTINGS + 'extend-exclude = ["gen"]\n')
    write(tmp_path / "svc" / "gen" / "made.py", finding)

    def same_as_fresh() -> list[str]:
        warm = _run_check(".")
        assert warm == _run_check(".", "--no-cache")
        return [line.split(":")[0] for line in warm]

    assert same_as_fresh() == ["app/main.py"]
    assert list((tmp_path / CACHE).glob("walk-run-*.json"))
    _run_check(".")  # the cache folder was new: the root was listed again
    listed = _listings(monkeypatch)
    _run_check(".")
    assert listed == []  # the run's walk came from the memo (and the index used that walk)
    write(tmp_path / "app" / "extra.py", finding)
    assert same_as_fresh() == ["app/extra.py", "app/main.py"]
    write(tmp_path / "svc" / "pyproject.toml", SETTINGS)  # the nested project's own excludes
    assert same_as_fresh() == ["app/extra.py", "app/main.py", "svc/gen/made.py"]
    write(tmp_path / ".gitignore", "extra.py\n")
    assert same_as_fresh() == ["app/main.py", "svc/gen/made.py"]


def test_a_folder_listed_again_matches_only_its_new_files(project, monkeypatch):
    cache = project / CACHE
    walk(project, cache)
    walk(project, cache)
    matched: list[str] = []
    original = discovery.Excluder.excludes_itself

    def counting(self, path, *args, **kwargs):
        matched.append(path.name)
        return original(self, path, *args, **kwargs)

    monkeypatch.setattr(discovery.Excluder, "excludes_itself", counting)
    routes = project / "app" / "routes"
    (routes / "users.py").write_text("y = 2\n")
    os.replace(routes / "users.py", routes / "users.py.tmp")  # an editor writing by rename
    os.replace(routes / "users.py.tmp", routes / "users.py")
    write(routes / "orders.py")
    write(routes / "notes.txt")
    remembered = walk(project, cache)
    # `routes` was listed again: only the file it had not taken before was matched.
    assert "orders.py" in matched
    assert "users.py" not in matched and "items.py" not in matched
    assert "notes.txt" not in matched  # never checked: not matched at all
    assert remembered == walk(project, None)
    assert "app/routes/orders.py" in remembered and "app/routes/users.py" in remembered


def test_no_pattern_excludes_its_own_folder(tmp_path):
    """`Excluder.excluded` answers for the patterns' own folder without compiling them: what
    pathspec answers."""
    import pathspec

    from fastapi_lint.discovery import Excluder

    patterns = ["*", "**", ".", "./", "/", "*/", "**/", "/**", "**/*", ".*", "[.]*", "!x", "/."]
    for pattern in patterns:
        excluder = Excluder((pattern,), tmp_path)
        assert excluder._relative(tmp_path, True) == "./"
        assert not excluder.excluded(tmp_path, True)
        assert "spec" not in vars(excluder)  # (compiled on first match)
        assert not pathspec.GitIgnoreSpec.from_lines([pattern]).match_file("./"), pattern
        assert excluder.excluded(tmp_path / "sub", True) == excluder.spec.match_file("sub/")


_NAMES = st.text(alphabet="ab._-+~*?[]!#/\\ ", min_size=1, max_size=5)


@settings(max_examples=300, deadline=None)
@given(
    patterns=st.lists(_NAMES, min_size=1, max_size=4),
    parts=st.lists(_NAMES.filter(lambda name: "/" not in name), min_size=1, max_size=4),
    is_dir=st.booleans(),
)
def test_patterns_that_are_names_match_as_pathspec_matches_them(patterns, parts, is_dir):
    """Patterns that are all plain names (the defaults) are matched as a set of names, without
    pathspec: the answers are pathspec's, for any patterns and paths."""
    from fastapi_lint.config import DEFAULT_EXCLUDES
    from fastapi_lint.discovery import Excluder, matches_itself, pattern_error

    assume(not any(pattern_error(pattern) for pattern in patterns))  # (refused by the config)
    base = Path("/project")
    path = base.joinpath(*parts)
    for lines in (tuple(patterns), DEFAULT_EXCLUDES, (*DEFAULT_EXCLUDES, *patterns)):
        excluder = Excluder(lines, base)
        relative = excluder._relative(path, is_dir, path)
        spec = discovery._spec_of(lines) if excluder.names is not None else excluder.spec
        assert excluder.excludes_itself(path, is_dir, path) == matches_itself(spec, relative)
        assert excluder.excluded(path, is_dir) == spec.match_file(relative)


def test_the_default_patterns_are_matched_without_pathspec():
    from fastapi_lint.config import DEFAULT_EXCLUDES
    from fastapi_lint.discovery import Excluder

    excluder = Excluder(DEFAULT_EXCLUDES, Path("/project"))
    assert excluder.names == frozenset(DEFAULT_EXCLUDES)
    assert excluder.excludes_itself(Path("/project/app/.venv"), True, Path("/project/app/.venv"))
    assert "spec" not in vars(excluder)
