"""Which columns of a mapped class hold JSON-like values that SQLAlchemy does not track in place.

Read from a class body: `Column(JSON)`, `mapped_column(JSONB)`, `Column("data", JSON)`,
`JSON().with_variant(JSONB, "postgresql")`, `ARRAY(...)`, `PickleType`, SQLModel
`Field(sa_column=Column(JSON))` or `Field(sa_type=JSON)`, and `Mapped[dict[str, Any]]` resolved
through a base's `type_annotation_map`. A type wrapped in `MutableDict.as_mutable(...)` or
`MutableList.as_mutable(...)` is tracked, so it is recorded as such and never reported.
"""

from __future__ import annotations

import ast

from fastapi_lint.semantic.imports import ImportTable

UNTRACKED = "json"  # mutated in place, the change is not seen
TRACKED = "tracked"  # a Mutable* wrapper sees in-place changes

JSON_TYPES = frozenset(
    {
        "sqlalchemy.JSON",
        "sqlalchemy.types.JSON",
        "sqlalchemy.sql.sqltypes.JSON",
        "sqlalchemy.dialects.postgresql.JSON",
        "sqlalchemy.dialects.postgresql.JSONB",
        "sqlalchemy.dialects.postgresql.json.JSONB",
        "sqlalchemy.dialects.mysql.JSON",
        "sqlalchemy.dialects.sqlite.JSON",
        "sqlalchemy.ARRAY",
        "sqlalchemy.types.ARRAY",
        "sqlalchemy.dialects.postgresql.ARRAY",
        "sqlalchemy.PickleType",
        "sqlalchemy.types.PickleType",
        "sqlmodel.JSON",
        "sqlmodel.ARRAY",
    }
)
MUTABLE_WRAPPERS = frozenset(
    {
        "sqlalchemy.ext.mutable.MutableDict.as_mutable",
        "sqlalchemy.ext.mutable.MutableList.as_mutable",
        "sqlalchemy.ext.mutable.MutableSet.as_mutable",
    }
)
COLUMN_CALLS = frozenset({"sqlalchemy.Column", "sqlalchemy.orm.mapped_column"})
FIELD_CALLS = frozenset({"sqlmodel.Field"})
MAPPED = frozenset({"sqlalchemy.orm.Mapped"})


def type_kind(node: ast.expr | None, table: ImportTable) -> str | None:
    """UNTRACKED, TRACKED or None for a column type expression."""
    if node is None:
        return None
    if isinstance(node, ast.Call):
        callee = table.resolve(node.func)
        if callee in MUTABLE_WRAPPERS:
            return TRACKED
        function = node.func
        if isinstance(function, ast.Attribute) and function.attr == "with_variant":
            return type_kind(function.value, table)  # JSON().with_variant(JSONB, "postgresql")
        return type_kind(function, table)
    qualified = table.resolve(node)
    return UNTRACKED if qualified in JSON_TYPES else None


def class_columns(node: ast.ClassDef, table: ImportTable) -> tuple[dict, dict, dict]:
    """(columns by name, Mapped[...] annotations to resolve later, type_annotation_map)."""
    columns: dict[str, str] = {}
    annotations: dict[str, str] = {}
    type_map: dict[str, str] = {}
    for name, value, annotation in class_assignments(node):
        if name == "type_annotation_map" and isinstance(value, ast.Dict):
            for key, item in zip(value.keys, value.values, strict=True):
                kind = type_kind(item, table)
                if key is not None and kind is not None:
                    type_map[ast.unparse(key)] = kind
            continue
        kind = _column_kind(value, table)
        if kind is not None:
            columns[name] = kind
        elif annotation is not None and _explicitly_typed(value, table) is False:
            inner = _mapped_inner(annotation, table)
            if inner is not None:
                annotations[name] = ast.unparse(inner)
    return columns, annotations, type_map


def class_assignments(node: ast.ClassDef):
    """(name, value or None, annotation or None) for each `name = v` / `name: T = v` of a class
    body."""
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            yield stmt.target.id, stmt.value, stmt.annotation
        elif (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
        ):
            yield stmt.targets[0].id, stmt.value, None


def _column_kind(value: ast.expr | None, table: ImportTable) -> str | None:
    if not isinstance(value, ast.Call):
        return None
    callee = table.resolve(value.func)
    if callee in COLUMN_CALLS:
        arguments = [*value.args, *(kw.value for kw in value.keywords if kw.arg == "type_")]
        for argument in arguments:
            kind = type_kind(argument, table)
            if kind is not None:
                return kind
        return None
    if callee in FIELD_CALLS:
        for keyword in value.keywords:
            if keyword.arg == "sa_column":
                return _column_kind(keyword.value, table)
            if keyword.arg == "sa_type":
                return type_kind(keyword.value, table)
    return None


def _explicitly_typed(value: ast.expr | None, table: ImportTable) -> bool | None:
    """False when a `Mapped[...]` attribute leaves its type to the annotation map."""
    if value is None:
        return False
    if isinstance(value, ast.Call) and table.resolve(value.func) == "sqlalchemy.orm.mapped_column":
        first = value.args[0] if value.args else None
        if first is None or (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            return any(kw.arg == "type_" for kw in value.keywords)
        return True
    return None


def _mapped_inner(annotation: ast.expr, table: ImportTable) -> ast.expr | None:
    if isinstance(annotation, ast.Subscript) and table.resolve(annotation.value) in MAPPED:
        inner = annotation.slice
        if isinstance(inner, ast.Subscript) and table.resolve(inner.value) == "typing.Optional":
            inner = inner.slice
        if isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.BitOr):
            inner = inner.left  # dict[str, Any] | None
        return inner
    return None
