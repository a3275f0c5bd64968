"""FAL205, FAL206, FAL306: how ORM instances load — lazy loads in async code, attributes expired
by a commit, and a query per row of a query.

They share one reading of each function (semantic.loads): which names hold instances a session
loaded, from which `select(...)`, with which loader options; and the project index's
relationship facts (semantic.relationships) and session factories (semantic.expiry).
"""

from __future__ import annotations

import ast
import bisect
import re
from dataclasses import dataclass

from fastapi_lint.diagnostics import Applicability, Edit, Fix
from fastapi_lint.rules.base import FixAvailability, Rule
from fastapi_lint.semantic.expiry import expires_on_commit
from fastapi_lint.semantic.index import MAPPED, PYDANTIC
from fastapi_lint.semantic.loads import EVERYTHING, FunctionLoads, Load, function_loads
from fastapi_lint.semantic.locals import declared_classes
from fastapi_lint.semantic.relationships import LAZY
from fastapi_lint.semantic.sessions import SessionKind

AWAITABLE_ATTRS = "awaitable_attrs"
_VALIDATORS = frozenset({"model_validate", "from_orm"})  # read every field of the instance
ALL = None  # a refresh without attribute names: every column attribute
_SEQUENCES = frozenset(
    {
        "builtins.list",
        "typing.List",
        "typing.Sequence",
        "collections.abc.Sequence",
        "typing.Iterable",
        "collections.abc.Iterable",
        "builtins.tuple",
        "typing.Tuple",
        "builtins.set",
        "typing.Set",
    }
)


@dataclass(frozen=True)
class _Mark:
    """`await db.refresh(obj, [names])`, `await obj.awaitable_attrs.x`: loaded from here on."""

    name: str
    attributes: frozenset[str] | None  # ALL: `refresh(obj)` without names
    position: tuple[int, int]
    session: str  # source of the session that refreshed ("" for awaitable_attrs)


def _marks(ctx, func) -> list[_Mark]:
    """The marks of one function, found once whichever of FAL205/FAL206 asks first."""
    return ctx.memo((_Mark, func), lambda: _find_marks(ctx, func))


def _find_marks(ctx, func) -> list[_Mark]:
    found = []
    for node in ctx.model.own_nodes(func):
        if (
            isinstance(node, ast.Attribute)
            and node.attr == AWAITABLE_ATTRS
            and isinstance(node.value, ast.Name)
        ):
            parent_attr = _parent_attribute(ctx, func, node)
            if parent_attr is not None:
                found.append(_Mark(node.value.id, frozenset({parent_attr}), _end(node), ""))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "refresh"
            and node.args
            and isinstance(node.args[0], ast.Name)
        ):
            names = node.args[1] if len(node.args) > 1 else None
            for keyword in node.keywords:
                if keyword.arg == "attribute_names":
                    names = keyword.value
            attributes = ALL if names is None else _string_items(names)
            session = ast.unparse(node.func.value)
            found.append(_Mark(node.args[0].id, attributes, _end(node), session))
    return found


def _parent_attribute(ctx, func, node: ast.Attribute) -> str | None:
    """`obj.awaitable_attrs.x`: the `x`."""
    parent = function_loads(ctx, func).parents.get(node)
    return parent.attr if isinstance(parent, ast.Attribute) else None


def _string_items(node: ast.expr) -> frozenset[str]:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return frozenset(
            item.value
            for item in node.elts
            if isinstance(item, ast.Constant) and isinstance(item.value, str)
        )
    return frozenset({EVERYTHING})  # names the analysis cannot read: assume they cover it


def _end(node: ast.AST) -> tuple[int, int]:
    return (node.end_lineno, node.end_col_offset)


def _start(node: ast.AST) -> tuple[int, int]:
    return (node.lineno, node.col_offset)


def _loaded_between(marks, name: str, attribute: str, start, end, all_counts: bool) -> bool:
    for mark in marks:
        if mark.name != name or not (start <= mark.position <= end):
            continue
        if mark.attributes is ALL:
            if all_counts:
                return True
        elif attribute in mark.attributes or EVERYTHING in mark.attributes:
            return True
    return False


def lazy_relationships(index, model: str) -> dict[str, str]:
    """Relationship name -> loader strategy for a mapped class, its bases and mixins included
    (nearest definitions win)."""
    found: dict[str, str] = {}
    for fact in reversed(index.ancestry(model)):
        found.update(fact.relationships)
    return found


