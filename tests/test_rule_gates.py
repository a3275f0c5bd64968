"""Rules that cannot report in a file leave its walk (`Rule.applies_to`).

The walk then makes none of their calls; what a gate asks the project index is noted like any
query, so that cached results are re-linted when its answer changes. Each gated rule must still
report wherever it did: through aliases, models in other modules and odd spellings.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastapi_lint.cli import main
from fastapi_lint.engine import Linter
from fastapi_lint.rules.models.json_mutation import UntrackedJsonMutation

BASE = """\
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
"""
BASE_WITH_JSON_MAP = """\
from sqlalchemy import JSON
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    type_annotation_map = {dict: JSON}
"""
MODELS = """\
from sqlalchemy.orm import Mapped, mapped_column

from app.base import Base


class Item(Base):
    __tablename__ = "item"
    id: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[dict]
"""
ROUTE = """\
from sqlalchemy.orm import Session

from app.models import Item


def touch(db: Session, item_id: int) -> None:
    item = db.get(Item, item_id)
    item.data["touched"] = True
    db.commit()
"""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def check(*extra: str) -> list[tuple[str, str]]:
    arguments = ["check", ".", "--output-format", "json", "--exit-zero", *extra]
    output = CliRunner().invoke(main, arguments).output
    return sorted((item["filename"], item["code"]) for item in json.loads(output))


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")  # calls are counted in this process
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n")
    write(tmp_path / "app" / "__init__.py", "")
    return tmp_path


@pytest.fixture
def scans(monkeypatch) -> list[str]:
    """The functions FAL303 visited."""
    seen: list[str] = []
    real = UntrackedJsonMutation.visit_FunctionDef

    def counting(self, node):
        seen.append(node.name)
        return real(self, node)

    monkeypatch.setattr(UntrackedJsonMutation, "visit_FunctionDef", counting)
    monkeypatch.setattr(UntrackedJsonMutation, "visit_AsyncFunctionDef", counting)
    return seen


def test_a_project_without_json_columns_never_walks_fal303(project, scans):
    write(project / "app" / "base.py", BASE)
    write(project / "app" / "models.py", MODELS)
    write(project / "app" / "routes.py", ROUTE)
    assert check("--no-cache") == []
    assert scans == []


def test_only_files_that_name_a_json_column_walk_fal303(project, scans):
    write(project / "app" / "base.py", BASE_WITH_JSON_MAP)
    write(project / "app" / "models.py", MODELS)
    write(project / "app" / "routes.py", ROUTE)
    write(project / "app" / "other.py", "def other(x):\n    return x.name\n")
    assert check("--no-cache") == [("app/routes.py", "FAL303")]
    assert scans == ["touch"]


def test_files_with_the_same_rules_left_out_share_one_table(project):
    write(project / "app" / "base.py", BASE)
    write(project / "app" / "a.py", "def a(x):\n    return x.y\n")
    write(project / "app" / "b.py", "def b(x):\n    return x.z\n")
    made: list[int] = []
    real = Linter._table_without

    def noting(self, left_out):
        table = real(self, left_out)
        made.append(id(table))
        return table

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Linter, "_table_without", noting)
        check("--no-cache")
    assert len(made) == 4 and len(set(made)) == 1  # (__init__, base, a, b)


def test_a_json_map_added_in_another_module_relints_the_gated_file(project):
    """The gate's question is noted: without it the cached, gated result of routes.py (which
    did not change, nor did anything else it asked about) would be replayed."""
    write(project / "app" / "base.py", BASE)
    write(project / "app" / "models.py", MODELS)
    write(project / "app" / "routes.py", ROUTE)
    assert check() == []
    write(project / "app" / "base.py", BASE_WITH_JSON_MAP)
    assert check() == [("app/routes.py", "FAL303")]


@pytest.mark.parametrize(
    "spelling",
    [
        'item.data["touched"] = True',
        'item.\\\n        data["touched"] = True',
        '(item.  # why\n        data)["touched"] = True',
        'payload = item.data\n    payload["touched"] = True',
        'item.ｄata["touched"] = True',  # noqa: RUF001 (NFKC: the same name)
    ],
)
@pytest.mark.parametrize("cache", [(), ("--no-cache",)])  # the gate asks the index or not
def test_fal303_still_reports_however_the_column_is_spelled(project, spelling, cache):
    write(project / "app" / "base.py", BASE_WITH_JSON_MAP)
    write(project / "app" / "models.py", MODELS)
    route = ROUTE.replace('item.data["touched"] = True', spelling)
    write(project / "app" / "routes.py", route)
    assert check(*cache) == [("app/routes.py", "FAL303")]


def calls_to(monkeypatch, rule: type, handler: str = "visit_Call") -> list[int]:
    """The lines of the nodes a rule's handler was called on."""
    seen: list[int] = []
    real = getattr(rule, handler)

    def counting(self, node):
        seen.append(node.lineno)
        return real(self, node)

    monkeypatch.setattr(rule, handler, counting)
    return seen


