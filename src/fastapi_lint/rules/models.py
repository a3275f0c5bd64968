"""FAL3xx: models and data — defaults that are shared or evaluated once, at import."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi_lint.diagnostics import Applicability, Edit, Fix, Import
from fastapi_lint.rules.base import FileContext, FixAvailability, Option, Rule
from fastapi_lint.semantic.fastapi_calls import called_by_fastapi
from fastapi_lint.semantic.index import ATTRS, DATACLASS, PYDANTIC, SETTINGS, SQLMODEL, TABLE

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
SQL_COLUMNS = frozenset({"sqlalchemy.Column", "sqlalchemy.orm.mapped_column"})
# Calls that give a new value each time: evaluated once at import, every instance shares one.
PER_CALL = frozenset(
    {
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "datetime.date.today",
        "time.time",
        "time.time_ns",
        "time.monotonic",
        "time.perf_counter",
        "uuid.uuid1",
        "uuid.uuid4",
        "uuid.uuid6",
        "uuid.uuid7",
        "os.urandom",
        "os.getpid",
        "bson.ObjectId",
        "bson.objectid.ObjectId",
        "ulid.new",
        "ulid.ULID",
        "nanoid.generate",
        "shortuuid.uuid",
        "arrow.now",
        "arrow.utcnow",
        "pendulum.now",
        "pendulum.today",
        "django.utils.timezone.now",
    }
)
PER_CALL_MODULES = ("secrets.", "random.")
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


# -- fields of model-like classes -------------------------------------------------------------
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


# -- FAL301 -----------------------------------------------------------------------------------
class MutableDefaultArgument(Rule):
    """
    ## What it does
    Checks for parameters whose default is a mutable object: a list, dict or set literal or
    comprehension, or a call of `list`, `dict`, `set`, `bytearray`, `collections.defaultdict`,
    `OrderedDict`, `Counter` or `deque`. Functions, methods, `async def` and lambdas are checked.

    Route handlers and dependency providers are not: FastAPI copies a declared default for each
    request (`tags: list[str] = []` and `Annotated[list[str], Query()] = []` alike, as it does
    for `Query([])`), so no object is shared. Dependency providers are functions or classes
    given to `Depends(...)` in the same module, or functions declaring a parameter with
    `Query()`, `Depends()`, `Header()` and the like. A line marked
    `# noqa: B006` (ruff's / flake8-bugbear's twin) is taken as reviewed (equivalent codes).

    ## Why is this bad?
    A default is evaluated once, when the function is defined. Every call that relies on it gets
    the same object, so a change made in one call shows up in the next, across requests.

    ## Example
    ```python
    def add_tag(tag: str, tags: list[str] = []) -> list[str]:
        tags.append(tag)
        return tags
    ```

    Use instead:
    ```python
    def add_tag(tag: str, tags: list[str] | None = None) -> list[str]:
        if tags is None:
            tags = []
        tags.append(tag)
        return tags
    ```

    ## Fix safety
    Unsafe: the signature changes (the default becomes `None` and the annotation `T | None`, or
    `Optional[T]` when the target version is below 3.10), which callers and tools may see. The
    fix is offered for `def` and `async def` whose body starts on its own line, not for lambdas.
    It is the same finding as ruff's B006; a team running both can turn one side off.
    """

    code = "FAL301"
    summary = "Mutable default value for a parameter"
    fix_availability = FixAvailability.SOMETIMES
    message = (
        "Parameter `{name}` has a mutable default (`{default}`): one `{kind}` is shared by "
        "every call"
    )
    fix_title = "Default `{name}` to `None` and build the `{name}` value in the body"

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._check(node, node.args)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._check(node, node.args)

    def _check(self, node: ast.AST, args: ast.arguments) -> None:
        if not args.defaults and not any(args.kw_defaults):
            return
        positional = [*args.posonlyargs, *args.args]
        pairs = list(
            zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=False)
        )
        pairs += [
            (arg, d)
            for arg, d in zip(args.kwonlyargs, args.kw_defaults, strict=False)
            if d is not None
        ]
        found = [(arg, d, kind) for arg, d in pairs if (kind := mutable_kind(self.ctx, d))]
        if not found:
            return
        if not isinstance(node, ast.Lambda) and called_by_fastapi(self.ctx, node):
            return  # FastAPI builds each request's values: the default object is never shared
        for arg, default, kind in found:
            fix = None
            if not isinstance(node, ast.Lambda):
                fix = self._fix(node, arg, default)
            self.report(
                default,
                self.message.format(name=arg.arg, default=shown(self.ctx, default), kind=kind),
                fix,
            )

    def _fix(self, func, arg: ast.arg, default: ast.expr) -> Fix | None:
        ctx = self.ctx
        insertion = _body_insertion(ctx, func)
        if insertion is None:
            return None
        offset, indent, unit = insertion
        edits = [ctx.replace(default, "None")]
        imports: tuple[Import, ...] = ()
        if arg.annotation is not None and not _admits_none(ctx, arg.annotation):
            annotation_edit, imports = _optional_annotation(ctx, arg.annotation)
            edits.append(annotation_edit)
        body = ctx.source(default)
        statement = f"{indent}if {arg.arg} is None:\n{indent}{unit}{arg.arg} = {body}\n"
        edits.append(Edit(offset, offset, statement))
        return Fix(
            title=self.fix_title.format(name=arg.arg),
            applicability=Applicability.UNSAFE,
            edits=tuple(sorted(edits, key=lambda e: e.start)),
            imports=imports,
        )


def _body_insertion(ctx: FileContext, func) -> tuple[int, str, str] | None:
    """(offset, indent, indent unit) where a statement goes at the top of `func`'s body."""
    body = func.body
    first = body[0]
    index = 1 if _is_docstring(first) else 0
    anchor = body[index] if index < len(body) else None
    first_line = ctx.lines.line_text(first.lineno)
    indent = first_line[: ctx.lines.char_column(first.lineno, first.col_offset)]
    if indent.strip() or first.lineno == func.lineno:
        return None  # the body shares a line with the `def` or with another statement
    def_line = ctx.lines.line_text(func.lineno)
    def_indent = def_line[: len(def_line) - len(def_line.lstrip())]
    unit = indent[len(def_indent) :] if indent.startswith(def_indent) else "    "
    if not unit:
        return None
    if anchor is not None:
        anchor_line = ctx.lines.line_text(anchor.lineno)
        if anchor_line[: ctx.lines.char_column(anchor.lineno, anchor.col_offset)].strip():
            return None
        return ctx.lines.line_start(anchor.lineno), indent, unit
    end_line = first.end_lineno
    if end_line >= ctx.lines.line_count:
        return None  # a docstring on the file's last line: no line to insert before
    return ctx.lines.line_start(end_line + 1), indent, unit


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _admits_none(ctx: FileContext, annotation: ast.expr) -> bool:
    if isinstance(annotation, ast.Constant):
        if annotation.value is None:
            return True
        if isinstance(annotation.value, str):
            text = annotation.value
            return "None" in text or "Optional" in text or text in ("Any", "object")
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _admits_none(ctx, annotation.left) or _admits_none(ctx, annotation.right)
    if isinstance(annotation, ast.Subscript):
        origin = ctx.resolve(annotation.value)
        if origin == "typing.Optional":
            return True
        if origin == "typing.Union":
            items = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else []
            return any(_admits_none(ctx, item) for item in items)
        if origin == "typing.Annotated" and isinstance(annotation.slice, ast.Tuple):
            return _admits_none(ctx, annotation.slice.elts[0])
    return ctx.resolve(annotation) in ("typing.Any", "builtins.object")


