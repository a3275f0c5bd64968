"""FAL302: a mutable default value for a model, dataclass or attrs field."""

from __future__ import annotations

import ast

from fastapi_lint.rules.base import FixAvailability, Option, Rule
from fastapi_lint.rules.models.defaults import (
    class_level_names,
    factory_fix,
    factory_text,
    field_defaults,
    is_sqlmodel_column_field,
    model_family,
    mutable_kind,
    shown,
)


class MutableFieldDefault(Rule):
    """
    ## What it does
    Checks for fields of Pydantic models (`BaseModel`, `BaseSettings`, `SQLModel`), dataclasses
    and attrs classes whose default is a mutable object (as FAL301 defines it), also written as
    `Field([])`, `Field(default={})` or `field(default=[])`. Classes are recognised through their
    bases, also bases defined in other modules of the project.

    Not in stubs (`.pyi`): nothing there is evaluated.

    ## Why is this bad?
    On an attrs class the one default object is shared by every instance: a change made through
    one instance shows up in all the others. On a dataclass, `list`, `dict` and `set` defaults
    raise `ValueError` when the class is created.

    On a Pydantic model this is not a crash nor shared state: Pydantic copies a mutable default
    for each instance. It is reported as the team convention ("`Field(default_factory=list)`"),
    which states the intent and keeps models, dataclasses and attrs classes written alike. A team
    that prefers plain `tags: list[str] = []` in Pydantic models sets
    `check-pydantic-models = false` and keeps the rule for dataclasses and attrs classes.

    A field of a SQLModel table that declares its column (`sa_column=`, `sa_type=`) is reported
    by FAL305 instead.

    ## Example
    ```python
    from pydantic import BaseModel


    class Item(BaseModel):
        tags: list[str] = []
    ```

    Use instead:
    ```python
    from pydantic import BaseModel, Field


    class Item(BaseModel):
        tags: list[str] = Field(default_factory=list)
    ```

    ## Fix safety
    Unsafe: with a factory the JSON schema (and so the OpenAPI document) no longer shows the
    default. The fix writes `Field(default_factory=...)` (`sqlmodel.Field` in SQLModel classes),
    `field(default_factory=...)` for dataclasses and `attrs.field(factory=...)` for attrs
    classes, keeps the other `Field` arguments, and adds the import.

    ## Options
    - `check-pydantic-models` (default `true`): `false` limits the rule to dataclasses and attrs
      classes, where a mutable default is a real bug.
    """

    code = "FAL302"
    checks_stubs = False  # a stub (`.pyi`) evaluates no default
    summary = "Mutable default value for a model, dataclass or attrs field"
    fix_availability = FixAvailability.SOMETIMES
    messages = {  # Pydantic copies a default per instance: there it is a convention, not a bug
        "pydantic": "Field `{name}` of `{owner}` has a mutable default `{default}` (Pydantic "
        "copies it per instance; the convention is a `default_factory`)",
        "shared": "Field `{name}` of `{owner}` has a mutable default `{default}`: one `{kind}` "
        "is shared by every instance",
    }
    fix_title = "Use `{keyword}={factory}`"
    options = (
        Option(
            "check-pydantic-models",
            bool,
            True,
            "Report Pydantic models too (a convention there, not a bug: Pydantic copies defaults)",
        ),
    )

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        class_kinds = self.ctx.class_kinds(node)
        family = model_family(class_kinds)
        if family is None:
            return
        if family == "pydantic" and not self.option("check-pydantic-models"):
            return
        taken = class_level_names(node)
        for item in field_defaults(self.ctx, node, family):
            kind = mutable_kind(self.ctx, item.value)
            if kind is None or is_sqlmodel_column_field(self.ctx, item, class_kinds):
                continue
            factory = factory_text(self.ctx, item.value, taken)
            fix = factory_fix(self.ctx, node, item, factory, class_kinds, self.fix_title)
            message = self.messages["pydantic" if family == "pydantic" else "shared"]
            self.report(
                item.value,
                message.format(
                    name=item.name, owner=node.name, default=shown(self.ctx, item.value), kind=kind
                ),
                fix,
            )
