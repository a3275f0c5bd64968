"""FAL305: a mutable column default shared by every row."""

from __future__ import annotations

import ast

from fastapi_lint.diagnostics import Applicability, Fix
from fastapi_lint.rules.base import FileContext, FixAvailability, Rule
from fastapi_lint.rules.models.defaults import (
    class_level_names,
    factory_fix,
    factory_text,
    field_defaults,
    is_sqlmodel_column_field,
    mutable_kind,
    shown,
)
from fastapi_lint.semantic.index import TABLE

SQL_COLUMNS = frozenset({"sqlalchemy.Column", "sqlalchemy.orm.mapped_column"})


class MutableColumnDefault(Rule):
    """
    ## What it does
    Checks for `Column(...)` and `mapped_column(...)` calls whose `default=` or
    `insert_default=` is a mutable object (a list, dict or set literal, or a call that builds
    one), and for SQLModel table fields that declare their column (`sa_column=`, `sa_type=`)
    with such a default in `Field(default=...)`.

    Not in stubs (`.pyi`): nothing there is evaluated.

    ## Why is this bad?
    SQLAlchemy uses a non-callable default as it is: the one dict is handed to every row the
    process inserts. Change it in one place and the next insert sees the change
    (sqlalchemy/sqlalchemy#6444). A callable default is called for each row.

    Alembic migrations (modules that import `alembic`) are not checked: their columns only
    describe DDL.

    ## Example
    ```python
    from sqlalchemy import JSON
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Profile(Base):
        __tablename__ = "profiles"
        id: Mapped[int] = mapped_column(primary_key=True)
        settings: Mapped[dict] = mapped_column(JSON, default={})
    ```

    Use instead:
    ```python
    from sqlalchemy import JSON
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Profile(Base):
        __tablename__ = "profiles"
        id: Mapped[int] = mapped_column(primary_key=True)
        settings: Mapped[dict] = mapped_column(JSON, default=dict)
    ```

    ## Fix safety
    Unsafe: `default={}` becomes `default=dict` (`list`, `set`), a non-empty literal
    `default=lambda: <literal>`; SQLModel fields get `default_factory=`. Code that compared or
    mutated the shared default object sees a change.
    """

    code = "FAL305"
    checks_stubs = False  # a stub (`.pyi`) evaluates no default
    summary = "Mutable column default shared by every row"
    fix_availability = FixAvailability.ALWAYS
    message = "`{keyword}={default}` is one `{kind}` shared by every row this process inserts"
    fix_title = "Use `{keyword}={factory}`"

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        # Alembic migrations declare columns for DDL; their Python defaults never insert rows.
        self._migration = ctx.imports_module("alembic")

    def visit_Call(self, node: ast.Call) -> None:
        if self.ctx.resolve(node.func) not in SQL_COLUMNS or self._migration:
            return
        for keyword in node.keywords:
            if keyword.arg not in ("default", "insert_default"):
                continue
            kind = mutable_kind(self.ctx, keyword.value)
            if kind is None:
                continue
            factory = factory_text(self.ctx, keyword.value)
            fix = Fix(
                title=self.fix_title.format(keyword=keyword.arg, factory=factory),
                applicability=Applicability.UNSAFE,
                edits=(self.ctx.replace(keyword.value, factory),),
            )
            self._report(keyword.arg, keyword.value, kind, fix)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        class_kinds = self.ctx.class_kinds(node)
        if TABLE not in class_kinds:
            return
        taken = class_level_names(node)
        for item in field_defaults(self.ctx, node, "pydantic"):
            kind = mutable_kind(self.ctx, item.value)
            if kind is None or not is_sqlmodel_column_field(self.ctx, item, class_kinds):
                continue
            factory = factory_text(self.ctx, item.value, taken)
            fix = factory_fix(self.ctx, node, item, factory, class_kinds, self.fix_title)
            self._report("default", item.value, kind, fix)

    def _report(self, keyword: str, value: ast.expr, kind: str, fix: Fix | None) -> None:
        message = self.message.format(keyword=keyword, default=shown(self.ctx, value), kind=kind)
        self.report(value, message, fix)
