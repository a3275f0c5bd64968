"""Does a session expire its instances on commit? Asked of the factory that made it.

SQLAlchemy's default is `expire_on_commit=True`: after `commit()` every attribute of every
instance in the session is expired and the next read loads it again, which an `AsyncSession`
cannot do implicitly. The answer follows the session back to where it was made: a call in the
function (`async with SessionLocal() as db`), a dependency (`Depends(get_db)`, also inside an
`Annotated` alias from any module), a service's `__init__` parameter, then through providers and
module-level factories (`async_sessionmaker(...)`, `sessionmaker(class_=AsyncSession)`,
`X.configure(expire_on_commit=False)`, functions that return a factory). True: expires; False:
`expire_on_commit=False` somewhere on the way; None: the factory is not known, or the code
computes the option.
"""

from __future__ import annotations

import ast

from fastapi_lint.semantic.facts import expire_option
from fastapi_lint.semantic.imports import ImportTable
from fastapi_lint.semantic.index import ProjectIndex
from fastapi_lint.semantic.model import FUNCTIONS, FileModel, parameters
from fastapi_lint.semantic.sessions import DEPENDS, FACTORIES, SESSION_TYPES, alias_expression
from fastapi_lint.semantic.walk import own_nodes

_MAX_DEPTH = 8
_WRAPPERS = frozenset({"typing.Annotated", "typing.Optional", "typing.Union"})


def expires_on_commit(
    index: ProjectIndex,
    imports: ImportTable,
    func,
    owner: ast.ClassDef | None,
    receiver,
    model: FileModel | None = None,
) -> bool | None:
    """Whether the session `receiver` (`db` or `self.db`) of `func` expires on commit.
    `model`: the file's model, whose own nodes of each function are walked once per file."""
    walk = model.own_nodes if model is not None else own_nodes
    if isinstance(receiver, ast.Name):
        for node in walk(func):
            value = _bound_value(node, receiver.id)
            if isinstance(value, ast.Await):
                value = value.value
            if isinstance(value, ast.Call):
                return _call(index, imports, value, 0)
        for arg, default in parameters(func):
            if arg.arg == receiver.id:
                return _parameter(index, imports, arg.annotation, default, 0)
        return None
    if (
        isinstance(receiver, ast.Attribute)
        and isinstance(receiver.value, ast.Name)
        and receiver.value.id == "self"
        and owner is not None
    ):
        return _instance_attribute(index, imports, owner, receiver.attr, walk)
    return None


def _bound_value(node: ast.AST, name: str) -> ast.expr | None:
    if isinstance(node, (ast.With, ast.AsyncWith)):
        for item in node.items:
            if isinstance(item.optional_vars, ast.Name) and item.optional_vars.id == name:
                return item.context_expr
    elif isinstance(node, ast.Assign) and any(
        isinstance(target, ast.Name) and target.id == name for target in node.targets
    ):
        return node.value
    return None


def _instance_attribute(
    index, imports, owner: ast.ClassDef, attribute: str, walk=own_nodes
) -> bool | None:
    """`self.db = db` in `__init__`: the parameter's session."""
    for stmt in owner.body:
        if not (isinstance(stmt, FUNCTIONS) and stmt.name == "__init__"):
            continue
        for node in walk(stmt):
            if (
                isinstance(node, ast.Assign)
                and any(
                    isinstance(t, ast.Attribute)
                    and isinstance(t.value, ast.Name)
                    and t.value.id == "self"
                    and t.attr == attribute
                    for t in node.targets
                )
                and isinstance(node.value, ast.Name)
            ):
                for arg, default in parameters(stmt):
                    if arg.arg == node.value.id:
                        return _parameter(index, imports, arg.annotation, default, 0)
    return None


def _option(source: str) -> bool | None:
    return {"True": True, "False": False}.get(source)


def _call(index, imports: ImportTable, call: ast.Call, depth: int) -> bool | None:
    """`SessionLocal(...)`, `AsyncSession(engine, expire_on_commit=False)`, `get_session()`."""
    option = expire_option(call)
    if option is not None:
        return _option(option)
    callee = imports.resolve(call.func)
    return _made_by(index, callee, depth + 1) if callee else None


def _parameter(index, imports, annotation, default, depth: int) -> bool | None:
    if default is not None:
        found = _dependency(index, imports, default, depth + 1)
        if found is not None:
            return found
    return _annotation(index, imports, annotation, depth + 1) if annotation is not None else None


def _dependency(index, imports: ImportTable, node: ast.expr, depth: int) -> bool | None:
    if not isinstance(node, ast.Call) or imports.resolve(node.func) not in DEPENDS:
        return None
    provider = node.args[0] if node.args else None
    for keyword in node.keywords:
        if keyword.arg == "dependency":
            provider = keyword.value
    qualified = imports.resolve(provider) if provider is not None else None
    return _made_by(index, qualified, depth + 1) if qualified else None


def _annotation(index, imports: ImportTable, node: ast.expr, depth: int) -> bool | None:
    """`Annotated[AsyncSession, Depends(get_db)]`, directly or through a project alias."""
    if depth > _MAX_DEPTH:
        return None
    if isinstance(node, ast.Subscript):
        if imports.resolve(node.value) not in _WRAPPERS:
            return None
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for item in items:
            found = _dependency(index, imports, item, depth + 1)
            if found is None:
                found = _annotation(index, imports, item, depth + 1)
            if found is not None:
                return found
        return None
    qualified = imports.resolve(node)
    alias = alias_expression(index, qualified) if qualified else None
    return _annotation(index, alias[0], alias[1], depth + 1) if alias is not None else None


def _made_by(index: ProjectIndex, callee: str, depth: int) -> bool | None:
    """What a call of `callee` makes: a session class, a project factory or a provider."""
    if depth > _MAX_DEPTH:
        return None
    base = callee.partition("[")[0]
    if base in SESSION_TYPES:
        return True  # made without expire_on_commit (the caller looked at the call's arguments)
    if base in FACTORIES:
        return None  # a factory called directly makes a factory, not a session
    found = index.definition(base)
    if found is not None:
        facts, name = found
        if name in facts.session_options:
            return _option(facts.session_options[name])
        maker = facts.calls.get(name)
        if maker is not None:
            if maker.partition("[")[0] in FACTORIES:
                return True
            return _made_by(index, maker, depth + 1)
    function = index.function(base)
    if function is None:
        return None
    _facts, fact = function
    if fact.expire_on_commit:
        return _option(fact.expire_on_commit)
    for provided in fact.provides:
        found_option = _made_by(index, provided, depth + 1)
        if found_option is not None:
            return found_option
    return None
