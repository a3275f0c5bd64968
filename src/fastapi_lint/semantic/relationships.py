"""Relationships of a mapped class and how they load.

Read from a class body: `x = relationship("Child", lazy="selectin")`, `x: Mapped[list["Child"]] =
relationship(...)`, SQLModel `x: list["Child"] = Relationship(sa_relationship_kwargs={"lazy":
"joined"})` or `Relationship(sa_relationship=relationship(...))`, and `WriteOnlyMapped[...]` /
`DynamicMapped[...]` annotations. Each relationship is recorded with its loader strategy as
SQLAlchemy spells it (`lazy=True` is "select", `False` is "joined", `None` is "noload"), or
UNKNOWN when the code computes it.
"""

from __future__ import annotations

import ast

from fastapi_lint.semantic.columns import class_assignments
from fastapi_lint.semantic.imports import ImportTable

LAZY = "select"  # SQLAlchemy's default: loaded on first access, with I/O
UNKNOWN = "?"
RELATIONSHIP_CALLS = frozenset({"sqlalchemy.orm.relationship", "sqlalchemy.orm.relation"})
SQLMODEL_RELATIONSHIP = "sqlmodel.Relationship"
_ANNOTATED_STRATEGIES = {
    "sqlalchemy.orm.WriteOnlyMapped": "write_only",
    "sqlalchemy.orm.DynamicMapped": "dynamic",
}
_CONSTANT_STRATEGIES = {True: LAZY, False: "joined", None: "noload"}


def class_relationships(node: ast.ClassDef, table: ImportTable) -> dict[str, str]:
    """Relationship name -> loader strategy, for the relationships a class body declares."""
    found: dict[str, str] = {}
    for name, value, annotation in class_assignments(node):
        strategy = _strategy(value, table)
        if strategy is None:
            continue
        origin = annotation.value if isinstance(annotation, ast.Subscript) else None
        found[name] = _ANNOTATED_STRATEGIES.get(table.resolve(origin) or "", strategy)
    return found


def _strategy(value: ast.expr | None, table: ImportTable) -> str | None:
    if not isinstance(value, ast.Call):
        return None
    callee = table.resolve(value.func)
    if callee in RELATIONSHIP_CALLS:
        return _lazy_keyword(value.keywords)
    if callee != SQLMODEL_RELATIONSHIP:
        return None
    for keyword in value.keywords:
        if keyword.arg == "sa_relationship":
            return _strategy(keyword.value, table) or UNKNOWN
        if keyword.arg == "sa_relationship_kwargs":
            if not isinstance(keyword.value, ast.Dict):
                return UNKNOWN
            for key, item in zip(keyword.value.keys, keyword.value.values, strict=True):
                if key is None:
                    return UNKNOWN  # **spread: the strategy may be in it
                if isinstance(key, ast.Constant) and key.value == "lazy":
                    return _constant_strategy(item)
    return LAZY


def _lazy_keyword(keywords: list[ast.keyword]) -> str:
    for keyword in keywords:
        if keyword.arg is None:
            return UNKNOWN
        if keyword.arg == "lazy":
            return _constant_strategy(keyword.value)
    return LAZY


def _constant_strategy(node: ast.expr) -> str:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return node.value
        if node.value in _CONSTANT_STRATEGIES:
            return _CONSTANT_STRATEGIES[node.value]
    return UNKNOWN
