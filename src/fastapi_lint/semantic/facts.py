"""What one module tells the project index: its imports, its classes and its declarative bases.

Extraction looks at statements only (module, class and function bodies), never at expressions,
so it costs a fraction of a full walk. The result is plain data that the cache stores as JSON.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from fastapi_lint.semantic.imports import ImportTable

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

    def to_json(self) -> list:
        return [self.name, self.bases, self.decorators, self.keywords, self.abstract]

    @classmethod
    def from_json(cls, data: list) -> ClassFact:
        return cls(*data)


@dataclass
class ModuleFacts:
    module: str
    package: str
    bindings: dict[str, str] = field(default_factory=dict)
    classes: list[ClassFact] = field(default_factory=list)
    declarative_bases: list[str] = field(default_factory=list)  # `Base = declarative_base()`

    def imports(self) -> ImportTable:
        return ImportTable(self.module, self.package, self.bindings)

    def to_json(self) -> dict:
        return {
            "module": self.module,
            "package": self.package,
            "bindings": self.bindings,
            "classes": [fact.to_json() for fact in self.classes],
            "declarative_bases": self.declarative_bases,
        }

    @classmethod
    def from_json(cls, data: dict) -> ModuleFacts:
        return cls(
            module=data["module"],
            package=data["package"],
            bindings=data["bindings"],
            classes=[ClassFact.from_json(item) for item in data["classes"]],
            declarative_bases=data["declarative_bases"],
        )


_BLOCKS = (ast.If, ast.Try, ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While)
if hasattr(ast, "TryStar"):
    _BLOCKS = (*_BLOCKS, ast.TryStar)


def extract(tree: ast.Module, module: str, package: str) -> ModuleFacts:
    table = ImportTable(module, package)
    facts = ModuleFacts(module=module, package=package)
    _module_body(tree.body, table, facts)
    facts.bindings = table.bindings
    return facts


def _module_body(body: list[ast.stmt], table: ImportTable, facts: ModuleFacts) -> None:
    for stmt in body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            table.add_import(stmt)
        elif isinstance(stmt, ast.ClassDef):
            _class(stmt, "", table, facts)
            table.define(stmt.name)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            table.define(stmt.name)
            _imports_in(stmt.body, table)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            _assignment(stmt, table, facts)
        elif isinstance(stmt, _BLOCKS):
            for part in _sub_bodies(stmt):
                _module_body(part, table, facts)


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
    if value is not None and isinstance(value, ast.Call):
        callee = table.resolve(value.func)
        generated = (
            isinstance(value.func, ast.Attribute)
            and value.func.attr == "generate_base"
            and isinstance(value.func.value, ast.Call)
            and table.resolve(value.func.value.func) == "sqlalchemy.orm.registry"
        )
        if callee in DECLARATIVE_FACTORIES or generated:
            facts.declarative_bases.extend(names)
    for name in names:
        table.define(name)


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
    return ClassFact(name, bases, decorators, keywords, abstract)


def _unsubscript(node: ast.expr) -> ast.expr:
    """`Generic[T]`, `BaseModel[T]` and friends name their class before the brackets."""
    while isinstance(node, ast.Subscript):
        node = node.value
    return node
