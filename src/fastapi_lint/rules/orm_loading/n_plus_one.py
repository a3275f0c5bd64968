"""FAL306: a query per row of a query result (N+1 queries)."""

from __future__ import annotations

import ast

from fastapi_lint.rules.base import Rule
from fastapi_lint.rules.orm_loading.function_loads import function_loads
from fastapi_lint.rules.orm_loading.function_text import (
    LOAD_CALLS,
    mentions,
    one_line,
    short_name,
)
from fastapi_lint.rules.orm_loading.lazy_load import lazy_relationships
from fastapi_lint.semantic.loads import EVERYTHING, FunctionLoads, Load
from fastapi_lint.semantic.relationships import LAZY

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
    summary = "A query per row of a query result (N+1 queries)"
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
        if not _may_load(node.iter):
            return
        func = self._function_of(node)
        loads = self._function_loads(func) if func is not None else None
        if loads is not None:
            self._loop(func, loads, node, node.iter, node.target, node.body)

    visit_AsyncFor = visit_For

    def visit_ListComp(self, node) -> None:
        if not _may_load(node.generators[0].iter):
            return
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
            if mentions(self.ctx, func, ("for ",)) and mentions(self.ctx, func, LOAD_CALLS):
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
                    query = one_line(self.ctx, _whole_chain(loads, node))
                    message = self.messages["keyed"].format(
                        query=query, line=load.query.lineno, key=key
                    )
                    self.report(node, message)
                    return
            elif not isinstance(func, ast.AsyncFunctionDef) and self._lazy_read(load, node, names):
                model = short_name(load.model)
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


def _may_load(iterated: ast.expr) -> bool:
    """Whether a loop's iterable can be a query's rows at all (`semantic.loads` finds loads only
    in these shapes): no session analysis of the function for `range(n)` or `self.items`."""
    while isinstance(iterated, ast.Await):
        iterated = iterated.value
    return isinstance(iterated, ast.Name) or (
        isinstance(iterated, ast.Call) and isinstance(iterated.func, ast.Attribute)
    )


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
