"""A script's `async def main()` run with `asyncio.run(main())`: FAL201 does not check it by
default, since blocking there stalls nothing else."""

from __future__ import annotations

import ast

from fastapi_lint.rules.base import FileContext

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def script_entry_points(ctx: FileContext) -> frozenset[ast.AST]:
    """`async def`s that their module runs with `asyncio.run(main())` (or through a decorator
    that does, like click's usual `@coro`) and that are not routes: a script's or a CLI
    command's `main`, where blocking stalls nothing else."""
    if ".run(" not in ctx.text and "import run" not in ctx.text:
        return frozenset()  # no `asyncio.run(...)`: the walk below is not needed
    if not ctx.imports_module("asyncio"):
        return frozenset()  # nothing here can name `asyncio.run`
    run_names: set[str] = set()
    functions = []
    for node in ast.walk(ctx.tree):
        if isinstance(node, _FUNCTIONS):
            functions.append(node)
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Call)
            and isinstance(node.args[0].func, ast.Name)
            and ctx.resolve(node.func) == "asyncio.run"
        ):
            run_names.add(node.args[0].func.id)
    if not run_names:
        return frozenset()
    # `def coro(f): ... asyncio.run(f(*args))`: what it decorates is run too
    runners = {f.name for f in functions if f.args.args and f.args.args[0].arg in run_names}
    entry_points = {
        function
        for function in functions
        if isinstance(function, ast.AsyncFunctionDef)
        and (
            function.name in run_names
            or any(isinstance(d, ast.Name) and d.id in runners for d in function.decorator_list)
        )
        and ctx.route(function) is None
    }
    return frozenset(entry_points | _entry_point_helpers(ctx.tree, entry_points))


def _entry_point_helpers(tree: ast.Module, entry_points: set[ast.AST]) -> set[ast.AST]:
    """Private module-level `async def _helper()`s used only by entry points (or by such
    helpers): they run in the script's loop too."""
    candidates = {
        stmt.name: stmt
        for stmt in tree.body
        if isinstance(stmt, ast.AsyncFunctionDef) and stmt.name.startswith("_")
    }
    helpers: set[ast.AST] = set()
    if not entry_points or not candidates:
        return helpers
    used_elsewhere: dict[ast.AST, set[str]] = {}  # each top-level statement: names it uses
    for stmt in tree.body:
        used_elsewhere[stmt] = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
    inside = {n.id for f in entry_points for n in ast.walk(f) if isinstance(n, ast.Name)}
    changed = True
    while changed:
        changed = False
        running = entry_points | helpers
        outside = set().union(
            *(names for stmt, names in used_elsewhere.items() if stmt not in running)
        )
        for name, function in candidates.items():
            if function not in helpers and name in inside and name not in outside:
                helpers.add(function)
                inside |= used_elsewhere[function]
                changed = True
    return helpers
