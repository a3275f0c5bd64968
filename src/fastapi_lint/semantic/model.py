"""The semantic model of one file, computed once and shared by the facts extraction and every rule.

Rules ask it instead of re-walking function bodies: a function's own nodes (its body, without the
functions and classes nested in it), each node's parent, the names each scope binds and what to,
and per-function summaries (what is awaited, which calls are made). Everything is computed on
first request, once per file, so a rule's cost stays linear in the size of the file however many
findings it has.
"""

from __future__ import annotations

import ast

from fastapi_lint.semantic.walk import own_node_list, own_parents, parent_map

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def parameters(func: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[tuple]:
    """(arg, default or None) for every parameter, in order; the one place they are paired."""
    args = func.args
    positional = [*args.posonlyargs, *args.args]
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = list(zip(positional, defaults, strict=True))
    pairs += list(zip(args.kwonlyargs, args.kw_defaults, strict=True))
    if args.vararg:
        pairs.append((args.vararg, None))
    if args.kwarg:
        pairs.append((args.kwarg, None))
    return pairs


class Binding:
    """One place a scope binds a name: an assignment, a parameter, an import, a `with ... as`,
    a loop target. `value` is the assigned expression when there is one."""

    __slots__ = ("annotation", "kind", "name", "node", "value")

    def __init__(
        self,
        name: str,
        kind: str,
        node: ast.AST,
        value: ast.expr | None = None,
        annotation: ast.expr | None = None,
    ) -> None:
        self.name = name
        self.kind = kind  # "assign", "annotated", "augmented", "parameter", "with", "for", "import"
        self.node = node
        self.value = value
        self.annotation = annotation

    def __repr__(self) -> str:
        return f"Binding({self.name!r}, {self.kind!r}, line {getattr(self.node, 'lineno', '?')})"


class FunctionSummary:
    """What one function's own body does, gathered in one pass over it."""

    __slots__ = ("awaited", "calls", "nodes", "returns")

    def __init__(self, nodes: list[ast.AST]) -> None:
        self.nodes = nodes  # its own nodes, in walk order
        self.awaited: set[ast.AST] = set()  # expressions directly under `await`
        self.calls: list[ast.Call] = []
        self.returns: list[ast.Return] = []
        for node in nodes:
            kind = type(node)
            if kind is ast.Call:
                self.calls.append(node)
            elif kind is ast.Await:
                self.awaited.add(node.value)
            elif kind is ast.Return:
                self.returns.append(node)


class FileModel:
    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self._own: dict[ast.AST, list[ast.AST]] = {}
        self._summaries: dict[ast.AST, FunctionSummary] = {}
        self._parents: dict[ast.AST, ast.AST] | None = None
        self._bindings: dict[ast.AST, dict[str, list[Binding]]] = {}
        self._scope_parents: dict[ast.AST, dict[ast.AST, ast.AST]] = {}  # (`parent_in`)

    # -- walking ------------------------------------------------------------------------------
    def own_nodes(self, scope: ast.AST) -> list[ast.AST]:
        """The nodes of a function's (or class's, or module's) body, nested functions and classes
        not entered: the same nodes, in the same order, as `walk.own_nodes`, walked once."""
        found = self._own.get(scope)
        if found is None:
            found = self._own[scope] = own_node_list(scope)
        return found

    def summary(self, func: ast.AST) -> FunctionSummary:
        found = self._summaries.get(func)
        if found is None:
            found = self._summaries[func] = FunctionSummary(self.own_nodes(func))
        return found

    def is_awaited(self, node: ast.AST, func: ast.AST) -> bool:
        """Whether `node` is directly awaited (`await node`) in `func`'s own body."""
        return node in self.summary(func).awaited

    # -- parents ------------------------------------------------------------------------------
    def parent(self, node: ast.AST) -> ast.AST | None:
        """The node holding `node` (None for the module, and for contexts and operators)."""
        if self._parents is None:
            self._parents = parent_map(self.tree)
        return self._parents.get(node)

    def parented(self) -> dict[ast.AST, ast.AST]:
        """Every node of the file but the module (and contexts, operators) -> its parent."""
        if self._parents is None:
            self._parents = parent_map(self.tree)
        return self._parents

    def ancestors(self, node: ast.AST):
        """The parent chain of `node`, nearest first, up to the module."""
        current = self.parent(node)
        while current is not None:
            yield current
            current = self.parent(current)

    def enclosing_scope(self, node: ast.AST) -> ast.AST:
        """The innermost function, lambda or class whose body holds `node` (else the module)."""
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, SCOPES):
                return ancestor
        return self.tree

    # -- bindings -----------------------------------------------------------------------------
    def bindings(self, scope: ast.AST) -> dict[str, list[Binding]]:
        """Name -> every place `scope`'s own code binds it, in source order: parameters first
        (a function's), then assignments, annotated assignments, `with ... as`, loop targets,
        imports and nested `def`/`class` names."""
        found = self._bindings.get(scope)
        if found is None:
            found = self._bindings[scope] = self._collect_bindings(scope)
        return found

    def values_of(self, scope: ast.AST, name: str) -> list[ast.expr]:
        """The expressions `name` is assigned in `scope`'s own code (plain, annotated, walrus
        and `with ... as`), in source order."""
        return [
            binding.value
            for binding in self.bindings(scope).get(name, ())
            if binding.value is not None and binding.kind != "augmented"
        ]

    def _collect_bindings(self, scope: ast.AST) -> dict[str, list[Binding]]:
        found: dict[str, list[Binding]] = {}

        def bind(name: str, kind: str, node: ast.AST, value=None, annotation=None) -> None:
            found.setdefault(name, []).append(Binding(name, kind, node, value, annotation))

        if isinstance(scope, (*FUNCTIONS, ast.Lambda)):
            for arg, default in parameters(scope):
                bind(arg.arg, "parameter", arg, default, arg.annotation)
        for node in self.own_nodes(scope):
            kind = type(node)
            if kind not in _BINDERS:
                continue  # most nodes are expressions: one test, not one per binding form
            if kind is ast.Assign:
                for target in node.targets:
                    for name_node in _names(target):
                        value = node.value if name_node is target else None
                        bind(name_node.id, "assign", node, value)
            elif kind is ast.AnnAssign and isinstance(node.target, ast.Name):
                bind(node.target.id, "annotated", node, node.value, node.annotation)
            elif kind is ast.AugAssign and isinstance(node.target, ast.Name):
                bind(node.target.id, "augmented", node, node.value)
            elif kind is ast.NamedExpr:
                bind(node.target.id, "assign", node, node.value)
            elif kind in (ast.With, ast.AsyncWith):
                for item in node.items:
                    if item.optional_vars is not None:
                        for name_node in _names(item.optional_vars):
                            value = item.context_expr if name_node is item.optional_vars else None
                            bind(name_node.id, "with", node, value)
            elif kind in (ast.For, ast.AsyncFor, ast.comprehension):
                for name_node in _names(node.target):
                    bind(name_node.id, "for", node)
            elif kind in (ast.Import, ast.ImportFrom):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    if local != "*":
                        bind(local, "import", node)
            elif kind in SCOPES and kind is not ast.Lambda:
                bind(node.name, "definition", node)
        return found

    # -- declarations and plain assignments (asked by the route and async rules) --------------
    def declaration(self, scope: ast.AST, name: str) -> Binding | None:
        """Where `scope` declares `name`'s type: its parameter (annotated or not), else its
        first annotated assignment (`x: T = ...`). None when neither exists."""
        found = self.bindings(scope).get(name, ())
        for binding in found:
            if binding.kind == "parameter":
                return binding
        for binding in found:
            if binding.kind == "annotated":
                return binding
        return None

    def declared_annotation(self, scope: ast.AST, name: str) -> ast.expr | None:
        """The annotation `name` is declared with in `scope` (see `declaration`), if any."""
        declaration = self.declaration(scope, name)
        return declaration.annotation if declaration is not None else None

    def assigned_values(
        self, scope: ast.AST, name: str, *, annotated: bool = False, with_items: bool = False
    ) -> list[ast.expr]:
        """The values of `name = value` statements in `scope`'s own code, in source order (no
        walrus, no unpacking); with `annotated`, of `name: T = value` too; with `with_items`,
        of `with value as name` too."""
        values = []
        for binding in self.bindings(scope).get(name, ()):
            if binding.value is None:
                continue
            kind = binding.kind
            if (
                (kind == "assign" and type(binding.node) is ast.Assign)
                or (annotated and kind == "annotated")
                or (with_items and kind == "with")
            ):
                values.append(binding.value)
        return values

    def assignments(self, scope: ast.AST, name: str) -> list[ast.Assign]:
        """The plain `=` statements of `scope`'s own code with `name` as a whole target
        (`name = ...`, `a = name = ...`; not unpacking), in source order, each once."""
        found: list[ast.Assign] = []
        for binding in self.bindings(scope).get(name, ()):
            node = binding.node
            if type(node) is ast.Assign and binding.value is not None and node not in found:
                found.append(node)
        return found

    # -- parents within one scope (appended: asked for the few nodes that are reported) -------
    def parent_in(self, node: ast.AST, scope: ast.AST) -> ast.AST | None:
        """`parent(node)`, for a node being visited in `scope`: read from the links of
        `scope`'s own nodes (made once per scope, from the list `own_nodes` keeps) when `node`
        is one of them, so a file with one reported call does not map every node. A node of
        `scope`'s header (a decorator, a default) is asked of the file's map."""
        if self._parents is None and type(getattr(scope, "body", None)) is list:
            local = self._scope_parents.get(scope)
            if local is None:
                local = self._scope_parents[scope] = own_parents(scope, self.own_nodes(scope))
            found = local.get(node)
            if found is not None:
                return found
        return self.parent(node)


# The node types `FileModel._collect_bindings` reads a binding from.
_BINDERS = frozenset(
    {
        ast.Assign,
        ast.AnnAssign,
        ast.AugAssign,
        ast.NamedExpr,
        ast.With,
        ast.AsyncWith,
        ast.For,
        ast.AsyncFor,
        ast.comprehension,
        ast.Import,
        ast.ImportFrom,
        *SCOPES,
    }
)


def _names(target: ast.expr) -> list[ast.Name]:
    """The plain names a binding target binds (`a`, `a, b`, `[a, *b]`); attributes and
    subscripts bind none."""
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, ast.Starred):
        return _names(target.value)
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _names(element)]
    return []