def _is_async_load(loads: FunctionLoads, load: Load) -> bool:
    query = load.query
    receiver = query.func.value if isinstance(query.func, ast.Attribute) else None
    kind = loads.sessions.kind(receiver) if receiver is not None else None
    if kind is None:
        return False
    if kind is SessionKind.UNKNOWN:
        return isinstance(loads.parents.get(query), ast.Await)
    return kind.is_async


# Text a function must hold to be worth reading (a cheap test before any analysis).
_LOAD_CALLS = (".get(", ".get_one(", ".execute(", ".scalars(", ".scalar(", ".exec(", ".query(")
_COMMIT_CALLS = (".commit(",)


def _mentions(ctx, func, needles: tuple[str, ...]) -> bool:
    try:
        start, end = ctx.lines.node_range(func)
    except IndexError:  # lines `ast` counts differently (a lone form feed, `\r`): just read it
        return True
    # Where each needle stands in the file is found once; a function's test is then a lookup,
    # not a copy and a scan of its text (nested functions' text would be scanned again).
    for needle in needles:
        offsets = ctx.memo((_mentions, needle), lambda needle=needle: _offsets(ctx.text, needle))
        at = bisect.bisect_left(offsets, start)
        if at < len(offsets) and offsets[at] + len(needle) <= end:
            return True
    return False


def _offsets(text: str, needle: str) -> list[int]:
    found = []
    at = text.find(needle)
    while at != -1:
        found.append(at)
        at = text.find(needle, at + 1)
    return found


def _one_line(ctx, node: ast.AST, limit: int = 50) -> str:
    """A node's source on one line (whatever its layout), cut at `limit` characters."""
    source = " ".join(ctx.source(node).split())
    source = re.sub(r"\s+(?=[.)\]])|(?<=[(\[])\s+", "", source)
    return source if len(source) <= limit else source[: limit - 3] + "..."


def _short(qualified: str) -> str:
    return qualified.rsplit(".", 1)[-1]


