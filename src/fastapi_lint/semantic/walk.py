"""Walking one function's own code, without the functions and classes nested in it."""

from __future__ import annotations

import ast
from collections.abc import Iterator

_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
# Fields that hold no node anyone asks for: load/store contexts, operator tokens, and names or
# numbers. Skipping them (and every field of a Constant) makes the walk half the work.
_SKIPPED = frozenset(
    {"ctx", "op", "ops", "id", "attr", "arg", "name", "module", "level", "kind", "type_comment"}
)
_FIELDS: dict[type, tuple[str, ...]] = {ast.Constant: ()}


def _fields(node_type: type) -> tuple[str, ...]:
    found = _FIELDS.get(node_type)
    if found is None:
        found = _FIELDS[node_type] = tuple(f for f in node_type._fields if f not in _SKIPPED)
    return found


def own_nodes(func: ast.AST) -> Iterator[ast.AST]:
    """Every node of a function's body, not descending into nested functions or classes, in
    depth-first source order. Contexts (`Load`, `Store`) and operators (`Add`, `Eq`) are left
    out: no question about code is asked of them."""
    stack = list(reversed(getattr(func, "body", [])))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _NESTED):
            continue
        children = []
        for name in _FIELDS.get(type(node)) or _fields(type(node)):
            value = getattr(node, name, None)
            if type(value) is list:
                children.extend(item for item in value if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST):
                children.append(value)
        children.reverse()
        stack.extend(children)
