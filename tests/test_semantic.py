"""The semantic layer on its own: names, classes, sessions, routers and JSON columns."""

from __future__ import annotations

import ast
import textwrap

from fastapi_lint.semantic import index as kinds
from fastapi_lint.semantic.facts import extract
from fastapi_lint.semantic.imports import ImportTable
from fastapi_lint.semantic.index import ProjectIndex
from fastapi_lint.semantic.sessions import SessionFacts, SessionKind


def project(**modules: str) -> ProjectIndex:
    """An index of modules given as `dotted_name=source`: `app__db` is `app.db`, and
    `app__init` is the package `app` itself."""
    index = ProjectIndex()
    for key, source in modules.items():
        name = key.replace("__", ".")
        if name.endswith(".init"):
            name = package = name.removesuffix(".init")
        else:
            package = name.rpartition(".")[0]
        index.add(extract(ast.parse(textwrap.dedent(source)), name, package), [name])
    return index


def expression(source: str) -> ast.expr:
    return ast.parse(source, mode="eval").body


def test_imports_resolve_aliases_relative_imports_and_re_exports():
    table = ImportTable("app.api.routes", "app.api")
    for line in (
        "import sqlalchemy as sa",
        "from fastapi import APIRouter as R",
        "from ..models import User",
        "from fastapi.routing import APIRouter",
        "from time import sleep as pause",
    ):
        table.add_import(ast.parse(line).body[0])
    assert table.resolve(expression("sa.select")) == "sqlalchemy.select"
    assert table.resolve(expression("R")) == "fastapi.APIRouter"
    assert table.resolve(expression("APIRouter")) == "fastapi.APIRouter"
    assert table.resolve(expression("User")) == "app.models.User"
    assert table.resolve(expression("pause")) == "time.sleep"
    assert table.resolve(expression("open")) == "builtins.open"
    assert table.resolve(expression("unknown_name")) is None
    table.define("open")
    assert table.resolve(expression("open")) == "app.api.routes.open"


def test_class_kinds_follow_bases_across_modules_and_re_exports():
    index = project(
        app__base="from pydantic import BaseModel\n\nclass AppModel(BaseModel):\n    pass\n",
        app__init="from .base import AppModel\n",
        app__db="from sqlalchemy.orm import declarative_base\nBase = declarative_base()\n",
        app__models="""
            from app import AppModel
            from app.db import Base
            from sqlmodel import SQLModel
            from pydantic_settings import BaseSettings
            import enum

            class UserOut(AppModel):
                pass

            class User(Base):
                __tablename__ = "users"

            class Hero(SQLModel, table=True):
                pass

            class HeroRead(SQLModel):
                pass

            class Settings(BaseSettings):
                pass

            class Color(str, enum.Enum):
                RED = "red"
        """,
    )
    assert kinds.PYDANTIC in index.class_kinds("app.models.UserOut")
    assert kinds.MAPPED in index.class_kinds("app.models.User")
    assert {kinds.PYDANTIC, kinds.TABLE, kinds.MAPPED} <= index.class_kinds("app.models.Hero")
    assert kinds.TABLE not in index.class_kinds("app.models.HeroRead")
    assert kinds.SETTINGS in index.class_kinds("app.models.Settings")
    assert kinds.ENUM in index.class_kinds("app.models.Color")
    assert index.class_kinds("app.models.Missing") == frozenset()


