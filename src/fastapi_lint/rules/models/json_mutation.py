"""FAL303: JSON columns changed in place, which the unit of work never sees.

Unlike the defaults rules beside it, it reads function bodies (through the file model) and the
project index's column facts.
"""

from __future__ import annotations

import ast
import unicodedata
from dataclasses import dataclass

from fastapi_lint import lazy_re
from fastapi_lint.diagnostics import Applicability, Edit, Fix
from fastapi_lint.rules.base import FileContext, FixAvailability, Rule
from fastapi_lint.semantic.annotations import declared_classes
from fastapi_lint.semantic.index import MAPPED, name_print

# -- FAL303 -----------------------------------------------------------------------------------
MUTATING_METHODS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "pop",
        "remove",
        "clear",
        "update",
        "setdefault",
        "popitem",
        "sort",
        "reverse",
    }
)
FLAG_MODIFIED = "sqlalchemy.orm.attributes.flag_modified"
_NOT_A_MODEL = "-"
_GETTERS = frozenset({"get", "get_one"})  # session.get(Model, id)
# The name after each dot, past spaces, line continuations and comments (`obj.  # why` then
# `col` inside brackets is an attribute too); a lookahead, so no dot is passed over. A name is
# a run of ASCII letters, digits and `_`, and of any non-ASCII character. A comment runs to its
# line's end: ending anywhere, a line of `#` could be split in 2^n ways, each tried in turn.
_AFTER_A_DOT = lazy_re.compile(
    r"\.(?=(?:[\s\\]|#[^\n]*(?![^\n]))*([^\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]+))"
)


@dataclass
class _Mutation:
    statement: ast.stmt
    ancestors: list[tuple[int, ast.stmt]]  # (id of the statement list, statement) outermost first
    alias: bool  # through a local alias of the column (`data = obj.col; data["k"] = v`)