class LazyLoadInAsync(Rule):
    """
    ## What it does
    Checks `async def` code for a relationship read on an instance loaded through an
    `AsyncSession` that nothing loaded: `user.posts` after `await db.get(User, i)`,
    `(await db.execute(select(User))).scalars().first()`, `await db.scalars(select(User))`
    (also for each item of a loaded list), when the relationship loads lazily (no `lazy=`, or
    `lazy="select"`, on its `relationship()` / SQLModel `Relationship(sa_relationship_kwargs=
    ...)`) and the query has no loader option for it (`selectinload`, `joinedload`,
    `subqueryload`, `immediateload`, `raiseload`, `noload`, also in chains such as
    `selectinload(User.posts).selectinload(Post.tags)`, in `Load(...)` objects and in helpers of
    the same module). Not reported after `await obj.awaitable_attrs.posts` or
    `await db.refresh(obj, ["posts"])`.

    Also the FastAPI form: an `async` route returns such an instance (or a list of them) and
    its `response_model` (or return annotation) declares a field named like a lazy relationship
    that the query did not load: FastAPI's serialisation reads it. Reported at the `return`.

    Options the analysis cannot read (built in another module, computed names, `"*"`) count as
    loading everything, and an instance that did not come from a query seen in the function is
    not reported.

    ## Why is this bad?
    A lazy relationship loads on first access, with I/O. An `AsyncSession` cannot do I/O
    implicitly, so the read raises `sqlalchemy.exc.MissingGreenlet: greenlet_spawn has not been
    called; can't call await_only() here. Was IO attempted in an unexpected place?` at run time
    — only on the code path that reads it, often only in production. With a synchronous session
    the same code is an N+1 query; with an async one it is a crash.

    ## Example
    ```python
    from fastapi import APIRouter
    from sqlalchemy import ForeignKey, select
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

    router = APIRouter()


    class Base(DeclarativeBase):
        pass


    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        posts: Mapped[list["Post"]] = relationship(back_populates="author")


    class Post(Base):
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
        author: Mapped[User] = relationship(back_populates="posts")


    async def post_count(db: AsyncSession, user_id: int) -> int:
        user = (await db.execute(select(User).where(User.id == user_id))).scalar_one()
        return len(user.posts)
    ```

    Use instead:
    ```python
    from fastapi import APIRouter
    from sqlalchemy import ForeignKey, select
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload

    router = APIRouter()


    class Base(DeclarativeBase):
        pass


    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        posts: Mapped[list["Post"]] = relationship(back_populates="author")


    class Post(Base):
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
        author: Mapped[User] = relationship(back_populates="posts")


    async def post_count(db: AsyncSession, user_id: int) -> int:
        query = select(User).options(selectinload(User.posts)).where(User.id == user_id)
        user = (await db.execute(query)).scalar_one()
        return len(user.posts)
    ```

    ## Fix safety
    Unsafe: when the query is a `select(...)` built in the same function,
    `.options(selectinload(Model.attr))` is added to it (and the import), which changes the SQL
    the query runs. Loads through `db.get(...)` and queries built elsewhere get no fix.
    """

    code = "FAL205"
    summary = "lazy relationship loaded implicitly in async code (MissingGreenlet)"
    fix_availability = FixAvailability.SOMETIMES
    messages = {
        "read": "`{name}.{attribute}` lazy-loads relationship `{model}.{attribute}` in async "
        "code (the query `{query}` on line {line} does not load it): raises MissingGreenlet",
        "serialised": "{reader} serialises lazy relationship {listed} of `{model}` that the "
        "query `{query}` on line {line} does not load: raises MissingGreenlet",
    }
    fix_title = "Load `{attribute}` with `selectinload({model}.{attribute})`"

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        if not _mentions(self.ctx, node, _LOAD_CALLS):
            return
        sessions = self.ctx.function_sessions(node)
        if not sessions.names and not sessions.attributes:
            return
        loads = function_loads(self.ctx, node)
        marks = _marks(self.ctx, node)
        reported: set[tuple[int, str]] = set()
        for inner in self.ctx.model.own_nodes(node):
            if (
                isinstance(inner, ast.Attribute)
                and isinstance(inner.ctx, ast.Load)
                and isinstance(inner.value, ast.Name)
            ):
                self._read(loads, marks, inner, reported)
        route = self.ctx.route(node)
        returned = self._response_fields(node, route) if route and route.is_http else set()
        self._serialised(node, loads, marks, returned)

    def _unloaded(self, loads, marks, name: str, at: ast.AST, load: Load) -> list[str]:
        """The lazy relationships of `load`'s model that nothing loaded by `at`."""
        if load.model is None or not load.instances or EVERYTHING in load.eager:
            return []
        if not _is_async_load(loads, load):
            return []
        binding = loads.binding_at(name, at) if name else None
        start = binding.position if binding is not None else _end(load.query)
        return [
            attribute
            for attribute, strategy in lazy_relationships(self.ctx.index, load.model).items()
            if strategy == LAZY
            and attribute not in load.eager
            and not (name and _loaded_between(marks, name, attribute, start, _start(at), False))
        ]

    def _read(self, loads: FunctionLoads, marks, node: ast.Attribute, reported) -> None:
        name = node.value.id
        load = loads.load_of(name, node)
        if load is None or load.many:
            return
        if node.attr not in self._unloaded(loads, marks, name, node, load):
            return
        key = (id(loads.binding_at(name, node)), node.attr)
        if key in reported:
            return
        reported.add(key)
        message = self.messages["read"].format(
            name=name, attribute=node.attr, model=_short(load.model), **self._query_words(load)
        )
        self.report(node, message, self._fix(load, node.attr))

    def _query_words(self, load: Load) -> dict[str, object]:
        source = _one_line(self.ctx, load.select if load.select is not None else load.query)
        return {"query": source, "line": load.query.lineno}

    def _fix(self, load: Load, attribute: str) -> Fix | None:
        select = load.select
        if select is None or not select.args:
            return None
        loader, needed = self.ctx.spell("sqlalchemy.orm", "selectinload")
        model = self.ctx.source(select.args[0])
        _, end = self.ctx.lines.node_range(select)
        return Fix(
            title=self.fix_title.format(attribute=attribute, model=model),
            applicability=Applicability.UNSAFE,
            edits=(Edit(end, end, f".options({loader}({model}.{attribute}))"),),
            imports=(needed,) if needed else (),
        )

    # -- the serialisation form ----------------------------------------------------------------
    def _serialised(self, func, loads: FunctionLoads, marks, returned: set[str]) -> None:
        """Routes' `return obj` (fields of the response model) and `Schema.model_validate(obj)`
        (fields of `Schema`): serialisation reads every field."""
        for inner in self.ctx.model.own_nodes(func):
            if isinstance(inner, ast.Return) and inner.value is not None and returned:
                self._serialise(loads, marks, inner, inner.value, returned, "the response model")
            elif (
                isinstance(inner, ast.Call)
                and isinstance(inner.func, ast.Attribute)
                and inner.func.attr in _VALIDATORS
                and len(inner.args) == 1
            ):
                fields = self._model_fields(self.ctx.resolve(inner.func.value))
                schema = _one_line(self.ctx, inner.func.value)
                reader = f"`{schema}.{inner.func.attr}(...)`"
                self._serialise(loads, marks, inner, inner.args[0], fields, reader)

    def _serialise(self, loads, marks, at: ast.AST, value: ast.expr, fields, reader: str) -> None:
        if not fields:
            return
        name = value.id if isinstance(value, ast.Name) else ""
        load = loads.load_of(name, at) if name else loads.load(value, 0)
        if load is None:
            return
        missing = [a for a in self._unloaded(loads, marks, name, at, load) if a in fields]
        if not missing:
            return
        listed = ", ".join(f"`{attribute}`" for attribute in missing)
        message = self.messages["serialised"].format(
            reader=reader, listed=listed, model=_short(load.model), **self._query_words(load)
        )
        self.report(at, message, self._fix(load, missing[0]))

    def _response_fields(self, func, route) -> set[str]:
        annotation = func.returns
        decorator = route.decorator
        for keyword in decorator.keywords if decorator is not None else ():
            if keyword.arg == "response_model":
                annotation = keyword.value
        if annotation is None:
            return set()
        fields: set[str] = set()
        for qualified in _response_classes(self.ctx, annotation):
            fields |= self._model_fields(qualified)
        return fields

    def _model_fields(self, qualified: str | None) -> set[str]:
        """Fields of a Pydantic model (not a table: SQLModel leaves relationships out)."""
        model_kinds = self.ctx.index.class_kinds(qualified)
        if PYDANTIC not in model_kinds or MAPPED in model_kinds:
            return set()
        return {
            name
            for fact in self.ctx.index.ancestry(qualified)
            for name, annotation in fact.fields.items()
            if not name.startswith("_") and not _is_class_variable(annotation)
        }


