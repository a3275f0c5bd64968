"""Every rule on real library code: the installed fastapi, pydantic, starlette and sqlalchemy.

No rule may crash (FAL002), and every fix (unsafe ones too) must produce code that parses: the
run is in `--diff` mode, so nothing is written.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from fastapi_lint.config import Settings
from fastapi_lint.runner import Options, run

PACKAGES = ("fastapi", "pydantic", "starlette", "sqlalchemy")


@pytest.mark.parametrize("name", PACKAGES)
def test_installed_package_lints_without_internal_errors(name):
    package = importlib.import_module(name)
    folder = Path(package.__file__).parent
    options = Options(diff=True, unsafe_fixes=True, use_cache=False)
    # Named one by one: a virtual environment inside a checkout is git-ignored, and files named
    # explicitly are checked whatever the ignore files say.
    files = sorted(folder.rglob("*.py"))
    result = run(files, Settings(exclude=()), options, base=folder)
    assert len(result.files) > 10
    crashes = [d for d in result.diagnostics if d.code == "FAL002"]
    assert not crashes, crashes[:5]
    problems = [(r.path, p) for r in result.files for p in r.problems]
    assert not problems, problems[:5]