class UntrackedJsonMutation(Rule):
    """
    ## What it does
    Checks for in-place changes to a JSON/JSONB (or ARRAY, PickleType) column of a mapped model:
    `obj.col[k] = v`, `obj.col[k][j] = v`, `del obj.col[k]`, `obj.col[k] += v`, and
    `append`/`extend`/`insert`/`pop`/`remove`/`clear`/`update`/`setdefault`/`popitem`/`sort`/
    `reverse` on `obj.col` or a part of it; also through an alias
    (`data = obj.col; data["k"] = v`). Columns wrapped in `MutableDict`/`MutableList` are
    tracked and never reported.

    `obj` must be known to be an instance of the model: its annotation, `Model(...)`,
    `await session.get(Model, ...)`, a `select(Model)` result, `self` in the model's methods,
    or a relationship of such an object annotated `Mapped["Model"]`
    (`product.organization.settings["k"] = v`). An attribute name alone says nothing (a
    dataclass may have a `settings` too), so an object of unknown class is not reported. Also
    through `data = obj.col or {}` (the column's own object whenever it is set). Not reported
    when, later in the function, `flag_modified(obj, "col")` is called or `obj.col` is given a
    new object, nor in a test (`test_*`) that saves nothing (no `commit`, `flush`, `add`,
    `merge`, `save` call): it shapes a fixture in memory. Reassigning the same object
    (`data = obj.col; data["k"] = v; obj.col = data`) does not count: SQLAlchemy compares it
    with itself and sees no change.

    ## Why is this bad?
    The unit of work only sees attribute assignments. An in-place change leaves the attribute
    "unchanged", so the commit writes nothing: the change is lost silently, or only saved when
    some other column of the row happens to change too.

    ## Example
    ```python
    from sqlalchemy import JSON
    from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


    class Base(DeclarativeBase):
        pass


    class Profile(Base):
        __tablename__ = "profiles"
        id: Mapped[int] = mapped_column(primary_key=True)
        settings: Mapped[dict] = mapped_column(JSON, default=dict)


    def set_theme(db: Session, profile: Profile, theme: str) -> None:
        profile.settings["theme"] = theme
        db.commit()
    ```

    Use instead:
    ```python
    from sqlalchemy import JSON
    from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
    from sqlalchemy.orm.attributes import flag_modified


    class Base(DeclarativeBase):
        pass


    class Profile(Base):
        __tablename__ = "profiles"
        id: Mapped[int] = mapped_column(primary_key=True)
        settings: Mapped[dict] = mapped_column(JSON, default=dict)


    def set_theme(db: Session, profile: Profile, theme: str) -> None:
        profile.settings["theme"] = theme
        flag_modified(profile, "settings")
        db.commit()
    ```

    ## Fix safety
    Unsafe: `flag_modified(obj, "col")` is inserted after the last change of each block that
    changes the column (in an `if` and in its `elif`, in a `try` and in its `except`: every
    path that changed it calls it before it commits or returns), and its import added. That
    makes an UPDATE happen that did not before; code sometimes changes a loaded object only to
    shape a response, and must not save it.
    """

    code = "FAL303"
    summary = "JSON column changed in place is never saved"
    fix_availability = FixAvailability.SOMETIMES
    message = (
        "`{obj}.{column}` is a JSON column of `{model}` changed in place: SQLAlchemy does not "
        "see the change and never saves it"
    )
    fix_title = 'Call `flag_modified({obj}, "{column}")` after the change'

    @classmethod
    def applies_to(cls, ctx: FileContext) -> bool:
        # A finding needs `json_columns(model)[column] == "json"`, and `column` is an attribute
        # name the file spells (`obj.column`, or the alias's `data = obj.column`). The index is
        # asked about the names after a dot (a superset of the file's attribute names: strings
        # and comments count too), so that the cache re-lints the file only when one of them
        # becomes (or stops being) a JSON column; by their prints, as those of a string may be
        # a secret's. The answer reads every module's facts: it is asked only when they are
        # all in memory (not in a warm run, where most wait in the index cache, and a lint of
        # a few files would decode them all). Without a results cache to replay the question,
        # the index's names are looked for in the text instead.
        if not ctx.index.facts_decoded():
            return True
        text = ctx.text
        if not ctx.index.notes_queries:  # no results cache: the answer need not be replayable
            columns = ctx.index.json_column_names()
            if not columns or text.isascii():
                return any(column in text for column in columns)
        names = set(_AFTER_A_DOT.findall(text))
        if not text.isascii():  # Python reads a name as its NFKC form
            names = {unicodedata.normalize("NFKC", name) for name in names}
        if not names:
            return False
        prints = sorted({name_print(name) for name in names})
        return bool(ctx.index.json_columns_printed(tuple(prints)))

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        changes: dict[tuple[str, str], list[_Mutation]] = {}
        settled: dict[tuple[str, str], int] = {}  # last line that flags or replaces the column
        aliases: dict[str, tuple[str, str]] = {}
        self._scan_block(node.body, None, aliases, changes, settled)
        if not changes:
            return
        if node.name.startswith("test") and not _saves(self.ctx, node):
            return  # a test shaping an object in memory: nothing is meant to be saved
        for (obj, column), mutations in changes.items():
            last = max(m.statement.lineno for m in mutations)
            if settled.get((obj, column), 0) > last:
                continue
            model = self._model_of(node, obj, column)
            if model is None:
                continue
            self._report(node, obj, column, model, mutations)

    visit_AsyncFunctionDef = visit_FunctionDef

    # -- finding the changes -------------------------------------------------------------------
    def _scan_block(self, body: list[ast.stmt], outer: tuple | None, *found) -> None:
        """`_scan` each statement of a block that can change a column, in source order: a
        statement, then those of its `body`, `orelse`, `finalbody`, handlers and cases (a nested
        def or class is not entered). A statement's link is (outer link, id of its block, the
        statement); `_ancestors` unrolls it for the few that change a column."""
        block = id(body)
        for statement in body:
            kind = type(statement)
            if kind in _SCANNED:  # (most statements can change no column)
                if kind is not ast.Expr or type(statement.value) is ast.Call:
                    self._scan(statement, (outer, block, statement), *found)
                continue
            if kind not in _COMPOUND:
                continue
            link = (outer, block, statement)
            for name in ("body", "orelse", "finalbody"):
                inner = getattr(statement, name, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    self._scan_block(inner, link, *found)
            for handler in getattr(statement, "handlers", ()):
                self._scan_block(handler.body, link, *found)
            for case in getattr(statement, "cases", ()):
                self._scan_block(case.body, link, *found)

    def _scan(self, statement, link, aliases, changes, settled) -> None:
        def mutated(target: ast.expr) -> None:
            found = self._column_of(target, aliases)
            if found is not None:
                key, via_alias = found
                mutation = _Mutation(statement, _ancestors(link), via_alias)
                changes.setdefault(key, []).append(mutation)

        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Subscript):
                    mutated(target)
                elif isinstance(target, ast.Attribute) and _owner_path(target.value):
                    key = (_owner_path(target.value), target.attr)
                    if not self._same_object(statement.value, key, aliases):
                        settled[key] = statement.lineno
            value = statement.value
            if isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or):
                value = value.values[0]  # `data = obj.col or {}`: the column's object when set
            if len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
                owner = _owner_path(value.value) if isinstance(value, ast.Attribute) else None
                if owner is not None:
                    aliases[statement.targets[0].id] = (owner, value.attr)
        elif isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Subscript):
            mutated(statement.target)
        elif isinstance(statement, ast.Delete):
            for target in statement.targets:
                if isinstance(target, ast.Subscript):
                    mutated(target)
        elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            call = statement.value
            function = call.func
            if isinstance(function, ast.Attribute) and function.attr in MUTATING_METHODS:
                mutated(function.value)
            elif self.ctx.resolve(function) == FLAG_MODIFIED and len(call.args) >= 2:
                obj, column = _owner_path(call.args[0]), string_literal(call.args[1])
                if obj is not None and column is not None:
                    settled[(obj, column)] = statement.lineno

    def _column_of(self, target: ast.expr, aliases) -> tuple[tuple[str, str], bool] | None:
        """(obj, column) that `target` (or the part of it a subscript reaches) belongs to."""
        node = target
        while isinstance(node, ast.Subscript):
            node = node.value
        if isinstance(node, ast.Attribute) and _owner_path(node.value):
            return (_owner_path(node.value), node.attr), False
        if isinstance(node, ast.Name) and node.id in aliases:
            return aliases[node.id], True
        return None

    def _same_object(self, value: ast.expr, key: tuple[str, str], aliases) -> bool:
        if isinstance(value, ast.Name):
            return aliases.get(value.id) == key
        return isinstance(value, ast.Attribute) and (_owner_path(value.value), value.attr) == key

    # -- what `obj` is -------------------------------------------------------------------------
    def _model_of(self, func, obj: str, column: str) -> str | None:
        """The mapped class `obj` is known to be an instance of, when `column` is an untracked
        column. An attribute name alone says nothing: a dataclass may use the same name."""
        root, *path = obj.split(".")
        found = self._self_class(func, root) or self.ctx.memo(
            (_instance_class, func, root), lambda: _instance_class(self.ctx, func, root)
        )
        for relationship in path:  # `product.organization`: the related model
            if found in (None, _NOT_A_MODEL):
                return None
            found = _related_class(self.ctx, found, relationship)
        if found in (None, _NOT_A_MODEL):
            return None
        kind = self.ctx.index.json_columns(found).get(column)
        return found if kind == "json" else None

    def _self_class(self, func, obj: str) -> str | None:
        """`self` in a method is an instance of the class being defined."""
        owner = self.ctx.enclosing_class()
        arguments = [*func.args.posonlyargs, *func.args.args]
        if owner is None or not arguments or arguments[0].arg != obj:
            return None
        if MAPPED not in self.ctx.class_kinds(owner):
            return _NOT_A_MODEL
        return f"{self.ctx.module}.{owner.name}"

    # -- reporting -----------------------------------------------------------------------------
    def _report(self, func, obj, column, model, mutations: list[_Mutation]) -> None:
        first = min(mutations, key=lambda m: (m.statement.lineno, m.statement.col_offset))
        model_name = model.rsplit(".", 1)[-1]
        self.report(
            first.statement,
            self.message.format(obj=obj, column=column, model=model_name),
            self._fix(obj, column, first, mutations),
        )

    def _fix(self, obj, column, first: _Mutation, mutations: list[_Mutation]) -> Fix | None:
        lines = self.ctx.lines
        name, needed = self.ctx.spell("sqlalchemy.orm.attributes", "flag_modified")
        call = f"{name}({obj}, {self.ctx.string(column)})\n"
        edits = []
        for anchor in _last_change_of_each_block(mutations):
            if anchor.end_lineno >= lines.line_count:
                return None
            text = lines.line_text(anchor.lineno)
            indent = text[: len(text) - len(text.lstrip())]
            offset = lines.line_start(anchor.end_lineno + 1)
            edits.append(Edit(offset, offset, indent + call))
        return Fix(
            title=self.fix_title.format(obj=obj, column=column),
            applicability=Applicability.UNSAFE,
            edits=tuple(edits),
            imports=(needed,) if needed else (),
        )