def _is_class_variable(annotation: str) -> bool:
    """`ClassVar[...]` (however imported): a class attribute, not a field."""
    return annotation.split("[", 1)[0].rsplit(".", 1)[-1] == "ClassVar"


def _response_classes(ctx, annotation: ast.expr) -> list[str]:
    """`Out`, `list[Out]`, `Sequence[Out] | None`: the classes a response holds."""
    found = []
    for qualified in declared_classes(ctx.resolve, annotation):
        found.append(qualified)
    node = annotation
    if isinstance(node, ast.BinOp):
        return found + _response_classes(ctx, node.left) + _response_classes(ctx, node.right)
    if isinstance(node, ast.Subscript) and ctx.resolve(node.value) in _SEQUENCES:
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        return found + _response_classes(ctx, items[0])
    return found


# -- FAL206 -----------------------------------------------------------------------------------
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
    summary = "attribute read after commit() expired it, in async code (MissingGreenlet)"
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

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        if not _mentions(self.ctx, node, _COMMIT_CALLS):
            return
        sessions = self.ctx.function_sessions(node)
        if not sessions.names and not sessions.attributes:
            return
        commits = self._commits(node, sessions)
        if not commits:
            return
        loads = function_loads(self.ctx, node)
        marks = _marks(self.ctx, node)
        is_route = self.ctx.route(node) is not None
        reported: set[str] = set()
        uses = sorted(self._uses(node, is_route), key=lambda use: _start(use[1]))
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
                        return _end(later)
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
        if not (_end(commit.node) < _start(at) <= commit.limit):
            return False
        if _handles_failure_of(loads, at, commit.node):
            return False  # the commit failed: nothing new was committed (pending rows expunged)
        binding = loads.binding_at(name, at)
        if binding is not None and binding.position > _start(commit.node):
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
                and _end(commit.node) <= mark.position <= _start(at)
                and (mark.attributes is ALL or attribute in mark.attributes)
            ):
                return False
        return True

    def _attached_class(self, loads: FunctionLoads, commit: _Commit, name, binding) -> str | None:
        """The class ("" when unknown) of `name` when the committing session holds it."""
        before = _start(commit.node)
        if binding is not None and binding.value is not None:
            load = loads.load_of(name, commit.node)
            if load is not None and load.instances and not load.many:
                receiver = (
                    load.query.func.value if isinstance(load.query.func, ast.Attribute) else None
                )
                if receiver is not None and ast.unparse(receiver) == commit.session:
                    return load.model or ""
        for node, session in _attachments(self.ctx, loads.func):
            if not (_start(node) < before and session == commit.session):
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
                and binding.position > _start(node)
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


