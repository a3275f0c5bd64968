"""Names inside one function: which hold a session, and what its parameters are annotated as.

Computed once per function (rules share it through the file context) from the parameters and
the bindings the file's model records for the function's own body (`with`/`async with` targets,
plain and annotated assignments), and, for a method, the `self.<attr>` that `__init__` assigns
from a session parameter (read once per class). Session factories
held in a name (`factory: async_sessionmaker[AsyncSession]`, `self.factory`) are followed into
`async with factory() as session`.
"""

from __future__ import annotations

import ast

from fastapi_lint.semantic.model import FileModel, parameters
from fastapi_lint.semantic.sessions import SessionFacts, SessionKind

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


class FunctionSessions:
    """Which names (and `self.<attr>`s) hold a database session inside one function."""

    def __init__(
        self,
        sessions: SessionFacts,
        func: ast.FunctionDef | ast.AsyncFunctionDef,
        class_node: ast.ClassDef | None,
        fallback_names: frozenset[str],
        model: FileModel | None = None,
        classes: dict[ast.ClassDef, tuple[dict, dict]] | None = None,
    ) -> None:
        """`model`: the file's model (its bindings are asked instead of walking the body);
        `classes`: a per-file cache of what each class's `__init__` stores on `self`, so
        its methods do not read it again each."""
        self.sessions = sessions
        self.names: dict[str, SessionKind] = {}
        self.attributes: dict[str, SessionKind] = {}
        self.factories: dict[str, SessionKind] = {}  # names whose call makes a session
        self.attribute_factories: dict[str, SessionKind] = {}  # `self.<attr>` ones
        self.declared: dict[str, SessionKind] = {}  # annotations the dependency contradicts
        self.not_sessions: set[str] = set()
        if model is None:
            model = FileModel(ast.Module(body=[], type_ignores=[]))
        self._parameters(func, fallback_names)
        if class_node is not None:  # before the body: `async with self.factory() as s`
            found = classes.get(class_node) if classes is not None else None
            if found is None:
                found = self._instance_attributes(class_node, fallback_names, model)
                if classes is not None:
                    classes[class_node] = found
            self.attributes.update(found[0])
            self.attribute_factories.update(found[1])
        self._body(func, model)

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

    def _body(self, func, model: FileModel) -> None:
        # Each name's bindings in source order: a later binding of a name only ever changes
        # what that name holds, so going name by name gives what one pass over the body did.
        for name, bindings in model.bindings(func).items():
            for binding in bindings:
                kind, node = binding.kind, binding.node
                if kind == "with" and binding.value is not None:
                    self._bind(name, binding.value)
                elif kind == "assign" and type(node) is ast.Assign and len(node.targets) == 1:
                    if binding.value is not None:
                        self._bind(name, binding.value)
                elif kind == "annotated":
                    declared = self.sessions.kind_of_annotation(binding.annotation)
                    if declared is not None:
                        self.names[name] = declared

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

    def _instance_attributes(
        self, class_node: ast.ClassDef, fallback: frozenset[str], model: FileModel
    ) -> tuple[dict[str, SessionKind], dict[str, SessionKind]]:
        """(`self.<attr>` -> session kind, `self.<attr>` -> kind of session its factory makes),
        from the class's annotations and what its `__init__` stores from its parameters."""
        attributes: dict[str, SessionKind] = {}
        factories: dict[str, SessionKind] = {}
        for stmt in class_node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                kind = self.sessions.kind_of_annotation(stmt.annotation)
                if kind is not None:
                    attributes[stmt.target.id] = kind
            if isinstance(stmt, FUNCTIONS) and stmt.name == "__init__":
                init_params = {
                    arg.arg: self._parameter_kind(arg, default, fallback)[0]
                    for arg, default in parameters(stmt)
                }
                init_factories = {
                    arg.arg: self.sessions.kind_of_factory_annotation(arg.annotation)
                    for arg, _ in parameters(stmt)
                }
                for node in model.own_nodes(stmt):
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
                            attributes[attribute] = init_params[source]
                        elif init_factories.get(source) is not None:
                            factories[attribute] = init_factories[source]
        return attributes, factories


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
