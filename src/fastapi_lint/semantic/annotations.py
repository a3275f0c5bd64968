"""Reading annotations: the one place that unwraps `Optional[X]`, `Union[X, Y]`, `X | None`,
`Annotated[X, ...]` and string annotations (`"X"`) down to the types they name."""

from __future__ import annotations

import ast
from collections.abc import Callable

from fastapi_lint.semantic.index import parse_expression

Resolve = Callable[[ast.AST], str | None]


def annotation_expression(node: ast.expr) -> ast.expr | None:
    """The annotation as an expression: a string annotation parsed, `None` (or any other
    constant, or a string that does not parse) as None."""
    if isinstance(node, ast.Constant):
        return parse_expression(node.value) if isinstance(node.value, str) else None
    return node


def union_members(node: ast.expr) -> list[ast.expr] | None:
    """`X | Y`: [X, Y]; None for anything else."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return [node.left, node.right]
    return None


def subscript_parts(node: ast.expr, resolve: Resolve) -> tuple[str | None, list[ast.expr]] | None:
    """`W[A, B]`: (the qualified name of W, [A, B]); None when `node` is not subscripted."""
    if not isinstance(node, ast.Subscript):
        return None
    items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    return resolve(node.value), items


def declared_classes(resolve: Resolve, annotation: ast.expr) -> list[str]:
    """The qualified classes an annotation may denote, wrappers removed: `Optional[X]`,
    `X | None`, `Union[X, Y]`, `Annotated[X, ...]` and `"X"`."""
    node = annotation_expression(annotation)
    if node is None:
        return []
    members = union_members(node)
    if members is not None:
        return [found for member in members for found in declared_classes(resolve, member)]
    parts = subscript_parts(node, resolve)
    if parts is not None:
        origin, items = parts
        if origin in ("typing.Optional", "typing.Annotated"):
            return declared_classes(resolve, items[0])
        if origin == "typing.Union":
            return [found for item in items for found in declared_classes(resolve, item)]
    qualified = resolve(node)
    return [qualified] if qualified else []
