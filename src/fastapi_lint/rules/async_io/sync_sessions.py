"""FAL203: a synchronous SQLAlchemy session used inside `async def`."""

from __future__ import annotations

import ast

from fastapi_lint.diagnostics import Applicability, Edit, Fix
from fastapi_lint.rules.async_io.calls import async_function, may_hold_async_def, with_note
from fastapi_lint.rules.base import FileContext, FixAvailability, Rule
from fastapi_lint.semantic.sessions import IO_METHODS


class SyncSessionInAsync(Rule):
    """
    ## What it does
    Checks for a synchronous SQLAlchemy session used inside `async def`: a method that does I/O
    (`execute`, `scalars`, `get`, `commit`, `query`, `exec`, ...) on a `Session`, a
    `sessionmaker()` product, a SQLModel `Session`, a `scoped_session` or a sync `Connection`;
    and `.query(...)` on any session (the 1.x Query API does not exist on `AsyncSession`).

    The most common real case is an `async def` route whose session comes from an `Annotated`
    alias defined in another module (`SessionDep = Annotated[Session, Depends(get_db)]`):
    nothing in the route says the session is synchronous. The project index follows the alias.

    When the annotation and the dependency disagree, the dependency decides: `.query()` on a
    session annotated `Session` whose provider yields an `AsyncSession` is reported as a method
    that does not exist on `AsyncSession` (naming the wrong annotation), not as blocking.

    ## Why is this bad?
    Every query blocks the event loop while the database answers: one slow query stalls every
    request the worker is serving. FastAPI runs a plain `def` route in its threadpool, where a
    synchronous session is fine.

    ## Example
    ```python
    from fastapi import Depends, FastAPI
    from sqlalchemy.orm import Session

    from app.db import get_db

    app = FastAPI()


    @app.get("/items")
    async def list_items(db: Session = Depends(get_db)) -> list:
        return db.execute("select 1").all()
    ```

    Use instead:
    ```python
    from fastapi import Depends, FastAPI
    from sqlalchemy.orm import Session

    from app.db import get_db

    app = FastAPI()


    @app.get("/items")
    def list_items(db: Session = Depends(get_db)) -> list:
        return db.execute("select 1").all()
    ```

    ## Fix safety
    Unsafe: when the enclosing function is a route handler that contains no `await`,
    `async for` or `async with`, `async def` becomes `def` (FastAPI then runs it in its
    threadpool, which changes how it interacts with thread-unsafe code). Otherwise no fix: move
    to `AsyncSession`, or wrap the work in `run_in_threadpool`.
    """

    code = "FAL203"
    summary = "Synchronous session used inside `async def`"
    messages = {
        "no-query": "`{receiver}.query()` does not exist on `AsyncSession`; use `select()`",
        "blocking": "`{receiver}.{method}()` on a synchronous session blocks the event loop "
        "inside `async def {function}`",
    }
    fix_title = "Make the route a plain `def` (FastAPI runs it in its threadpool)"
    fix_availability = FixAvailability.SOMETIMES

    @classmethod
    def applies_to(cls, ctx: FileContext) -> bool:
        return may_hold_async_def(ctx)  # it reports inside an `async def` only

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._awaits: dict[ast.AST, bool] = {}  # per function, once: does it await anything?

    def visit_Call(self, node: ast.Call) -> None:
        function = async_function(self.ctx)
        if function is None or not isinstance(node.func, ast.Attribute):
            return
        method = node.func.attr
        if method not in IO_METHODS and method != "query":
            return  # nothing it could report: the function's sessions need not be known
        sessions = self.ctx.function_sessions(function)
        kind = sessions.kind(node.func.value)
        if kind is None:
            return
        if not ((kind.is_sync and method in IO_METHODS) or method == "query"):
            return
        receiver = self.ctx.source(node.func.value)
        if kind.is_async:  # the real defect is not blocking: the method does not exist
            message = self.messages["no-query"].format(receiver=receiver)
            fix = None
        else:
            message = self.messages["blocking"].format(
                receiver=receiver, method=method, function=function.name
            )
            fix = self._fix(function)
        self.report(node, with_note(message, sessions.wrong_annotation(node.func.value)), fix)

    def _fix(self, function: ast.AsyncFunctionDef) -> Fix | None:
        if self.ctx.route(function) is None or self._awaits_anything(function):
            return None
        start = self.ctx.lines.offset(function.lineno, function.col_offset)
        header = self.ctx.text[start : start + 40]
        if not header.startswith("async"):
            return None
        end = start + header.index("def")
        return Fix(
            title=self.fix_title,
            applicability=Applicability.UNSAFE,
            edits=(Edit(start, end, ""),),
        )

    def _awaits_anything(self, function: ast.AsyncFunctionDef) -> bool:
        """An `await`, `async for`, `async with` or async comprehension in its own body."""
        found = self._awaits.get(function)
        if found is None:
            found = self._awaits[function] = any(
                isinstance(child, (ast.Await, ast.AsyncFor, ast.AsyncWith))
                or (isinstance(child, ast.comprehension) and child.is_async)
                for child in self.ctx.model.own_nodes(function)
            )
        return found
