"""Which values of one function may come from outside the code: its callers or the request.

A value comes from outside when it is a parameter of the function, or is derived from one
(attributes, subscripts, string methods, f-strings, `+`, `or`, local variables, loops and
comprehensions over it) without being validated. Validation ends it: a conversion (`int(x)`,
`float(x)`, `UUID(x)`, any class constructor such as an enum lookup `Colour(x)`), a lookup in a
mapping by that value (`COLUMNS[x]`), a membership test on the name (`if x not in ALLOWED`) or a
pattern test (`re.fullmatch(..., x)`, `x.isidentifier()`) anywhere in the function. Parameters
declared as numbers, dates, UUIDs, enums or `Literal[...]`, SQLAlchemy objects, sessions and
FastAPI dependencies (`Depends(...)`) do not count: their values are not free text. Calls to
other functions are taken as the author's own processing (flow through them is not followed).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi_lint.semantic.annotations import declared_classes
from fastapi_lint.semantic.fastapi_calls import DEPENDS, calls_one_of
from fastapi_lint.semantic.index import ENUM
from fastapi_lint.semantic.model import parameters

if TYPE_CHECKING:
    from fastapi_lint.semantic.file import SemanticFile

NOT_TEXT_TYPES = frozenset(
    {
        "builtins.int",
        "builtins.float",
        "builtins.bool",
        "builtins.complex",
        "decimal.Decimal",
        "uuid.UUID",
        "datetime.datetime",
        "datetime.date",
        "datetime.time",
        "datetime.timedelta",
        "pydantic.UUID4",
        "pydantic.PositiveInt",
        "pydantic.NonNegativeInt",
        "typing.Literal",
    }
)
# Methods that hand back (part of) the text they are called on or given.
TEXT_METHODS = frozenset(
    {
        "lower",
        "upper",
        "strip",
        "lstrip",
        "rstrip",
        "replace",
        "format",
        "join",
        "get",
        "getlist",
        "pop",
        "split",
        "title",
        "casefold",
        "capitalize",
        "removeprefix",
        "removesuffix",
        "encode",
        "decode",
        "values",
        "items",
        "keys",
    }
)
TEXT_BUILTINS = frozenset({"str", "repr", "format", "ascii"})
PATTERN_TESTS = frozenset({"fullmatch", "match", "isidentifier", "isdigit", "isalnum", "isnumeric"})


@dataclass(frozen=True)
class Source:
    parameter: str
    function: str


class OutsideValues:
    """Answers `source(expression)` for expressions inside `func`'s own body."""

    def __init__(self, file: SemanticFile, func: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.file = file
        self.func = func
        self.sessions = file.function_sessions(func)
        self.parameters = {
            arg.arg: arg
            for arg, default in parameters(func)
            if arg.arg not in ("self", "cls") and self._free_text(arg, default)
        }
        self.assigned: dict[str, list[ast.expr]] = {}
        self.validated: set[str] = set()
        for node in file.model.own_nodes(func):  # the file model's walk, shared
            self._collect(node)

    def source(self, node: ast.expr) -> Source | None:
        return self._source(node, set())

    # -- collecting ----------------------------------------------------------------------------
    def _free_text(self, arg: ast.arg, default: ast.expr | None) -> bool:
        if any(
            part and calls_one_of(self.file, part, DEPENDS) for part in (default, arg.annotation)
        ):
            return False
        annotation = arg.annotation
        if annotation is None:
            return True
        if self.sessions.kind(ast.Name(id=arg.arg, file=ast.Load())) is not None:
            return False
        if isinstance(annotation, ast.Subscript) and self.file.resolve(annotation.value) in (
            "builtins.type",
            "typing.Type",
            "typing.Literal",
        ):
            return False
        classes = declared_classes(self.file.resolve, annotation)
        return not classes or not all(self._not_text(name) for name in classes)

    def _not_text(self, qualified: str) -> bool:
        if qualified in NOT_TEXT_TYPES or qualified.split(".")[0] in ("sqlalchemy", "sqlmodel"):
            return True
        return ENUM in self.file.index.class_kinds(qualified)

    def _collect(self, node: ast.AST) -> None:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                self._bind(target, node.value)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and node.value:
            self._bind(node.target, node.value)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            self._bind(node.target, node.iter)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            self._bind(node.optional_vars, node.context_expr)
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Name):
            if any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
                self.validated.add(node.left.id)  # `if x not in ALLOWED: raise`
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in PATTERN_TESTS
        ):
            for checked in (node.func.value, *node.args):
                if isinstance(checked, ast.Name):
                    self.validated.add(checked.id)

    def _bind(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, ast.Name):
            self.assigned.setdefault(target.id, []).append(value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._bind(element, value)  # unpacking: each part may hold any of the value
        elif isinstance(target, ast.Starred):
            self._bind(target.value, value)

    # -- tracing -------------------------------------------------------------------------------
    def _source(self, node: ast.expr, seen: set[str]) -> Source | None:
        if isinstance(node, ast.Name):
            return self._name_source(node.id, seen)
        if isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred, ast.Await)):
            return self._source(node.value, seen)  # `body.name`, `params["q"]`, not `MAP[x]`
        if isinstance(node, ast.Call):
            return self._call_source(node, seen)
        children: list[ast.expr] = []
        if isinstance(node, ast.BinOp):
            children = [node.left, node.right]
        elif isinstance(node, ast.BoolOp):
            children = node.values
        elif isinstance(node, ast.IfExp):
            children = [node.body, node.orelse]
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            children = node.elts
        elif isinstance(node, ast.JoinedStr):
            children = [p.value for p in node.values if isinstance(p, ast.FormattedValue)]
        elif isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            children = [node.elt]
        elif isinstance(node, ast.NamedExpr):
            children = [node.value]
        for child in children:
            found = self._source(child, seen)
            if found is not None:
                return found
        return None

    def _name_source(self, name: str, seen: set[str]) -> Source | None:
        if name in self.validated:
            return None
        if name in seen or name not in self.assigned:
            # a parameter as it came in (also `x = x or default` seen through)
            if name in self.parameters:
                return Source(name, self.func.name)
            return None
        seen = seen | {name}
        for value in self.assigned[name]:
            found = self._source(value, seen)
            if found is not None:
                return found
        return None

    def _call_source(self, call: ast.Call, seen: set[str]) -> Source | None:
        function = call.func
        if isinstance(function, ast.Attribute):
            if function.attr not in TEXT_METHODS:
                return None
            parts = [function.value, *call.args]
        elif isinstance(function, ast.Name) and function.id in TEXT_BUILTINS:
            parts = list(call.args)
        else:
            return None  # a conversion, a constructor or the author's own function
        for part in parts:
            found = self._source(part, seen)
            if found is not None:
                return found
        return None
