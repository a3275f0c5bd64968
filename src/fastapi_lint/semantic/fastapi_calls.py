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
from typing import TYPE_CHECKING

from fastapi_lint.semantic.model import parameters

if TYPE_CHECKING:
    from fastapi_lint.semantic.file import SemanticFile

DEPENDS = frozenset({"fastapi.Depends", "fastapi.Security", "fastapi.params.Depends"})
REQUEST_MARKERS = DEPENDS | frozenset(
    f"fastapi.{name}" for name in ("Query", "Path", "Body", "Header", "Cookie", "Form", "File")
)


def called_by_fastapi(file: SemanticFile, func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    if file.route(func) is not None or func.name in file.dependency_providers():
        return True
    if func.name == "__init__" and _owner(file, func) in file.dependency_providers():
        return True  # a class dependency: `Depends(Pagination)` calls its `__init__`
    for arg, default in parameters(func):
        for part in (default, arg.annotation):
            if part is not None and calls_one_of(file, part, REQUEST_MARKERS):
                return True
    return False


def _owner(file: SemanticFile, func) -> str | None:
    """The name of the class whose body holds `func` (it may be on the scopes or not yet)."""
    scopes = file.scopes[:-1] if file.scopes and file.scopes[-1] is func else file.scopes
    return scopes[-1].name if scopes and isinstance(scopes[-1], ast.ClassDef) else None


def calls_one_of(file: SemanticFile, node: ast.expr, functions: frozenset[str]) -> bool:
    """Whether `node` (a default or an annotation) holds a call to one of `functions`.

    Asked for every parameter default of a function with a finding: a plain stack of nodes,
    a quarter of what `ast.walk`'s generators cost on a small default like `[]`."""
    stack: list[ast.AST] = [node]
    while stack:
        child = stack.pop()
        if isinstance(child, ast.Call) and file.resolve(child.func) in functions:
            return True
        for name in child._fields:
            value = getattr(child, name, None)
            if type(value) is list:
                stack.extend([item for item in value if isinstance(item, ast.AST)])
            elif isinstance(value, ast.AST):
                stack.append(value)
    return False


def dependency_providers(tree: ast.Module, text: str, resolve) -> frozenset[str]:
    """Names given to `Depends(name)` / `Security(name)` in a module (asked once per file,
    through `SemanticFile.dependency_providers`)."""
    if "Depends" not in text and "Security" not in text:
        return frozenset()  # no call can name a provider
    return frozenset(
        node.args[0].id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and node.args
        and isinstance(node.args[0], ast.Name)
        and resolve(node.func) in DEPENDS
    )
