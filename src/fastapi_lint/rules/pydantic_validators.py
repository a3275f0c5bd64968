"""FAL503: Pydantic v1 validators (`@validator`, `@root_validator`) and their v2 spelling.

The fixes reproduce what Pydantic v2 itself does with the deprecated decorators (its shims in
`pydantic.deprecated.class_validators`): `pre=True` is `mode="before"`, `always=True` sets
`validate_default=True` on the fields, a `values` argument is `info.data`, and a pre root
validator is a `mode="before"` model validator that receives the raw input. Nothing else has a
faithful translation, so nothing else is fixed.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from fastapi_lint.diagnostics import Applicability, Edit, Fix, Import
from fastapi_lint.rules.base import FileContext, FixAvailability, Rule
from fastapi_lint.rules.pydantic_v2 import uses_pydantic_v2

FIELD_VALIDATORS = frozenset(
    {
        "pydantic.validator",
        "pydantic.class_validators.validator",
        "pydantic.deprecated.class_validators.validator",
    }
)
ROOT_VALIDATORS = frozenset(
    {
        "pydantic.root_validator",
        "pydantic.class_validators.root_validator",
        "pydantic.deprecated.class_validators.root_validator",
    }
)
_VALIDATORS = FIELD_VALIDATORS | ROOT_VALIDATORS
FIELD_CALLS = frozenset({"pydantic.Field", "pydantic.fields.Field"})
# v1 keywords the fix knows (`each_item` has no v2 equivalent; `allow_reuse` is dropped).
FIELD_KEYWORDS = frozenset({"pre", "always", "check_fields", "allow_reuse"})
ROOT_KEYWORDS = frozenset({"pre", "skip_on_failure", "allow_reuse"})
# Arguments v1 passed by name after the value, and what v2's `info` offers instead.
INFO_ARGUMENTS = frozenset({"values", "field"})


class PydanticV1Validator(Rule):
    """
    ## What it does
    Checks for Pydantic v1 validators, `@validator(...)` and `@root_validator`, in a project
    that uses Pydantic v2 (also spelled `pydantic.validator`, through an alias of `pydantic`, or
    from `pydantic.class_validators`). Validators imported from `pydantic.v1` belong to v1 models
    and are left alone. Reported at the decorator.

    Runs only when the project uses Pydantic v2: `pydantic-version = 2`, or by default ("auto")
    a declared `pydantic>=2` dependency or a v2-only import in the file's package (see FAL501).

    ## Why is this bad?
    The v1 decorators are deprecated in v2 and removed in v3. Some no longer work at all: a
    validator taking `field` or `config` fails when the class is defined, and so does a
    `@root_validator` without `pre=True` or `skip_on_failure=True`.

    ## Example
    ```python
    from pydantic import BaseModel, validator


    class User(BaseModel):
        name: str

        @validator("name", pre=True)
        def strip_name(cls, value):
            return value.strip()
    ```

    Use instead:
    ```python
    from pydantic import BaseModel, field_validator


    class User(BaseModel):
        name: str

        @field_validator("name", mode="before")
        @classmethod
        def strip_name(cls, value):
            return value.strip()
    ```

    ## Fix safety
    `@validator(...)` becomes `@field_validator(...)` over `@classmethod`: `pre=True` becomes
    `mode="before"`, `check_fields` is kept, `allow_reuse` is dropped, and `always=True` adds
    `validate_default=True` to each named field that has a default (`x: int = 0` becomes
    `x: int = Field(0, validate_default=True)`), which is what v2 does for `always`. Safe when
    the function takes `(cls, value)`. Unsafe when it also takes `values` (becomes
    `info: ValidationInfo`, and `values` in the body `info.data`) or `field` (used only as
    `field.name`, which becomes `info.field_name`) or a `**kwargs` it never reads (dropped):
    the function's signature changes.
    `@root_validator(pre=True)` taking `(cls, values)` becomes `@model_validator(mode="before")`
    over `@classmethod` (safe; both receive the raw input).

    No fix for `each_item=True` (v2 has no equivalent: validate the items with an `Annotated`
    type instead), a `config` argument, `**kwargs` the body reads, `always=True` on `"*"` or on
    a field declared in a base class, and a root validator without `pre=True`: v1 gave it the
    dict of validated values, v2's `@model_validator(mode="after")` gives it the model
    instance, so its body must be rewritten by hand.
    """

    code = "FAL503"
    summary = "Pydantic v1 `@validator` / `@root_validator`"
    fix_availability = FixAvailability.SOMETIMES
    messages = {
        "validator": "`@validator` is Pydantic v1; use `@field_validator` with `@classmethod`",
        "root_before": "`@root_validator(pre=True)` is Pydantic v1; use "
        '`@model_validator(mode="before")` with `@classmethod`',
        "root_after": '`@root_validator` is Pydantic v1; use `@model_validator(mode="after")`, '
        "which receives the model instance instead of a dict of values",
    }
    fix_title = "Use `@{decorator}`"

    @classmethod
    def applies_to(cls, ctx: FileContext) -> bool:
        return ctx.may_resolve_to(_VALIDATORS)  # it reports decorators that resolve to one

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            qualified = self.ctx.resolve(call.func if call else decorator)
            if qualified not in FIELD_VALIDATORS and qualified not in ROOT_VALIDATORS:
                continue
            if not uses_pydantic_v2(self.ctx):
                return
            if qualified in FIELD_VALIDATORS:
                self.report(
                    decorator,
                    self.messages["validator"],
                    self._field_fix(node, call) if call else None,
                )
            elif call and _keyword_is_true(call, "pre"):
                self.report(decorator, self.messages["root_before"], self._root_fix(node, call))
            else:
                self.report(decorator, self.messages["root_after"])

    # -- @validator -> @field_validator ------------------------------------------------------------
    def _field_fix(self, func: ast.FunctionDef, call: ast.Call) -> Fix | None:
        if not self._fixable_method(func, call, FIELD_KEYWORDS):
            return None
        keywords = {keyword.arg: keyword.value for keyword in call.keywords}
        if any(not _is_bool(keywords[name]) for name in ("pre", "always") if name in keywords):
            return None  # `pre=PRE`: a human decides
        pre = _keyword_is_true(call, "pre")
        signature = self._signature_edits(func)
        if signature is None:
            return None
        edits, imports = signature
        safe = not edits  # a new signature: callers of the function itself may break
        if _keyword_is_true(call, "always"):
            defaults = self._validate_default_edits(call)
            if defaults is None:
                return None
            field_edits, field_import = defaults
            edits += field_edits
            imports += [field_import] if field_import and field_edits else []
        arguments = [self.ctx.source(argument) for argument in call.args]
        if pre:
            arguments.append(f"mode={self.ctx.string('before')}")
        if "check_fields" in keywords:
            arguments.append(f"check_fields={self.ctx.source(keywords['check_fields'])}")
        fix = self._decorator_fix(func, call, "field_validator", arguments, edits, imports)
        return fix if safe else replace(fix, applicability=Applicability.UNSAFE)

    def _signature_edits(self, func: ast.FunctionDef) -> tuple[list[Edit], list[Import]] | None:
        """Edits that turn v1's extra arguments (`values`, `field`) into v2's `info` and drop an
        unused `**kwargs`; None when there is no faithful translation. No edits for
        `(cls, value)`."""
        args = func.args
        if args.posonlyargs or args.kwonlyargs or args.vararg or args.defaults:
            return None
        if len(args.args) < 2:
            return None
        kwarg = args.kwarg
        if kwarg is not None and _reads(func, kwarg.arg):
            return None  # `kwargs["field"]`: v1's field and config objects are gone in v2
        extra = args.args[2:]
        if not extra and kwarg is None:
            return [], []
        names = {arg.arg for arg in extra}
        if len(names) != len(extra) or not names <= INFO_ARGUMENTS:
            return None  # `config` (v2's `info.config` is another object), unknown names
        body_edits = self._info_body_edits(func, names)
        if body_edits is None:
            return None
        _, end = self.ctx.lines.node_range(kwarg or extra[-1])
        if not extra:  # `(cls, value, **kwargs)` -> `(cls, value)`
            _, value_end = self.ctx.lines.node_range(args.args[1])
            return [Edit(value_end, end, "")], []
        spelled, needed = self.ctx.spell("pydantic", "ValidationInfo")
        start, _ = self.ctx.lines.node_range(extra[0])
        signature = Edit(start, end, f"info: {spelled}")
        return [signature, *body_edits], [needed] if needed else []

    def _info_body_edits(self, func: ast.FunctionDef, names: set[str]) -> list[Edit] | None:
        """`values` -> `info.data`, `field.name` -> `info.field_name` everywhere in the body."""
        edits: list[Edit] = []
        field_names: set[int] = set()  # ids of the `field` names read as `field.name`
        for node in ast.walk(ast.Module(body=func.body, type_ignores=[])):
            if isinstance(node, ast.arg) and node.arg in (*names, "info"):
                return None  # a nested function rebinds the name
            if (
                "field" in names
                and isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "field"
                and node.attr == "name"
                and isinstance(node.ctx, ast.Load)
            ):
                field_names.add(id(node.value))
                edits.append(self.ctx.replace(node, "info.field_name"))
        for node in ast.walk(ast.Module(body=func.body, type_ignores=[])):
            if not isinstance(node, ast.Name) or node.id not in (*names, "info"):
                continue
            if node.id == "info" or not isinstance(node.ctx, ast.Load):
                return None  # `info` already means something, or `values = ...` rebinds it
            if node.id == "values":
                edits.append(self.ctx.replace(node, "info.data"))
            elif id(node) not in field_names:
                return None  # `field.type_`, `field.required`...: v2 has no field object
        return edits

    def _validate_default_edits(self, call: ast.Call) -> tuple[list[Edit], Import | None] | None:
        """`always=True`: `validate_default=True` on each named field that has a default."""
        owner = self.ctx.enclosing_class()
        if owner is None:
            return None
        declared = {
            stmt.target.id: stmt
            for stmt in owner.body
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
        }
        spelled, needed = self.ctx.spell("pydantic", "Field")
        edits = []
        for argument in call.args:
            if not isinstance(argument, ast.Constant) or argument.value not in declared:
                return None  # `"*"`, a name, or a field declared in a base class
            value = declared[argument.value].value
            if value is None:
                continue  # required: v2 never validates a default it does not have
            callee = self.ctx.resolve(value.func) if isinstance(value, ast.Call) else None
            if callee and callee not in FIELD_CALLS and callee.endswith(".Field"):
                return None  # SQLModel's `Field` and friends: no `validate_default` there
            if callee in FIELD_CALLS:
                if any(keyword.arg == "validate_default" for keyword in value.keywords):
                    continue
                items = [*value.args, *value.keywords]
                if not items:
                    _, end = self.ctx.lines.node_range(value)
                    edits.append(Edit(end - 1, end - 1, "validate_default=True"))
                    continue
                _, end = self.ctx.lines.node_range(max(items, key=_position))
                edits.append(Edit(end, end, ", validate_default=True"))
            else:
                source = self.ctx.source(value)
                edits.append(self.ctx.replace(value, f"{spelled}({source}, validate_default=True)"))
        return edits, needed

    # -- @root_validator(pre=True) -> @model_validator(mode="before") --------------------------
    def _root_fix(self, func: ast.FunctionDef, call: ast.Call) -> Fix | None:
        if call.args or not self._fixable_method(func, call, ROOT_KEYWORDS):
            return None
        args = func.args
        if (
            len(args.args) != 2
            or args.posonlyargs
            or args.kwonlyargs
            or args.vararg
            or args.kwarg
            or args.defaults
        ):
            return None
        return self._decorator_fix(
            func, call, "model_validator", [f"mode={self.ctx.string('before')}"], [], []
        )

    # -- shared ----------------------------------------------------------------------------------
    def _fixable_method(self, func: ast.FunctionDef, call: ast.Call, known: frozenset) -> bool:
        """A method of a class body whose decorator has only keywords the fix translates."""
        if self.ctx.enclosing_class() is None:
            return False
        if any(keyword.arg not in known for keyword in call.keywords):
            return False  # `each_item=True`, `**options`
        return not self._decorated(func, "builtins.staticmethod")

    def _decorated(self, func: ast.FunctionDef, qualified: str) -> bool:
        return any(self.ctx.resolve(other) == qualified for other in func.decorator_list)

    def _decorator_fix(
        self,
        func: ast.FunctionDef,
        call: ast.Call,
        name: str,
        arguments: list[str],
        edits: list[Edit],
        imports: list[Import],
    ) -> Fix:
        spelled, needed = self.ctx.spell("pydantic", name)
        edits = [self.ctx.replace(call, self._call_text(call, spelled, arguments)), *edits]
        if not self._decorated(func, "builtins.classmethod"):
            edits.append(self._classmethod_edit(func))
        return Fix(
            title=self.fix_title.format(decorator=name),
            applicability=self.ctx.applicability(tuple(edits), Applicability.SAFE),
            edits=tuple(edits),
            imports=tuple(item for item in (needed, *imports) if item),
        )

    def _call_text(self, call: ast.Call, name: str, arguments: list[str]) -> str:
        """One line for a call written on one line; else one argument a line, as real code
        writes a validator of many fields."""
        items = [*call.args, *call.keywords]
        if call.lineno == call.end_lineno or not items or not arguments:
            return f"{name}({', '.join(arguments)})"
        outer = self._indent(call.lineno)
        first = min(items, key=_position)
        inner = self._indent(first.lineno) if first.lineno != call.lineno else outer + "    "
        lines = "".join(f"{inner}{argument},\n" for argument in arguments)
        return f"{name}(\n{lines}{outer})"

    def _indent(self, line: int) -> str:
        text = self.ctx.text[self.ctx.lines.line_start(line) :]
        return text[: len(text) - len(text.lstrip(" \t"))]

    def _classmethod_edit(self, func: ast.FunctionDef) -> Edit:
        """`@classmethod` right above `def`. The edit replaces the `def` keyword (not an empty
        insertion) so that two validators stacked on one function cannot both add it."""
        line_start = self.ctx.lines.line_start(func.lineno)
        start = line_start + self.ctx.lines.char_column(func.lineno, func.col_offset)
        indent = self.ctx.text[line_start:start]
        return Edit(start, start + len("def"), f"@classmethod\n{indent}def")


def _keyword_is_true(call: ast.Call, name: str) -> bool:
    return any(
        keyword.arg == name
        and isinstance(keyword.value, ast.Constant)
        and keyword.value.value is True
        for keyword in call.keywords
    )


def _reads(func: ast.FunctionDef, name: str) -> bool:
    return any(
        isinstance(node, ast.Name) and node.id == name
        for node in ast.walk(ast.Module(body=func.body, type_ignores=[]))
    )


def _is_bool(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, bool)


def _position(node: ast.AST) -> tuple[int, int]:
    return node.lineno, node.col_offset
