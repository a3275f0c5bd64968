"""Cached results are invalidated by what a file asked the project index, not by any change.

Each test checks both ways: an edit that changes an answer a file got re-lints that file (with
its new findings), and an edit elsewhere leaves it to the cache. Lints are counted through the
runner (one process).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastapi_lint.cli import main
from fastapi_lint.engine import Linter
from fastapi_lint.semantic.facts import ModuleFacts
from fastapi_lint.semantic.index import ProjectIndex
from fastapi_lint.semantic.queries import RecordingIndex, Replay

ROUTE = """\
from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Item

router = APIRouter()


@router.post("/{item_id}")
async def touch(item_id: int, db: AsyncSession):
    item = await db.get(Item, item_id)
    item.data["touched"] = True
"""
MODELS = """\
from sqlalchemy import {kind}
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "item"
    id: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[dict] = mapped_column({kind}, default=dict)
"""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def check() -> list[tuple[str, str]]:
    output = CliRunner().invoke(main, ["check", ".", "--output-format", "json"]).output
    return sorted((item["filename"], item["code"]) for item in json.loads(output))


@pytest.fixture
def linted(tmp_path, monkeypatch) -> list[str]:
    """The files linted (not taken from the cache) by the runs of the test, in a project."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")  # calls are counted in this process
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n")
    write(tmp_path / "app" / "__init__.py", "")
    seen: list[str] = []
    real_lint = Linter.lint

    def counting_lint(self, path, *args, **kwargs):
        seen.append(Path(path).as_posix())
        return real_lint(self, path, *args, **kwargs)

    monkeypatch.setattr(Linter, "lint", counting_lint)
    return seen


def relint(seen: list[str]) -> list[str]:
    check_again = sorted(seen)
    seen.clear()
    return check_again


def test_an_imports_edit_relints_that_module_only(tmp_path, linted):
    write(tmp_path / "app" / "models.py", MODELS.format(kind="JSON"))
    for name in ("a", "b", "c"):
        write(tmp_path / "app" / f"{name}.py", ROUTE)
    cold = check()
    assert ("app/a.py", "FAL303") in cold
    linted.clear()
    write(tmp_path / "app" / "a.py", "import os\n" + ROUTE)
    assert check() == cold
    assert relint(linted) == ["app/a.py"]
    # models.py's imports change, its classes do not: what the routes asked of it holds
    write(tmp_path / "app" / "models.py", "import os\n" + MODELS.format(kind="JSON"))
    assert check() == cold
    assert relint(linted) == ["app/models.py"]


def test_a_model_gaining_a_json_column_relints_the_files_that_use_it(tmp_path, linted):
    write(tmp_path / "app" / "models.py", MODELS.format(kind="String"))
    write(tmp_path / "app" / "routes.py", ROUTE)
    write(tmp_path / "app" / "other.py", "def f(x=[]):\n    return x\n")
    before = check()
    assert ("app/other.py", "FAL301") in before
    assert ("app/routes.py", "FAL303") not in before
    linted.clear()
    write(tmp_path / "app" / "models.py", MODELS.format(kind="JSON"))
    assert check() == sorted([*before, ("app/routes.py", "FAL303")])
    assert relint(linted) == ["app/models.py", "app/routes.py"]


def test_a_global_answer_that_changes_relints_the_files_that_asked_it(tmp_path, linted):
    write(
        tmp_path / "app" / "schemas.py",
        """\
        from pydantic import BaseModel


        class Out(BaseModel):
            class Config:
                orm_mode = True
        """,
    )
    write(tmp_path / "app" / "other.py", "x = 1\n")
    assert check() == []  # no Pydantic v2 evidence in the package: v1's `Config` is fine
    linted.clear()
    write(tmp_path / "app" / "other.py", "import os\n\nx = 1\n")  # the answer stays
    assert check() == []
    assert relint(linted) == ["app/other.py"]
    write(tmp_path / "app" / "other.py", "from pydantic import field_validator\n\nx = 1\n")
    assert check() == [("app/schemas.py", "FAL501")]
    assert relint(linted) == ["app/other.py", "app/schemas.py"]


def test_a_star_exported_name_that_changes_relints_the_importer(tmp_path, linted):
    write(tmp_path / "app" / "plain.py", "class Base:\n    pass\n")
    write(
        tmp_path / "app" / "pyd.py",
        "from pydantic import BaseModel\n\n\nclass Base(BaseModel):\n    pass\n",
    )
    write(tmp_path / "app" / "common.py", 'from app.plain import Base\n\n__all__ = ["Base"]\n')
    write(
        tmp_path / "app" / "models.py",
        "from app.common import *\n\n\nclass Item(Base):\n    tags: list = []\n",
    )
    assert check() == []
    linted.clear()
    # common.py changes, but not what its star export brings: models.py holds
    write(
        tmp_path / "app" / "common.py",
        'import os\nfrom app.plain import Base\n\n__all__ = ["Base"]\n',
    )
    assert check() == []
    assert relint(linted) == ["app/common.py"]
    # `Base` now names a Pydantic model: models.py's own bindings changed
    write(tmp_path / "app" / "common.py", 'from app.pyd import Base\n\n__all__ = ["Base"]\n')
    assert check() == [("app/models.py", "FAL302")]
    assert relint(linted) == ["app/common.py", "app/models.py"]


