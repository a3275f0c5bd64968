from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness import FIXTURES


@pytest.fixture
def demo(tmp_path, monkeypatch) -> Path:
    """A copy of the demo app (without its cache), as the current folder."""
    copy = tmp_path / "demo_app"
    shutil.copytree(FIXTURES / "demo_app", copy, ignore=shutil.ignore_patterns(".fastapi_lint*"))
    monkeypatch.chdir(copy)
    return copy


def pytest_addoption(parser):
    parser.addoption(
        "--update-fixtures",
        action="store_true",
        default=False,
        help="Rewrite the fixtures' .fixed.py files from what --fix --unsafe-fixes produces.",
    )
