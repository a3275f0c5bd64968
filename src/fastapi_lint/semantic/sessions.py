"""Is this value a SQLAlchemy session, and is it async?

A session is known by its type (`AsyncSession`, `Session` from sqlalchemy or sqlmodel,
`AsyncConnection`, ...), also through `Annotated[...]`, `Optional[...]`, generator return types
and type aliases defined in any module of the project (`SessionDep`); by its dependency
(`Depends(get_db)` where `get_db` returns or yields one); or by the factory that made it
(`async with SessionLocal() as db`, where `SessionLocal = async_sessionmaker(...)`), also
through `contextmanager(get_db)` and `next(get_db())` / `await anext(get_db())`.

When a parameter's annotation and its dependency disagree (`db: Session = Depends(get_db)`
where `get_db` yields an `AsyncSession`), the dependency decides: it is what FastAPI passes.
"""

from __future__ import annotations

import ast
import enum

from fastapi_lint.semantic.annotations import annotation_expression, subscript_parts, union_members
from fastapi_lint.semantic.facts import CONTEXT_MANAGER_WRAPPERS
from fastapi_lint.semantic.imports import ImportTable
from fastapi_lint.semantic.index import ProjectIndex, parse_expression


class SessionKind(str, enum.Enum):
    ASYNC = "async"  # AsyncSession, async_scoped_session
    SYNC = "sync"  # Session, scoped_session, sqlmodel.Session
    ASYNC_CONNECTION = "async-connection"
    SYNC_CONNECTION = "sync-connection"
    UNKNOWN = "unknown"  # found by name only: a session, async-ness not known

    @property
    def is_async(self) -> bool:
        return self in (SessionKind.ASYNC, SessionKind.ASYNC_CONNECTION)

    @property
    def is_sync(self) -> bool:
        return self in (SessionKind.SYNC, SessionKind.SYNC_CONNECTION)


SESSION_TYPES = {
    "sqlalchemy.ext.asyncio.AsyncSession": SessionKind.ASYNC,
    "sqlalchemy.ext.asyncio.async_scoped_session": SessionKind.ASYNC,
    "sqlalchemy.ext.asyncio.AsyncConnection": SessionKind.ASYNC_CONNECTION,
    "sqlalchemy.orm.Session": SessionKind.SYNC,
    "sqlalchemy.orm.scoped_session": SessionKind.SYNC,
    "sqlmodel.Session": SessionKind.SYNC,
    "sqlalchemy.Connection": SessionKind.SYNC_CONNECTION,
}
FACTORIES = {
    "sqlalchemy.ext.asyncio.async_sessionmaker": SessionKind.ASYNC,
    "sqlalchemy.ext.asyncio.async_scoped_session": SessionKind.ASYNC,
    "sqlalchemy.orm.sessionmaker": SessionKind.SYNC,
    "sqlalchemy.orm.scoped_session": SessionKind.SYNC,
}
# Types that wrap the type a value has: the session is their first argument.
WRAPPERS = frozenset(
    {
        "typing.Annotated",
        "typing.Optional",
        "typing.AsyncGenerator",
        "typing.AsyncIterator",
        "typing.Generator",
        "typing.Iterator",
        "typing.Iterable",
        "typing.AsyncIterable",
        "typing.Awaitable",
        "typing.Coroutine",
        "typing.Union",
        "collections.abc.AsyncGenerator",
        "collections.abc.AsyncIterator",
        "collections.abc.Generator",
        "collections.abc.Iterator",
        "collections.abc.Iterable",
        "collections.abc.AsyncIterable",
        "contextlib.AbstractAsyncContextManager",
        "contextlib.AbstractContextManager",
    }
)
DEPENDS = frozenset({"fastapi.Depends", "fastapi.Security"})

