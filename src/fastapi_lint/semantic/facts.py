"""What one module tells the project index: imports, classes, module-level values, functions.

Module-level values are kept as the callee of `X = Call(...)` (routers, session factories) or the
source of a type-like expression (`SessionDep = Annotated[AsyncSession, Depends(get_db)]`).
Functions are kept by what they return or yield (dependency providers such as `get_db`).

Extraction looks at statements only (module, class and function bodies), never at expressions,
so it costs a fraction of a full walk. The result is plain data that the cache stores as JSON.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi_lint.semantic.blocking import blocking_calls_in, client_made_by
from fastapi_lint.semantic.columns import class_columns
from fastapi_lint.semantic.imports import ImportTable
from fastapi_lint.semantic.relationships import class_relationships

FACTS_FORMAT = 15  # bump when the facts change shape or meaning: other cached facts are ignored

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
    relationships: dict[str, str] = field(default_factory=dict)  # name -> loader strategy

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
            self.relationships,
        ]

    @classmethod
    def from_json(cls, data: list) -> ClassFact:
        return cls(*data)


@dataclass
class FunctionFact:
    returns: str  # the return annotation's source, "" when there is none
    provides: list[str]  # callees of what it returns or yields: `async with X() as s: yield s`
    expire_on_commit: str = ""  # that call's `expire_on_commit=` argument (source), if given
    blocking: list[str] = field(default_factory=list)  # a sync def's blocking calls (catalog)
    calls: list[str] = field(default_factory=list)  # a sync def's other non-stdlib callees

    def to_json(self) -> list:
        return [self.returns, self.provides, self.expire_on_commit, self.blocking, self.calls]


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
    # `expire_on_commit=` given to a module-level `X = factory(...)` or `X.configure(...)`
    session_options: dict[str, str] = field(default_factory=dict)
    stars: list[str] = field(default_factory=list)  # modules of `from M import *`
    exports: list[str] | None = None  # `__all__`, when it is a literal list of strings
    # function or "Class.method" -> [return annotation source, callee source of each return]
    returned: dict[str, list] = field(default_factory=dict)
    class_factories: dict[str, list[str]] = field(default_factory=dict)  # function -> bases
    response_defaults: dict[str, str] = field(default_factory=dict)  # app -> its default class
    # `X.include_router(Y)`: [Y, X (qualified; "" when X is local), default class it passes]
    includes: list[list[str]] = field(default_factory=list)
    # "Class.method" -> a sync method's blocking calls and callees (only methods with either)
    method_facts: dict[str, FunctionFact] = field(default_factory=dict)

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
            "session_options": self.session_options,
            "stars": self.stars,
            "exports": self.exports,
            "returned": self.returned,
            "class_factories": self.class_factories,
            "response_defaults": self.response_defaults,
            "includes": self.includes,
            "method_facts": {name: fact.to_json() for name, fact in self.method_facts.items()},
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
            session_options=data["session_options"],
            stars=data["stars"],
            exports=data["exports"],
            returned=data.get("returned", {}),
            class_factories=data.get("class_factories", {}),
            response_defaults=data.get("response_defaults", {}),
            includes=data.get("includes", []),
            method_facts={
                name: FunctionFact(*item) for name, item in data.get("method_facts", {}).items()
            },
        )


class LazyFacts(ModuleFacts):
    """Cached facts of a module, decoded on first use: a run on three files of a large project
    does not decode the facts of every module. Its name, star imports and included routers are
    known without decoding (the index is assembled from them, and any route's default response
    asks every module's included routers). Once decoded it is a plain `ModuleFacts`
    (its class changes), so it is one object before and after: identity-keyed answers hold.
    `decode` gives the facts (it never fails: a damaged entry reads the file again)."""

    def __init__(
        self,
        module: str,
        stars: list[str],
        includes: list[list[str]],
        decode: Callable[[], ModuleFacts],
    ) -> None:
        # not the dataclass's: the other fields come from `decode`, on first use
        held = self.__dict__
        held["module"], held["stars"], held["_decode"] = module, stars, decode
        held["includes"] = includes  # every module's are read to find a router's default response

    def _decoded(self) -> None:
        held = self.__dict__
        decode = held.get("_decode")
        if decode is not None:  # (the fields are all there before `_decode` goes)
            for name, value in decode().__dict__.items():
                held.setdefault(name, value)  # what was set before decoding wins
            held.pop("_decode", None)
            self.__class__ = ModuleFacts

    def __getattr__(self, name: str):  # only for what the instance does not hold yet
        self._decoded()
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def exports(self) -> list[str] | None:  # a class attribute of ModuleFacts (its default)
        self._decoded()
        return self.__dict__["exports"]

    @exports.setter
    def exports(self, value: list[str] | None) -> None:
        self.__dict__["exports"] = value

    def __eq__(self, other: object) -> bool:
        self._decoded()
        return self == other

    __hash__ = None  # type: ignore[assignment]  # as ModuleFacts: mutable, compared by value

    def __reduce_ex__(self, protocol):  # pickled (to a worker) as the plain facts
        self._decoded()
        return self.__reduce_ex__(protocol)


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
    statements = _Statements()
    for node in functions:  # after the whole module: names defined below a function count
        facts.functions[node.name] = _function_fact(node, table, statements)
    makers = _client_makers(facts)
    for node in functions:  # after every function: `client = make_client()` (same module)
        _blocking_fact(node, table, facts, makers)
        _endpoints(statements(node.body), facts)
    _method_facts(tree.body, "", table, facts, _module_clients(facts), makers, statements)
    _endpoints(statements(tree.body), facts)
    _route_facts(tree, table, facts, statements)
    _includes(statements(tree.body), table, facts, local=False)
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
        elif isinstance(stmt, ast.AugAssign):
            if isinstance(stmt.target, ast.Name) and stmt.target.id == "__all__":
                _more_exports(facts, _string_list(stmt.value))  # `__all__ += [...]`
        elif isinstance(stmt, ast.Expr):
            _configure(stmt.value, facts)
            _extended_exports(stmt.value, facts)
        elif isinstance(stmt, _TYPE_ALIAS):  # `type X = Y` read natively (3.12+): as `X = Y`
            facts.aliases[stmt.name.id] = ast.unparse(stmt.value)
            table.define(stmt.name.id)
        elif isinstance(stmt, _BLOCKS):
            for part in _sub_bodies(stmt):
                _module_body(part, table, facts, functions)


def _more_exports(facts: ModuleFacts, names: list[str] | None) -> None:
    """`__all__` grows by `names` (None: by something not literal, so it is not known)."""
    if facts.exports is not None:
        facts.exports = facts.exports + names if names is not None else None


def _extended_exports(value: ast.expr, facts: ModuleFacts) -> None:
    """`__all__.extend([...])` and `__all__.append("name")`."""
    if not (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and isinstance(value.func.value, ast.Name)
        and value.func.value.id == "__all__"
        and len(value.args) == 1
    ):
        return
    argument = value.args[0]
    if value.func.attr == "extend":
        _more_exports(facts, _string_list(argument))
    elif value.func.attr == "append":
        literal = isinstance(argument, ast.Constant) and isinstance(argument.value, str)
        _more_exports(facts, [argument.value] if literal else None)


def _configure(value: ast.expr, facts: ModuleFacts) -> None:
    """`SessionLocal.configure(expire_on_commit=False)` at module level."""
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "configure"
        and isinstance(value.func.value, ast.Name)
    ):
        option = expire_option(value)
        if option is not None:
            facts.session_options[value.func.value.id] = option


def expire_option(call: ast.Call) -> str | None:
    """The source of a call's `expire_on_commit=` argument; "?" when `**kwargs` may hold it."""
    for keyword in call.keywords:
        if keyword.arg == "expire_on_commit":
            return ast.unparse(keyword.value)
    return "?" if any(keyword.arg is None for keyword in call.keywords) else None


def _sub_bodies(stmt: ast.stmt) -> list[list[ast.stmt]]:
    parts = [getattr(stmt, name, None) for name in ("body", "orelse", "finalbody")]
    parts.extend(handler.body for handler in getattr(stmt, "handlers", ()))
    parts.extend(case.body for case in getattr(stmt, "cases", ()))  # `match`
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
        option = expire_option(value)
        if option is not None:
            facts.session_options.update(dict.fromkeys(names, option))
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
    node: ast.FunctionDef | ast.AsyncFunctionDef, table: ImportTable, statements: _Statements
) -> FunctionFact:
    returns = unparsed(node.returns) if node.returns is not None else ""
    bound: dict[str, str] = {}
    options: dict[str, str] = {}  # bound name -> its call's expire_on_commit argument
    given: list[str] = []
    provides: list[str] = []
    provided_option = ""
    for stmt in statements(node.body):
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                target, call = item.optional_vars, item.context_expr
                if isinstance(target, ast.Name) and isinstance(call, ast.Call):
                    callee = table.resolve(call.func)
                    if callee:
                        bound[target.id] = _call_key(callee, call)
                        options[target.id] = expire_option(call) or ""
        elif isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
            callee = table.resolve(stmt.value.func)
            for target in stmt.targets:
                if isinstance(target, ast.Name) and callee:
                    bound[target.id] = _call_key(callee, stmt.value)
                    options[target.id] = expire_option(stmt.value) or ""
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
                provided_option = provided_option or expire_option(value) or ""
    provides.extend(bound[name] for name in given if name in bound)
    for name in given:
        provided_option = provided_option or options.get(name, "")
    return FunctionFact(returns, list(dict.fromkeys(provides)), provided_option)


