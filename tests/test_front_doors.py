"""The flake8 plugin and the pre-commit hooks, run through the real flake8 and pre-commit."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness import FIXTURES, ROOT, fixture_files, project_dir

BIN = Path(sys.executable).parent
FLAKE8_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>FAL\d{3}) ")


def _cli_json(paths: list[Path], cwd: Path) -> set[tuple[str, int, int, str]]:
    done = subprocess.run(
        [str(BIN / "fastapi-lint"), "check", "--output-format", "json", "--no-cache"]
        + [str(p) for p in paths],
        capture_output=True,
        text=True,
        cwd=cwd,
    )
    assert done.returncode in (0, 1), done.stderr
    return {
        (
            Path(item["filename"]).name,
            item["location"]["row"],
            item["location"]["column"],
            item["code"],
        )
        for item in json.loads(done.stdout)
    }


def _flake8(paths: list[Path], cwd: Path, cache: Path) -> set[tuple[str, int, int, str]]:
    """flake8's FAL findings; the plugin keeps its cache in `cache` (not in the repository)."""
    done = subprocess.run(
        [sys.executable, "-m", "flake8", "--select=FAL", "--isolated"] + [str(p) for p in paths],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "FASTAPI_LINT_CACHE_DIR": str(cache)},
    )
    assert done.returncode in (0, 1), done.stderr
    found = set()
    for line in done.stdout.splitlines():
        match = FLAKE8_LINE.match(line)
        assert match, line
        found.add((Path(match["path"]).name, int(match["line"]), int(match["col"]), match["code"]))
    return found


def test_flake8_plugin_reports_what_the_cli_reports(tmp_path):
    by_project: dict[Path, list[Path]] = {}
    for path in fixture_files():
        by_project.setdefault(project_dir(path), []).append(path)
    total = 0
    for project, paths in by_project.items():
        cli = _cli_json(paths, project)
        flake8 = _flake8(paths, project, tmp_path)
        assert flake8 == cli, f"flake8 and the CLI disagree in {project.relative_to(FIXTURES)}"
        total += len(cli)
    assert total > 50
    assert not list(FIXTURES.rglob(".fastapi_lint_cache"))  # nothing written beside them


def test_flake8_plugin_indexes_files_of_no_project_as_the_cli_does(tmp_path):
    """No pyproject.toml or .git above: the CLI indexes the files under the paths it is given
    together; flake8 must too, whichever file it reads first (`main.py` before `z_tools.py`)."""
    app = tmp_path / "work"
    (app / "app").mkdir(parents=True)
    (app / "app" / "__init__.py").write_text("")
    (app / "app" / "main.py").write_text(
        "from app.z_tools import read_settings\n\n\nasync def page():\n    return read_settings()\n"
    )
    (app / "app" / "z_tools.py").write_text(
        "def read_settings():\n    with open('settings.json') as f:\n        return f.read()\n"
    )
    cli = _cli_json([Path(".")], app)
    assert ("main.py", 5, 12, "FAL201") in cli
    assert _flake8([Path(".")], app, tmp_path / "cache") == cli
    # standard input alone: no other file is indexed, by either front door
    main = (app / "app" / "main.py").read_text()
    env = {**os.environ, "FASTAPI_LINT_CACHE_DIR": str(tmp_path / "cache")}
    for command in (
        [str(BIN / "fastapi-lint"), "check", "--no-cache", "--stdin-filename", "app/main.py", "-"],
        [
            sys.executable,
            "-m",
            "flake8",
            "--select=FAL",
            "--stdin-display-name",
            "app/main.py",
            "-",
        ],
    ):
        done = subprocess.run(command, input=main, capture_output=True, text=True, cwd=app, env=env)
        assert "FAL201" not in done.stdout, command


def test_flake8_plugin_is_registered_as_fal():
    done = subprocess.run(
        [sys.executable, "-m", "flake8", "--version"], capture_output=True, text=True
    )
    assert "fastapi-lint" in done.stdout


def test_flake8_plugin_reports_broken_settings_without_a_traceback(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text('[tool.fastapi-lint]\nselect = "FAL1"\n')
    (tmp_path / "sub" / "x.py").write_text("def f(x=[]):\n    return x\n")
    done = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "FAL", "sub/x.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "sub/x.py:1:1: FAL002 settings cannot be used, nothing was checked:" in done.stdout
    assert "`select` must be a list of rule codes" in done.stdout


@pytest.fixture(scope="module")
def precommit_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / "pyproject.toml").write_text("[tool.fastapi-lint]\nunsafe-fixes = true\n")
    (repo / "app" / "__init__.py").write_text("")
    # The base class sits in a module of Python 3.14 syntax (lowered to be read), next to a
    # module nothing can read: the hook still knows the base and says what it cannot read.
    (repo / "app" / "base.py").write_text(
        "from pydantic import BaseModel\n\ntry:\n    import orjson\n"
        "except ImportError, ModuleNotFoundError:\n    orjson = None\n\n\n"
        "class AppModel(BaseModel):\n    pass\n"
    )
    (repo / "app" / "deep.py").write_text("x = " + "(" * 3000 + "1" + ")" * 3000 + "\n")
    (repo / "app" / "schemas.py").write_text(
        textwrap.dedent(
            """\
            from app.base import AppModel


            class Item(AppModel):
                tags: list[str] = []
            """
        )
    )
    (repo / "app" / "clean.py").write_text("def f(x=None):\n    return x\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    return repo


def _try_repo(repo: Path, home: Path, hook: str, *files: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook, "--files", *files],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")
def test_pre_commit_hooks(tmp_path, precommit_home):
    repo = _repo(tmp_path)
    # Only the changed file is passed; the base class is known from the project index.
    failing = _try_repo(repo, precommit_home, "fastapi-lint", "app/schemas.py")
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "app/schemas.py:5:23: FAL302" in failing.stdout
    assert "warning: app/deep.py: cannot be read (nesting too deep" in failing.stdout
    assert "Traceback" not in failing.stdout + failing.stderr

    passing = _try_repo(repo, precommit_home, "fastapi-lint", "app/clean.py")
    assert passing.returncode == 0, passing.stdout + passing.stderr

    fixing = _try_repo(repo, precommit_home, "fastapi-lint-fix", "app/schemas.py")
    assert fixing.returncode == 1, fixing.stdout + fixing.stderr
    assert "files were modified by this hook" in fixing.stdout
    fixed = (repo / "app" / "schemas.py").read_text()
    assert "tags: list[str] = Field(default_factory=list)" in fixed
    assert "from pydantic import Field" in fixed