# Session methods that do database work (FAL101), and those of them that do I/O (FAL203):
# `add` and `add_all` only change the in-memory unit of work.
DATABASE_METHODS = frozenset(
    {
        "execute",
        "scalar",
        "scalars",
        "get",
        "get_one",
        "add",
        "add_all",
        "delete",
        "merge",
        "commit",
        "rollback",
        "flush",
        "refresh",
        "query",
        "stream",
        "stream_scalars",
        "exec",
        "run_sync",
        "begin",
        "begin_nested",
    }
)
IO_METHODS = DATABASE_METHODS - {"add", "add_all"}
# `db = next(get_db())`, `db = await anext(get_db())`: the value a provider yields first.
ITERATOR_STEPS = frozenset({"builtins.next", "builtins.anext"})
_MAX_DEPTH = 8


class SessionFacts:
    """Answers session questions for one module (its import table) against the project index."""

    def __init__(self, index: ProjectIndex, imports: ImportTable) -> None:
        self.index = index
        self.imports = imports
        # (plain name, provider_first) -> its answer: the same in every function of the file
        # (`db: SessionDep` in each), and the index queries it made are noted at the first ask
        self._names: dict[tuple[str, bool], SessionKind | None] = {}

    # -- types ---------------------------------------------------------------------------------
    def kind_of_annotation(self, node: ast.expr | None) -> SessionKind | None:
        if node is None:
            return None
        if type(node) is ast.Name:
            return self._of_name(node, False)
        return _annotation(self.index, self.imports, node, 0)

    def kind_of_annotated_dependency(self, node: ast.expr | None) -> SessionKind | None:
        """`Annotated[Session, Depends(get_db)]` (or an alias of it): what `get_db` provides."""
        if node is None:
            return None
        if type(node) is ast.Name:
            return self._of_name(node, True)
        return _annotation(self.index, self.imports, node, 0, provider_first=True)

    def _of_name(self, node: ast.Name, provider_first: bool) -> SessionKind | None:
        key = (node.id, provider_first)
        try:
            return self._names[key]
        except KeyError:
            found = self._names[key] = _annotation(
                self.index, self.imports, node, 0, provider_first
            )
            return found

    def kind_of_factory_annotation(self, node: ast.expr | None) -> SessionKind | None:
        """`factory: async_sessionmaker[AsyncSession]`: the session that calling it makes."""
        if node is None:
            return None
        base = node.value if isinstance(node, ast.Subscript) else node
        kind = FACTORIES.get(self.imports.resolve(base) or "")
        if kind is not None and isinstance(node, ast.Subscript):
            made = self.kind_of_annotation(node.slice)
            return made if made is not None else kind
        return kind

    def kind_of_dependency(self, node: ast.expr) -> SessionKind | None:
        """`Depends(get_db)`: the kind of session `get_db` provides."""
        return _dependency(self.index, self.imports, node, 0)

    def kind_of_factory_call(self, call: ast.expr) -> SessionKind | None:
        """`SessionLocal()`, `Session(engine)`, `async_session_maker()`: the session it makes."""
        if not isinstance(call, ast.Call):
            return None
        callee = self.imports.resolve(call.func)
        if callee in ITERATOR_STEPS and len(call.args) == 1:
            return self.kind_of_factory_call(call.args[0])  # `next(get_db())`
        return _made_by(self.index, callee, 0) if callee else None


def _annotation(
    index, imports: ImportTable, node: ast.expr, depth: int, provider_first: bool = False
) -> SessionKind | None:
    """The session kind an annotation declares; with `provider_first`, only what the
    `Depends(...)` of an `Annotated[...]` provides (None when it names no known provider)."""
    if depth > _MAX_DEPTH:
        return None
    node = annotation_expression(node)
    if node is None:
        return None
    members = union_members(node)
    if members is not None:
        left, right = members
        return _annotation(index, imports, left, depth + 1, provider_first) or _annotation(
            index, imports, right, depth + 1, provider_first
        )
    parts = subscript_parts(node, imports.resolve)
    if parts is not None:
        origin, items = parts
        if origin not in WRAPPERS:
            return None
        if origin == "typing.Annotated":
            found = None if provider_first else _annotation(index, imports, items[0], depth + 1)
            if found is not None:
                return found
            for meta in items[1:]:
                found = _dependency(index, imports, meta, depth + 1)
                if found is not None:
                    return found
            return None
        if origin == "typing.Union":
            for item in items:
                found = _annotation(index, imports, item, depth + 1, provider_first)
                if found is not None:
                    return found
            return None
        return _annotation(index, imports, items[0], depth + 1, provider_first)
    qualified = imports.resolve(node)
    if qualified is None:
        return None
    if qualified in SESSION_TYPES:
        return None if provider_first else SESSION_TYPES[qualified]
    return _alias(index, qualified, depth + 1, provider_first)