SYNC_ONLY = """\
import time


def wait() -> None:
    time.sleep(1)
"""


def test_the_async_rules_do_not_walk_a_file_without_async_def(project, monkeypatch):
    from fastapi_lint.rules.async_io.blocking_calls import BlockingCallInAsync
    from fastapi_lint.rules.async_io.sync_sessions import SyncSessionInAsync
    from fastapi_lint.rules.async_io.unawaited_calls import UnawaitedSessionCall

    seen = [
        calls_to(monkeypatch, rule)
        for rule in (BlockingCallInAsync, SyncSessionInAsync, UnawaitedSessionCall)
    ]
    write(project / "app" / "jobs.py", SYNC_ONLY)
    assert check("--no-cache") == []
    assert seen == [[], [], []]
    write(project / "app" / "jobs.py", SYNC_ONLY.replace("def wait", "async def wait"))
    assert check("--no-cache") == [("app/jobs.py", "FAL201")]
    assert seen == [[5], [5], [5]]


ENGINE = """\
{imports}

engine = {call}("postgresql://app@db/app")
"""


def test_fal204_does_not_walk_a_file_that_cannot_name_an_async_engine(project, monkeypatch):
    from fastapi_lint.rules.async_io.engine_urls import SyncDriverInAsyncEngine

    seen = calls_to(monkeypatch, SyncDriverInAsyncEngine)
    imports = "from sqlalchemy.orm import sessionmaker\nfrom sqlalchemy import create_engine"
    write(project / "app" / "db.py", ENGINE.format(imports=imports, call="create_engine"))
    assert check("--no-cache") == []
    assert seen == []


@pytest.mark.parametrize(
    ("imports", "call"),
    [
        ("from sqlalchemy.ext.asyncio import create_async_engine", "create_async_engine"),
        ("import sqlalchemy.ext.asyncio as aio", "aio.create_async_engine"),
        ("import sqlalchemy", "sqlalchemy.ext.asyncio.create_async_engine"),
        ("from sqlalchemy.ext import asyncio", "asyncio.create_async_engine"),
        ("from sqlalchemy.ext.asyncio.engine import create_async_engine as make", "make"),
        ("from app.engines import *", "make_engine"),  # a project module's names
    ],
)
def test_fal204_still_reports_however_the_engine_is_named(project, imports, call):
    engines = "from sqlalchemy.ext.asyncio import create_async_engine as make_engine\n"
    write(project / "app" / "engines.py", engines)
    write(project / "app" / "db.py", ENGINE.format(imports=imports, call=call))
    assert check("--no-cache") == [("app/db.py", "FAL204")]


SQL = """\
{imports}


def by_name(name: str) -> object:
    return {call}(f"SELECT * FROM users WHERE name = '{{name}}'")
"""


def test_fal403_does_not_walk_a_file_that_runs_no_sql(project, monkeypatch):
    from fastapi_lint.rules.security.sql_injection import SqlStringInterpolation

    seen = calls_to(monkeypatch, SqlStringInterpolation)
    write(project / "app" / "q.py", SQL.format(imports="from sqlalchemy import select", call="str"))
    assert check("--no-cache") == []
    assert seen == []


@pytest.mark.parametrize(
    ("imports", "call"),
    [
        ("from sqlalchemy import text as sql", "sql"),
        ("import sqlalchemy.sql.expression as e", "e.text"),
        ("from app.sql import *", "q"),  # `q` is `text` in a project module
    ],
)
def test_fal403_still_reports_however_text_is_named(project, imports, call):
    write(project / "app" / "sql.py", "from sqlalchemy import text as q\n")
    write(project / "app" / "routes.py", SQL.format(imports=imports, call=call))
    assert check("--no-cache") == [("app/routes.py", "FAL403")]