def _client_makers(facts: ModuleFacts) -> dict[str, str]:
    """This module's functions that return a client (`return boto3.client(..)`): their
    qualified name -> the client's maker."""
    return {
        f"{facts.module}.{name}": provided[0]
        for name, function in facts.functions.items()
        if (provided := [p for p in function.provides if client_made_by(p)])
    }


def _blocking_fact(
    node: ast.FunctionDef | ast.AsyncFunctionDef, table, facts, makers: dict[str, str]
) -> None:
    """Does this sync function block (an `async def` calling it blocks the loop too)?"""
    if isinstance(node, ast.FunctionDef):
        fact = facts.functions[node.name]
        fact.blocking, fact.calls = blocking_calls_in(node, table, facts.calls, makers)


# A method reached as an attribute, not called: `obj.name()` does not call its body.
_ATTRIBUTE_DECORATORS = frozenset(
    {"builtins.property", "functools.cached_property", "abc.abstractproperty"}
)


def _module_clients(facts: ModuleFacts) -> dict[str, str]:
    """The module-level values that are synchronous clients (`cache = redis.Redis()`)."""
    return {name: callee for name, callee in facts.calls.items() if client_made_by(callee)}


def _method_facts(
    body: list[ast.stmt],
    prefix: str,
    table: ImportTable,
    facts: ModuleFacts,
    clients: dict[str, str],
    makers: dict[str, str],
    statements: _Statements,
) -> None:
    """What each sync method of the module's classes (nested ones included) blocks on or
    calls, kept only for methods with either: an `async def` calling `obj.method()` on a
    project class's instance blocks the loop as it does calling a blocking function."""
    for stmt in statements(body):
        if not isinstance(stmt, ast.ClassDef):
            continue
        name = f"{prefix}{stmt.name}"
        for item in stmt.body:
            if (
                isinstance(item, ast.FunctionDef)
                and not _is_dunder(item.name)  # run by the language (`Mailer()`), not `m.x()`
                and not _accessed_as_attribute(item, table)
            ):
                blocking, calls = blocking_calls_in(item, table, clients, makers)
                if blocking or calls:
                    facts.method_facts[f"{name}.{item.name}"] = FunctionFact(
                        "", [], "", blocking, calls
                    )
        _method_facts(stmt.body, f"{name}.", table, facts, clients, makers, statements)


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _accessed_as_attribute(node: ast.FunctionDef, table: ImportTable) -> bool:
    """A property (or a property's setter): reading the attribute runs it, a call does not."""
    for decorator in node.decorator_list:
        if table.resolve(decorator) in _ATTRIBUTE_DECORATORS:
            return True
        if isinstance(decorator, ast.Attribute) and decorator.attr in ("setter", "deleter"):
            return True
    return False