def test_a_warm_run_with_nothing_changed_lints_nothing(tmp_path, linted):
    write(tmp_path / "app" / "models.py", MODELS.format(kind="JSON"))
    write(tmp_path / "app" / "routes.py", ROUTE)
    cold = check()
    linted.clear()
    assert check() == cold
    assert linted == []


def _index(*modules: ModuleFacts) -> ProjectIndex:
    index = ProjectIndex()
    for facts in modules:
        index.add(facts, [facts.module])
    index.expand_stars()
    return index


def test_replayed_queries_match_only_the_same_answers():
    facts = ModuleFacts(module="m", package="", calls={"router": "fastapi.APIRouter"})
    recorder = RecordingIndex(_index(facts))
    assert recorder.value_callee("m.router") is not None
    assert recorder.value_callee("m.other") is None
    recorder.packages_import(frozenset({"m"}), lambda value: True)  # cannot be asked again
    stored = recorder.stored()
    assert len(stored) == 3
    answered = {query: found for query, found in stored.items() if "packages_import" not in query}
    assert Replay(_index(facts)).same_answers(answered)
    assert not Replay(_index(facts)).same_answers(stored)
    changed = ModuleFacts(module="m", package="", calls={"router": "fastapi.FastAPI"})
    assert not Replay(_index(changed)).same_answers(answered)
    assert not Replay(_index(facts)).same_answers({"not json": "x", **answered})
    assert not Replay(_index(facts)).same_answers({'["no_such_query"]': "x"})


def test_checking_the_project_root_walks_it_once(tmp_path, linted, monkeypatch):
    from fastapi_lint import pipeline, runner

    write(tmp_path / "app" / "models.py", MODELS.format(kind="JSON"))
    write(tmp_path / "app" / "routes.py", ROUTE)
    write(tmp_path / "nested" / "pyproject.toml", "[tool.fastapi-lint]\n")
    write(tmp_path / "nested" / "skipped.py", "def f(x=[]):\n    return x\n")
    walks: list[list[Path]] = []
    real_discover = runner.discover

    def counting_discover(paths, *args, **kwargs):
        walks.append(list(paths))
        return real_discover(paths, *args, **kwargs)

    monkeypatch.setattr(runner, "discover", counting_discover)  # the run's walk
    monkeypatch.setattr(pipeline, "discover", counting_discover)  # the index's walks
    both = check()
    assert ("nested/skipped.py", "FAL301") in both
    assert len(walks) == 3, "two projects: each index walks its own project"
    (tmp_path / "nested" / "pyproject.toml").unlink()  # one project now
    walks.clear()
    assert check() == both
    assert walks == [[Path(".")]], "the run's walk of the project is the index's walk"


def test_replay_calls_only_registered_predicates(monkeypatch):
    from fastapi_lint.rules.pydantic_v2 import marks_pydantic_v2

    facts = ModuleFacts(module="m", package="", bindings={"ConfigDict": "pydantic.ConfigDict"})
    recorder = RecordingIndex(_index(facts))
    assert recorder.packages_import(frozenset({"m"}), marks_pydantic_v2)
    stored = recorder.stored()
    assert Replay(_index(facts)).same_answers(stored)
    [(query, found)] = stored.items()
    called: list[str] = []
    monkeypatch.setattr("os.system", called.append)
    forged = query.replace("fastapi_lint.rules.pydantic_v2:marks_pydantic_v2", "os:system")
    assert forged != query
    assert not Replay(_index(facts)).same_answers({forged: found})
    assert called == [], "a cache file named a function and replay called it"


def test_entries_that_hold_after_an_index_change_are_not_asked_again(tmp_path, linted, monkeypatch):
    write(tmp_path / "app" / "models.py", MODELS.format(kind="JSON"))
    write(tmp_path / "app" / "routes.py", ROUTE)
    cold = check()
    write(tmp_path / "app" / "models.py", "import os\n" + MODELS.format(kind="JSON"))
    replayed: list[int] = []
    real_same_answers = Replay.same_answers

    def counting(self, stored):
        replayed.append(len(stored))
        return real_same_answers(self, stored)

    monkeypatch.setattr(Replay, "same_answers", counting)
    assert check() == cold
    assert len(replayed) == 2, "__init__.py's and routes.py's answers are asked again"
    replayed.clear()
    linted.clear()
    assert check() == cold
    assert replayed == [] and linted == [], "they held: the next run takes the fast path"


def test_a_query_no_cache_can_name_never_matches():
    facts = ModuleFacts(module="m", package="", calls={"router": "fastapi.APIRouter"})
    recorder = RecordingIndex(_index(facts))
    recorder.value_callee("m.router")
    recorder._note(("value_callee", ["m.router"]), None)  # an argument no dict key can be
    stored = recorder.stored()
    assert len(stored) == 2 and not Replay(_index(facts)).same_answers(stored)


