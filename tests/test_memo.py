"""The output memo (memo.py): a run where nothing changed replays the output of the last one,
byte for byte, and any change to what that output depends on runs the command again."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import fastapi_lint
from fastapi_lint import cli, memo

ROUTE = """\
import time

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def index():
    time.sleep(1)
    return {"ok": True}
"""
HELPER = "def helper(x=[]):\n    return x\n"


class Runs:
    """Runs the command's front door in this process, as the console script does."""

    def __init__(self, capsysbinary, monkeypatch) -> None:
        self.capture = capsysbinary
        self.monkeypatch = monkeypatch
        self.commands = 0
        self.command = command = cli.main

        def counted(*args, **kwargs):
            self.commands += 1
            return command(*args, **kwargs)

        monkeypatch.setattr(cli, "main", counted)

    def __call__(self, *args: str) -> tuple[int, bytes, bytes, bool]:
        """(status, stdout, stderr, whether the command ran) of `fastapi-lint check ARGS`."""
        self.monkeypatch.setattr(sys, "argv", ["fastapi-lint", "check", *args])
        before = self.commands
        try:
            status = memo.main()
        except SystemExit as exc:
            status = exc.code
        out, err = self.capture.readouterr()
        return status or 0, out, err, self.commands > before

    def kept(self, *args: str) -> tuple[int, bytes, bytes, bool]:
        """The first run of ARGS leaves a note, the second keeps a memo: its result."""
        first, second = self(*args), self(*args)
        assert first[3] and second[3]
        assert first[:3] == second[:3]
        return second

    def direct(self, *args: str) -> tuple[int, bytes, bytes]:
        """The same, by the command itself (no memo read or written)."""
        self.monkeypatch.setattr(sys, "argv", ["fastapi-lint", "check", *args])
        status = 0
        try:
            self.command()
        except SystemExit as exc:
            status = exc.code
        out, err = self.capture.readouterr()
        return status or 0, out, err


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "project"
    write(root / "pyproject.toml", "[tool.fastapi-lint]\n")
    write(root / ".gitignore", "ignored_*.py\n")
    write(root / "pkg" / "__init__.py", "")
    write(root / "pkg" / "app.py", ROUTE)
    write(root / "pkg" / "sub" / "__init__.py", "")
    write(root / "pkg" / "sub" / "helpers.py", HELPER)
    # Made by the first run, the cache folder changes the project's folder as it runs: that
    # run keeps no memo (what changed during a run is not trusted), the next one does.
    (root / ".fastapi_lint_cache").mkdir()
    monkeypatch.chdir(root)
    monkeypatch.setattr(memo, "_FRESH_NS", 0)  # files written just now count as settled
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    monkeypatch.delenv("FASTAPI_LINT_CACHE_DIR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return root


@pytest.fixture
def runs(capsysbinary, monkeypatch) -> Runs:
    return Runs(capsysbinary, monkeypatch)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def memos(root: Path) -> list[Path]:
    return sorted((root / ".fastapi_lint_cache").glob(memo.PREFIX + "*"))


def edit_keeping_size(path: Path, old: str, new: str) -> None:
    """Rewrite `path` with `old` replaced by `new` (as long), its mtime a second earlier than
    before (an edit within the same clock tick is what the racy-time rule is for; a later
    one would be a file changed as the next run runs)."""
    assert len(old) == len(new)
    status = path.stat()
    path.write_text(path.read_text().replace(old, new))
    assert path.stat().st_size == status.st_size
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns - 1_000_000_000))


def test_a_third_run_replays_the_second_without_running(project, runs):
    first = runs()
    assert first[3] and first[0] == 1 and b"FAL201" in first[1]
    assert memos(project) == []  # a run seen once (pre-commit's on new files) keeps no memo
    assert len(list((project / ".fastapi_lint_cache").glob(memo.SEEN + "*"))) == 1
    assert runs() == first
    assert len(memos(project)) == 1
    third = runs()
    assert not third[3], "the memo was not used"
    assert third == (*first[:3], False)


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("--output-format", "json"),
        ("--output-format=sarif",),
        ("--output-format", "github"),
        ("--output-format", "junit"),
        ("--output-format", "full"),
        ("--statistics",),
        ("--statistics", "--output-format", "json"),
        ("--exit-zero",),
        ("-q",),
        ("--select", "FAL2", "pkg"),
        ("pkg/app.py",),
    ],
)
def test_the_replay_is_the_run_byte_for_byte(project, runs, args):
    status, out, err = runs.direct(*args)
    first = runs.kept(*args)
    assert first[:3] == (status, out, err)
    second = runs(*args)
    assert not second[3]
    assert second[:3] == (status, out, err)


