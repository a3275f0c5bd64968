"""Local name -> qualified name, per module.

Rules match qualified names, never spellings: with `from fastapi import APIRouter as R`, `R` is
`fastapi.APIRouter`; with `import sqlalchemy as sa`, `sa.select` is `sqlalchemy.select`. Known
re-exports are folded into one canonical name (`fastapi.routing.APIRouter` is
`fastapi.APIRouter`), so a rule names each thing once.
"""

from __future__ import annotations

import ast
import builtins

BUILTIN_NAMES = frozenset(dir(builtins))

ASYNCIO = "sqlalchemy.ext.asyncio."

# Public re-exports: where a thing is defined -> the name rules use for it.
CANONICAL = {
    "fastapi.routing.APIRouter": "fastapi.APIRouter",
    "fastapi.applications.FastAPI": "fastapi.FastAPI",
    "fastapi.param_functions.Query": "fastapi.Query",
    "fastapi.param_functions.Path": "fastapi.Path",
    "fastapi.param_functions.Body": "fastapi.Body",
    "fastapi.param_functions.Header": "fastapi.Header",
    "fastapi.param_functions.Cookie": "fastapi.Cookie",
    "fastapi.param_functions.Form": "fastapi.Form",
    "fastapi.param_functions.File": "fastapi.File",
    "fastapi.param_functions.Depends": "fastapi.Depends",
    "fastapi.param_functions.Security": "fastapi.Security",
    "pydantic.main.BaseModel": "pydantic.BaseModel",
    "pydantic.fields.Field": "pydantic.Field",
    "pydantic.fields.PrivateAttr": "pydantic.PrivateAttr",
    "pydantic.root_model.RootModel": "pydantic.RootModel",
    "pydantic.config.ConfigDict": "pydantic.ConfigDict",
    "pydantic.types.SecretStr": "pydantic.SecretStr",
    "pydantic_settings.main.BaseSettings": "pydantic_settings.BaseSettings",
    "pydantic.env_settings.BaseSettings": "pydantic.BaseSettings",
    "sqlmodel.main.SQLModel": "sqlmodel.SQLModel",
    "sqlmodel.main.Field": "sqlmodel.Field",
    "sqlmodel.Column": "sqlalchemy.Column",
    "sqlalchemy.sql.schema.Column": "sqlalchemy.Column",
    "sqlalchemy.schema.Column": "sqlalchemy.Column",
    "sqlalchemy.orm._orm_constructors.mapped_column": "sqlalchemy.orm.mapped_column",
    "sqlalchemy.orm.decl_api.DeclarativeBase": "sqlalchemy.orm.DeclarativeBase",
    "sqlalchemy.orm.decl_api.DeclarativeBaseNoMeta": "sqlalchemy.orm.DeclarativeBaseNoMeta",
    "sqlalchemy.orm.decl_api.declarative_base": "sqlalchemy.orm.declarative_base",
    "sqlalchemy.ext.declarative.declarative_base": "sqlalchemy.orm.declarative_base",
    "sqlalchemy.orm.decl_api.as_declarative": "sqlalchemy.orm.as_declarative",
    "sqlalchemy.ext.declarative.as_declarative": "sqlalchemy.orm.as_declarative",
    "sqlalchemy.orm.decl_api.registry": "sqlalchemy.orm.registry",
    "attr.s": "attr.attrs",
    "attr.define": "attrs.define",
    "attr.mutable": "attrs.define",
    "attrs.mutable": "attrs.define",
    "attr.frozen": "attrs.frozen",
    "attr.field": "attrs.field",
    "attr.Factory": "attrs.Factory",
    "collections.abc.MutableMapping": "typing.MutableMapping",
    "fastapi.responses.Response": "starlette.responses.Response",
    "fastapi.responses.JSONResponse": "starlette.responses.JSONResponse",
    "fastapi.responses.HTMLResponse": "starlette.responses.HTMLResponse",
    "fastapi.responses.PlainTextResponse": "starlette.responses.PlainTextResponse",
    "fastapi.responses.RedirectResponse": "starlette.responses.RedirectResponse",
    "fastapi.responses.StreamingResponse": "starlette.responses.StreamingResponse",
    "fastapi.responses.FileResponse": "starlette.responses.FileResponse",
    "fastapi.Response": "starlette.responses.Response",
    "fastapi.BackgroundTasks": "starlette.background.BackgroundTasks",
    "fastapi.background.BackgroundTasks": "starlette.background.BackgroundTasks",
    "fastapi.routing.APIRoute": "fastapi.APIRoute",
    "fastapi.status": "starlette.status",
    "sqlalchemy.ext.asyncio.session.AsyncSession": "sqlalchemy.ext.asyncio.AsyncSession",
    "sqlalchemy.ext.asyncio.session.async_sessionmaker": ASYNCIO + "async_sessionmaker",
    "sqlalchemy.ext.asyncio.engine.AsyncConnection": ASYNCIO + "AsyncConnection",
    "sqlalchemy.ext.asyncio.engine.create_async_engine": ASYNCIO + "create_async_engine",
    "sqlalchemy.ext.asyncio.scoping.async_scoped_session": ASYNCIO + "async_scoped_session",
    "sqlalchemy.orm.session.Session": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.session.sessionmaker": "sqlalchemy.orm.sessionmaker",
    "sqlalchemy.orm.scoping.scoped_session": "sqlalchemy.orm.scoped_session",
    "sqlalchemy.engine.Connection": "sqlalchemy.Connection",
    "sqlalchemy.engine.base.Connection": "sqlalchemy.Connection",
    "sqlmodel.orm.session.Session": "sqlmodel.Session",
    "sqlmodel.ext.asyncio.session.AsyncSession": "sqlalchemy.ext.asyncio.AsyncSession",
    "sqlalchemy.future.select": "sqlalchemy.select",
    "sqlalchemy.sql.select": "sqlalchemy.select",
    "sqlalchemy.sql.expression.select": "sqlalchemy.select",
    "sqlmodel.select": "sqlalchemy.select",
    "sqlmodel.sql.expression.select": "sqlalchemy.select",
    "sqlalchemy.sql.insert": "sqlalchemy.insert",
    "sqlalchemy.sql.expression.insert": "sqlalchemy.insert",
    "sqlmodel.insert": "sqlalchemy.insert",
    "sqlalchemy.sql.update": "sqlalchemy.update",
    "sqlalchemy.sql.expression.update": "sqlalchemy.update",
    "sqlmodel.update": "sqlalchemy.update",
    "sqlalchemy.sql.delete": "sqlalchemy.delete",
    "sqlalchemy.sql.expression.delete": "sqlalchemy.delete",
    "sqlmodel.delete": "sqlalchemy.delete",
    "sqlalchemy.sql.text": "sqlalchemy.text",
    "sqlalchemy.sql.expression.text": "sqlalchemy.text",
    "sqlmodel.text": "sqlalchemy.text",
    "sqlalchemy.dialects.postgresql.insert": "sqlalchemy.dialects.postgresql.insert",
    "typing_extensions.TypeAlias": "typing.TypeAlias",
    "typing_extensions.Any": "typing.Any",
    "typing_extensions.Annotated": "typing.Annotated",
    "typing_extensions.ClassVar": "typing.ClassVar",
    "typing_extensions.Optional": "typing.Optional",
}


