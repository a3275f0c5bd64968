"""Is this function a FastAPI route handler?

A route is a function decorated with `X.get(...)`, `X.post(...)`, ... `X.api_route(...)` or
`X.websocket(...)` where `X` holds a `FastAPI()` or `APIRouter()` (or an instance of a subclass),
bound in this function's enclosing functions, in this module or in another module of the project;
or a function given to `X.add_api_route(path, func)`. When `X` cannot be resolved (it comes from
outside the project), the decorator counts only if the module imports fastapi and the first
argument is a string literal path. Never the receiver's name: real applications use hundreds.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from fastapi_lint.semantic import index as kinds

HTTP_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "trace", "api_route"}
)
ROUTE_METHODS = HTTP_METHODS | {"websocket"}
ROUTERS = frozenset({kinds.APP, kinds.ROUTER})


@dataclass(frozen=True)
class Route:
    decorator: ast.Call | None  # None for add_api_route endpoints
    method: str

    @property
    def is_http(self) -> bool:
        return self.method in HTTP_METHODS


def route_of(ctx, func: ast.FunctionDef | ast.AsyncFunctionDef) -> Route | None:
    for decorator in func.decorator_list:
        if not (
            isinstance(decorator, ast.Call)
            and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr in ROUTE_METHODS
        ):
            continue
        known = is_router(ctx, decorator.func.value)
        if known is True or (known is None and _fallback(ctx, decorator)):
            return Route(decorator, decorator.func.attr)
    if func.name in ctx.facts.endpoints and not any(
        isinstance(scope, ast.ClassDef) for scope in ctx.scopes
    ):
        return Route(None, "api_route")
    return None


def _fallback(ctx, decorator: ast.Call) -> bool:
    first = decorator.args[0] if decorator.args else None
    for keyword in decorator.keywords:
        if keyword.arg == "path":
            first = keyword.value
    return ctx.imports_fastapi and isinstance(first, ast.Constant) and isinstance(first.value, str)


def is_router(ctx, receiver: ast.expr) -> bool | None:
    """True: a FastAPI app or router; False: known to be something else; None: unknown."""
    if isinstance(receiver, ast.Name):
        for scope in reversed(ctx.scopes):
            if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
                local = _local_value(ctx, scope, receiver.id)
                if local is not None:
                    return local
    qualified = ctx.resolve(receiver)
    if qualified is None:
        return None
    found = ctx.index.value_callee(qualified)
    if found is None:
        return None  # imported from outside the project, or not a plain assignment
    _, callee = found
    return bool(ctx.index.class_kinds(callee) & ROUTERS)


def _local_value(ctx, func, name: str) -> bool | None:
    """A router made or received inside an enclosing function (an app factory)."""
    for arg in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]:
        if arg.arg == name and arg.annotation is not None:
            return bool(ctx.index.class_kinds(ctx.resolve(arg.annotation)) & ROUTERS)
    for stmt in ast.walk(func):
        if (
            isinstance(stmt, ast.Assign)
            and isinstance(stmt.value, ast.Call)
            and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets)
        ):
            return bool(ctx.index.class_kinds(ctx.resolve(stmt.value.func)) & ROUTERS)
    return None
