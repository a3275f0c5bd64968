"""Which names of a function hold ORM instances loaded through a session, and how they loaded.

Computed once per function (the ORM rules share it): every binding of a name in the function's
own body (assignments, `with` targets, `for` targets, comprehension targets) in source order, and
for each value, whether it is a query result: `await db.get(M, i)`, `(await db.execute(
select(M)...)).scalars().all()`, `await db.scalars(...)`, `db.query(M).first()`, a `result`
variable read later with `.scalar_one()`, and the `select(...)` a statement variable holds. A
load remembers its model, whether it gives one instance or many, and which relationships its
loader options (`selectinload`, `joinedload`, ... also in chains, `Load(...)` objects and
helpers of the same module) load eagerly.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi_lint.semantic.index import MAPPED
from fastapi_lint.semantic.model import FUNCTIONS

if TYPE_CHECKING:
    from fastapi_lint.semantic.imports import ImportTable
    from fastapi_lint.semantic.index import ProjectIndex
    from fastapi_lint.semantic.locals import FunctionSessions
    from fastapi_lint.semantic.model import FileModel

SELECTS = frozenset(
    {"sqlalchemy.select", "sqlalchemy.future.select", "sqlalchemy.sql.select", "sqlmodel.select"}
)
# Loader options that decide how a relationship loads (eagerly, or by an explicit choice).
LOADERS = frozenset(
    {
        "selectinload",
        "joinedload",
        "subqueryload",
        "immediateload",
        "contains_eager",
        "raiseload",
        "noload",
    }
)
QUERY_METHODS = frozenset({"execute", "scalars", "scalar", "exec", "query", "stream_scalars"})
GETTERS = frozenset({"get", "get_one"})
# Methods of a result that give instances (after `scalars()`) or one instance.
SINGLE = frozenset({"first", "one", "one_or_none", "scalar_one", "scalar_one_or_none", "scalar"})
SCALAR_SINGLE = frozenset({"scalar_one", "scalar_one_or_none", "scalar"})
PASS_THROUGH = frozenset({"all", "unique", "fetchall", "scalars"})
EVERYTHING = "*"  # a wildcard option, or options the analysis cannot read


@dataclass
class Load:
    """What a query gives: instances of `model` (or rows), one or many."""

    model: str | None  # qualified mapped class; None when rows of something else
    many: bool
    instances: bool  # ORM instances (after `scalars()`), not `Row`s
    query: ast.expr  # the `select(...)` / `db.get(...)` / `db.query(...)` call
    select: ast.Call | None  # the `select(M)` call itself, when built in this function
    eager: set[str] = field(default_factory=set)  # relationship names; EVERYTHING: all

    def element(self) -> Load:
        return Load(self.model, False, self.instances, self.query, self.select, self.eager)


class OwnParents:
    """The parent of a node of a function's own body, when that parent is in its own body too
    (`get(top-level statement, default)` gives the default): the file model's parent links,
    limited to the function, without a map of its own."""

    def __init__(self, model: FileModel, own: list[ast.AST]) -> None:
        self.parent = model.parent
        self.own = set(own)

    def get(self, node: ast.AST, default: ast.AST | None = None) -> ast.AST | None:
        parent = self.parent(node)
        return parent if parent in self.own else default


# The nodes `FunctionLoads._record` binds names at (the others are passed over).
_BINDERS = frozenset(
    {
        ast.Assign,
        ast.AnnAssign,
        ast.AugAssign,
        ast.For,
        ast.AsyncFor,
        ast.With,
        ast.AsyncWith,
        ast.ListComp,
        ast.SetComp,
        ast.GeneratorExp,
        ast.DictComp,
        ast.NamedExpr,
    }
)


@dataclass
class Binding:
    name: str
    position: tuple[int, int]  # where the name starts holding the value
    value: ast.expr | None  # None: bound by something the analysis does not read
    element: bool = False  # a `for`/comprehension target: one item of `value`
    scope: ast.AST | None = None  # a comprehension: the binding holds only inside it


class FunctionLoads:
    def __init__(
        self,
        func,
        sessions: FunctionSessions,
        model: FileModel,
        imports: ImportTable,
        index: ProjectIndex,
    ) -> None:
        self.func = func
        self.sessions = sessions
        self.model = model
        self.resolve = imports.resolve
        self.index = index
        own = model.own_nodes(func)  # walked once per file, shared with other rules
        self.parents = OwnParents(model, own)
        self.bindings: dict[str, list[Binding]] = {}
        for node in own:
            if type(node) in _BINDERS:
                self._record(node)
        for found in self.bindings.values():
            found.sort(key=lambda binding: binding.position)
        self._loads: dict[int, Load | None] = {}
        self._loaders: dict[tuple[int, int], frozenset[str]] = {}

    # -- bindings ------------------------------------------------------------------------------
    def _bind(self, target, position, value, element=False, scope=None) -> None:
        if isinstance(target, ast.Name):
            self.bindings.setdefault(target.id, []).append(
                Binding(target.id, position, value, element, scope)
            )
        elif isinstance(target, (ast.Tuple, ast.List)):
            for item in target.elts:  # unpacking: values the analysis does not follow
                self._bind(item, position, None, scope=scope)

    def _record(self, node: ast.AST) -> None:
        end = (getattr(node, "end_lineno", 0), getattr(node, "end_col_offset", 0))
        if isinstance(node, ast.Assign):
            for target in node.targets:
                self._bind(target, end, node.value)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
            self._bind(node.target, end, node.value if isinstance(node, ast.AnnAssign) else None)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            start = (node.iter.end_lineno, node.iter.end_col_offset)
            self._bind(node.target, start, node.iter, element=True)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    self._bind(item.optional_vars, end, None)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            for generator in node.generators:
                self._bind(generator.target, (0, 0), generator.iter, element=True, scope=node)
        elif isinstance(node, ast.NamedExpr):
            self._bind(node.target, end, node.value)

    def binding_at(self, name: str, node: ast.AST) -> Binding | None:
        """The binding of `name` that a use at `node` sees (the last one before it)."""
        position = (node.lineno, node.col_offset)
        found = None
        for binding in self.bindings.get(name, ()):
            if binding.scope is not None:
                if self.inside(node, binding.scope):
                    return binding
                continue
            if binding.position <= position:
                found = binding
        return found

    def inside(self, node: ast.AST, outer: ast.AST) -> bool:
        while node is not None:
            if node is outer:
                return True
            node = self.parents.get(node)
        return False

    # -- loads ---------------------------------------------------------------------------------
    def load_of(self, name: str, node: ast.AST) -> Load | None:
        """The instances `name` holds at `node`, when a query loaded them."""
        binding = self.binding_at(name, node)
        if binding is None or binding.value is None:
            return None
        load = self.load(binding.value, 0)
        if load is None:
            return None
        if binding.element:
            return load.element() if load.many else None
        return load

    def load(self, value: ast.expr, depth: int) -> Load | None:
        key = id(value)
        if key not in self._loads:
            self._loads[key] = None  # a cycle answers "no load"
            self._loads[key] = self._compute(value, depth)
        return self._loads[key]

    def _compute(self, value: ast.expr, depth: int) -> Load | None:
        if depth > 6:
            return None
        if isinstance(value, ast.Await):
            return self.load(value.value, depth + 1)
        if isinstance(value, ast.Name):
            binding = self.binding_at(value.id, value)
            if binding is None or binding.value is None or binding.element:
                return None
            return self.load(binding.value, depth + 1)
        if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Attribute):
            return None
        method, receiver = value.func.attr, value.func.value
        if self.sessions.kind(receiver) is not None:
            return self._session_call(value, method, depth)
        inner = self.load(receiver, depth + 1)
        if inner is None:
            return self._query_chain(value, depth)
        if method in PASS_THROUGH:
            instances = inner.instances or method == "scalars"
            return Load(inner.model, True, instances, inner.query, inner.select, inner.eager)
        if method in SINGLE:
            instances = inner.instances or method in SCALAR_SINGLE
            return Load(inner.model, False, instances, inner.query, inner.select, inner.eager)
        return None

    def _session_call(self, call: ast.Call, method: str, depth: int) -> Load | None:
        if method in GETTERS and call.args:
            model = self._mapped(call.args[0])
            eager: set[str] = set()
            for keyword in call.keywords:
                if keyword.arg == "options":
                    eager |= self.loader_attributes(keyword.value, 0)
            return Load(model, False, True, call, None, eager)
        if method not in QUERY_METHODS or not call.args:
            return None
        if method == "query":  # the legacy Query: `db.query(M)` gives instances of M
            return Load(self._mapped(call.args[0]), True, True, call, None, set())
        statement = self.statement(call.args[0], depth + 1)
        if statement is None:
            return None
        select, eager = statement
        model = self._mapped(select.args[0]) if select.args else None
        instances = method in ("scalars", "scalar", "exec", "stream_scalars")
        return Load(model, method != "scalar", instances, call, select, eager)

    def _query_chain(self, call: ast.Call, depth: int) -> Load | None:
        """`db.query(M).filter(...).options(...).all()`: the legacy Query's methods."""
        root = call
        eager: set[str] = set()
        while isinstance(root, ast.Call) and isinstance(root.func, ast.Attribute):
            if root.func.attr == "options":
                eager |= self._options(root, 0)
            if root.func.attr == "query" and self.sessions.kind(root.func.value) is not None:
                model = self._mapped(root.args[0]) if root.args else None
                many = call.func.attr not in SINGLE
                return Load(model, many, True, root, None, eager)
            root = root.func.value
        return None

    def statement(self, value: ast.expr, depth: int) -> tuple[ast.Call, set[str]] | None:
        """The `select(...)` a statement expression (or variable) is built from, and the
        relationships its options load eagerly."""
        eager: set[str] = set()
        node = value
        while depth < 8:
            if isinstance(node, ast.Call) and self.resolve(node.func) in SELECTS:
                return node, eager
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr == "options":
                    eager |= self._options(node, 0)
                node = node.func.value
            elif isinstance(node, ast.Name):
                binding = self.binding_at(node.id, node)
                if binding is None or binding.value is None or binding.element:
                    return None
                node = binding.value
                depth += 1
            else:
                return None
        return None

    def _options(self, call: ast.Call, depth: int) -> set[str]:
        eager: set[str] = set()
        for argument in [*call.args, *(keyword.value for keyword in call.keywords)]:
            eager |= self.loader_attributes(argument, depth)
        return eager

    def loader_attributes(self, node: ast.expr, depth: int) -> set[str]:
        """Relationship names that loader options in `node` name; EVERYTHING when the options
        cannot be read (a helper from another module, a wildcard). Each expression (and each
        helper's body) is read once per function, however many queries use it."""
        key = (id(node), depth)
        found = self._loaders.get(key)
        if found is None:
            found = self._loaders[key] = frozenset(self._loader_attributes(node, depth))
        return set(found)

    def _loader_attributes(self, node: ast.expr, depth: int) -> set[str]:
        if depth > 4:
            return {EVERYTHING}
        found: set[str] = set()
        readable = False
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call):
                name = self._loader_name(inner.func)
                if name is not None:
                    readable = True
                    found |= {self._attribute_name(argument) for argument in inner.args}
                elif not self._is_loader_chain_base(inner):
                    helper = self._helper(inner.func)
                    if helper is None:
                        return {EVERYTHING}
                    found |= self.loader_attributes(helper, depth + 1)
                    readable = True
            elif isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Load):
                if self.resolve(inner) in _LOADER_QUALIFIED or inner.id in ("Load", "self"):
                    continue
                value = self._value_of(inner)
                if value is not None:
                    found |= self.loader_attributes(value, depth + 1)
                    readable = True
        if not readable:
            return {EVERYTHING}
        return found

    def _loader_name(self, function: ast.expr) -> str | None:
        if isinstance(function, ast.Attribute) and function.attr in LOADERS:
            return function.attr  # `Load(M).selectinload(...)`, `x.selectinload(...)` chains
        qualified = self.resolve(function) or ""
        head, _, name = qualified.rpartition(".")
        if name in LOADERS and head.startswith("sqlalchemy"):
            return name
        return None

    def _is_loader_chain_base(self, call: ast.Call) -> bool:
        """`Load(M)`, `defaultload(M.a)`, `M.a.and_(...)`, `M.a.of_type(...)`: part of an
        option, loading nothing by themselves."""
        qualified = self.resolve(call.func) or ""
        if qualified in _LOADER_QUALIFIED:
            return True
        return isinstance(call.func, ast.Attribute) and call.func.attr in (
            "and_",
            "of_type",
            "defaultload",
            "options",
            "lazyload",
            "defer",
            "undefer",
            "load_only",
        )

    def _attribute_name(self, argument: ast.expr) -> str:
        while (
            isinstance(argument, ast.Call)
            and isinstance(argument.func, ast.Attribute)
            and argument.func.attr in ("and_", "of_type")
        ):
            argument = argument.func.value
        if isinstance(argument, ast.Attribute):
            return argument.attr
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            return argument.value
        return EVERYTHING

    def _helper(self, function: ast.expr) -> ast.AST | None:
        """A function or method of this module that builds options: its body."""
        if isinstance(function, ast.Name):
            for stmt in self.model.tree.body:
                if isinstance(stmt, FUNCTIONS) and stmt.name == function.id:
                    return stmt
        if (
            isinstance(function, ast.Attribute)
            and isinstance(function.value, ast.Name)
            and function.value.id in ("self", "cls")
        ):
            # the class around this function (not the walk's position: rules ask from inside)
            owner = self.model.enclosing_scope(self.func)
            for stmt in owner.body if isinstance(owner, ast.ClassDef) else ():
                if isinstance(stmt, FUNCTIONS) and stmt.name == function.attr:
                    return stmt
        return None

    def _value_of(self, name: ast.Name) -> ast.expr | None:
        """What a name in options holds: a local, or a module-level assignment."""
        binding = self.binding_at(name.id, name)
        if binding is not None:
            return binding.value
        for stmt in self.model.tree.body:
            if isinstance(stmt, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == name.id for target in stmt.targets
            ):
                return stmt.value
        return None

    def _mapped(self, node: ast.expr) -> str | None:
        qualified = self.resolve(node)
        if qualified and MAPPED in self.index.class_kinds(qualified):
            return qualified
        return None


_LOADER_QUALIFIED = frozenset(
    {"sqlalchemy.orm.Load", "sqlalchemy.orm.defaultload", "sqlalchemy.orm.strategy_options.Load"}
)