def test_a_clean_run_is_replayed_with_its_status(project, runs):
    (project / "pkg" / "app.py").unlink()
    (project / "pkg" / "sub" / "helpers.py").write_text("X = 1\n")
    first = runs.kept()
    assert first[:3] == (0, b"All checks passed!\n", b"")
    assert runs() == (*first[:3], False)


# -- what makes a memo stale: each case fails if that part of the key or stamps is left out ----
def _edited(root: Path) -> None:
    edit_keeping_size(root / "pkg" / "app.py", "time.sleep(1)", "time.sleep(2)")


def _edited_helper(root: Path) -> None:  # a module of the index, not of the findings shown
    edit_keeping_size(root / "pkg" / "sub" / "helpers.py", "x=[]", "x=()")


def _added(root: Path) -> None:
    write(root / "pkg" / "sub" / "more.py", HELPER)


def _added_in_a_new_folder(root: Path) -> None:
    write(root / "pkg" / "sub" / "deeper" / "more.py", HELPER)


def _removed(root: Path) -> None:
    (root / "pkg" / "sub" / "helpers.py").unlink()


def _gitignore_edited(root: Path) -> None:
    (root / ".gitignore").write_text("pkg/sub/\n")


def _nested_gitignore_added(root: Path) -> None:
    (root / "pkg" / ".gitignore").write_text("sub/\n")


def _pyproject_edited(root: Path) -> None:
    (root / "pyproject.toml").write_text('[tool.fastapi-lint]\nignore = ["FAL102"]\n')


def _nested_project_added(root: Path) -> None:
    (root / "pkg" / "sub" / "pyproject.toml").write_text('[tool.fastapi-lint]\nselect = ["FAL1"]\n')


@pytest.mark.parametrize(
    "change",
    [
        _edited,
        _edited_helper,
        _added,
        _added_in_a_new_folder,
        _removed,
        _gitignore_edited,
        _nested_gitignore_added,
        _pyproject_edited,
        _nested_project_added,
    ],
)
def test_a_change_to_the_files_runs_again(project, runs, change):
    runs.kept()
    change(project)
    after = runs()
    assert after[3], "a stale memo was replayed"
    assert after[:3] == runs.direct()
    # The new output is memoised in turn (by the next run when this one made a cache folder:
    # the nested project's).
    assert not runs()[3] or not runs()[3]


def test_stamps_the_run_took_are_those_a_replay_checks(project, runs, monkeypatch):
    from fastapi_lint import cache

    monkeypatch.setattr(cache, "_FRESH_NS", 0)  # the run finds files by stamp at once
    runs.kept()
    _edited(project)
    assert runs()[3]  # the other modules are found by their stamps, not read
    assert not runs()[3]
    _edited_helper(project)
    assert runs()[3]


def test_a_changed_environment_variable_runs_again(project, runs, monkeypatch):
    runs.kept()
    monkeypatch.setenv("NO_COLOR", "1")
    assert runs()[3]
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "2")
    assert runs()[3]


def test_other_arguments_run_again(project, runs):
    runs.kept()
    assert runs("--select", "FAL1")[3]
    assert runs(".", "--select", "FAL1")[3]


def test_another_current_folder_runs_again(project, runs, monkeypatch):
    first = runs.kept(str(project))
    monkeypatch.chdir(project / "pkg")
    second = runs(str(project))
    assert second[3]
    assert second[1] != first[1]  # the paths shown are relative to the current folder


def test_a_terminal_runs_again(project, runs, monkeypatch):
    runs.kept()
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert runs()[3]


