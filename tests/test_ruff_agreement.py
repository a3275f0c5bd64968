"""FAL102 never contradicts ruff's FAST001 (fast-api-redundant-response-model).

FAST001 flags a `response_model=` that repeats the return annotation. Code we accept must not be
flagged by it, our fix must not create what it flags, and what it flags we do not ask for.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fastapi_lint.config import Settings
from fastapi_lint.runner import Options, run
from harness import FIXTURES

RUFF = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")


def fast001(path: Path) -> list[int]:
    done = subprocess.run(
        [
            RUFF,
            "check",
            "--select",
            "FAST001",
            "--isolated",
            "--no-cache",
            "--exit-zero",
            "--output-format",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return [item["location"]["row"] for item in json.loads(done.stdout)]


@pytest.mark.parametrize("name", ["routes.py", "routes.fixed.py"])
def test_our_fixtures_and_fixes_are_clean_for_fast001(name):
    assert fast001(FIXTURES / "FAL102" / name) == []


def test_what_fast001_flags_we_accept(tmp_path):
    module = tmp_path / "redundant.py"
    module.write_text(
        textwrap.dedent(
            """\
            from fastapi import FastAPI
            from pydantic import BaseModel

            app = FastAPI()


            class Item(BaseModel):
                id: int


            @app.get("/x", response_model=Item)
            async def read() -> Item:
                return Item(id=1)
            """
        )
    )
    assert fast001(module) == [11]
    result = run([module], Settings(select=("FAL102",)), Options(use_cache=False), base=tmp_path)
    assert result.diagnostics == []
