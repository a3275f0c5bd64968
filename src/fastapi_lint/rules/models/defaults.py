"""What a default builds (a new list, dict or set?), the fields of model-like classes with their
defaults, and the fix that turns a default into a per-instance factory: shared by FAL301, FAL302,
FAL304 and FAL305."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi_lint.diagnostics import Applicability, Fix, Import
from fastapi_lint.rules.base import FileContext
from fastapi_lint.semantic.index import ATTRS, DATACLASS, PYDANTIC, SQLMODEL, TABLE

MUTABLE_CALLS = {
    "builtins.list": "list",
    "builtins.dict": "dict",
    "builtins.set": "set",
    "builtins.bytearray": "bytearray",
    "collections.defaultdict": "defaultdict",
    "collections.OrderedDict": "OrderedDict",
    "collections.Counter": "Counter",
    "collections.deque": "deque",
}
_LITERAL_KINDS = {
    ast.List: "list",
    ast.Dict: "dict",
    ast.Set: "set",
    ast.ListComp: "list",
    ast.DictComp: "dict",
    ast.SetComp: "set",
}
FIELD_FUNCTIONS = {
    "pydantic.Field": "pydantic",
    "sqlmodel.Field": "pydantic",
    "dataclasses.field": "dataclass",
    "attrs.field": "attrs",
    "attr.ib": "attrs",
    "attr.attrib": "attrs",
}
_NOT_FIELDS = frozenset({"model_config", "Config", "__slots__", "__tablename__", "__table_args__"})
_MAX_SHOWN = 40


def shown(ctx: FileContext, node: ast.AST) -> str:
    """A node's source for a message: one line, cut to a readable length."""
    text = " ".join(ctx.source(node).split())
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def mutable_kind(ctx: FileContext, node: ast.AST) -> str | None:
    """'list', 'dict', ... when `node` builds a new mutable container, else None."""
    kind = _LITERAL_KINDS.get(type(node))
    if kind is not None:
        return kind
    if isinstance(node, ast.Call):
        return MUTABLE_CALLS.get(ctx.resolve(node.func) or "")
    return None


def factory_text(ctx: FileContext, node: ast.AST, taken: frozenset[str] = frozenset()) -> str:
    """A zero-argument callable that builds what `node` builds: `list`, `dict` or a lambda."""
    empty = (
        (isinstance(node, ast.List) and not node.elts)
        or (isinstance(node, ast.Dict) and not node.keys)
        or (
            isinstance(node, ast.Call)
            and not node.args
            and not node.keywords
            and ctx.resolve(node.func) in ("builtins.list", "builtins.dict", "builtins.set")
        )
    )
    if empty:
        name = _LITERAL_KINDS.get(type(node)) or ctx.source(node.func)
        if name not in taken:
            return name
    return f"lambda: {ctx.source(node)}"


@dataclass
class FieldDefault:
    """One field's default: `x: T = value` or `x: T = Field(value)` / `Field(default=value)`."""

    name: str
    value: ast.expr  # the default itself
    holder: ast.AST  # what a fix replaces: the value, the positional argument or the keyword
    field_call: ast.Call | None  # the Field(...)/field(...) call around it, if any
    family: str  # "pydantic", "dataclass" or "attrs": which factory spelling a fix needs


def model_family(class_kinds: frozenset[str]) -> str | None:
    if PYDANTIC in class_kinds:
        return "pydantic"
    if DATACLASS in class_kinds:
        return "dataclass"
    if ATTRS in class_kinds:
        return "attrs"
    return None


def field_defaults(ctx: FileContext, node: ast.ClassDef, family: str) -> Iterator[FieldDefault]:
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            name = stmt.target.id
            if stmt.value is None or _is_class_var(ctx, stmt.annotation):
                continue
        elif (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and ctx.resolve_call_name(stmt.value) in FIELD_FUNCTIONS
        ):
            name = stmt.targets[0].id  # attrs' `x = attr.ib(...)`
        else:
            continue
        if name in _NOT_FIELDS or (family == "pydantic" and name.startswith("_")):
            continue
        value = stmt.value
        callee = ctx.resolve_call_name(value)
        if callee in FIELD_FUNCTIONS:
            found = _default_inside(value)
            if found is not None:
                default, holder = found
                yield FieldDefault(name, default, holder, value, family)
        else:
            yield FieldDefault(name, value, value, None, family)


def _default_inside(call: ast.Call) -> tuple[ast.expr, ast.AST] | None:
    for keyword in call.keywords:
        if keyword.arg == "default":
            return keyword.value, keyword
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0], call.args[0]
    return None


def _is_class_var(ctx: FileContext, annotation: ast.expr) -> bool:
    target = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return annotation.value.startswith(("ClassVar", "typing.ClassVar", "Final"))
    return ctx.resolve(target) in ("typing.ClassVar", "typing.Final", "dataclasses.InitVar")


def factory_fix(
    ctx: FileContext,
    class_node: ast.ClassDef,
    item: FieldDefault,
    factory: str,
    class_kinds: frozenset[str],
    title: str,
) -> Fix | None:
    """Turn a field's default into a per-instance factory, in the class family's spelling;
    `title`: the rule's fix title, a template of `keyword` and `factory`."""
    keyword = "factory" if item.family == "attrs" else "default_factory"
    imports: tuple[Import, ...] = ()
    if item.field_call is not None:
        call = item.field_call
        if isinstance(item.holder, ast.expr) and len(call.args) > 1:
            return None  # more positional arguments follow the default
        content = f"{keyword}={factory}"
    else:
        module, name = _field_function(ctx, class_node, item.family, class_kinds)
        spelled, needed = ctx.spell(module, name)
        imports = (needed,) if needed else ()
        content = f"{spelled}({keyword}={factory})"
    edit = ctx.replace(item.holder, content)
    return Fix(
        title=title.format(keyword=keyword, factory=factory),
        applicability=Applicability.UNSAFE,
        edits=(edit,),
        imports=imports,
    )


def _field_function(
    ctx: FileContext, class_node: ast.ClassDef, family: str, class_kinds: frozenset[str]
) -> tuple[str, str]:
    if family == "pydantic":
        return ("sqlmodel", "Field") if SQLMODEL in class_kinds else ("pydantic", "Field")
    if family == "dataclass":
        return "dataclasses", "field"
    decorators = [
        ctx.resolve_call_name(d) or ctx.resolve(d) or "" for d in class_node.decorator_list
    ]
    if any(name.startswith("attrs.") for name in decorators):
        return "attrs", "field"
    return "attr", "ib"


def class_level_names(node: ast.ClassDef) -> frozenset[str]:
    names = set()
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            names.add(stmt.target.id)
        elif isinstance(stmt, ast.Assign):
            names.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(stmt.name)
    return frozenset(names)


def is_sqlmodel_column_field(ctx: FileContext, item: FieldDefault, class_kinds) -> bool:
    """A SQLModel table field that declares its database column (`sa_column=`, `sa_type=`)."""
    if TABLE not in class_kinds or item.field_call is None:
        return False
    return any(kw.arg in ("sa_column", "sa_type") for kw in item.field_call.keywords)