SAVING_METHODS = frozenset({"commit", "flush", "add", "add_all", "merge", "save"})


def _saves(ctx: FileContext, func) -> bool:
    """Whether a function asks a session (or a repository) to write anything."""
    return any(
        isinstance(call.func, ast.Attribute) and call.func.attr in SAVING_METHODS
        for call in ctx.model.summary(func).calls
    )


def _owner_path(node: ast.expr) -> str | None:
    """`obj` or `obj.relationship` (one level): what a column is reached through."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    return None


def _related_class(ctx: FileContext, model: str, relationship: str) -> str | None:
    """The mapped class a relationship annotated `Mapped["Other"]` (or `Optional[...]`) of
    `model` leads to."""
    found = ctx.index.field_annotation(model, relationship)
    if found is None:
        return None
    imports, annotation = found
    if isinstance(annotation, ast.Subscript) and imports.resolve(annotation.value) in (
        "sqlalchemy.orm.Mapped",
        "sqlalchemy.orm.base.Mapped",
    ):
        annotation = annotation.slice
    module = model.rsplit(".", 1)[0]
    for qualified in declared_classes(imports.resolve, annotation) or _local_names(annotation):
        for candidate in (qualified, f"{module}.{qualified}"):
            if MAPPED in ctx.index.class_kinds(candidate):
                return candidate
    return None


def _local_names(annotation: ast.expr) -> list[str]:
    """`Other` or `"Other"` when it is not imported: a class of the model's own module."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return [annotation.value]
    return [annotation.id] if isinstance(annotation, ast.Name) else []


