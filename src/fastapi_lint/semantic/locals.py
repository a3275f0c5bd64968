"""Names inside one function: which hold a session, and what its parameters are annotated as.

Computed once per function (rules share it through the file context) from the parameters, the
`with`/`async with` targets and the plain assignments of the function's own body, and, for a
method, the `self.<attr>` that `__init__` assigns from a session parameter. Session factories
held in a name (`factory: async_sessionmaker[AsyncSession]`, `self.factory`) are followed into
`async with factory() as session`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from fastapi_lint.semantic.index import parse_expression
from fastapi_lint.semantic.model import parameters
from fastapi_lint.semantic.sessions import SessionFacts, SessionKind
from fastapi_lint.semantic.walk import own_nodes

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


class FunctionSessions:
    """Which names (and `self.<attr>`s) hold a database session inside one function."""

    def __init__(
        self,
        sessions: SessionFacts,
        func: ast.FunctionDef | ast.AsyncFunctionDef,
        class_node: ast.ClassDef | None,
        fallback_names: frozenset[str],
    ) -> None:
        self.sessions = sessions
        self.names: dict[str, SessionKind] = {}
        self.attributes: dict[str, SessionKind] = {}
        self.factories: dict[str, SessionKind] = {}  # names whose call makes a session
        self.attribute_factories: dict[str, SessionKind] = {}  # `self.<attr>` ones
        self.declared: dict[str, SessionKind] = {}  # annotations the dependency contradicts
        self.not_sessions: set[str] = set()
        self._parameters(func, fallback_names)
        if class_node is not None:  # before the body: `async with self.factory() as s`
            self._instance_attributes(class_node, fallback_names)
        self._body(func)

    def kind(self, node: ast.expr) -> SessionKind | None:
        return _look_up(node, self.names, self.attributes)

    def wrong_annotation(self, node: ast.expr) -> str | None:
        """`db: Session = Depends(get_db)` where `get_db` yields an `AsyncSession`: says so."""
        declared = self.declared.get(node.id) if isinstance(node, ast.Name) else None
        if declared is None:
            return None
        return (
            f"`{node.id}` is annotated as {_LABELS[declared]} but its dependency provides "
            f"{_LABELS[self.names[node.id]]}: the annotation is wrong"
        )

    def _parameter_kind(self, arg: ast.arg, default, fallback: frozenset[str]):
        """(the kind of session a parameter holds, the kind its annotation wrongly declares)."""
        kind = self.sessions.kind_of_annotation(arg.annotation)
        if default is not None:
            provided = self.sessions.kind_of_dependency(default)
        else:
            provided = self.sessions.kind_of_annotated_dependency(arg.annotation)
        if provided is not None and provided is not kind:
            # FastAPI passes what the provider makes, whatever the annotation says.
            return provided, kind
        if kind is None and arg.annotation is None and default is None and arg.arg in fallback:
            kind = SessionKind.UNKNOWN
        return kind, None

    def _parameters(self, func, fallback: frozenset[str]) -> None:
        for arg, default in parameters(func):
            kind, declared = self._parameter_kind(arg, default, fallback)
            if declared is not None:
                self.declared[arg.arg] = declared
            if kind is not None:
                self.names[arg.arg] = kind
            else:
                self.not_sessions.add(arg.arg)
                factory = self.sessions.kind_of_factory_annotation(arg.annotation)
                if factory is not None:
                    self.factories[arg.arg] = factory

    def _body(self, func) -> None:
        for node in own_nodes(func):
            if isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if isinstance(item.optional_vars, ast.Name):
                        self._bind(item.optional_vars.id, item.context_expr)
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    self._bind(target.id, node.value)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                kind = self.sessions.kind_of_annotation(node.annotation)
                if kind is not None:
                    self.names[node.target.id] = kind

    def _bind(self, name: str, value: ast.expr) -> None:
        if isinstance(value, ast.Await):
            value = value.value
        kind = self._made_here(value)
        if kind is None:
            kind = self.sessions.kind_of_factory_call(value)
        if kind is not None:
            self.names[name] = kind
        elif name in self.names and isinstance(value, ast.Call):
            del self.names[name]  # rebound to something else

    def _made_here(self, value: ast.expr) -> SessionKind | None:
        """`factory()` or `self.factory()`, a factory this function or its class holds."""
        if not isinstance(value, ast.Call) or value.args or value.keywords:
            return None
        return _look_up(value.func, self.factories, self.attribute_factories)

    def _instance_attributes(self, class_node: ast.ClassDef, fallback: frozenset[str]) -> None:
        for stmt in class_node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                kind = self.sessions.kind_of_annotation(stmt.annotation)
                if kind is not None:
                    self.attributes[stmt.target.id] = kind
            if isinstance(stmt, FUNCTIONS) and stmt.name == "__init__":
                init_params = {
                    arg.arg: self._parameter_kind(arg, default, fallback)[0]
                    for arg, default in parameters(stmt)
                }
                init_factories = {
                    arg.arg: self.sessions.kind_of_factory_annotation(arg.annotation)
                    for arg, _ in parameters(stmt)
                }
                for node in own_nodes(stmt):
                    if (
                        isinstance(node, ast.Assign)
                        and len(node.targets) == 1
                        and isinstance(node.targets[0], ast.Attribute)
                        and isinstance(node.targets[0].value, ast.Name)
                        and node.targets[0].value.id == "self"
                        and isinstance(node.value, ast.Name)
                    ):
                        attribute, source = node.targets[0].attr, node.value.id
                        if init_params.get(source) is not None:
                            self.attributes[attribute] = init_params[source]
                        elif init_factories.get(source) is not None:
                            self.attribute_factories[attribute] = init_factories[source]


def _look_up(node: ast.expr, names: dict, attributes: dict) -> SessionKind | None:
    """`x` in `names`, or `self.x` / `cls.x` in `attributes`."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in ("self", "cls")
    ):
        return attributes.get(node.attr)
    return None


_LABELS = {
    SessionKind.ASYNC: "an `AsyncSession`",
    SessionKind.SYNC: "a synchronous `Session`",
    SessionKind.ASYNC_CONNECTION: "an `AsyncConnection`",
    SessionKind.SYNC_CONNECTION: "a synchronous `Connection`",
    SessionKind.UNKNOWN: "a session",
}


def declared_type(func, name: str) -> ast.expr | None:
    """The annotation a local name is declared with: its parameter's, or an annotated
    assignment in the function's own body. None when the name is not declared."""
    for arg, _ in parameters(func):
        if arg.arg == name:
            return arg.annotation
    for node in own_nodes(func):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == name
        ):
            return node.annotation
    return None


def declared_classes(resolve: Callable[[ast.AST], str | None], annotation: ast.expr) -> list[str]:
    """The qualified classes an annotation may denote, wrappers removed: `Optional[X]`,
    `X | None`, `Union[X, Y]`, `Annotated[X, ...]` and `"X"`."""
    node = annotation
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, str):
            return []  # None
        node = parse_expression(node.value)
        if node is None:
            return []
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return declared_classes(resolve, node.left) + declared_classes(resolve, node.right)
    if isinstance(node, ast.Subscript):
        origin = resolve(node.value)
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if origin in ("typing.Optional", "typing.Annotated"):
            return declared_classes(resolve, items[0])
        if origin == "typing.Union":
            return [found for item in items for found in declared_classes(resolve, item)]
    qualified = resolve(node)
    return [qualified] if qualified else []
