"""Pydantic "auto": every dependency file next to the project's pyproject.toml is asked."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastapi_lint.cli import main
from fastapi_lint.config import load
from fastapi_lint.dependencies import requirements_file

PYPROJECT = "[project]\nname = 'p'\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def version_of(folder: Path, pyproject: str = PYPROJECT) -> int | str:
    return load(write(folder / "pyproject.toml", pyproject)).pydantic_version


@pytest.mark.parametrize(
    ("pyproject", "major"),
    [
        (PYPROJECT + "[dependency-groups]\ndev = ['pydantic==2.8.2', {include-group = 'x'}]\n", 2),
        (PYPROJECT + "[project.optional-dependencies]\nweb = ['pydantic<2']\n", 1),
        (PYPROJECT + "[tool.pdm.dev-dependencies]\ntest = ['pydantic~=2.5']\n", 2),
        (PYPROJECT + "[tool.uv]\ndev-dependencies = ['pydantic>=1.10,<2']\n", 1),
        ("[tool.poetry.group.dev.dependencies]\npydantic = '^2.1'\n", 2),
        ("[tool.poetry.dev-dependencies]\npydantic = {version = '~1.10'}\n", 1),
        # Both majors in one table: the next source (none here) decides.
        (PYPROJECT + "[dependency-groups]\ndev = ['pydantic>=1.10,<3']\n", "auto"),
    ],
)
def test_dependency_tables_of_the_pyproject(tmp_path, pyproject, major):
    assert version_of(tmp_path, pyproject) == major


def test_a_pinned_requirements_file_makes_a_v2_project(tmp_path):
    write(
        tmp_path / "requirements.txt",
        "fastapi>=0.110  # web\npydantic==2.8.2 \\\n  --hash=sha256:0\n",
    )
    assert version_of(tmp_path) == 2


def test_requirements_files_include_others_one_level_deep(tmp_path):
    write(tmp_path / "requirements-dev.txt", "-r requirements/base.txt\npytest\n")
    write(tmp_path / "requirements" / "base.txt", "-r deeper.txt\npydantic[email]<2\n")
    write(tmp_path / "requirements" / "deeper.txt", "pydantic>=2\n")  # two levels: not read
    assert requirements_file(tmp_path / "requirements-dev.txt") == ["pydantic[email]<2", "pytest"]
    assert version_of(tmp_path) == 1


def test_setup_cfg_install_requires(tmp_path):
    write(
        tmp_path / "setup.cfg",
        """\
        [options]
        install_requires =
            fastapi
            pydantic>=2.4; python_version >= "3.8"
        """,
    )
    assert version_of(tmp_path) == 2


@pytest.mark.parametrize("lock", ["uv.lock", "poetry.lock", "pdm.lock"])
def test_the_locked_version(tmp_path, lock):
    write(
        tmp_path / lock,
        """\
        [[package]]
        name = "fastapi"
        version = "0.115.0"

        [[package]]
        name = "Pydantic"
        version = "1.10.17"
        """,
    )
    assert version_of(tmp_path, PYPROJECT + "dependencies = ['pydantic']\n") == 1


def test_precedence_setting_then_declared_then_locked(tmp_path):
    write(tmp_path / "uv.lock", '[[package]]\nname = "pydantic"\nversion = "1.10.2"\n')
    write(tmp_path / "requirements.txt", "pydantic>=2\n")
    assert version_of(tmp_path) == 2  # declared beats locked
    (tmp_path / "requirements.txt").unlink()
    assert version_of(tmp_path) == 1
    assert version_of(tmp_path, PYPROJECT + "[tool.fastapi-lint]\npydantic-version = 2\n") == 2
    assert version_of(tmp_path, PYPROJECT + "dependencies = ['pydantic~=2.0']\n") == 2


def test_broken_dependency_files_say_nothing(tmp_path):
    write(tmp_path / "uv.lock", "[[package]\nbroken")
    write(tmp_path / "setup.cfg", "no section header\n")
    (tmp_path / "requirements.txt").write_bytes(b"pydantic=='2\xff\n")
    assert version_of(tmp_path) == "auto"


V1_CONFIG = """\
from pydantic import BaseModel


class User(BaseModel):
    name: str

    class Config:
        orm_mode = True
"""


def test_a_project_without_settings_reads_its_requirements(tmp_path, monkeypatch):
    """A repository with a plain pyproject.toml (other tools only) and a requirements.txt."""
    write(tmp_path / "pyproject.toml", "[tool.black]\nline-length = 100\n")
    write(tmp_path / "app.py", V1_CONFIG)
    monkeypatch.chdir(tmp_path)

    def codes() -> list[str]:
        output = CliRunner().invoke(main, ["check", ".", "--output-format", "json"]).output
        return [item["code"] for item in json.loads(output)]

    assert codes() == []  # no v2-only name: taken to be v1
    write(tmp_path / "requirements.txt", "pydantic==2.8.2\n")
    assert codes() == ["FAL501"]