def canonical(name: str) -> str:
    return CANONICAL.get(name, name)


class ImportTable:
    """Names bound at module level by imports and definitions.

    `bindings` maps a local name to its qualified name. Names the module defines itself map to
    `<module>.<name>`, so they shadow builtins and never look like a library's name.
    """

    def __init__(self, module: str, package: str, bindings: dict[str, str] | None = None) -> None:
        self.module = module
        self.package = package
        self.bindings: dict[str, str] = dict(bindings or {})
        self.stars: list[str] = []  # modules of `from M import *`, resolved by the project index

    # -- building ------------------------------------------------------------------------------
    def add_import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.bindings[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    self.bindings[top] = top
            return
        base = self.absolute_module(node.module, node.level)
        if base is None:
            return
        for alias in node.names:
            if alias.name == "*":
                self.stars.append(base)
                continue
            self.bindings[alias.asname or alias.name] = canonical(f"{base}.{alias.name}")

    def absolute_module(self, module: str | None, level: int) -> str | None:
        if level == 0:
            return module
        parts = self.package.split(".") if self.package else []
        if level - 1 > len(parts):
            return None
        parts = parts[: len(parts) - (level - 1)]
        if module:
            parts.append(module)
        return ".".join(parts) if parts else None

    def define(self, name: str) -> None:
        """A module-level def, class or assignment: it shadows imports made before it."""
        self.bindings[name] = f"{self.module}.{name}"

    # -- asking --------------------------------------------------------------------------------
    def resolve(self, node: ast.AST) -> str | None:
        """Qualified name of a `Name` or dotted `Attribute` chain, or None."""
        kind = type(node)  # (exact types: the parser makes no subclasses; asked very often)
        if kind is ast.Name:
            bound = self.bindings.get(node.id)
            if bound is not None:
                return bound
            if node.id in BUILTIN_NAMES:
                return f"builtins.{node.id}"
            return None
        if kind is ast.Attribute:
            base = self.resolve(node.value)
            if base is None:
                return None
            name = f"{base}.{node.attr}"
            return CANONICAL.get(name, name)
        return None