def test_worker_mode_after_an_index_change(tmp_path, monkeypatch):
    """The index sent to worker processes carries no answers: it once held a code object (the
    Pydantic evidence's predicate), and the run failed as soon as a cached file was re-asked."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "2")
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n")
    for number in range(60):
        write(tmp_path / "app" / f"m{number}.py", f"class A{number}:\n    tags: list = []\n")
    write(tmp_path / "app" / "other.py", "X = 1\n")
    first = check()
    write(tmp_path / "app" / "other.py", "Y = 1\n")  # other facts: cached files are re-asked
    result = CliRunner().invoke(main, ["check", ".", "--output-format", "json"])
    assert result.exit_code in (0, 1), result.output
    again = sorted((item["filename"], item["code"]) for item in json.loads(result.output))
    assert again == first
    fresh = CliRunner().invoke(main, ["check", ".", "--no-cache", "--output-format", "json"])
    assert sorted((i["filename"], i["code"]) for i in json.loads(fresh.output)) == first


def test_a_file_whose_module_name_changes_is_linted_again(tmp_path, linted):
    """Removing a package's `__init__.py` changes what `from ..models import Order` means:
    the same text, asking the same queries, is another module now."""
    write(tmp_path / "pyproject.toml", '[project]\nname = "p"\nversion = "0"\n')
    write(tmp_path / "pkg" / "__init__.py", "")
    write(tmp_path / "pkg" / "models.py", MODELS.format(kind="JSON"))
    write(tmp_path / "pkg" / "sub" / "__init__.py", "")
    write(
        tmp_path / "pkg" / "sub" / "views.py",
        """\
        from sqlalchemy.orm import Session
        from ..models import Item

        def add_item(db: Session, item_id: int, value: str) -> Item:
            item = db.get(Item, item_id)
            item.data.append(value)
            db.commit()
            return item
        """,
    )
    assert ("pkg/sub/views.py", "FAL303") in check()
    (tmp_path / "pkg" / "__init__.py").unlink()
    fresh = CliRunner().invoke(main, ["check", ".", "--no-cache", "--output-format", "json"])
    expected = sorted((i["filename"], i["code"]) for i in json.loads(fresh.output))
    assert ("pkg/sub/views.py", "FAL303") not in expected
    assert check() == expected


def test_test_files_are_judged_the_same_from_any_folder(tmp_path, monkeypatch):
    """Rules that treat tests and scripts apart judge the file's place in its project, not the
    path shown from the current folder (the cache is shared by both)."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n")
    secret = 'API_KEY = "plain-words-but-' + 'secret-42"\n'  # no live format: tests may hold it
    write(tmp_path / "tests" / "helpers.py", secret)
    write(tmp_path / "app" / "settings.py", secret)
    from_root = check()
    monkeypatch.chdir(tmp_path / "tests")
    from_tests = CliRunner().invoke(main, ["check", "--output-format", "json"]).output
    fresh = CliRunner().invoke(main, ["check", "--no-cache", "--output-format", "json"]).output
    assert json.loads(from_tests) == json.loads(fresh)
    assert ("app/settings.py", "FAL401") in from_root
    assert not [name for name, _ in from_root if name.startswith("tests/")]
    assert json.loads(fresh) == []


MAILER = """\
import requests


class Transport:
    def deliver(self, to: str) -> None:
        {deliver}


class Mailer(Transport):
    {kind} send(self, to: str) -> None:
        {send}
"""
MAILER_ROUTE = """\
from fastapi import APIRouter

from app.services import Mailer

router = APIRouter()
mailer = Mailer()


@router.post("/send")
async def send(to: str) -> None:
    mailer.send(to)
    Mailer().deliver(to)
"""


def test_a_method_that_starts_or_stops_blocking_relints_its_async_callers(tmp_path, linted):
    def services(kind="def", send="print(to)", deliver="print(to)") -> str:
        return MAILER.format(kind=kind, send=send, deliver=deliver)

    write(tmp_path / "app" / "services.py", services())
    write(tmp_path / "app" / "routes.py", MAILER_ROUTE)
    write(tmp_path / "app" / "other.py", "x = 1\n")
    assert check() == []
    linted.clear()
    blocking = 'requests.post("https://example.com", timeout=5)'
    write(tmp_path / "app" / "services.py", services(send=blocking))
    assert check() == [("app/routes.py", "FAL201")]
    assert relint(linted) == ["app/routes.py", "app/services.py"]
    write(tmp_path / "app" / "other.py", "x = 2\n")  # asked by no one: routes.py is cached
    assert check() == [("app/routes.py", "FAL201")]
    assert relint(linted) == ["app/other.py"]
    write(tmp_path / "app" / "services.py", services(kind="async def", send=blocking))
    # the async method blocks in its own body; its caller awaits nothing blocking
    assert check() == [("app/services.py", "FAL201")]
    assert relint(linted) == ["app/routes.py", "app/services.py"]
    write(tmp_path / "app" / "services.py", services(deliver=blocking))  # inherited
    assert check() == [("app/routes.py", "FAL201")]
    assert relint(linted) == ["app/routes.py", "app/services.py"]