def test_a_damaged_memo_runs_again_silently(project, runs):
    first = runs.kept()
    (path,) = memos(project)
    data = path.read_bytes()
    for damaged in (data[: len(data) // 2], data[:30] + b"\xff" * 40 + data[70:], b"", b"x"):
        path.write_bytes(damaged)
        assert runs() == (*first[:3], True)
        path.write_bytes(damaged)


def test_a_memo_of_another_version_runs_again(project, runs, monkeypatch):
    runs.kept()
    monkeypatch.setattr(fastapi_lint, "__version__", "0.0.1")
    assert runs()[3]


def test_a_package_installed_or_upgraded_runs_again(project, runs, tmp_path, monkeypatch):
    """An upgrade of click or pathspec may change the output; it changes their folder."""
    installed = tmp_path / "venv" / "site-packages"
    installed.mkdir(parents=True)
    monkeypatch.syspath_prepend(str(installed))
    runs.kept()
    (installed / "click-99.0.dist-info").mkdir()
    assert runs()[3]


def test_a_changed_config_file_runs_again(project, runs):
    config = project / "ci.toml"
    write(config, 'select = ["FAL2"]\n')
    runs.kept("--config", "ci.toml")
    edit_keeping_size(config, "FAL2", "FAL1")
    assert runs("--config", "ci.toml")[3]


def test_a_changed_baseline_runs_again(project, runs):
    assert runs.direct("--write-baseline", "all.json")[0] == 0
    assert runs.direct("--select", "FAL1", "--write-baseline", "base.json")[0] == 0
    first = runs.kept("--baseline", "base.json")
    assert b"FAL201" in first[1] and b"FAL102" not in first[1]
    # Rewritten in place: its folder does not change.
    (project / "base.json").write_bytes((project / "all.json").read_bytes())
    second = runs("--baseline", "base.json")
    assert second[3]
    assert b"FAL201" not in second[1]


def test_a_file_added_after_a_run_that_walked_from_the_walk_memo_runs_again(
    project, runs, monkeypatch
):
    from fastapi_lint import cache, discovery

    # Folders made just now count as settled: the walk memo keeps them at once.
    monkeypatch.setattr(discovery, "_FRESH_NS", 0)
    monkeypatch.setattr(cache, "_FRESH_NS", 0)
    runs.kept()
    _edited(project)
    listed: list[str] = []
    scandir = os.scandir

    def listing(path="."):
        listed.append(os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", listing)
    assert runs()[3]  # writes a memo from a walk that listed no folder of the project
    assert not [path for path in listed if "pkg" in path]
    monkeypatch.setattr(os, "scandir", scandir)
    assert not runs()[3]
    write(project / "pkg" / "sub" / "deeper" / "more.py", HELPER)
    assert runs()[3]


def test_settings_above_a_plain_pyproject_run_again(project, runs):
    # A pyproject.toml with only another tool's settings marks a root, but the settings of a
    # folder above it apply (projects.Projects.project_at).
    (project / "pyproject.toml").write_text("[tool.black]\n")
    runs.kept()
    assert not runs()[3]
    (project.parent / "pyproject.toml").write_text('[tool.fastapi-lint]\nignore = ["FAL1"]\n')
    after = runs()
    assert after[3]
    assert b"FAL102" not in after[1]


def test_git_working_in_its_folder_keeps_the_memo(project, runs):
    (project / ".git").mkdir()
    runs.kept()
    (project / ".git" / "index").write_text("changed")
    assert not runs()[3]


# -- runs that keep no memo --------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ("--no-cache",),
        ("--fix",),
        ("--diff",),
        ("--add-noqa",),
        ("--output-file", "report.txt"),
        ("-o", "report.txt"),
        ("--write-baseline", "b.json"),
        ("-",),
        ("--stdin-filename", "x.py"),
        ("--", "."),
        ("--unknown-option",),
        ("-qx",),
    ],
)
def test_runs_that_write_or_read_stdin_use_no_memo(project, args):
    assert memo._memo_path(["check", *args]) is None


def test_no_cache_neither_reads_nor_writes_a_memo(project, runs):
    runs("--no-cache")
    assert memos(project) == []
    assert runs("--no-cache")[3]


def test_a_file_that_does_not_parse_is_never_memoised(project, runs):
    write(project / "pkg" / "broken.py", "def (:\n")
    runs()
    first = runs()
    assert b"FAL001" in first[1]
    assert memos(project) == []
    assert runs()[3]


def test_output_cut_short_is_never_memoised(project, runs, monkeypatch):
    import io

    class Closed(io.RawIOBase):  # a reader that went away (`fastapi-lint check | head -1`)
        def writable(self):
            return True

        def write(self, data):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(Closed(), encoding="utf-8"))
    for _ in range(3):
        monkeypatch.setattr(sys, "argv", ["fastapi-lint", "check"])
        with pytest.raises(SystemExit):
            memo.main()
    assert memos(project) == []