_NESTING = (*_BLOCKS, ast.Match) if hasattr(ast, "Match") else _BLOCKS


class _Statements:
    """Every statement of a body, nested blocks included, nested defs excluded, in source
    order; listed once per body for the several passes of one extraction."""

    def __init__(self) -> None:
        self._lists: dict[int, tuple[list, list[ast.stmt]]] = {}  # id(body) -> (body, list)

    def __call__(self, body: list[ast.stmt]) -> list[ast.stmt]:
        known = self._lists.get(id(body))
        if known is not None and known[0] is body:
            return known[1]
        found: list[ast.stmt] = []
        _collect(body, found)
        self._lists[id(body)] = (body, found)
        return found


def _collect(body: list[ast.stmt], found: list[ast.stmt]) -> None:
    for stmt in body:
        found.append(stmt)
        if isinstance(stmt, _NESTING):
            for part in _sub_bodies(stmt):
                _collect(part, found)


def _endpoints(statements: list[ast.stmt], facts: ModuleFacts) -> None:
    """`router.add_api_route("/p", handler)`: `handler` is a route (by its local name)."""
    for stmt in statements:
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        endpoint = registered_endpoint(call) if isinstance(call, ast.Call) else None
        if endpoint is not None:
            facts.endpoints.append(endpoint)