def alias_expression(index: ProjectIndex, qualified: str) -> tuple[ImportTable, ast.expr] | None:
    """A type alias defined in a project module (`SessionDep = Annotated[...]`), parsed, and the
    import table of its module."""
    found = index.alias(qualified)
    if found is None:
        return None
    facts, source = found
    expression = parse_expression(source)
    return (facts.imports(), expression) if expression is not None else None


def _alias(
    index: ProjectIndex, qualified: str, depth: int, provider_first: bool = False
) -> SessionKind | None:
    found = alias_expression(index, qualified)
    if found is None:
        return None
    return _annotation(index, found[0], found[1], depth + 1, provider_first)


def _dependency(index, imports: ImportTable, node: ast.expr, depth: int) -> SessionKind | None:
    if depth > _MAX_DEPTH or not isinstance(node, ast.Call):
        return None
    if imports.resolve(node.func) not in DEPENDS:
        return None
    provider = node.args[0] if node.args else None
    for keyword in node.keywords:
        if keyword.arg == "dependency":
            provider = keyword.value
    if provider is None:
        return None
    qualified = imports.resolve(provider)
    return _provider(index, qualified, depth + 1) if qualified else None


def _provider(index: ProjectIndex, qualified: str, depth: int) -> SessionKind | None:
    """What a dependency function provides: by its return annotation, else by what it yields."""
    if depth > _MAX_DEPTH:
        return None
    found = index.function(qualified)
    if found is None:
        return None
    facts, fact = found
    if fact.returns:
        annotation = parse_expression(fact.returns)
        if annotation is not None:
            kind = _annotation(index, facts.imports(), annotation, depth + 1)
            if kind is not None:
                return kind
    for callee in fact.provides:
        kind = _made_by(index, callee, depth + 1)
        if kind is not None:
            return kind
    return None


def _made_by(index: ProjectIndex, callee: str, depth: int) -> SessionKind | None:
    """The session a call of `callee` returns: a session class, a factory, or a provider."""
    if depth > _MAX_DEPTH:
        return None
    base = callee.partition("[")[0]
    if base in SESSION_TYPES:
        return SESSION_TYPES[base]
    found = index.value_callee(base)  # `SessionLocal` -> the call that made it
    if found is not None:
        facts, maker = found
        maker_base, _, maker_class = maker.partition("[")
        if maker_base in CONTEXT_MANAGER_WRAPPERS and maker_class:
            wrapped = _resolved(facts.imports(), maker_class[:-1])
            return _provider(index, wrapped, depth + 1) if wrapped else None
        kind = FACTORIES.get(maker_base)
        if kind is SessionKind.SYNC and maker_class:
            # sessionmaker(class_=AsyncSession): whatever class_ names decides
            named = _resolved(facts.imports(), maker_class.rstrip("]"))
            kind = SESSION_TYPES.get(named or "", kind)
        if kind is not None:
            return kind
    if base in FACTORIES:
        return None  # a factory called directly makes a factory, not a session
    return _provider(index, base, depth + 1)


def _resolved(imports: ImportTable, source: str) -> str | None:
    """The qualified name a stored expression (`get_db`, `AsyncSession`) stands for."""
    expression = parse_expression(source)
    return imports.resolve(expression) if expression is not None else None
