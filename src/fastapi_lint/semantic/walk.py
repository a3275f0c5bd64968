"""Walking one function's own code, without the functions and classes nested in it; and the
parent of every node of a module, found in one walk."""

from __future__ import annotations

import ast
from collections.abc import Iterator

_NESTED = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef})
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


def _children(node: ast.AST, fields: tuple[str, ...]) -> list[ast.AST]:
    """A node's children in reverse source order, ready to be pushed on a stack."""
    children = []
    for name in fields:
        value = getattr(node, name, None)
        if type(value) is list:
            children.extend([item for item in value if isinstance(item, ast.AST)])
        elif value is not None and isinstance(value, ast.AST):
            children.append(value)
    children.reverse()
    return children


def own_nodes(func: ast.AST) -> Iterator[ast.AST]:
    """Every node of a function's body, not descending into nested functions or classes, in
    depth-first source order. Contexts (`Load`, `Store`) and operators (`Add`, `Eq`) are left
    out: no question about code is asked of them. Lazy: for a caller that may stop early."""
    stack = list(reversed(getattr(func, "body", [])))
    while stack:
        node = stack.pop()
        yield node
        kind = type(node)
        if kind not in _NESTED:
            fields = _FIELDS.get(kind)
            stack.extend(_children(node, _fields(kind) if fields is None else fields))


def own_node_list(func: ast.AST, kinds: tuple[type, ...] | None = None) -> list[ast.AST]:
    """The nodes of `own_nodes(func)` as a list, made in one loop (a quarter faster than
    consuming the generator): for a caller that reads them all. `kinds`: only nodes of these
    types are listed (the others are walked through)."""
    found: list[ast.AST] = []
    append = found.append
    stack = list(reversed(getattr(func, "body", [])))
    pop, push, extend = stack.pop, stack.append, stack.extend
    known = _BACKWARDS.get
    while stack:
        node = pop()
        kind = type(node)
        fields = known(kind)
        if fields is None:
            if not isinstance(node, ast.AST):
                continue  # a name, number or None held where nodes are (`Global.names`, ...)
            fields = _backwards(kind)
        if kinds is None or kind in kinds:
            append(node)
        if kind in _NESTED:
            continue
        # Pushed last field first, each list's items last first, without a list per node:
        # what is not a node is popped and passed over.
        for name in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                extend(value[::-1])
            elif value is not None:
                push(value)
    return found


_CALLS_AND_ASSIGNMENTS = (ast.Call, ast.Assign)


def own_calls_and_assignments(func: ast.AST) -> list[ast.AST]:
    """The `Call` and `Assign` nodes of `own_node_list(func)`, in its order: for the facts of
    every sync function, which ask of no other node."""
    return own_node_list(func, _CALLS_AND_ASSIGNMENTS)


_BACKWARDS: dict[type, tuple[str, ...]] = {ast.Constant: ()}


def _backwards(node_type: type) -> tuple[str, ...]:
    """`_fields(node_type)`, last first."""
    found = _BACKWARDS[node_type] = _fields(node_type)[::-1]
    return found


def parent_map(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    """Node -> its parent, for every node of `tree` but contexts and operators (see `own_nodes`);
    one walk through the same field tables (`ast.iter_child_nodes` costs three times as much)."""
    parents: dict[ast.AST, ast.AST] = {}
    stack = [tree]
    pop, push = stack.pop, stack.append
    known = _FIELDS.get
    while stack:
        node = pop()
        kind = type(node)
        fields = known(kind)
        if fields is None:
            fields = _fields(kind)
        for name in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        parents[item] = node
                        push(item)
            elif value is not None and isinstance(value, ast.AST):
                parents[value] = node
                push(value)
    return parents


def own_parents(scope: ast.AST, own: list[ast.AST]) -> dict[ast.AST, ast.AST]:
    """Node -> its parent for `own`, the nodes of `own_node_list(scope)`: the same links as
    `parent_map` gives them, made from the scope's list instead of a walk of the file."""
    parents: dict[ast.AST, ast.AST] = dict.fromkeys(scope.body, scope)
    known = _FIELDS.get
    for node in own:
        kind = type(node)
        if kind in _NESTED:
            continue  # its children are not the scope's own nodes
        fields = known(kind)
        if fields is None:
            fields = _fields(kind)
        for name in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        parents[item] = node
            elif value is not None and isinstance(value, ast.AST):
                parents[value] = node
    return parents


def string_constants(tree: ast.AST) -> list[ast.Constant]:
    """The `str` constants of `tree` outside f-strings (a JoinedStr is not entered), in no set
    order: the strings a file's quote style is read from. Half the cost of a parent map."""
    found: list[ast.Constant] = []
    append = found.append
    stack = [tree]
    pop, push, extend = stack.pop, stack.append, stack.extend
    known = _FIELDS.get
    constant, joined = ast.Constant, ast.JoinedStr
    while stack:
        node = pop()
        kind = type(node)
        if kind is constant:
            if type(node.value) is str:
                append(node)
            continue
        if kind is joined:
            continue
        fields = known(kind)
        if fields is None:
            if not isinstance(node, ast.AST):
                continue  # a name, number or None held where nodes are
            fields = _fields(kind)
        for name in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                extend(value)
            elif value is not None:
                push(value)
    return found