def test_a_usage_error_is_never_memoised(project, runs):
    assert runs("--select", "NOPE")[0] == 2
    assert memos(project) == []


def test_a_file_changed_during_the_run_is_not_trusted(project, runs, monkeypatch):
    monkeypatch.setattr(memo, "_FRESH_NS", 3_600_000_000_000)  # everything is "just changed"
    runs()
    runs()
    assert memos(project) == []


def test_a_cache_dir_setting_keeps_no_memo(project, runs, tmp_path):
    (project / "pyproject.toml").write_text(f'[tool.fastapi-lint]\ncache-dir = "{tmp_path}/c"\n')
    runs()
    runs()
    assert not list((tmp_path / "c").rglob(memo.PREFIX + "*"))
    assert memos(project) == []


def test_the_cache_folder_of_the_environment_holds_the_memo(project, runs, tmp_path, monkeypatch):
    monkeypatch.setenv("FASTAPI_LINT_CACHE_DIR", str(tmp_path / "shared"))
    first = runs.kept()
    assert len(list((tmp_path / "shared").rglob(memo.PREFIX + "*"))) == 1
    assert runs() == (*first[:3], False)


def test_the_newest_memos_are_kept(project, runs):
    for number in range(memo.KEEP + 3):
        runs.kept(*["--extend-select=FAL2"] * number)
    assert len(memos(project)) == memo.KEEP
    assert len(list((project / ".fastapi_lint_cache").glob(memo.SEEN + "*"))) == memo.KEEP


def test_the_run_vouches_only_for_a_plain_run(monkeypatch):
    class Shown:
        shown = True

    from fastapi_lint.results import RunResult

    # Heard as a recorded run hears it (memo's own hook: audit hooks cannot be removed).
    recording = memo._Recording("memo", b"", [], [], [], seen=False)
    monkeypatch.setattr(memo, "_recording", recording)
    if not memo._hooked:  # set for the session: a hook added cannot be removed
        memo._hooked = True
        sys.addaudithook(memo._heard)
    cli._vouch(RunResult(), None)
    assert not recording.unsure
    cli._vouch(RunResult(), Shown())
    assert recording.unsure


# -- the console script, as users run it ---------------------------------------------------------
_SHOW_MODULES = (
    "import sys\nfrom fastapi_lint import memo\nmemo._FRESH_NS = 0\nmain = memo.main\n"
    "try:\n    status = main()\nexcept SystemExit as exc:\n    status = exc.code\n"
    "sys.stdout.flush()\n"
    "print('\\n' + ' '.join(sorted(m for m in sys.modules if m.split('.')[0] == 'click')),"
    " file=sys.stderr)\nsys.exit(status)\n"
)


def test_the_command_replays_without_importing_click(project):
    env = {**os.environ, "FASTAPI_LINT_JOBS": "1"}
    env.pop("FASTAPI_LINT_CACHE_DIR", None)
    command = [sys.executable, "-c", _SHOW_MODULES, "check", "."]
    done = [subprocess.run(command, capture_output=True, cwd=project, env=env) for _ in range(4)]
    first = done[0]
    assert first.returncode == 1 and b"FAL201" in first.stdout
    for run in done[1:]:
        assert (run.returncode, run.stdout) == (first.returncode, first.stdout)

    def modules(run) -> bytes:
        return run.stderr.rstrip(b"\n").rpartition(b"\n")[2]

    # Noted by the first, kept by the second, replayed by the others.
    assert b"click" in modules(done[0]) and b"click" in modules(done[1])
    assert modules(done[2]) == modules(done[3]) == b""


# -- what the review of the first version found -------------------------------------------------
def test_an_interrupted_run_is_never_memoised(project, runs, monkeypatch):
    vouch = cli._vouch

    def interrupted(*args):  # Ctrl-C once the files are checked
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_vouch", interrupted)
    for _ in range(2):
        status, _, err, ran = runs()
        assert (status, ran) == (1, True) and b"Aborted!" in err
    monkeypatch.setattr(cli, "_vouch", vouch)
    status, out, err, ran = runs()
    assert ran and b"FAL201" in out and b"Aborted!" not in err