def test_sessions_through_aliases_providers_and_factories():
    index = project(
        app__db="""
            from typing import Annotated
            from collections.abc import AsyncIterator
            from fastapi import Depends
            from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
            from sqlalchemy.orm import Session, sessionmaker

            AsyncLocal = async_sessionmaker()
            SyncLocal = sessionmaker()
            MadeAsync = sessionmaker(class_=AsyncSession)

            async def get_db() -> AsyncIterator[AsyncSession]:
                async with AsyncLocal() as session:
                    yield session

            def get_sync():
                db = SyncLocal()
                try:
                    yield db
                finally:
                    db.close()

            SessionDep = Annotated[AsyncSession, Depends(get_db)]
            SyncDep = Annotated[Session, Depends(get_sync)]
        """,
        app__api="""
            import aiohttp
            from fastapi import Depends
            from app.db import SessionDep, SyncDep, get_sync, AsyncLocal, MadeAsync
        """,
    )
    facts = SessionFacts(index, index.modules["app.api"].imports())
    assert facts.kind_of_annotation(expression("SessionDep")) is SessionKind.ASYNC
    assert facts.kind_of_annotation(expression("SyncDep")) is SessionKind.SYNC
    assert facts.kind_of_annotation(expression("SessionDep | None")) is SessionKind.ASYNC
    assert facts.kind_of_dependency(expression("Depends(get_sync)")) is SessionKind.SYNC
    assert facts.kind_of_factory_call(expression("AsyncLocal()")) is SessionKind.ASYNC
    assert facts.kind_of_factory_call(expression("MadeAsync()")) is SessionKind.ASYNC
    assert facts.kind_of_annotation(expression("aiohttp.ClientSession")) is None
    assert facts.kind_of_factory_call(expression("aiohttp.ClientSession()")) is None


def test_routers_are_known_by_what_made_them():
    index = project(
        app__routing="""
            from fastapi import APIRouter

            class VersionedRouter(APIRouter):
                pass

            users = APIRouter()
            v1 = VersionedRouter()
            not_a_router = dict()
        """,
    )
    assert index.class_kinds(index.value_callee("app.routing.users")[1]) & {kinds.ROUTER}
    assert index.class_kinds(index.value_callee("app.routing.v1")[1]) & {kinds.ROUTER}
    assert not index.class_kinds(index.value_callee("app.routing.not_a_router")[1])


def test_router_classes_made_by_project_factories():
    index = project(
        app__kit="""
            from fastapi import APIRouter

            def router_class(route_class):
                class _Router(APIRouter):
                    pass
                return _Router

            def typed_router_class(route_class) -> type[APIRouter]:
                return type("R", (APIRouter,), {})

            def registry_class():
                class _Registry:
                    pass
                return _Registry
        """,
        app__routing="""
            from app.kit import registry_class, router_class, typed_router_class

            Router = router_class(None)
            Typed = typed_router_class(None)
            Registry = registry_class()
        """,
    )
    assert kinds.ROUTER in index.class_kinds("app.routing.Router")
    assert kinds.ROUTER in index.class_kinds("app.routing.Typed")
    assert not index.class_kinds("app.routing.Registry")


def test_helpers_that_give_a_response_are_followed_two_calls_deep():
    index = project(
        app__web="""
            from typing import Any
            from fastapi.responses import JSONResponse

            def ok(data) -> JSONResponse:
                return JSONResponse(data)

            def wrap(data):
                return ok(data)

            def wrap_twice(data) -> Any:
                response = wrap(data)
                return response

            def wrap_thrice(data):
                return wrap_twice(data)

            def mixed(data):
                if data:
                    return ok(data)
                return data

            class Pages:
                def page(self) -> JSONResponse:
                    return ok({})

                def later(self):
                    return self.page()

                def data(self) -> dict:
                    return {}
        """,
    )
    assert index.returns_response("app.web.ok")
    assert index.returns_response("app.web.wrap")
    assert index.returns_response("app.web.wrap_twice")
    assert not index.returns_response("app.web.wrap_thrice")  # three calls deep
    assert not index.returns_response("app.web.mixed")
    assert index.returns_response("app.web.Pages.later")
    assert not index.returns_response("app.web.Pages.data")
    assert index.methods_returning_response("page")
    assert not index.methods_returning_response("data")
    assert not index.methods_returning_response("missing")


