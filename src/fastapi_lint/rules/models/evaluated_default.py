"""FAL304: a field default evaluated once, at import."""

from __future__ import annotations

import ast

from fastapi_lint.rules.base import FixAvailability, Option, Rule
from fastapi_lint.rules.models.defaults import (
    factory_fix,
    field_defaults,
    model_family,
    mutable_kind,
    shown,
)
from fastapi_lint.semantic.index import SETTINGS

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

    Not in stubs (`.pyi`): nothing there is evaluated.

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
    checks_stubs = False  # a stub (`.pyi`) evaluates no default
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