def test_a_nested_gitignore_edited_in_place_runs_again(project, runs, monkeypatch):
    from fastapi_lint import cache, discovery

    # Folders made just now count as settled: the second run walks from the walk memo, which
    # vouches for legacy/ by its .gitignore's status without reading it.
    monkeypatch.setattr(discovery, "_FRESH_NS", 0)
    monkeypatch.setattr(cache, "_FRESH_NS", 0)
    write(project / "legacy" / ".gitignore", "# nothing\n")
    write(project / "legacy" / "deep" / "x.py", ROUTE)
    assert b"legacy" in runs.kept()[1]
    assert not runs()[3]
    with (project / "legacy" / ".gitignore").open("a") as stream:
        stream.write("deep/\n")
    _, out, _, ran = runs()
    assert ran and b"legacy" not in out


def test_files_of_no_project_replay_beside_a_busy_folder(tmp_path, runs, monkeypatch):
    """Above a folder of no project, only what would make a project or ignore files counts:
    a file made in the folder above (a home folder, /tmp) leaves the memo as it was."""
    busy = tmp_path / "busy"
    folder = busy / "scratch"
    write(folder / "app.py", ROUTE)
    monkeypatch.chdir(folder)
    monkeypatch.setattr(memo, "_FRESH_NS", 0)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    monkeypatch.delenv("FASTAPI_LINT_CACHE_DIR", raising=False)
    (folder / ".fastapi_lint_cache").mkdir()  # (see `project`)
    first = runs.kept("app.py")
    write(busy / "notes.txt", "unrelated\n")
    assert runs("app.py") == (*first[:3], False)
    write(busy / ".gitignore", "scratch/\n")
    assert runs("app.py")[3]
    runs("app.py")
    (busy / ".git").mkdir()
    assert runs("app.py")[3]


_SESSION_PROVIDER = """\
from sqlalchemy.orm import Session

async def get_db() -> Session:
    ...
"""
_ROUTE_USING = """\
from fastapi import APIRouter, Depends
from {module} import get_db

router = APIRouter()

@router.post("/x")
async def create(db=Depends(get_db)):
    db.commit()
    return {{}}
"""


def test_an_init_made_above_files_of_no_project_runs_again(tmp_path, runs, monkeypatch):
    """The current folder becoming a package renames the modules below it: `pkg.sub.b` is
    what `a.py` imports, so its session is known (FAL203) only after."""
    folder = tmp_path / "np" / "pkg"
    write(folder / "sub" / "__init__.py", "")
    write(folder / "sub" / "b.py", _SESSION_PROVIDER)
    write(folder / "sub" / "a.py", _ROUTE_USING.format(module="pkg.sub.b"))
    (folder / ".fastapi_lint_cache").mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setattr(memo, "_FRESH_NS", 0)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    monkeypatch.delenv("FASTAPI_LINT_CACHE_DIR", raising=False)
    args = ("sub/a.py", "sub/b.py")
    assert b"FAL203" not in runs.kept(*args)[1]
    assert not runs(*args)[3]
    write(folder / "__init__.py", "")
    status, out, _, ran = runs(*args)
    assert ran and b"FAL203" in out
    assert (status, out) == runs.direct(*args)[:2]


def test_an_init_made_above_a_project_s_root_runs_again(tmp_path, runs, monkeypatch):
    """A package chain climbs above the root: `Q/__init__.py` makes the modules `Q.P.*`."""
    root = tmp_path / "Q" / "P"
    write(root / "pyproject.toml", "[project]\nname = 'p'\n")
    write(root / "__init__.py", "")
    write(root / "b.py", _SESSION_PROVIDER)
    write(root / "a.py", _ROUTE_USING.format(module="Q.P.b"))
    (root / ".fastapi_lint_cache").mkdir()
    monkeypatch.chdir(root)
    monkeypatch.setattr(memo, "_FRESH_NS", 0)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    monkeypatch.delenv("FASTAPI_LINT_CACHE_DIR", raising=False)
    assert b"FAL203" not in runs.kept()[1]
    assert not runs()[3]
    write(tmp_path / "Q" / "__init__.py", "")
    status, out, _, ran = runs()
    assert ran and b"FAL203" in out
    assert (status, out) == runs.direct()[:2]