def registered_endpoint(call: ast.Call) -> str | None:
    """`X.add_api_route("/p", handler, ...)` (or `endpoint=handler`): "handler"."""
    if not (
        isinstance(call.func, ast.Attribute)
        and call.func.attr in ("add_api_route", "add_api_websocket_route")
    ):
        return None
    endpoint = call.args[1] if len(call.args) > 1 else None
    for keyword in call.keywords:
        if keyword.arg == "endpoint":
            endpoint = keyword.value
    return endpoint.id if isinstance(endpoint, ast.Name) else None


def _route_facts(
    tree: ast.Module, table: ImportTable, facts: ModuleFacts, statements: _Statements
) -> None:
    """What routes need from other modules: what functions and methods return, functions that
    make a class (`get_router_class(...)` returning a local `APIRouter` subclass), and apps or
    routers created with a `default_response_class=`."""
    for stmt in statements(tree.body):
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            facts.returned[stmt.name] = _returned(stmt, statements)
            bases = _made_class(stmt, table, statements)
            if bases:
                facts.class_factories[stmt.name] = bases
            _includes(statements(stmt.body), table, facts, local=True)
        elif isinstance(stmt, ast.ClassDef):
            for item in stmt.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    facts.returned[f"{stmt.name}.{item.name}"] = _returned(item, statements)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(stmt.value, ast.Call):
            default = response_default(stmt.value, table.resolve)
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                if default and isinstance(target, ast.Name):
                    facts.response_defaults[target.id] = default


def _includes(
    statements: list[ast.stmt], table: ImportTable, facts: ModuleFacts, local: bool
) -> None:
    """`X.include_router(Y)`: routes of `Y` take `X`'s default response class (FastAPI gives a
    route its own, its router's, the include's, then the app's). In a function (an app
    factory), `X` made there passes the default it was created with."""
    made: dict[str, str] = {}
    for stmt in statements:
        if local and isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    made[target.id] = response_default(stmt.value, table.resolve)
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "include_router"
            and call.args
        ):
            continue
        included = table.resolve(call.args[0]) or ""
        receiver = call.func.value
        if isinstance(receiver, ast.Name) and receiver.id in made:
            parent, default = "", made[receiver.id]
        else:
            parent, default = table.resolve(receiver) or "", ""
        default = response_default(call, table.resolve) or default
        if included and (parent or default):
            facts.includes.append([included, parent, default])


def response_default(call: ast.Call, resolve) -> str:
    """The qualified `default_response_class=` of a `FastAPI(...)`/`APIRouter(...)` call."""
    for keyword in call.keywords:
        if keyword.arg == "default_response_class":
            return resolve(keyword.value) or ""
    return ""


def _returned(node: ast.FunctionDef | ast.AsyncFunctionDef, statements: _Statements) -> list:
    """[annotation, [callee source of each `return`]]: "" for a return that is not a call
    (a variable counts by the call last assigned to it)."""
    bound: dict[str, str] = {}
    callees: list[str] = []
    for stmt in statements(node.body):
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, (ast.Call, ast.Await)):
            call = _unawait(stmt.value)
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    bound[target.id] = _dotted(call.func) if isinstance(call, ast.Call) else ""
        elif isinstance(stmt, ast.Return) and stmt.value is not None:
            value = _unawait(stmt.value)
            if isinstance(value, ast.Call):
                callees.append(_dotted(value.func))
            elif isinstance(value, ast.Name):
                callees.append(bound.get(value.id, ""))
            elif not (isinstance(value, ast.Constant) and value.value is None):
                callees.append("")
    returns = unparsed(node.returns) if node.returns is not None else ""
    return [returns, callees]