def test_json_columns_with_type_map_mixins_and_mutable_wrappers():
    index = project(
        app__models="""
            from typing import Any
            from sqlalchemy import JSON, Column
            from sqlalchemy.dialects.postgresql import JSONB
            from sqlalchemy.ext.mutable import MutableDict
            from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

            class Base(DeclarativeBase):
                type_annotation_map = {dict[str, Any]: JSONB}

            class Audited:
                audit = Column(JSON)

            class Profile(Audited, Base):
                __tablename__ = "profiles"
                settings: Mapped[dict] = mapped_column(JSON().with_variant(JSONB, "postgresql"))
                extra: Mapped[dict[str, Any]]
                tracked = Column(MutableDict.as_mutable(JSONB))
                name: Mapped[str]
        """,
    )
    columns = index.json_columns("app.models.Profile")
    assert columns == {"audit": "json", "settings": "json", "extra": "json", "tracked": "tracked"}
    assert index.classes_with_column("extra") == ["app.models.Profile"]


def test_declared_types_of_locals_lose_their_wrappers():
    from fastapi_lint.semantic.annotations import declared_classes
    from fastapi_lint.semantic.model import FileModel

    tree = ast.parse(
        textwrap.dedent(
            """\
            def handler(a: "Optional[User]", b: Annotated[BackgroundTasks, Depends()], c=None):
                d: Union[User, Item] | None = None

                def nested():
                    e: User = User()
            """
        )
    )
    func, model = tree.body[0], FileModel(tree)
    table = ImportTable("m", "")
    for line in (
        "from typing import Annotated, Optional, Union",
        "from fastapi import BackgroundTasks, Depends",
        "from app.models import Item, User",
    ):
        table.add_import(ast.parse(line).body[0])

    def classes(name):
        return declared_classes(table.resolve, model.declared_annotation(func, name))

    assert classes("a") == ["app.models.User"]
    assert classes("b") == ["starlette.background.BackgroundTasks"]
    assert classes("d") == ["app.models.User", "app.models.Item"]
    assert model.declared_annotation(func, "c") is None  # a parameter without annotation
    assert model.declared_annotation(func, "e") is None  # only the function's own body counts


def test_annotations_unwrap_in_one_place():
    from fastapi_lint.semantic.annotations import (
        annotation_expression,
        declared_classes,
        subscript_parts,
        union_members,
    )
    from fastapi_lint.semantic.imports import ImportTable

    table = ImportTable("app", "")
    table.bindings.update({"Optional": "typing.Optional", "Annotated": "typing.Annotated"})
    table.bindings.update({"Union": "typing.Union", "A": "lib.A", "B": "lib.B"})

    def classes(source: str) -> list[str]:
        return declared_classes(table.resolve, ast.parse(source, mode="eval").body)

    assert classes("Optional[A]") == ["lib.A"]
    assert classes("A | None") == ["lib.A"]
    assert classes("Union[A, B]") == ["lib.A", "lib.B"]
    assert classes("Annotated[A, 'meta']") == ["lib.A"]
    assert classes("'Optional[B]'") == ["lib.B"]
    assert classes("None") == [] and classes("'not ( valid'") == []
    assert annotation_expression(ast.Constant(None)) is None
    assert union_members(ast.parse("A | B", mode="eval").body) is not None
    origin, items = subscript_parts(ast.parse("Union[A, B]", mode="eval").body, table.resolve)
    assert origin == "typing.Union" and len(items) == 2


def test_exports_grow_with_augmented_and_extended_all():
    from fastapi_lint.semantic.facts import extract

    def exports(source: str):
        return extract(ast.parse(textwrap.dedent(source)), "m", "").exports

    assert exports('__all__ = ["A"]\n__all__ += ["B"]\n') == ["A", "B"]
    assert exports('__all__ = ["A"]\n__all__.extend(["B", "C"])\n__all__.append("D")\n') == [
        "A",
        "B",
        "C",
        "D",
    ]
    assert exports('__all__ = ["A"]\n__all__ += names\n') is None  # not known: all public names
    assert exports('__all__ += ["B"]\n') is None  # no literal `__all__` to grow
