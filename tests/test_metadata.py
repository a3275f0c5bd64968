"""`requires-python` and the pydantic requirement, read as PEP 440 / PEP 508 (not by pattern)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastapi_lint.config import load
from fastapi_lint.metadata import pep440_from_poetry


def settings_for(tmp_path: Path, project: str):
    path = tmp_path / "pyproject.toml"
    path.write_text(f"[project]\nname = 'p'\n{project}\n", encoding="utf-8")
    return load(path)


@pytest.mark.parametrize(
    ("requires", "target"),
    [
        ("~=3.11", (3, 11)),
        ("==3.11.*", (3, 11)),
        (">=3.11.4,<4", (3, 11)),
        (">= 3.9", (3, 9)),
        (">=3.12, !=3.12.1", (3, 12)),
        ("<3.13", (3, 10)),  # no lower bound: the default
        ("not a specifier", (3, 10)),
    ],
)
def test_target_version_is_the_oldest_python_requires_python_admits(tmp_path, requires, target):
    assert settings_for(tmp_path, f'requires-python = "{requires}"').target_version == target


@pytest.mark.parametrize(
    ("requirement", "major"),
    [
        ("pydantic~=2.5", 2),
        ("pydantic[email]>=2.0.0b1", 2),
        ("Pydantic>2", 2),
        ("pydantic>=2.0,!=2.1.*", 2),
        ("pydantic<2", 1),
        ("pydantic==1.*", 1),
        ("pydantic~=1.10", 1),
        ("pydantic<=1.10.2", 1),
        # Both majors admitted: "auto" (the code decides, as when pydantic is not declared).
        ("pydantic>=1.10,<3", "auto"),
        ("pydantic>=1.10,<2.12", "auto"),
        ("pydantic<2.5", "auto"),
        ("pydantic", "auto"),
        ("pydantic-settings>=2", "auto"),  # another package
        ("not a requirement !!", "auto"),
    ],
)
def test_pydantic_version_from_the_dependencies(tmp_path, requirement, major):
    settings = settings_for(tmp_path, f'dependencies = ["{requirement}"]')
    assert settings.pydantic_version == major


def test_declared_pydantic_version_wins_over_the_dependencies(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text(
        "[project]\nname = 'p'\ndependencies = ['pydantic<2']\n"
        "[tool.fastapi-lint]\npydantic-version = 2\n",
        encoding="utf-8",
    )
    assert load(path).pydantic_version == 2


@pytest.mark.parametrize(
    ("poetry", "pep440"),
    [
        ("^2.5", ">=2.5,<3"),
        ("^0.2.3", ">=0.2.3,<0.3"),
        ("~1.10", ">=1.10,<1.11"),
        ("~2", ">=2,<3"),
        ("2.*", "==2.*"),
        ("1.10.2", "==1.10.2"),
        (">=1.10, <3", ">=1.10,<3"),
        ("*", ""),
        ("^1 || ^2", None),
    ],
)
def test_poetry_constraints_become_pep440_specifiers(poetry, pep440):
    assert pep440_from_poetry(poetry) == pep440
