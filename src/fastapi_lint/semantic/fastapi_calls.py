"""Is this function called by FastAPI with values from the request?

Route handlers are (see routes.py), and so are dependency providers: functions (and classes,
through their `__init__`) given to `Depends(...)` / `Security(...)` in this module, or any
function that declares a parameter with FastAPI's request markers (`Query()`, `Path()`,
`Body()`, `Header()`, `Cookie()`, `Form()`, `File()`, `Depends()`, `Security()`, as a default
or inside `Annotated[...]`), which only FastAPI fills. A provider defined in another module and
declaring none of them is not recognised.
"""

from __future__ import annotations

import ast

from fastapi_lint.semantic.model import parameters

DEPENDS = frozenset({"fastapi.Depends", "fastapi.Security", "fastapi.params.Depends"})
REQUEST_MARKERS = DEPENDS | frozenset(
    f"fastapi.{name}" for name in ("Query", "Path", "Body", "Header", "Cookie", "Form", "File")
)


def called_by_fastapi(ctx, func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    if ctx.route(func) is not None or func.name in _providers(ctx):
        return True
    if func.name == "__init__" and _owner(ctx, func) in _providers(ctx):
        return True  # a class dependency: `Depends(Pagination)` calls its `__init__`
    for arg, default in parameters(func):
        for part in (default, arg.annotation):
            if part is not None and calls_one_of(ctx, part, REQUEST_MARKERS):
                return True
    return False


def _owner(ctx, func) -> str | None:
    """The name of the class whose body holds `func` (it may be on the scopes or not yet)."""
    scopes = ctx.scopes[:-1] if ctx.scopes and ctx.scopes[-1] is func else ctx.scopes
    return scopes[-1].name if scopes and isinstance(scopes[-1], ast.ClassDef) else None


def calls_one_of(ctx, node: ast.expr, functions: frozenset[str]) -> bool:
    """Whether `node` (a default or an annotation) holds a call to one of `functions`."""
    return any(
        isinstance(child, ast.Call) and ctx.resolve(child.func) in functions
        for child in ast.walk(node)
    )


def _providers(ctx) -> frozenset[str]:
    """Names given to `Depends(name)` in this module, found once per file."""
    found = getattr(ctx, "_dependency_providers", None)
    if found is None and "Depends" not in ctx.text and "Security" not in ctx.text:
        found = ctx._dependency_providers = frozenset()  # no call can name a provider
    if found is None:
        found = frozenset(
            node.args[0].id
            for node in ast.walk(ctx.tree)
            if isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Name)
            and ctx.resolve(node.func) in DEPENDS
        )
        ctx._dependency_providers = found
    return found
