"""What one module tells the project index: imports, classes, module-level values, functions.

Module-level values are kept as the callee of `X = Call(...)` (routers, session factories) or the
source of a type-like expression (`SessionDep = Annotated[AsyncSession, Depends(get_db)]`).
Functions are kept by what they return or yield (dependency providers such as `get_db`).

Extraction looks at statements only (module, class and function bodies), never at expressions,
so it costs a fraction of a full walk. The result is plain data that the cache stores as JSON.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from fastapi_lint.semantic.blocking import blocking_calls_in, client_made_by
from fastapi_lint.semantic.columns import class_columns
from fastapi_lint.semantic.imports import ImportTable

FACTS_FORMAT = 7  # bump when the facts change shape: cached facts of another shape are ignored

DECLARATIVE_FACTORIES = frozenset(
    {"sqlalchemy.orm.declarative_base", "sqlalchemy.orm.registry.generate_base"}
)


@dataclass
class ClassFact:
    name: str  # dotted inside the module: "User", "Outer.Config"
    bases: list[str]  # qualified names; "" where a base is not a plain name
    decorators: list[str]  # qualified names of decorators (the callee for `@dataclass(...)`)
    keywords: dict[str, str] = field(default_factory=dict)  # class keywords: {"table": "True"}
    abstract: bool = False  # `__abstract__ = True`
    methods: list[str] = field(default_factory=list)  # names of the functions it defines
    columns: dict[str, str] = field(default_factory=dict)  # JSON-like columns (see columns.py)
    mapped_annotations: dict[str, str] = field(default_factory=dict)  # Mapped[T] left to the map
    type_map: dict[str, str] = field(default_factory=dict)  # its type_annotation_map, by kind
    fields: dict[str, str] = field(default_factory=dict)  # annotated names -> annotation source

    def to_json(self) -> list:
        return [
            self.name,
            self.bases,
            self.decorators,
            self.keywords,
            self.abstract,
            self.methods,
            self.columns,
            self.mapped_annotations,
            self.type_map,
            self.fields,
        ]

    @classmethod
    def from_json(cls, data: list) -> ClassFact:
        return cls(*data)


@dataclass
class FunctionFact:
    returns: str  # the return annotation's source, "" when there is none
    provides: list[str]  # callees of what it returns or yields: `async with X() as s: yield s`
    blocking: list[str] = field(default_factory=list)  # a sync def's blocking calls (catalog)
    calls: list[str] = field(default_factory=list)  # a sync def's other non-stdlib callees

    def to_json(self) -> list:
        return [self.returns, self.provides, self.blocking, self.calls]


@dataclass
class ModuleFacts:
    module: str
    package: str
    bindings: dict[str, str] = field(default_factory=dict)
    classes: list[ClassFact] = field(default_factory=list)
    declarative_bases: list[str] = field(default_factory=list)  # `Base = declarative_base()`
    calls: dict[str, str] = field(default_factory=dict)  # `router = APIRouter()` -> callee
    aliases: dict[str, str] = field(default_factory=dict)  # `Dep = Annotated[...]` -> source
    functions: dict[str, FunctionFact] = field(default_factory=dict)
    endpoints: list[str] = field(default_factory=list)  # functions given to add_api_route
    stars: list[str] = field(default_factory=list)  # modules of `from M import *`
    exports: list[str] | None = None  # `__all__`, when it is a literal list of strings

    def defines(self, name: str) -> bool:
        return (
            name in self.calls
            or name in self.aliases
            or name in self.functions
            or name in self.declarative_bases
            or any(fact.name == name for fact in self.classes)
        )

    def imports(self) -> ImportTable:
        return ImportTable(self.module, self.package, self.bindings)

    def to_json(self) -> dict:
        return {
            "module": self.module,
            "package": self.package,
            "bindings": self.bindings,
            "classes": [fact.to_json() for fact in self.classes],
            "declarative_bases": self.declarative_bases,
            "calls": self.calls,
            "aliases": self.aliases,
            "functions": {name: fact.to_json() for name, fact in self.functions.items()},
            "endpoints": self.endpoints,
            "stars": self.stars,
            "exports": self.exports,
        }

    @classmethod
    def from_json(cls, data: dict) -> ModuleFacts:
        return cls(
            module=data["module"],
            package=data["package"],
            bindings=data["bindings"],
            classes=[ClassFact.from_json(item) for item in data["classes"]],
            declarative_bases=data["declarative_bases"],
            calls=data["calls"],
            aliases=data["aliases"],
            functions={name: FunctionFact(*item) for name, item in data["functions"].items()},
            endpoints=data["endpoints"],
            stars=data["stars"],
            exports=data["exports"],
        )


_BLOCKS = (ast.If, ast.Try, ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While)
if hasattr(ast, "TryStar"):
    _BLOCKS = (*_BLOCKS, ast.TryStar)
# Older Pythons read `type X = Y` only lowered (lowering.py), as an assignment.
_TYPE_ALIAS = getattr(ast, "TypeAlias", ())


def extract(tree: ast.Module, module: str, package: str) -> ModuleFacts:
    table = ImportTable(module, package)
    facts = ModuleFacts(module=module, package=package)
    functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    _module_body(tree.body, table, facts, functions)
    for node in functions:  # after the whole module: names defined below a function count
        facts.functions[node.name] = _function_fact(node, table)
    for node in functions:  # after every function: `client = make_client()` (same module)
        _blocking_fact(node, table, facts)
        _endpoints(node.body, table, facts)
    _endpoints(tree.body, table, facts)
    facts.bindings = table.bindings
    facts.stars = list(dict.fromkeys(table.stars))
    return facts


def _module_body(
    body: list[ast.stmt], table: ImportTable, facts: ModuleFacts, functions: list
) -> None:
    for stmt in body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            table.add_import(stmt)
        elif isinstance(stmt, ast.ClassDef):
            _class(stmt, "", table, facts)
            table.define(stmt.name)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            table.define(stmt.name)
            functions.append(stmt)
            _imports_in(stmt.body, table)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            _assignment(stmt, table, facts)
        elif isinstance(stmt, _TYPE_ALIAS):  # `type X = Y` read natively (3.12+): as `X = Y`
            facts.aliases[stmt.name.id] = ast.unparse(stmt.value)
            table.define(stmt.name.id)
        elif isinstance(stmt, _BLOCKS):
            for part in _sub_bodies(stmt):
                _module_body(part, table, facts, functions)


def _sub_bodies(stmt: ast.stmt) -> list[list[ast.stmt]]:
    parts = [getattr(stmt, name, None) for name in ("body", "orelse", "finalbody")]
    parts.extend(handler.body for handler in getattr(stmt, "handlers", ()))
    return [part for part in parts if part]


def _imports_in(body: list[ast.stmt], table: ImportTable) -> None:
    """Imports inside functions count for the whole module (a cheap, forgiving choice)."""
    for stmt in body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            # a function-level import never overrides a module-level binding
            before = dict(table.bindings)
            table.add_import(stmt)
            table.bindings.update(before)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            _imports_in(stmt.body, table)
        elif isinstance(stmt, _BLOCKS):
            for part in _sub_bodies(stmt):
                _imports_in(part, table)


def _assignment(stmt: ast.Assign | ast.AnnAssign, table: ImportTable, facts: ModuleFacts) -> None:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    names = [target.id for target in targets if isinstance(target, ast.Name)]
    value = stmt.value
    if names == ["__all__"]:
        facts.exports = _string_list(value)
    type_alias = isinstance(stmt, ast.AnnAssign) and _is_type_alias(stmt.annotation, table)
    if isinstance(value, ast.Call):
        callee = table.resolve(value.func)
        generated = (
            isinstance(value.func, ast.Attribute)
            and value.func.attr == "generate_base"
            and isinstance(value.func.value, ast.Call)
            and table.resolve(value.func.value.func) == "sqlalchemy.orm.registry"
        )
        if callee in DECLARATIVE_FACTORIES or generated:
            facts.declarative_bases.extend(names)
        elif callee:
            facts.calls.update(dict.fromkeys(names, _call_key(callee, value)))
    elif value is not None and (type_alias or isinstance(value, _TYPE_LIKE)):
        facts.aliases.update(dict.fromkeys(names, ast.unparse(value)))
    for name in names:
        table.define(name)


def _string_list(node: ast.expr | None) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple)) and all(
        isinstance(item, ast.Constant) and isinstance(item.value, str) for item in node.elts
    ):
        return [item.value for item in node.elts]
    return None


_TYPE_LIKE = (ast.Subscript, ast.Name, ast.Attribute, ast.BinOp)


def _is_type_alias(annotation: ast.expr, table: ImportTable) -> bool:
    return table.resolve(annotation) in ("typing.TypeAlias", "typing_extensions.TypeAlias")


# `get_db_cm = contextmanager(get_db)`: what the wrapped function provides, the wrapper provides.
CONTEXT_MANAGER_WRAPPERS = frozenset(
    {"contextlib.contextmanager", "contextlib.asynccontextmanager"}
)


def _call_key(callee: str, call: ast.Call) -> str:
    """The callee, marked when `sessionmaker(class_=AsyncSession)` makes async sessions, or
    with the function that `contextmanager(get_db)` wraps."""
    if callee in CONTEXT_MANAGER_WRAPPERS and len(call.args) == 1:
        return f"{callee}[{ast.unparse(call.args[0])}]"
    for keyword in call.keywords:
        if keyword.arg == "class_":
            return f"{callee}[{ast.unparse(keyword.value)}]"
    return callee


def _function_fact(
    node: ast.FunctionDef | ast.AsyncFunctionDef, table: ImportTable
) -> FunctionFact:
    returns = ast.unparse(node.returns) if node.returns is not None else ""
    bound: dict[str, str] = {}
    given: list[str] = []
    provides: list[str] = []
    for stmt in _statements(node.body):
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                target, call = item.optional_vars, item.context_expr
                if isinstance(target, ast.Name) and isinstance(call, ast.Call):
                    callee = table.resolve(call.func)
                    if callee:
                        bound[target.id] = _call_key(callee, call)
        elif isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
            callee = table.resolve(stmt.value.func)
            for target in stmt.targets:
                if isinstance(target, ast.Name) and callee:
                    bound[target.id] = _call_key(callee, stmt.value)
        value = None
        if isinstance(stmt, ast.Return):
            value = stmt.value
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, (ast.Yield, ast.YieldFrom)):
            value = stmt.value.value
        if isinstance(value, ast.Name):
            given.append(value.id)
        elif isinstance(value, ast.Call):
            callee = table.resolve(value.func)
            if callee:
                provides.append(_call_key(callee, value))
    provides.extend(bound[name] for name in given if name in bound)
    return FunctionFact(returns, list(dict.fromkeys(provides)))


def _blocking_fact(node: ast.FunctionDef | ast.AsyncFunctionDef, table, facts) -> None:
    """Does this sync function block (an `async def` calling it blocks the loop too)?"""
    if isinstance(node, ast.FunctionDef):
        makers = {  # this module's functions that return a client: `return boto3.client(..)`
            f"{facts.module}.{name}": provided[0]
            for name, function in facts.functions.items()
            if (provided := [p for p in function.provides if client_made_by(p)])
        }
        fact = facts.functions[node.name]
        fact.blocking, fact.calls = blocking_calls_in(node, table, facts.calls, makers)


def _statements(body: list[ast.stmt]):
    """Every statement of a function body, nested blocks included, nested defs excluded."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, (*_BLOCKS, ast.Match) if hasattr(ast, "Match") else _BLOCKS):
            for part in _sub_bodies(stmt):
                yield from _statements(part)