def _dotted(node: ast.expr) -> str:
    """`a.b.c` for a name or attribute chain (what can be resolved), else ""."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    parts.append(node.id)
    return ".".join(reversed(parts))


def _unawait(node: ast.expr) -> ast.expr:
    return node.value if isinstance(node, ast.Await) else node


def _made_class(
    node: ast.FunctionDef | ast.AsyncFunctionDef, table: ImportTable, statements: _Statements
) -> list[str]:
    """Bases of the class a function defines and returns (a class factory)."""
    local = {stmt.name: stmt for stmt in node.body if isinstance(stmt, ast.ClassDef)}
    if not local:
        return []
    for stmt in statements(node.body):
        if isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Name):
            made = local.get(stmt.value.id)
            if made is not None:
                return [table.resolve(_unsubscript(base)) or "" for base in made.bases]
    return []


def _class(node: ast.ClassDef, prefix: str, table: ImportTable, facts: ModuleFacts) -> None:
    facts.classes.append(class_fact(node, table, f"{prefix}{node.name}"))
    for stmt in node.body:
        if isinstance(stmt, ast.ClassDef):
            _class(stmt, f"{prefix}{node.name}.", table, facts)


def class_header(node: ast.ClassDef, table: ImportTable, name: str) -> ClassFact:
    """What a class statement's first line says (bases, decorators, keywords): all that its
    kinds depend on (`ProjectIndex.kinds_of`), without reading its body."""
    bases = [table.resolve(_unsubscript(base)) or "" for base in node.bases]
    decorators = [
        table.resolve(item.func if isinstance(item, ast.Call) else item) or ""
        for item in node.decorator_list
    ]
    keywords = {kw.arg: ast.unparse(kw.value) for kw in node.keywords if kw.arg}
    return ClassFact(name, bases, decorators, keywords)


def class_fact(node: ast.ClassDef, table: ImportTable, name: str) -> ClassFact:
    """The facts of one class statement, its bases resolved through `table`."""
    header = class_header(node, table, name)
    bases, decorators, keywords = header.bases, header.decorators, header.keywords
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
        stmt.target.id: unparsed(stmt.annotation)
        for stmt in node.body
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
    }
    return ClassFact(
        name,
        bases,
        decorators,
        keywords,
        abstract,
        methods,
        columns,
        annotations,
        type_map,
        fields,
        class_relationships(node, table),
    )


def unparsed(node: ast.expr) -> str:
    """`ast.unparse(node)`, spelt directly for the plain annotations most are (names, dotted
    names, subscripts of them, `X | Y`, None): `ast.unparse` makes an unparser per call, a
    tenth of the facts extraction."""
    plain = _plain(node)
    return plain if plain is not None else ast.unparse(node)


def _plain(node: ast.expr) -> str | None:
    """What `ast.unparse` gives for a plain annotation; None for any other expression."""
    kind = type(node)
    if kind is ast.Name:
        return node.id
    if kind is ast.Attribute:
        base = _plain(node.value) if type(node.value) in _NAMES else None
        return None if base is None else f"{base}.{node.attr}"
    if kind is ast.Subscript:
        head = _plain(node.value) if type(node.value) in _NAMES else None
        index = node.slice
        if head is None:
            return None
        if type(index) is ast.Tuple:
            items = [_plain(item) for item in index.elts]
            if len(items) < 2 or None in items:  # `X[a,]` keeps its comma
                return None
            return f"{head}[{', '.join(items)}]"
        inner = _plain(index)
        return None if inner is None else f"{head}[{inner}]"
    if kind is ast.BinOp and type(node.op) is ast.BitOr and type(node.right) is not ast.BinOp:
        left, right = _plain(node.left), _plain(node.right)
        return None if left is None or right is None else f"{left} | {right}"
    if kind is ast.Constant and (node.value is None or node.value is Ellipsis):
        return "None" if node.value is None else "..."
    return None


_NAMES = (ast.Name, ast.Attribute)


def _unsubscript(node: ast.expr) -> ast.expr:
    """`Generic[T]`, `BaseModel[T]` and friends name their class before the brackets."""
    while isinstance(node, ast.Subscript):
        node = node.value
    return node
