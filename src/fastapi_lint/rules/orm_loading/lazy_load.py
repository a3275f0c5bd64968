"""FAL205: a lazy relationship loaded implicitly in async code (MissingGreenlet)."""

from __future__ import annotations

import ast

from fastapi_lint.diagnostics import Applicability, Edit, Fix
from fastapi_lint.rules.async_io.calls import may_hold_async_def
from fastapi_lint.rules.base import FileContext, FixAvailability, Rule
from fastapi_lint.rules.orm_loading.function_loads import function_loads
from fastapi_lint.rules.orm_loading.function_text import (
    LOAD_CALLS,
    mentions,
    one_line,
    short_name,
)
from fastapi_lint.rules.orm_loading.marks import (
    end_of,
    function_marks,
    loaded_between,
    start_of,
)
from fastapi_lint.semantic.annotations import declared_classes
from fastapi_lint.semantic.index import MAPPED, PYDANTIC
from fastapi_lint.semantic.loads import EVERYTHING, FunctionLoads, Load
from fastapi_lint.semantic.relationships import LAZY
from fastapi_lint.semantic.sessions import SessionKind

_VALIDATORS = frozenset({"model_validate", "from_orm"})  # read every field of the instance
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
    summary = "Lazy relationship loaded implicitly in async code (MissingGreenlet)"
    fix_availability = FixAvailability.SOMETIMES
    messages = {
        "read": "`{name}.{attribute}` lazy-loads relationship `{model}.{attribute}` in async "
        "code (the query `{query}` on line {line} does not load it): raises MissingGreenlet",
        "serialised": "{reader} serialises lazy relationship {listed} of `{model}` that the "
        "query `{query}` on line {line} does not load: raises MissingGreenlet",
    }
    fix_title = "Load `{attribute}` with `selectinload({model}.{attribute})`"

    @classmethod
    def applies_to(cls, ctx: FileContext) -> bool:
        return may_hold_async_def(ctx)  # it reports inside an `async def` only

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        if not mentions(self.ctx, node, LOAD_CALLS):
            return
        sessions = self.ctx.function_sessions(node)
        if not sessions.names and not sessions.attributes:
            return
        loads = function_loads(self.ctx, node)
        marks = function_marks(self.ctx, node)
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
        start = binding.position if binding is not None else end_of(load.query)
        return [
            attribute
            for attribute, strategy in lazy_relationships(self.ctx.index, load.model).items()
            if strategy == LAZY
            and attribute not in load.eager
            and not (name and loaded_between(marks, name, attribute, start, start_of(at), False))
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
            name=name, attribute=node.attr, model=short_name(load.model), **self._query_words(load)
        )
        self.report(node, message, self._fix(load, node.attr))

    def _query_words(self, load: Load) -> dict[str, object]:
        source = one_line(self.ctx, load.select if load.select is not None else load.query)
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
                schema = one_line(self.ctx, inner.func.value)
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
            reader=reader, listed=listed, model=short_name(load.model), **self._query_words(load)
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
