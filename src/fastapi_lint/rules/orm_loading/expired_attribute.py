"""FAL206: an attribute read after `commit()` expired it, in async code (MissingGreenlet)."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from fastapi_lint.diagnostics import Applicability, Edit, Fix
from fastapi_lint.rules.async_io.calls import may_hold_async_def
from fastapi_lint.rules.base import FileContext, FixAvailability, Rule
from fastapi_lint.rules.orm_loading.function_loads import function_loads
from fastapi_lint.rules.orm_loading.function_text import (
    COMMIT_CALLS,
    mentions,
)
from fastapi_lint.rules.orm_loading.marks import (
    ALL,
    AWAITABLE_ATTRS,
    end_of,
    function_marks,
    start_of,
)
from fastapi_lint.semantic.expiry import expires_on_commit
from fastapi_lint.semantic.index import MAPPED
from fastapi_lint.semantic.loads import FunctionLoads
from fastapi_lint.semantic.sessions import SessionKind

_SERIALISERS = frozenset({"model_validate", "from_orm", "validate", "parse_obj"})


@dataclass(frozen=True)
class _Commit:
    node: ast.Await
    session: str  # source of the session: `db`, `self.db`
    limit: tuple[int, int]  # the end of what runs after it (a `return`/`raise` in its block)


class ExpiredAttributeAfterCommit(Rule):
    """
    ## What it does
    Checks `async def` code for an attribute read on an instance attached to a session (given to
    `db.add(...)` / `db.add_all([...])`, loaded or merged through it) after `await db.commit()`,
    without `await db.refresh(obj)` in between, when the session expires its instances on
    commit: it was made by `async_sessionmaker(...)`, `sessionmaker(class_=AsyncSession)` or
    `AsyncSession(...)` without `expire_on_commit=False`. The factory is followed through the
    project index from the dependency that provides the session (`Depends(get_db)`, an
    `Annotated` alias, a service's `self.db` set in `__init__`, `async with SessionLocal() as
    db`); when it cannot be found, nothing is reported. Returning the instance from a route after
    the commit counts as reading it (FastAPI serialises it), as does passing it to
    `Model.model_validate(...)`.

    ## Why is this bad?
    `commit()` expires every attribute of every instance in the session, so the next read loads
    the row again. An `AsyncSession` cannot do that I/O implicitly: the read raises
    `sqlalchemy.exc.MissingGreenlet: greenlet_spawn has not been called; can't call
    await_only() here. Was IO attempted in an unexpected place?`. The classic shape is a route
    that creates a row, commits and returns it.

    ## Example
    ```python
    from fastapi import APIRouter, Depends
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

    engine = create_async_engine("postgresql+asyncpg://localhost/app")
    SessionLocal = async_sessionmaker(engine)
    router = APIRouter()


    class Base(DeclarativeBase):
        pass


    class Item(Base):
        __tablename__ = "items"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str]


    async def get_db():
        async with SessionLocal() as session:
            yield session


    @router.post("/items")
    async def create_item(name: str, db: AsyncSession = Depends(get_db)) -> dict:
        item = Item(name=name)
        db.add(item)
        await db.commit()
        return {"id": item.id}
    ```

    Use instead:
    ```python
    from fastapi import APIRouter, Depends
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

    engine = create_async_engine("postgresql+asyncpg://localhost/app")
    SessionLocal = async_sessionmaker(engine)
    router = APIRouter()


    class Base(DeclarativeBase):
        pass


    class Item(Base):
        __tablename__ = "items"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str]


    async def get_db():
        async with SessionLocal() as session:
            yield session


    @router.post("/items")
    async def create_item(name: str, db: AsyncSession = Depends(get_db)) -> dict:
        item = Item(name=name)
        db.add(item)
        await db.commit()
        await db.refresh(item)
        return {"id": item.id}
    ```
    Or make the factory `async_sessionmaker(engine, expire_on_commit=False)`, which is what the
    SQLAlchemy asyncio documentation recommends.

    ## Fix safety
    Unsafe: `await db.refresh(obj)` is inserted after the commit, which runs one more query and
    reloads the row (other writers' changes included).
    """

    code = "FAL206"
    summary = "Attribute read after commit() expired it, in async code (MissingGreenlet)"
    fix_availability = FixAvailability.SOMETIMES
    messages = {
        "read": "`{name}.{attribute}` is read after `await {session}.commit()` (line {line}), "
        "which expired it: reading it loads it again and raises MissingGreenlet; call "
        "`await {session}.refresh({name})` after the commit",
        "serialised": "`{name}` is serialised after `await {session}.commit()` (line {line}), "
        "which expired it: reading it loads it again and raises MissingGreenlet; call "
        "`await {session}.refresh({name})` after the commit",
    }
    fix_title = "Refresh `{name}` after the commit"

    @classmethod
    def applies_to(cls, ctx: FileContext) -> bool:
        return may_hold_async_def(ctx)  # it reports inside an `async def` only

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        if not mentions(self.ctx, node, COMMIT_CALLS):
            return
        sessions = self.ctx.function_sessions(node)
        if not sessions.names and not sessions.attributes:
            return
        commits = self._commits(node, sessions)
        if not commits:
            return
        loads = function_loads(self.ctx, node)
        marks = function_marks(self.ctx, node)
        is_route = self.ctx.route(node) is not None
        reported: set[str] = set()
        uses = sorted(self._uses(node, is_route), key=lambda use: start_of(use[1]))
        for name, at, attribute in uses:
            if name in reported:
                continue
            for commit in commits:
                if self._expired(loads, marks, commit, name, at, attribute):
                    reported.add(name)
                    self._report(commit, name, at, attribute)
                    break

    def _commits(self, func, sessions) -> list[_Commit]:
        found = []
        expiry: dict[str, bool | None] = {}
        for node in self.ctx.model.own_nodes(func):
            if not (
                isinstance(node, ast.Await)
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute)
                and node.value.func.attr == "commit"
            ):
                continue
            receiver = node.value.func.value
            if sessions.kind(receiver) is not SessionKind.ASYNC:
                continue
            session = ast.unparse(receiver)
            if session not in expiry:
                owner = self.ctx.enclosing_class()
                expiry[session] = expires_on_commit(
                    self.ctx.index,
                    self.ctx.imports,
                    func,
                    owner,
                    receiver,
                    self.ctx.model,
                )
            if expiry[session]:
                found.append(_Commit(node, session, self._limit(func, node)))
        return found

    def _limit(self, func, node: ast.AST) -> tuple[int, int]:
        """Reads after a `return`/`raise` following the commit in its block never run after it."""
        loads = function_loads(self.ctx, func)
        statement = node
        while statement is not None and not isinstance(statement, ast.stmt):
            statement = loads.parents.get(statement)
        parent = loads.parents.get(statement, func)
        for field_name in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(parent, field_name, None)
            if isinstance(block, list) and statement in block:
                for later in block[block.index(statement) :]:
                    if isinstance(later, (ast.Return, ast.Raise, ast.Continue, ast.Break)):
                        return end_of(later)
        return (10**9, 0)

    def _uses(self, func, is_route: bool):
        """(name, node, attribute or "") for every read of an instance's attribute, and every
        route `return` (or `model_validate(obj)`) that serialises a whole instance."""
        for node in self.ctx.model.own_nodes(func):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Load)
                and isinstance(node.value, ast.Name)
                and not node.attr.startswith("__")
                and node.attr != AWAITABLE_ATTRS
            ):
                yield node.value.id, node, node.attr
            elif isinstance(node, ast.Return) and is_route and node.value is not None:
                for name in _whole_instances(node.value):
                    yield name, node, ""
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _SERIALISERS
                and node.args
                and isinstance(node.args[0], ast.Name)
            ):
                yield node.args[0].id, node, ""

    def _expired(self, loads, marks, commit: _Commit, name, at, attribute) -> bool:
        if not (end_of(commit.node) < start_of(at) <= commit.limit):
            return False
        if _handles_failure_of(loads, at, commit.node):
            return False  # the commit failed: nothing new was committed (pending rows expunged)
        binding = loads.binding_at(name, at)
        if binding is not None and binding.position > start_of(commit.node):
            return False  # bound again after the commit
        model = self._attached_class(loads, commit, name, binding)
        if model is None:
            return False
        if attribute:
            if model and self.ctx.index.defines_method(model, attribute):
                return False
            if not model and isinstance(loads.parents.get(at), ast.Call):
                return False  # probably a method of a class the analysis does not know
        for mark in marks:
            if (
                mark.name == name
                and mark.session == commit.session
                and end_of(commit.node) <= mark.position <= start_of(at)
                and (mark.attributes is ALL or attribute in mark.attributes)
            ):
                return False
        return True

    def _attached_class(self, loads: FunctionLoads, commit: _Commit, name, binding) -> str | None:
        """The class ("" when unknown) of `name` when the committing session holds it."""
        before = start_of(commit.node)
        if binding is not None and binding.value is not None:
            load = loads.load_of(name, commit.node)
            if load is not None and load.instances and not load.many:
                receiver = (
                    load.query.func.value if isinstance(load.query.func, ast.Attribute) else None
                )
                if receiver is not None and ast.unparse(receiver) == commit.session:
                    return load.model or ""
        for node, session in _attachments(self.ctx, loads.func):
            if not (start_of(node) < before and session == commit.session):
                continue
            given = node.args[0]
            items = given.elts if isinstance(given, (ast.List, ast.Tuple)) else [given]
            if node.func.attr == "merge":
                parent = loads.parents.get(node)
                statement = loads.parents.get(parent) if isinstance(parent, ast.Await) else None
                if not (
                    isinstance(statement, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == name for t in statement.targets)
                ):
                    continue
            elif not any(isinstance(item, ast.Name) and item.id == name for item in items):
                continue
            if (
                binding is not None
                and binding.value is not None
                and binding.position > start_of(node)
            ):
                continue  # added, then the name was bound to something else
            return self._class_of(binding)
        return None

    def _class_of(self, binding) -> str:
        value = binding.value if binding is not None else None
        if isinstance(value, ast.Call):
            qualified = self.ctx.resolve(value.func)
            if qualified and MAPPED in self.ctx.index.class_kinds(qualified):
                return qualified
        return ""

    def _report(self, commit: _Commit, name: str, at: ast.AST, attribute: str) -> None:
        message = self.messages["read" if attribute else "serialised"].format(
            name=name, attribute=attribute, session=commit.session, line=commit.node.lineno
        )
        self.report(at, message, self._fix(commit, name))

    def _fix(self, commit: _Commit, name: str) -> Fix | None:
        lines = self.ctx.lines
        statement_line = commit.node.lineno
        text = lines.line_text(statement_line)
        if not text.lstrip().startswith("await ") or commit.node.end_lineno >= lines.line_count:
            return None  # the commit is part of a larger expression or the last line
        indent = text[: len(text) - len(text.lstrip())]
        offset = lines.line_start(commit.node.end_lineno + 1)
        return Fix(
            title=self.fix_title.format(name=name),
            applicability=Applicability.UNSAFE,
            edits=(Edit(offset, offset, f"{indent}await {commit.session}.refresh({name})\n"),),
        )


def _attachments(ctx, func) -> list[tuple[ast.Call, str]]:
    """`session.add(x)`, `.add_all([...])`, `.merge(x)` calls of a function and the source of
    their session, found once per function (not once per read after a commit)."""

    def find() -> list[tuple[ast.Call, str]]:
        return [
            (node, ast.unparse(node.func.value))
            for node in ctx.model.summary(func).calls
            if isinstance(node.func, ast.Attribute)
            and node.func.attr in ("add", "add_all", "merge")
            and node.args
        ]

    return ctx.memo((_attachments, func), find)


def _handles_failure_of(loads: FunctionLoads, node: ast.AST, commit: ast.AST) -> bool:
    """Whether `node` is in an `except` handler of a `try` whose body holds the commit."""
    child, parent = node, loads.parents.get(node)
    while parent is not None:
        if isinstance(child, ast.ExceptHandler) and any(
            loads.inside(commit, statement) for statement in parent.body
        ):
            return True
        child, parent = parent, loads.parents.get(parent)
    return False


def _whole_instances(value: ast.expr) -> list[str]:
    """Names a returned value hands to serialisation whole: `obj`, `[a, b]`, `{"x": obj}`."""
    if isinstance(value, ast.Name):
        return [value.id]
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        return [item.id for item in value.elts if isinstance(item, ast.Name)]
    if isinstance(value, ast.Dict):
        return [item.id for item in value.values if isinstance(item, ast.Name)]
    return []
