"""Where a function loads an instance's attributes itself: `await db.refresh(obj, [names])` and
`await obj.awaitable_attrs.x` (FAL205, FAL206), found once per function."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from fastapi_lint.rules.orm_loading.function_loads import function_loads
from fastapi_lint.semantic.loads import EVERYTHING

AWAITABLE_ATTRS = "awaitable_attrs"
ALL = None  # a refresh without attribute names: every column attribute


@dataclass(frozen=True)
class Mark:
    """`await db.refresh(obj, [names])`, `await obj.awaitable_attrs.x`: loaded from here on."""

    name: str
    attributes: frozenset[str] | None  # ALL: `refresh(obj)` without names
    position: tuple[int, int]
    session: str  # source of the session that refreshed ("" for awaitable_attrs)


def function_marks(ctx, func) -> list[Mark]:
    """The marks of one function, found once whichever of FAL205/FAL206 asks first."""
    return ctx.memo((Mark, func), lambda: _find_marks(ctx, func))


def _find_marks(ctx, func) -> list[Mark]:
    found = []
    for node in ctx.model.own_nodes(func):
        if (
            isinstance(node, ast.Attribute)
            and node.attr == AWAITABLE_ATTRS
            and isinstance(node.value, ast.Name)
        ):
            parent_attr = _parent_attribute(ctx, func, node)
            if parent_attr is not None:
                found.append(Mark(node.value.id, frozenset({parent_attr}), end_of(node), ""))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "refresh"
            and node.args
            and isinstance(node.args[0], ast.Name)
        ):
            names = node.args[1] if len(node.args) > 1 else None
            for keyword in node.keywords:
                if keyword.arg == "attribute_names":
                    names = keyword.value
            attributes = ALL if names is None else _string_items(names)
            session = ast.unparse(node.func.value)
            found.append(Mark(node.args[0].id, attributes, end_of(node), session))
    return found


def _parent_attribute(ctx, func, node: ast.Attribute) -> str | None:
    """`obj.awaitable_attrs.x`: the `x`."""
    parent = function_loads(ctx, func).parents.get(node)
    return parent.attr if isinstance(parent, ast.Attribute) else None


def _string_items(node: ast.expr) -> frozenset[str]:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return frozenset(
            item.value
            for item in node.elts
            if isinstance(item, ast.Constant) and isinstance(item.value, str)
        )
    return frozenset({EVERYTHING})  # names the analysis cannot read: assume they cover it


def end_of(node: ast.AST) -> tuple[int, int]:
    return (node.end_lineno, node.end_col_offset)


def start_of(node: ast.AST) -> tuple[int, int]:
    return (node.lineno, node.col_offset)


def loaded_between(marks, name: str, attribute: str, start, end, all_counts: bool) -> bool:
    for mark in marks:
        if mark.name != name or not (start <= mark.position <= end):
            continue
        if mark.attributes is ALL:
            if all_counts:
                return True
        elif attribute in mark.attributes or EVERYTHING in mark.attributes:
            return True
    return False
