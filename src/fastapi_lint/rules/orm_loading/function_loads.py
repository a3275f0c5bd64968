"""The loads of one function (semantic.loads), computed once whichever ORM rule asks first."""

from __future__ import annotations

from fastapi_lint.rules.base import FileContext
from fastapi_lint.semantic.loads import FunctionLoads


def function_loads(ctx: FileContext, func) -> FunctionLoads:
    def compute() -> FunctionLoads:
        sessions = ctx.function_sessions(func)
        return FunctionLoads(func, sessions, ctx.model, ctx.imports, ctx.index)

    return ctx.memo((FunctionLoads, func), compute)