TASKS = """\
{imports}


def write_log(message: str) -> None: ...


def signup(email: str) -> object:
    return {call}(write_log(email))
"""


def test_fal103_does_not_walk_a_file_that_queues_no_task(project, monkeypatch):
    from fastapi_lint.rules.routes.background_tasks import CalledBackgroundTask

    seen = calls_to(monkeypatch, CalledBackgroundTask)
    write(project / "app" / "jobs.py", TASKS.format(imports="import os", call="print"))
    assert check("--no-cache") == []
    assert seen == []


@pytest.mark.parametrize(
    ("imports", "call"),
    [
        ("from starlette.background import BackgroundTask as Later", "Later"),
        ("import fastapi", "fastapi.BackgroundTask"),
        ("from app.tasks import *", "Later"),
    ],
)
def test_fal103_still_reports_however_the_task_is_named(project, imports, call):
    write(project / "app" / "tasks.py", "from fastapi import BackgroundTask as Later\n")
    write(project / "app" / "routes.py", TASKS.format(imports=imports, call=call))
    assert check("--no-cache") == [("app/routes.py", "FAL103")]


VALIDATED = """\
{imports}


class User(BaseModel):
    name: str

    @{decorator}("name")
    def strip(cls, value: str) -> str:
        return value.strip()
"""


def pydantic_v2(project: Path) -> None:
    write(project / "pyproject.toml", "[tool.fastapi-lint]\npydantic-version = 2\n")


def test_fal503_does_not_walk_a_file_that_cannot_name_a_v1_validator(project, monkeypatch):
    from fastapi_lint.rules.pydantic_validators import PydanticV1Validator

    pydantic_v2(project)
    seen = calls_to(monkeypatch, PydanticV1Validator, "visit_FunctionDef")
    imports = "from pydantic import BaseModel, field_validator"
    write(project / "app" / "m.py", VALIDATED.format(imports=imports, decorator="field_validator"))
    assert check("--no-cache") == []
    assert seen == []


@pytest.mark.parametrize(
    ("imports", "decorator"),
    [
        ("from pydantic import BaseModel, validator as checks", "checks"),
        ("import pydantic\nfrom pydantic import BaseModel", "pydantic.validator"),
        ("from pydantic import BaseModel\nfrom app.compat import *", "checks"),
    ],
)
def test_fal503_still_reports_however_the_validator_is_named(project, imports, decorator):
    pydantic_v2(project)
    write(project / "app" / "compat.py", "from pydantic import validator as checks\n")
    write(project / "app" / "m.py", VALIDATED.format(imports=imports, decorator=decorator))
    assert check("--no-cache") == [("app/m.py", "FAL503")]


def test_a_gate_that_raises_lets_its_rule_run(project, monkeypatch):
    def broken(cls, ctx):
        raise RuntimeError("a bug in a gate")

    monkeypatch.setattr(UntrackedJsonMutation, "applies_to", classmethod(broken))
    write(project / "app" / "base.py", BASE_WITH_JSON_MAP)
    write(project / "app" / "models.py", MODELS)
    write(project / "app" / "routes.py", ROUTE)
    assert check("--no-cache") == [("app/routes.py", "FAL303")]


def test_the_names_after_a_dot_are_found_in_one_pass_whatever_the_comments():
    """FAL303's gate reads the name after each dot past comments: a comment runs to its line's
    end, so a banner of `#` after a dot is one piece, not 2^n ways to split it (a pattern that
    let a comment end anywhere ran for minutes on a 40-character banner). Run in a process of
    its own: a regular expression holds the interpreter until it is done."""
    import subprocess
    import sys

    script = (
        "from fastapi_lint.rules.models.json_mutation import _AFTER_A_DOT\n"
        "text = 'x.\\n# Routes.\\n' + '#' * 80 + '\\n@app.get(\"/\")\\n' + 'obj.  # why\\n  col'\n"
        "print(_AFTER_A_DOT.findall(text))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['get', 'col']"
