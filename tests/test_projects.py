"""The same file gets the same findings whatever path the tool is run on.

Module names come from the project's import roots (src layout, folders holding a package, the
`src` setting), namespace packages and star imports resolve, and each file is checked with the
settings and the project index of its own project (the nearest pyproject.toml with settings or
metadata). The fixture projects live in `fixtures/projects/`; each test copies one into a
temporary folder that it makes a repository (`.git`), so nothing above it takes part.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastapi_lint.cli import main
from fastapi_lint.config import load
from fastapi_lint.flake8_plugin import Flake8Plugin
from fastapi_lint.projects import Project, Projects
from harness import FIXTURES

Finding = tuple[
    str, int, int, str, str
]  # (path from the repository's top, row, column, code, message)

MONOREPO = {
    ("backend/app/api/v1/users.py", 9, "FAL101"),
    ("backend/app/schemas.py", 5, "FAL302"),
    ("backend/app/schemas.py", 9, "FAL502"),
    ("scripts/seed.py", 1, "FAL301"),
}


def copy_project(name: str, tmp_path: Path) -> Path:
    repo = tmp_path / name
    shutil.copytree(FIXTURES / "projects" / name, repo)
    (repo / ".git").mkdir()
    return repo


def findings(repo: Path, cwd: Path, *paths: str, monkeypatch, stdin=None) -> set[Finding]:
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(
        main,
        ["check", "--no-cache", "--output-format", "json", *paths],
        input=stdin,
        catch_exceptions=False,
    )
    assert result.exit_code in (0, 1), result.output
    return {
        (
            (cwd / item["filename"]).resolve().relative_to(repo).as_posix(),
            item["location"]["row"],
            item["location"]["column"],
            item["code"],
            item["message"],
        )
        for item in json.loads(result.stdout)
    }


def python_folders(repo: Path) -> list[Path]:
    return sorted({path.parent for path in repo.rglob("*.py")} - {repo})


def assert_same_from_everywhere(repo: Path, monkeypatch, excluded=("/legacy/",)) -> set[Finding]:
    """Every sub-folder (named from the top, or as `.` from inside it) and every file (named
    alone, or piped on stdin) give the findings a run on the whole repository gives for it."""
    whole = findings(repo, repo, ".", monkeypatch=monkeypatch)
    for folder in python_folders(repo):
        relative = folder.relative_to(repo).as_posix()
        expected = {item for item in whole if item[0].startswith(relative + "/")}
        named = findings(repo, repo, relative, monkeypatch=monkeypatch)
        inside = findings(repo, folder, ".", monkeypatch=monkeypatch)
        assert inside == named, f"run inside {relative}/"
        if any(part in relative + "/" for part in excluded):
            # an excluded folder named on the command line is checked, as ruff does
            assert named and not expected, f"run on excluded {relative}/"
            continue
        assert named == expected, f"run on {relative}/ from the top"
    for path in sorted(repo.rglob("*.py")):
        relative = path.relative_to(repo).as_posix()
        expected = {item for item in whole if item[0] == relative}
        # as pre-commit passes changed files: excluded ones (billing/legacy/) give nothing
        named = findings(repo, repo, "--force-exclude", relative, monkeypatch=monkeypatch)
        assert named == expected, relative
        if not any(part in relative for part in excluded):
            assert findings(repo, repo, relative, monkeypatch=monkeypatch) == expected, relative
            text = path.read_text(encoding="utf-8")  # as an editor passes an unsaved buffer
            piped = findings(
                repo, repo, "-", "--stdin-filename", relative, monkeypatch=monkeypatch, stdin=text
            )
            assert piped == expected, f"{relative} on stdin"
    return whole


def test_a_monorepo_gives_each_file_the_same_findings_from_every_path(tmp_path, monkeypatch):
    # Two backends share the top-level package `app`: `backend`'s `app.models.Item` is a
    # Pydantic model (FAL302 on its subclass), `billing`'s a plain class. `backend` declares
    # Pydantic 2 in a Poetry table (FAL502); `billing` declares Pydantic 1 and excludes its
    # legacy/ folder, also when the run starts at the top.
    repo = copy_project("monorepo", tmp_path)
    whole = assert_same_from_everywhere(repo, monkeypatch)
    assert {(path, row, code) for path, row, _, code, _ in whole} == MONOREPO


def test_a_parent_projects_excludes_do_not_reach_into_a_nested_project(tmp_path, monkeypatch):
    # Settings are not merged: the top's `gen` pattern is the top's, not the nested project's,
    # and what pre-commit reports for sub/gen/x.py does not depend on the other files passed.
    (tmp_path / ".git").mkdir()
    write(tmp_path / "pyproject.toml", '[tool.fastapi-lint]\nextend-exclude = ["gen"]\n')
    write(tmp_path / "gen" / "skipped.py", "def f(x=[]):\n    return x\n")
    write(tmp_path / "top.py", "x = 1\n")
    write(tmp_path / "sub" / "pyproject.toml", "[tool.fastapi-lint]\n")
    write(tmp_path / "sub" / "gen" / "x.py", "def f(x=[]):\n    return x\n")
    expected = {("sub/gen/x.py", 1, 9, "FAL301")}
    for cwd, args in [
        (tmp_path, ["."]),
        (tmp_path, ["sub"]),
        (tmp_path / "sub", ["."]),
        (tmp_path, ["--force-exclude", "sub/gen/x.py"]),
        (tmp_path, ["--force-exclude", "sub/gen/x.py", "top.py", "gen/skipped.py"]),
    ]:
        found = findings(tmp_path, cwd, *args, monkeypatch=monkeypatch)
        assert {item[:4] for item in found} == expected, (cwd, args)


def test_a_nested_projects_unsafe_fixes_setting_holds_from_above(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n")
    write(tmp_path / "sub" / "pyproject.toml", "[tool.fastapi-lint]\nunsafe-fixes = true\n")
    write(tmp_path / "sub" / "m.py", "def f(x=[]):\n    return x\n")
    for cwd in (tmp_path, tmp_path / "sub"):
        monkeypatch.chdir(cwd)
        result = CliRunner().invoke(main, ["check", "--no-cache", "--diff", "."])
        assert "+def f(x=None):" in result.stdout, (cwd, result.output)


def test_without_any_project_file_the_current_folder_is_the_import_root(tmp_path, monkeypatch):
    # No pyproject.toml, no .git: namespace packages are named from the current folder (as
    # ruff does), so the model in app/models/users.py is found from app/models/groups.py.
    assert not any((folder / ".git").exists() for folder in tmp_path.parents)
    write(tmp_path / "app" / "models" / "users.py", MODEL)
    write(tmp_path / "app" / "models" / "groups.py", SUBCLASS)
    write(tmp_path / "app" / "routers" / "users.py", "x = 1\n")  # the same stem elsewhere
    expected = {("app/models/groups.py", 5, 18, "FAL302")}
    # (the index holds only the files checked: no project root says what else belongs)
    for args in (["."], ["app/models"], ["app/models/groups.py", "app/models/users.py"]):
        found = findings(tmp_path, tmp_path, *args, monkeypatch=monkeypatch)
        assert {item[:4] for item in found} == expected, args


def test_pydantic_code_evidence_stays_within_each_application(tmp_path, monkeypatch):
    # A v1 application checked next to a v2 one (no dependency declared): only the v2 one's
    # code says v2, so only it gets FAL502, whatever else is passed; its tests follow it.
    model = "from pydantic import BaseModel\n\n\nclass Item(BaseModel):\n    name: str\n"
    use = "from {0}.models import Item\n\n\ndef dump(item: Item):\n    return item.dict()\n"
    write(tmp_path / "old_app" / "__init__.py")
    write(tmp_path / "old_app" / "models.py", model)
    write(tmp_path / "old_app" / "views.py", use.format("old_app"))
    write(tmp_path / "new_app" / "__init__.py")
    write(tmp_path / "new_app" / "models.py", "from pydantic import ConfigDict\n" + model)
    write(tmp_path / "new_app" / "views.py", use.format("new_app"))
    write(tmp_path / "tests" / "test_views.py", use.format("new_app"))
    expected = {("new_app/views.py", 5, 12, "FAL502"), ("tests/test_views.py", 5, 12, "FAL502")}
    for args in (["."], ["old_app", "new_app", "tests"]):
        found = findings(tmp_path, tmp_path, "--select", "FAL5", *args, monkeypatch=monkeypatch)
        assert {item[:4] for item in found} == expected, args


MODEL = "from pydantic import BaseModel\n\n\nclass UserModel(BaseModel):\n    name: str\n"
SUBCLASS = "from app.models.users import UserModel\n\n\nclass G(UserModel):\n    tags: list = []\n"


def test_config_and_isolated_impose_one_configuration_on_every_file(tmp_path, monkeypatch):
    repo = copy_project("monorepo", tmp_path)
    legacy = ("billing/legacy/old.py", 1, "FAL301")
    no_v2 = MONOREPO - {("backend/app/schemas.py", 9, "FAL502")}
    # --isolated: no project's settings (no Pydantic 2 from Poetry, no exclude of legacy/),
    # but each project keeps its own index and module names
    isolated = findings(repo, repo, "--isolated", ".", monkeypatch=monkeypatch)
    assert {(path, row, code) for path, row, _, code, _ in isolated} == no_v2 | {legacy}
    # --config: billing's settings (Pydantic 1, legacy/ excluded relative to billing/) for all
    config = findings(
        repo, repo, "--config", "billing/pyproject.toml", ".", monkeypatch=monkeypatch
    )
    assert {(path, row, code) for path, row, _, code, _ in config} == no_v2


@pytest.mark.skipif(
    not os.environ.get("FASTAPI_LINT_LONG_TESTS"), reason="long: FASTAPI_LINT_LONG_TESTS=1"
)
def test_every_rule_fixture_gets_the_same_findings_from_every_path(tmp_path, monkeypatch):
    # The rule fixtures as one repository of nested projects (each FAL folder and scenario).
    repo = tmp_path / "fixtures"
    for folder in sorted(FIXTURES.iterdir()):
        if folder.is_dir() and folder.name != "projects":
            shutil.copytree(folder, repo / folder.name)
    (repo / ".git").mkdir()
    whole = assert_same_from_everywhere(repo, monkeypatch, excluded=(".fixed.py",))
    assert len(whole) > 100


def test_namespace_packages_and_the_src_setting(tmp_path, monkeypatch):
    # No __init__.py anywhere; `src = ["server"]` makes server/ an import root, so absolute
    # (`app.api.v1.deps`) and relative (`.deps`, `...core.models`) imports find the modules.
    repo = copy_project("namespace", tmp_path)
    whole = assert_same_from_everywhere(repo, monkeypatch)
    assert {(path, row, code) for path, row, _, code, _ in whole} == {
        ("server/app/api/v1/items.py", 9, "FAL101"),
        ("server/app/api/v1/users.py", 9, "FAL101"),
        ("tools/report.py", 5, "FAL302"),
    }


def test_star_imports_bring_public_names_or_all(tmp_path, monkeypatch):
    repo = copy_project("star_imports", tmp_path)
    whole = findings(repo, repo, ".", monkeypatch=monkeypatch)
    assert {(path, row, code) for path, row, _, code, _ in whole} == {
        ("app/direct.py", 8, "FAL101"),  # `from app.deps.base import *` in the route's module
        ("app/routes.py", 8, "FAL101"),  # router and SessionDep re-exported by a star import
        ("app/schemas.py", 5, "FAL302"),  # AppModel is in __all__; Hidden is not
    }


def test_the_flake8_plugin_sees_the_same_projects(tmp_path, monkeypatch):
    repo = copy_project("monorepo", tmp_path)
    monkeypatch.chdir(repo)
    found = set()
    for path in sorted(repo.rglob("*.py")):
        if "legacy" in path.parts:
            continue  # flake8 applies its own excludes
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        for line, _column, message, _ in Flake8Plugin(None, str(path), lines).run():
            found.add((path.relative_to(repo).as_posix(), line, message.split()[0]))
    assert found == MONOREPO


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("files", "module", "expected"),
    [
        # src layout: src/ is an import root by default (`src.pkg...` also works: namespace src)
        (
            ["pyproject.toml", "src/pkg/__init__.py"],
            "src/pkg/api/routes.py",
            ["pkg.api.routes", "src.pkg.api.routes"],
        ),
        # a folder holding a package is an import root, however deep
        (
            ["pyproject.toml", "server/app/__init__.py"],
            "server/app/api/v1/x.py",
            ["app.api.v1.x", "server.app.api.v1.x"],
        ),
        # a namespace folder inside a regular package stays part of its name
        (
            ["pyproject.toml", "app/__init__.py", "app/api/v1/__init__.py"],
            "app/api/v1/x.py",
            ["app.api.v1.x"],
        ),
        # namespace packages: the path below the project's root
        (["pyproject.toml"], "app/api/v1/x.py", ["app.api.v1.x"]),
        # a package's __init__ is the package
        (["pyproject.toml", "app/__init__.py"], "app/__init__.py", ["app"]),
        # a folder that cannot be imported (`my-app`) is not part of the name
        (["pyproject.toml"], "my-app/app/x.py", ["app.x"]),
        # a src/ that is itself a package (code imports `src.app`) is not an import root
        (
            ["pyproject.toml", "src/__init__.py", "src/app/__init__.py"],
            "src/app/x.py",
            ["src.app.x", "app.x"],
        ),
        # a project folder that is a package is named by its chain
        (["pyproject.toml", "__init__.py"], "x.py", ["repo.x", "x"]),
        # no project at all: the __init__.py chain alone
        (["pkg/__init__.py"], "pkg/x.py", ["pkg.x"]),
    ],
)
def test_module_names_come_from_import_roots(tmp_path, files, module, expected):
    repo = tmp_path / "repo"
    for name in files:
        write(repo / name, "[project]\nname = 'p'\n" if name == "pyproject.toml" else "")
    path = write(repo / module).resolve()
    if "pyproject.toml" in files:
        (repo / ".git").mkdir()
    primary, package, names = Projects().module_names(path)
    assert names == expected
    assert primary == expected[0]
    assert package == (primary if path.stem == "__init__" else primary.rpartition(".")[0])


def test_a_module_s_own_name_wins_over_another_s_other_name(tmp_path):
    # src/app/models.py is `app.models` (and `src.app.models`); a top-level app/models.py is
    # `app.models` too: whichever is indexed first, `app.models` is the module of that name.
    from fastapi_lint.semantic.facts import ModuleFacts
    from fastapi_lint.semantic.index import ProjectIndex

    own = ModuleFacts(module="src.app.models", package="src.app")
    other = ModuleFacts(module="app.models", package="app")
    for order in ([own, other], [other, own]):
        index = ProjectIndex()
        for facts in order:
            names = [facts.module, "app.models"] if facts is own else [facts.module]
            index.add(facts, list(dict.fromkeys(names)))
        assert index.modules["app.models"] is other
        assert index.modules["src.app.models"] is own


def test_the_nearest_pyproject_with_settings_or_metadata_is_the_project(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo / "pyproject.toml", "[tool.black]\nline-length = 100\n")
    write(repo / "backend/pyproject.toml", "[tool.poetry]\nname = 'b'\n")
    write(repo / "backend/tools/pyproject.toml", "[tool.black]\n")  # other tools only
    write(repo / "web/pyproject.toml", "[tool.fastapi-lint]\nselect = ['FAL3']\n")
    projects = Projects()
    backend = repo.resolve() / "backend"
    assert projects.project_of(backend / "tools/x.py") == Project(
        backend, backend / "pyproject.toml"
    )
    web = repo.resolve() / "web"
    assert projects.project_of(web / "a/b.py") == Project(web, web / "pyproject.toml")
    assert projects.settings(projects.project_of(web / "a/b.py")).select == ("FAL3",)
    # no settings above the file inside the repository: the repository, with the defaults
    assert projects.project_of(repo.resolve() / "x.py") == Project(repo.resolve(), None)


@pytest.mark.parametrize(
    ("requirement", "pydantic"),
    [
        ('"^2.5"', 2),
        ('{ version = "~2.1", extras = ["email"] }', 2),
        ('">=2.0,<3"', 2),
        ('"2.*"', 2),
        ('"^1.10"', 1),
        ('">=1.10,<2"', 1),
        ('"*"', "auto"),
    ],
)
def test_poetry_dependencies_declare_pydantic_and_python(tmp_path, requirement, pydantic):
    pyproject = write(
        tmp_path / "pyproject.toml",
        "[tool.poetry]\nname = 'b'\n\n[tool.poetry.dependencies]\n"
        f'python = "^3.11"\npydantic = {requirement}\n',
    )
    settings = load(pyproject)
    assert settings.pydantic_version == pydantic
    assert settings.target_version == (3, 11)
