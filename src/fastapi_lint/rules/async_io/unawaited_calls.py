"""FAL202: an `AsyncSession` (or `AsyncConnection`) coroutine method called without `await`."""

from __future__ import annotations

import ast

from fastapi_lint.diagnostics import Applicability, Fix
from fastapi_lint.rules.async_io.calls import (
    AWAITABLE_TAKERS,
    CallPosition,
    async_function,
    await_edits,
    may_hold_async_def,
    with_note,
)
from fastapi_lint.rules.base import FileContext, FixAvailability, Rule
from fastapi_lint.semantic.sessions import SessionKind

ASYNC_SESSION_METHODS = frozenset(
    {
        "execute",
        "scalar",
        "scalars",
        "get",
        "get_one",
        "commit",
        "rollback",
        "flush",
        "refresh",
        "delete",
        "merge",
        "close",
        "stream",
        "stream_scalars",
        "run_sync",
        "connection",
        "invalidate",
    }
)
ASYNC_CONNECTION_METHODS = frozenset(
    {"execute", "scalar", "scalars", "commit", "rollback", "close", "stream", "run_sync"}
)


class UnawaitedSessionCall(Rule):
    """
    ## What it does
    Checks for `AsyncSession` (and `AsyncConnection`) coroutine methods called without `await`
    inside `async def`: `execute`, `scalar(s)`, `get`, `commit`, `rollback`, `flush`,
    `refresh`, `delete`, `merge`, `close`, `stream`, `run_sync`, ... A call is fine when it is
    awaited, returned, passed to `asyncio.gather`/`create_task`/`wait_for`, or assigned to a
    name that is awaited later in the function. The session is known by its type, its
    dependency or its factory, also through aliases such as `SessionDep` from another module,
    `contextmanager(get_db)` wrappers, `next(get_db())` / `await anext(get_db())`, factories
    held in a parameter or attribute (`async with self.factory() as session`) and `self.db`
    set in `__init__` from a typed parameter.

    When a parameter is annotated `Session` but its dependency yields an `AsyncSession`, the
    dependency decides (it is what FastAPI passes): the un-awaited call is reported, and the
    message names the wrong annotation.

    The synchronous methods `add`, `add_all`, `expunge`, `expire`, `in_transaction` and
    `is_modified` are never reported.

    ## Why is this bad?
    The coroutine is created and dropped: the commit never happens, and Python only warns
    "coroutine was never awaited" when it is garbage collected. It is silent data loss.

    ## Example
    ```python
    from sqlalchemy.ext.asyncio import AsyncSession


    async def create(db: AsyncSession, item: object) -> None:
        db.add(item)
        db.commit()
    ```

    Use instead:
    ```python
    from sqlalchemy.ext.asyncio import AsyncSession


    async def create(db: AsyncSession, item: object) -> None:
        db.add(item)
        await db.commit()
    ```

    ## Fix safety
    Adds `await` (parenthesised where precedence needs it: `(await db.execute(q)).scalars()`).
    Safe when the call is a statement on its own; unsafe when its value is used.
    """

    code = "FAL202"
    summary = "`AsyncSession` coroutine called without `await`"
    message = "`{receiver}.{method}()` is a coroutine and is never awaited"
    fix_title = "Add `await`"
    fix_availability = FixAvailability.ALWAYS

    @classmethod
    def applies_to(cls, ctx: FileContext) -> bool:
        return may_hold_async_def(ctx)  # it reports inside an `async def` only

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        # Per function, once: what its own body hands over (returns, gives to gather/...) and
        # the names it awaits, returns or hands over.
        self._handed_over: dict[ast.AST, tuple[set[ast.AST], set[str]]] = {}

    def visit_Call(self, node: ast.Call) -> None:
        function = async_function(self.ctx)
        if function is None or not isinstance(node.func, ast.Attribute):
            return
        method = node.func.attr
        if method not in ASYNC_SESSION_METHODS and method not in ASYNC_CONNECTION_METHODS:
            return  # no session's coroutine: the function's sessions need not be known
        sessions = self.ctx.function_sessions(function)
        kind = sessions.kind(node.func.value)
        if kind is SessionKind.ASYNC:
            coroutine = method in ASYNC_SESSION_METHODS
        elif kind is SessionKind.ASYNC_CONNECTION:
            coroutine = method in ASYNC_CONNECTION_METHODS
        else:
            return
        if not coroutine or self.ctx.model.is_awaited(node, function):
            return
        handed_over, names = self._handed_over_in(function)
        if node in handed_over or self._awaited_later(node, function, names):
            return
        receiver = self.ctx.source(node.func.value)
        position = CallPosition(self.ctx, node, function)
        edits = tuple(await_edits(self.ctx, node, "await ", position.tight))
        wanted = Applicability.SAFE if position.statement else Applicability.UNSAFE
        fix = Fix(
            title=self.fix_title,
            applicability=self.ctx.applicability(edits, wanted),
            edits=edits,
        )
        message = self.message.format(receiver=receiver, method=method)
        self.report(node, with_note(message, sessions.wrong_annotation(node.func.value)), fix)

    def _handed_over_in(self, function: ast.AsyncFunctionDef) -> tuple[set[ast.AST], set[str]]:
        """(expressions returned or given to `gather`/`create_task`/..., names awaited,
        returned or given to them), from the function's summary, once per function."""
        found = self._handed_over.get(function)
        if found is None:
            summary = self.ctx.model.summary(function)
            handed_over: set[ast.AST] = set()
            names = {value.id for value in summary.awaited if isinstance(value, ast.Name)}
            for returned in summary.returns:
                if returned.value is not None:
                    handed_over.add(returned.value)
                    if isinstance(returned.value, ast.Name):
                        names.add(returned.value.id)
            for call in summary.calls:
                if self.ctx.resolve(call.func) in AWAITABLE_TAKERS:
                    handed_over.update(call.args)
                    handed_over.update(keyword.value for keyword in call.keywords)
                    names.update(a.id for a in call.args if isinstance(a, ast.Name))
            found = self._handed_over[function] = (handed_over, names)
        return found

    def _awaited_later(self, call: ast.Call, function: ast.AST, names: set[str]) -> bool:
        """`pending = db.execute(q)` ... `await pending` (or returned, or handed to gather)."""
        statement = self.ctx.model.parent_in(call, function)
        return (
            isinstance(statement, ast.Assign)
            and statement.value is call
            and any(isinstance(t, ast.Name) and t.id in names for t in statement.targets)
        )