def string_literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


# The statements `_scan` reads: assignments, `del` and expression statements.
_SCANNED = frozenset({ast.Assign, ast.AugAssign, ast.Delete, ast.Expr})
# The statements that hold blocks of statements (a nested def or class is not entered).
_COMPOUND = frozenset(
    {
        ast.If,
        ast.For,
        ast.AsyncFor,
        ast.While,
        ast.With,
        ast.AsyncWith,
        ast.Try,
        getattr(ast, "TryStar", ast.Try),
        ast.Match,
    }
)


def _last_change_of_each_block(mutations: list[_Mutation]) -> list[ast.stmt]:
    """The last change of each block holding one, in source order: `flag_modified` goes after
    each, so that every path that changed the column calls it before it commits, returns,
    continues or raises (one call after the statement holding them all is missed by a branch
    that leaves early; one in the first change's block is missed by a later change elsewhere,
    which each fix round then reported again)."""
    last: dict[int, ast.stmt] = {}
    for mutation in mutations:
        block = mutation.ancestors[-1][0]
        known = last.get(block)
        if known is None or mutation.statement.end_lineno > known.end_lineno:
            last[block] = mutation.statement
    return sorted(last.values(), key=lambda statement: statement.end_lineno)


def _ancestors(link: tuple) -> list[tuple[int, ast.stmt]]:
    """[(id of block, enclosing statement), ...], outermost first, the statement itself last."""
    found = []
    while link is not None:
        outer, block, statement = link
        found.append((block, statement))
        link = outer
    found.reverse()
    return found


def _instance_class(ctx: FileContext, func, name: str) -> str | None:
    """Qualified mapped class of local `name`; _NOT_A_MODEL when known to be something else."""
    model = ctx.model
    annotation = model.declared_annotation(func, name)
    if annotation is not None:
        for qualified in declared_classes(ctx.resolve, annotation):
            if MAPPED in ctx.index.class_kinds(qualified):
                return qualified
        return _NOT_A_MODEL
    for binding in model.bindings(func).get(name, ()):
        node = binding.node
        if binding.kind == "assign" and type(node) is ast.Assign and binding.value is not None:
            value = node.value
        elif type(node) in (ast.For, ast.AsyncFor) and isinstance(node.target, ast.Name):
            value = node.iter
        else:
            continue
        found = _produced_class(ctx, func, value, 0)
        if found is not None:
            return found
    return None


def _produced_class(ctx: FileContext, func, value: ast.expr, depth: int) -> str | None:
    """The mapped class a value builds or loads: `M(...)`, `db.get(M, i)`, `select(M)` rows."""
    if depth > 3:
        return None
    if isinstance(value, ast.Await):
        value = value.value
    if isinstance(value, ast.Call):
        qualified = ctx.resolve(value.func)
        if qualified and MAPPED in ctx.index.class_kinds(qualified):
            return qualified
        function = value.func
        if isinstance(function, ast.Attribute) and function.attr in _GETTERS and value.args:
            first = ctx.resolve(value.args[0])
            if first and MAPPED in ctx.index.class_kinds(first):
                return first
    for node in ast.walk(value):  # the value expression only, not the function's body
        if (
            isinstance(node, ast.Call)
            and node.args
            and ctx.resolve(node.func) == "sqlalchemy.select"
        ):
            first = ctx.resolve(node.args[0])
            if first and MAPPED in ctx.index.class_kinds(first):
                return first
    root = value
    while isinstance(root, (ast.Call, ast.Attribute, ast.Subscript)):
        root = root.func if isinstance(root, ast.Call) else root.value
    if isinstance(root, ast.Name) and root is not value:
        for node in ctx.model.assignments(func, root.id)[:1]:
            return _produced_class(ctx, func, node.value, depth + 1)
    return None