def _endpoints(body: list[ast.stmt], table: ImportTable, facts: ModuleFacts) -> None:
    """`router.add_api_route("/p", handler)`: `handler` is a route (by its local name)."""
    for stmt in _statements(body):
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr in ("add_api_route", "add_api_websocket_route")
        ):
            endpoint = call.args[1] if len(call.args) > 1 else None
            for keyword in call.keywords:
                if keyword.arg == "endpoint":
                    endpoint = keyword.value
            if isinstance(endpoint, ast.Name):
                facts.endpoints.append(endpoint.id)


def _class(node: ast.ClassDef, prefix: str, table: ImportTable, facts: ModuleFacts) -> None:
    facts.classes.append(class_fact(node, table, f"{prefix}{node.name}"))
    for stmt in node.body:
        if isinstance(stmt, ast.ClassDef):
            _class(stmt, f"{prefix}{node.name}.", table, facts)


def class_fact(node: ast.ClassDef, table: ImportTable, name: str) -> ClassFact:
    """The facts of one class statement, its bases resolved through `table`."""
    bases = [table.resolve(_unsubscript(base)) or "" for base in node.bases]
    decorators = [
        table.resolve(item.func if isinstance(item, ast.Call) else item) or ""
        for item in node.decorator_list
    ]
    keywords = {kw.arg: ast.unparse(kw.value) for kw in node.keywords if kw.arg}
    abstract = any(
        isinstance(stmt, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__abstract__" for t in stmt.targets)
        and isinstance(stmt.value, ast.Constant)
        and stmt.value.value is True
        for stmt in node.body
    )
    methods = [
        stmt.name for stmt in node.body if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    columns, annotations, type_map = class_columns(node, table)
    fields = {
        stmt.target.id: ast.unparse(stmt.annotation)
        for stmt in node.body
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
    }
    return ClassFact(
        name, bases, decorators, keywords, abstract, methods, columns, annotations, type_map, fields
    )


def _unsubscript(node: ast.expr) -> ast.expr:
    """`Generic[T]`, `BaseModel[T]` and friends name their class before the brackets."""
    while isinstance(node, ast.Subscript):
        node = node.value
    return node