def _optional_annotation(ctx: FileContext, annotation: ast.expr) -> tuple[Edit, tuple[Import, ...]]:
    text = ctx.source(annotation)
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        quote = text[-1]
        return ctx.replace(annotation, f"{text[:-1]} | None{quote}"), ()
    if ctx.settings.target_version >= (3, 10) or ctx.has_future_annotations():
        if isinstance(annotation, (ast.Lambda, ast.IfExp, ast.NamedExpr)):
            text = f"({text})"
        return ctx.replace(annotation, f"{text} | None"), ()
    spelled, needed = ctx.spell("typing", "Optional")
    return ctx.replace(annotation, f"{spelled}[{text}]"), ((needed,) if needed else ())


# -- FAL302 -----------------------------------------------------------------------------------
class MutableFieldDefault(Rule):
    """
    ## What it does
    Checks for fields of Pydantic models (`BaseModel`, `BaseSettings`, `SQLModel`), dataclasses
    and attrs classes whose default is a mutable object (as FAL301 defines it), also written as
    `Field([])`, `Field(default={})` or `field(default=[])`. Classes are recognised through their
    bases, also bases defined in other modules of the project.

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
    summary = "Mutable default value for a model, dataclass or attrs field"
    fix_availability = FixAvailability.SOMETIMES
    messages = {  # Pydantic copies a default per instance: there it is a convention, not a bug
        "pydantic": "Field `{name}` of `{owner}` has a mutable default `{default}`",
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


# -- FAL304 -----------------------------------------------------------------------------------
class CallEvaluatedFieldDefault(Rule):
    """
    ## What it does
    Checks for fields of Pydantic models, SQLModel classes, dataclasses and attrs classes whose
    default (also inside `Field(default=...)`) calls a function that gives a new value each
    time: the clock (`datetime.now()`, `datetime.utcnow()`, `date.today()`, `time.time()`),
    id generators (`uuid4()`, `uuid1()`, `ObjectId()`, `ulid.new()`), randomness
    (`secrets.token_urlsafe(32)`, `random.random()`, `os.urandom(16)`); also wrapped in an
    immutable constructor (`str(uuid4())`, `uuid4().hex`), and project helpers that return
    such a call (`def utcnow(): return datetime.now(timezone.utc)`).

    A value that is deliberately shared is not reported: one that other fields of the class
    body read (`USER_ID = uuid4()` then `user_key: str = str(USER_ID)`), and any default in a
    settings class (a `BaseSettings`, or a class whose name ends in `Settings`), which is made
    once per process, so a per-process value is what its default means.

    Other calls are not reported. RULES.md words the rule as "a call other than known-immutable
    constructors"; on real applications nearly every other call default is a deliberate shared
    value (a config object, `SecretField(...)`, a project's `build_foreign_key_field(...)`
    field factory, an enum member), and Pydantic copies defaults per instance, so reporting
    them cried wolf hundreds of times per application. Precision first: add your own per-call
    functions with the `extend-evaluated-calls` option.

    ## Why is this bad?
    The call runs once, when the class is created at import time. Every instance then shares its
    value: every row gets the same `created_at`, every object the same "unique" id.

    ## Example
    ```python
    from datetime import datetime

    from pydantic import BaseModel


    class Event(BaseModel):
        created_at: datetime = datetime.now()
    ```

    Use instead:
    ```python
    from datetime import datetime

    from pydantic import BaseModel, Field


    class Event(BaseModel):
        created_at: datetime = Field(default_factory=datetime.now)
    ```

    ## Fix safety
    Unsafe: the value is now computed per instance, which is the point but changes behaviour,
    and the JSON schema loses its default. A call without arguments becomes
    `default_factory=datetime.now`; any other call `default_factory=lambda: <call>`.

    ## Options
    - `extend-evaluated-calls`: qualified names of further functions that give a new value per
      call (e.g. `["app.ids.new_public_id"]`).
    """

    code = "FAL304"
    summary = "Field default evaluated once, at import"
    fix_availability = FixAvailability.SOMETIMES
    message = "`{call}` is evaluated once, at import: every instance of `{owner}` shares its value"
    fix_title = "Use `{keyword}={factory}`"
    options = (
        Option(
            "extend-evaluated-calls",
            list,
            (),
            "Qualified names of further functions that give a new value per call",
        ),
    )

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        class_kinds = self.ctx.class_kinds(node)
        family = model_family(class_kinds)
        if family is None:
            return
        if SETTINGS in class_kinds or node.name.endswith("Settings"):
            return  # made once per process: a per-process value is what it means
        extra = frozenset(self.option("extend-evaluated-calls"))
        read_by_others = None
        for item in field_defaults(self.ctx, node, family):
            if read_by_others is None:
                read_by_others = _read_by_other_fields(node)
            if item.name in read_by_others:
                continue  # other fields use the one value (`key: str = str(USER_ID)`): on purpose
            call = _innermost_call(item.value)  # `uuid4().hex` evaluates `uuid4()` once too
            if call is None or mutable_kind(self.ctx, call):
                continue
            if not self._evaluated_once(call, extra):
                continue
            function = call.func
            simple = call is item.value and not call.args and not call.keywords
            if simple and _dotted(function):
                factory = self.ctx.source(function)
            else:
                factory = f"lambda: {self.ctx.source(item.value)}"
            fix = factory_fix(self.ctx, node, item, factory, class_kinds, self.fix_title)
            self.report(call, self.message.format(call=shown(self.ctx, call), owner=node.name), fix)

    def _evaluated_once(self, call: ast.Call, extra: frozenset[str]) -> bool:
        """True when the call, or a call inside its arguments, gives a new value per call."""
        for node in ast.walk(call):
            if isinstance(node, ast.Lambda):
                return False  # a factory: evaluated per use
            if isinstance(node, ast.Call) and self._per_call(self.ctx.resolve(node.func), extra):
                return True
        return False

    def _per_call(self, callee: str | None, extra: frozenset[str], depth: int = 0) -> bool:
        if callee is None or depth > 3:
            return False
        if callee in PER_CALL or callee in extra or callee.startswith(PER_CALL_MODULES):
            return True
        found = self.ctx.index.function(callee)  # a project helper returning such a call
        return found is not None and any(
            self._per_call(inner.partition("[")[0], extra, depth + 1) for inner in found[1].provides
        )


def _read_by_other_fields(node: ast.ClassDef) -> set[str]:
    """The names that a value in the class body, other than their own, reads: one pass over
    the class body, not one per field."""
    found: set[str] = set()
    for statement in node.body:
        if not isinstance(statement, (ast.Assign, ast.AnnAssign)) or statement.value is None:
            continue
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        own = {t.id for t in targets if isinstance(t, ast.Name)}
        found.update(
            child.id
            for child in ast.walk(statement.value)
            if isinstance(child, ast.Name)
            and isinstance(child.ctx, ast.Load)
            and child.id not in own
        )
    return found


def _innermost_call(node: ast.expr) -> ast.Call | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node if isinstance(node, ast.Call) else None


def _dotted(node: ast.expr) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


# -- FAL305 -----------------------------------------------------------------------------------
class MutableColumnDefault(Rule):
    """
    ## What it does
    Checks for `Column(...)` and `mapped_column(...)` calls whose `default=` or
    `insert_default=` is a mutable object (a list, dict or set literal, or a call that builds
    one), and for SQLModel table fields that declare their column (`sa_column=`, `sa_type=`)
    with such a default in `Field(default=...)`.

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