def test_a_symlink_given_retargeted_runs_again(project, runs, tmp_path):
    outside = tmp_path / "ext"
    (outside / ".git").mkdir(parents=True)
    write(outside / "t1.py", ROUTE)
    write(outside / "t2.py", "VALUE = 1\n")
    (project / "link.py").symlink_to(outside / "t1.py")
    assert b"FAL201" in runs.kept("link.py")[1]
    assert not runs("link.py")[3]
    (project / "new.py").symlink_to(outside / "t2.py")
    os.replace(project / "new.py", project / "link.py")  # as `ln -sfn`
    status, out, _, ran = runs("link.py")
    assert (status, ran) == (0, True) and b"FAL201" not in out


def test_a_symlink_in_a_chain_retargeted_runs_again(project, runs, tmp_path):
    """`link.py -> vendor/mid.py -> ../lib/good.py`: the middle link (in a folder the run does
    not walk) retargeted leads the given path elsewhere."""
    write(project / "lib" / "bad.py", ROUTE)
    write(project / "lib" / "good.py", "VALUE = 1\n")
    write(project / ".gitignore", "vendor/\n")
    (project / "vendor").mkdir()
    (project / "vendor" / "mid.py").symlink_to(Path("..") / "lib" / "good.py")
    (project / "link.py").symlink_to(Path("vendor") / "mid.py")
    assert b"FAL201" not in runs.kept("link.py")[1]
    assert not runs("link.py")[3]
    (project / "vendor" / "new.py").symlink_to(Path("..") / "lib" / "bad.py")
    os.replace(project / "vendor" / "new.py", project / "vendor" / "mid.py")
    status, out, _, ran = runs("link.py")
    assert (status, ran) == (1, True) and b"FAL201" in out


def test_a_symlink_before_dot_dot_retargeted_runs_again(project, runs):
    """`a/sub/../x.py` goes where `a/sub` leads, then up: not to `x.py` beside `a`."""
    write(project / "q" / "r" / "s" / "__init__.py", "")
    write(project / "q" / "r" / "x.py", ROUTE)
    write(project / "q2" / "r" / "s" / "__init__.py", "")
    write(project / "q2" / "r" / "x.py", "VALUE = 1\n")
    write(project / ".gitignore", "a/\n")  # a folder the run does not walk
    (project / "a").mkdir()
    (project / "a" / "sub").symlink_to(project / "q2" / "r" / "s")
    given = os.path.join("a", "sub", "..", "x.py")
    assert b"FAL201" not in runs.kept(given)[1]
    assert not runs(given)[3]
    (project / "a" / "new").symlink_to(project / "q" / "r" / "s")
    os.replace(project / "a" / "new", project / "a" / "sub")
    status, out, _, ran = runs(given)
    assert (status, ran) == (1, True) and b"FAL201" in out


def test_a_failed_memo_write_leaves_no_temporary_file(project, runs, monkeypatch):
    import builtins

    def full_disk(name, mode="r", *args, **kwargs):
        if os.fspath(name).endswith(".tmp"):
            with builtins.open(name, mode, *args, **kwargs) as stream:
                stream.write(b"partial")
            raise OSError(27, "File too large")
        return builtins.open(name, mode, *args, **kwargs)

    monkeypatch.setattr(memo, "open", full_disk, raising=False)
    runs()
    assert runs()[3]
    left = list((project / ".fastapi_lint_cache").iterdir())
    assert memos(project) == [] and not [path for path in left if path.suffix == ".tmp"]


def test_a_text_only_stdout_runs_as_usual(project, monkeypatch):
    import contextlib
    import io

    monkeypatch.setattr(sys, "argv", ["fastapi-lint", "check"])
    for _ in range(3):
        with contextlib.redirect_stdout(io.StringIO()) as shown, pytest.raises(SystemExit) as ended:
            memo.main()
        assert ended.value.code == 1 and "FAL201" in shown.getvalue()


def test_warning_options_are_in_the_key(monkeypatch):
    plain = memo._key(["check"])
    monkeypatch.setattr(sys, "warnoptions", ["error"])
    assert memo._key(["check"]) != plain