# -- FAL306 -----------------------------------------------------------------------------------
_ROUND_TRIPS = frozenset({"execute", "scalars", "scalar", "exec", "query", "get", "get_one"})
_WRITES = frozenset({"sqlalchemy.insert", "sqlalchemy.update", "sqlalchemy.delete"})
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


class NPlusOneQuery(Rule):
    """
    ## What it does
    Checks for a database round trip per row of a query result: inside a `for` loop (or a
    comprehension) over the rows of a query, (a) a query keyed on the loop item
    (`await db.get(Model, row.owner_id)`, `await db.execute(select(...).where(X.id == row.id))`,
    `db.query(Model).filter_by(id=row.x).first()`), or (b) in synchronous code, a lazy
    relationship of the loop item read (`for user in db.query(User): user.posts`) when the query
    has no loader option for it. Reported once per loop, at the first such access. Writes
    (`insert`/`update`/`delete`) per row are not reported; in `async def` code a lazy
    relationship read is FAL205 (it raises instead of being slow).

    ## Why is this bad?
    One query for the list and then one more per row: N+1 round trips where one or two would
    do. It is invisible with ten rows in development and dominates response time with ten
    thousand in production.

    ## Example
    ```python
    from sqlalchemy import ForeignKey, select
    from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


    class Base(DeclarativeBase):
        pass


    class Author(Base):
        __tablename__ = "authors"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str]


    class Book(Base):
        __tablename__ = "books"
        id: Mapped[int] = mapped_column(primary_key=True)
        author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))


    def author_names(db: Session) -> list[str]:
        names = []
        for book in db.scalars(select(Book)).all():
            names.append(db.get(Author, book.author_id).name)
        return names
    ```

    Use instead:
    ```python
    from sqlalchemy import ForeignKey, select
    from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


    class Base(DeclarativeBase):
        pass


    class Author(Base):
        __tablename__ = "authors"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str]


    class Book(Base):
        __tablename__ = "books"
        id: Mapped[int] = mapped_column(primary_key=True)
        author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))


    def author_names(db: Session) -> list[str]:
        books = db.scalars(select(Book)).all()
        ids = {book.author_id for book in books}
        authors = {a.id: a for a in db.scalars(select(Author).where(Author.id.in_(ids)))}
        return [authors[book.author_id].name for book in books]
    ```
    With a relationship (`Book.author`), `select(Book).options(selectinload(Book.author))`
    does the same in two queries.

    ## Fix safety
    No fix: the rewrite depends on the data; the message names the key or relationship and
    suggests `selectinload(...)` or one `IN` query.
    """

    code = "FAL306"
    summary = "a query per row of a query result (N+1 queries)"
    messages = {
        "keyed": "`{query}` runs once per row of the query on line {line}, keyed on `{key}` "
        "(N+1 queries): load them with one query (`.where(... .in_(...))`) or "
        "`selectinload(...)` on the first one",
        "lazy": "`{name}.{attribute}` lazy-loads relationship `{model}.{attribute}` once per row "
        "of the query on line {line} (N+1 queries): add "
        "`.options(selectinload({model}.{attribute}))` to the query",
    }

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._loads: dict[ast.AST, FunctionLoads | None] = {}

    # Loops are visited where the walk meets them: a function without one is never analysed.
    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        func = self._function_of(node)
        loads = self._function_loads(func) if func is not None else None
        if loads is not None:
            self._loop(func, loads, node, node.iter, node.target, node.body)

    visit_AsyncFor = visit_For

    def visit_ListComp(self, node) -> None:
        func = self._function_of(node)
        loads = self._function_loads(func) if func is not None else None
        if loads is not None:
            first, *others = node.generators
            parts = [node.elt] if hasattr(node, "elt") else [node.key, node.value]
            parts += [*first.ifs, *others]
            self._loop(func, loads, node, first.iter, first.target, parts)

    visit_SetComp = visit_GeneratorExp = visit_DictComp = visit_ListComp

    def _function_of(self, loop: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The function whose own body holds `loop` (not a lambda's or a class's, nor its
        signature's defaults and decorators)."""
        scopes = self.ctx.scopes
        func = scopes[-1] if scopes else None
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        first = func.body[0]
        if (loop.lineno, loop.col_offset) < (first.lineno, first.col_offset):
            return None
        return func

    def _function_loads(self, func) -> FunctionLoads | None:
        """The loads of a function worth reading (asked once per function)."""
        if func not in self._loads:
            found = None
            if _mentions(self.ctx, func, ("for ",)) and _mentions(self.ctx, func, _LOAD_CALLS):
                sessions = self.ctx.function_sessions(func)
                if sessions.names or sessions.attributes:
                    found = function_loads(self.ctx, func)
            self._loads[func] = found
        return self._loads[func]

    def _loop(self, func, loads: FunctionLoads, loop, iterated, target, body) -> None:
        load = loads.load(iterated, 0)
        if load is None or not load.many:
            return
        names = {name.id for name in ast.walk(target) if isinstance(name, ast.Name)}
        if not names:
            return
        for node in _body_nodes(body):
            if isinstance(node, ast.Call):
                key = self._keyed_query(loads, node, names)
                if key is not None:
                    query = _one_line(self.ctx, _whole_chain(loads, node))
                    message = self.messages["keyed"].format(
                        query=query, line=load.query.lineno, key=key
                    )
                    self.report(node, message)
                    return
            elif not isinstance(func, ast.AsyncFunctionDef) and self._lazy_read(load, node, names):
                model = _short(load.model)
                message = self.messages["lazy"].format(
                    name=node.value.id, attribute=node.attr, model=model, line=load.query.lineno
                )
                self.report(node, message)
                return

    def _keyed_query(self, loads: FunctionLoads, call: ast.Call, names: set[str]) -> str | None:
        """The loop item's key (`row.owner_id`) when `call` is a session query on it."""
        if not (
            isinstance(call.func, ast.Attribute)
            and call.func.attr in _ROUND_TRIPS
            and loads.sessions.kind(call.func.value) is not None
        ):
            return None
        chain = _whole_chain(loads, call)
        if (
            isinstance(chain, ast.Call)
            and isinstance(chain.func, ast.Attribute)
            and chain.func.attr in ("delete", "update")
        ):
            return None  # `db.query(M).filter(...).delete()`: a write
        parts: list[ast.AST] = [chain]
        for argument in call.args:
            if isinstance(argument, ast.Name):
                binding = loads.binding_at(argument.id, argument)
                if binding is not None and binding.value is not None:
                    parts.append(binding.value)
        for part in parts:
            for node in ast.walk(part):
                if isinstance(node, ast.Call) and self.ctx.resolve(node.func) in _WRITES:
                    return None
        for part in parts:
            for node in ast.walk(part):
                if (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Name)
                    and node.value.id in names
                ):
                    return ast.unparse(node)
                if isinstance(node, ast.Name) and node.id in names:
                    return node.id
        return None

    def _lazy_read(self, load: Load, node: ast.AST, names: set[str]) -> bool:
        if not (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Load)
            and isinstance(node.value, ast.Name)
            and node.value.id in names
            and load.instances
            and load.model is not None
            and EVERYTHING not in load.eager
            and node.attr not in load.eager
        ):
            return False
        strategy = lazy_relationships(self.ctx.index, load.model).get(node.attr)
        return strategy == LAZY


def _whole_chain(loads: FunctionLoads, call: ast.Call) -> ast.expr:
    """`db.query(M)` inside `db.query(M).filter_by(id=row.x).first()`: the whole chain."""
    node: ast.expr = call
    while True:
        parent = loads.parents.get(node)
        if (
            (isinstance(parent, ast.Attribute) and parent.value is node)
            or (isinstance(parent, ast.Call) and parent.func is node)
            or isinstance(parent, ast.Await)
        ):
            node = parent
        else:
            return node


def _body_nodes(body: list[ast.AST]):
    """Nodes of a loop body in source order, not entering nested functions or classes."""
    found = []
    for part in body:
        stack = [part]
        while stack:
            node = stack.pop()
            found.append(node)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                continue
            stack.extend(ast.iter_child_nodes(node))
    return sorted(
        (node for node in found if hasattr(node, "lineno")),
        key=lambda node: (node.lineno, node.col_offset),
    )
