"""What the FAL2xx rules share: the `async def` being visited, where a call stands in it, and
the edits that add `await` before a call."""

from __future__ import annotations

import ast

from fastapi_lint.diagnostics import Edit
from fastapi_lint.rules.base import FileContext

# Callers that take a coroutine and await it (or schedule it): handing one over is fine.
AWAITABLE_TAKERS = frozenset(
    {
        "asyncio.gather",
        "asyncio.create_task",
        "asyncio.ensure_future",
        "asyncio.wait_for",
        "asyncio.shield",
        "asyncio.wait",
        "asyncio.as_completed",
        "asyncio.run",
        "anyio.create_task_group",
    }
)


def may_hold_async_def(ctx: FileContext) -> bool:
    """Whether the file can hold an `async def` (a gate for rules that report only inside one:
    `Rule.applies_to`). The keyword is always spelled so: a name NFKC-normalized to it is a
    syntax error there. Asked once per file, whichever of the five rules asks."""
    return ctx.memo(may_hold_async_def, lambda: "async" in ctx.text)


def async_function(ctx: FileContext) -> ast.AsyncFunctionDef | None:
    """The `async def` whose own body is being visited (None in a nested def, lambda, class)."""
    innermost = ctx.scopes[-1] if ctx.scopes else None
    return innermost if isinstance(innermost, ast.AsyncFunctionDef) else None


class CallPosition:
    """Where a call stands, read from its parent in the file's model: a whole expression
    statement, the context expression of a `with`, or `tight` (the value of `.x`, `[i]` or
    `(...)`, so it needs parentheses once `await` is added). Asked only for calls that are
    reported, so most files never build the parent links."""

    __slots__ = ("awaited", "statement", "tight", "with_item")

    def __init__(self, ctx: FileContext, call: ast.Call, scope: ast.AST) -> None:
        """`scope`: the function being visited, whose own code holds `call` (or its header)."""
        parent = ctx.model.parent_in(call, scope)
        kind = type(parent)
        self.awaited = kind is ast.Await  # `await call`, in the body or in a def's header
        self.statement = kind is ast.Expr
        self.with_item = kind is ast.withitem
        self.tight = (kind in (ast.Attribute, ast.Subscript) and parent.value is call) or (
            kind is ast.Call and parent.func is call
        )


def await_edits(ctx: FileContext, call: ast.Call, prefix: str, tight: bool) -> list[Edit]:
    """Edits that put `prefix` (e.g. `await `) before a call, parenthesised where needed."""
    start, end = ctx.lines.node_range(call)
    if tight:
        return [Edit(start, start, f"({prefix}"), Edit(end, end, ")")]
    return [Edit(start, start, prefix)]


def with_note(message: str, note: str | None) -> str:
    """A message with the session's wrong annotation noted after it, when there is one."""
    return f"{message} ({note})" if note else message