def test_a_replay_to_a_reader_gone_leaves_no_file_open(tmp_path, monkeypatch):
    class Gone:
        def write(self, data):
            raise BrokenPipeError

        def flush(self):
            pass

    class Stream:
        buffer = Gone()

        def __init__(self, fd):
            self.fd = fd

        def flush(self):
            pass

        def fileno(self):
            return self.fd

    path = tmp_path / "memo"
    path.write_bytes(_stored((b"k", [], [(1, b"x")], 0)))
    target = os.open(os.devnull, os.O_WRONLY)
    try:
        monkeypatch.setattr(sys, "stdout", Stream(target))
        before = len(os.listdir("/proc/self/fd"))
        assert memo._replay(str(path), b"k") == 1
        assert len(os.listdir("/proc/self/fd")) == before
    finally:
        os.close(target)


def test_the_cache_folder_is_the_one_the_caches_use(tmp_path, monkeypatch):
    # The memo finds it without importing cache.py or config.py (a replay imports neither).
    from fastapi_lint import cache, config

    assert (memo._CACHE_DIR, memo._CACHE_DIR_ENV) == (cache.CACHE_DIR, cache.CACHE_DIR_ENV)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "git" / ".git").mkdir(parents=True)
    write(tmp_path / "plain" / "pyproject.toml", "[tool.black]\n")
    (tmp_path / "plain" / "sub").mkdir()
    (tmp_path / "none").mkdir()
    for folder in ("git", "plain/sub", "none"):
        real = (tmp_path / folder).resolve()
        for chosen in (None, tmp_path / "shared"):
            expected = cache.cache_folder(config.find_project_root(real), chosen)
            option = None if chosen is None else str(chosen)
            assert memo._cache_folder([str(real)], option)[0] == str(expected)


def test_no_marks_of_folders_that_are_no_project(project, runs):
    import marshal

    (project / ".git").mkdir()
    runs.kept()
    (found,) = memos(project)
    _, stamps, _, _ = marshal.loads(found.read_bytes()[len(memo._MAGIC) + 4 :])  # (CRC first)
    cache_folder = str(project / ".fastapi_lint_cache")
    for name, _ in stamps:
        assert os.sep + ".git" + os.sep not in name and not name.startswith(cache_folder)


def test_a_stamp_the_run_took_of_a_file_just_changed_keeps_no_memo(tmp_path, monkeypatch):
    import time

    monkeypatch.setattr(memo, "_FRESH_NS", 0)
    folder = tmp_path / ".fastapi_lint_cache"
    folder.mkdir()
    module = tmp_path / "m.py"
    module.write_text("X = 1\n")
    recording = memo._Recording(str(folder / "memo-x"), b"k", [], [], [], seen=True)
    recording.cache_folders.add(str(folder))
    recording.began = began = time.time_ns()
    found = module.stat()
    # Settled by its modification time (as cache.stamp_of sees it), changed by its change time.
    stamp = (found.st_size, began - 10_000_000_000, began + 1, found.st_ino)
    recording.files.append([str(module)])
    recording.stamps.append({str(module): stamp})
    recording._write(0)
    assert not list(folder.iterdir())


def _stored(memo_data: tuple) -> bytes:
    """A memo file's bytes: the magic line, the CRC-32 of the marshal data, the data."""
    import marshal
    import zlib

    body = marshal.dumps(memo_data)
    return memo._MAGIC + zlib.crc32(body).to_bytes(4, "little") + body


def test_a_damaged_memo_is_not_unmarshalled(tmp_path, monkeypatch):
    """Marshal sized a list by the count its data claimed: a flipped bit in a memo made a
    replay allocate gigabytes before failing. A memo whose CRC fails is never unmarshalled."""
    import marshal

    good = _stored((b"k", [], [(1, b"x")], 0))
    path = tmp_path / "memo"
    path.write_bytes(good)
    assert memo._load(str(path), b"k") is not None
    damaged = bytearray(good)
    damaged[-1] ^= 1  # the last byte of the data
    path.write_bytes(bytes(damaged))
    loads: list[bytes] = []
    monkeypatch.setattr(marshal, "loads", lambda data: loads.append(data))
    assert memo._load(str(path), b"k") is None
    assert loads == []
