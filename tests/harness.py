"""Shared by the tests: run fixture files through the real runner and read their expectations.

A fixture is `fixtures/<CODE>/<scenario>.py` (or a file in a scenario folder) with inline
expectations: `# error: FAL301` or, with the 1-based column, `# error: FAL301@22`; several on
one line are separated by spaces. Each folder that holds a `pyproject.toml` is a project of its
own, so its project index sees only its files.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

from fastapi_lint import config
from fastapi_lint.results import RunResult
from fastapi_lint.runner import Options, run

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
EXPECTATION = re.compile(r"#\s*error:\s*(?P<items>FAL\d{3}(?:@\d+)?(?:[\s,]+FAL\d{3}(?:@\d+)?)*)")
MARKER = re.compile(r"[ \t]*#[ \t]*error:[ \t]*FAL\d{3}(?:@\d+)?(?:[ \t,]+FAL\d{3}(?:@\d+)?)*")
ITEM = re.compile(r"(FAL\d{3})(?:@(\d+))?")


def updating() -> bool:
    """Whether this run rewrites the stored expectations (snapshots and `.fixed.py` files)."""
    return os.environ.get("FASTAPI_LINT_UPDATE_SNAPSHOTS") == "1"


def fixture_files() -> list[Path]:
    files = []
    for path in sorted(FIXTURES.glob("FAL*/**/*.py")):
        if not path.name.endswith(".fixed.py"):
            files.append(path)
    return files


def rule_code(path: Path) -> str:
    return path.relative_to(FIXTURES).parts[0]


def project_dir(path: Path) -> Path:
    for directory in path.parents:
        if (directory / "pyproject.toml").is_file():
            return directory
    raise AssertionError(f"{path} has no pyproject.toml above it")


def without_markers(text: str) -> str:
    """The text with its `# error:` markers removed (what a `.fixed.py` file stores)."""
    return MARKER.sub("", text)


def expectations(text: str) -> list[tuple[int, str, int | None]]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = EXPECTATION.search(line)
        if match:
            for code, column in ITEM.findall(match.group("items")):
                found.append((number, code, int(column) if column else None))
    return found


def settings_for(path: Path, code: str) -> config.Settings:
    found = config.find_config(path.parent)
    settings = config.load(found)
    return replace(settings, select=(code,))


def lint(path: Path, *, fix: bool = False, code: str | None = None) -> RunResult:
    settings = settings_for(path, code or rule_code(path))
    options = Options(fix=fix, unsafe_fixes=True, use_cache=False)
    base = config.find_config(path.parent).parent
    return run([path], settings, options, base=base)


def fix_copy(path: Path, tmp_path: Path) -> tuple[Path, RunResult]:
    """Fix a copy of the fixture's whole project folder; return the copied file and result."""
    project = project_dir(path)
    copy = tmp_path / project.name
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("*.fixed.py", "__pycache__"))
    target = copy / path.relative_to(project)
    return target, lint(target, fix=True, code=rule_code(path))
