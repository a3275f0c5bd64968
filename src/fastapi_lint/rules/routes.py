"""FAL1xx: routes — Endpoint → Service → Model, declared responses, background tasks."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import PurePath

from fastapi_lint.diagnostics import Applicability, Edit, Fix
from fastapi_lint.rules.base import FileContext, FixAvailability, Option, Rule
from fastapi_lint.semantic import index as kinds
from fastapi_lint.semantic.locals import declared_classes, declared_type, own_nodes
from fastapi_lint.semantic.routes import Route
from fastapi_lint.semantic.sessions import DATABASE_METHODS

STATEMENTS = {
    "sqlalchemy.select": "select",
    "sqlalchemy.insert": "insert",
    "sqlalchemy.update": "update",
    "sqlalchemy.delete": "delete",
    "sqlalchemy.text": "text",
    "sqlalchemy.dialects.postgresql.insert": "insert",
    "sqlalchemy.dialects.sqlite.insert": "insert",
    "sqlalchemy.dialects.mysql.insert": "insert",
}
NO_BODY_STATUS = frozenset({204, 304})
NO_BODY_STATUS_NAMES = frozenset(
    {
        "starlette.status.HTTP_204_NO_CONTENT",
        "starlette.status.HTTP_304_NOT_MODIFIED",
        "http.HTTPStatus.NO_CONTENT",
        "http.HTTPStatus.NOT_MODIFIED",
    }
)
BACKGROUND_TASKS = "starlette.background.BackgroundTasks"
BACKGROUND_TASK = frozenset({"starlette.background.BackgroundTask", "fastapi.BackgroundTask"})


# Session methods that only end or scope a transaction: a route that calls nothing else on its
# session is the unit-of-work boundary around services, not database code in the route.
UNIT_OF_WORK = frozenset({"commit", "rollback", "refresh", "flush", "begin", "begin_nested"})
TEST_FILES_OPTION = Option(
    "check-test-files",
    bool,
    False,
    "Also check routes declared in test files (tests/, test_*.py, *_test.py, conftest.py)",
)


def _source_order(node: ast.AST) -> tuple[int, int]:
    return node.lineno, node.col_offset


def application_route(rule: Rule, func) -> Route | None:
    """The route `func` handles, unless it is test scaffolding and the rule skips those."""
    route = rule.ctx.route(func)
    if route is not None and not rule.option("check-test-files") and in_test_file(rule.ctx):
        return None
    return route


def in_test_file(ctx: FileContext) -> bool:
    """Test modules by the conventions of pytest and unittest, judged inside the import root
    (a project that itself lives under some `tests/` folder is not all tests)."""
    parts = ctx.module.split(".") if ctx.module else []
    stem = PurePath(ctx.path).stem
    names = [*parts[:-1], stem]
    return (
        any(part in ("tests", "test") for part in names[:-1])
        or stem.startswith("test_")
        or stem.endswith("_test")
        or stem == "conftest"
    )


# -- FAL101 -----------------------------------------------------------------------------------
class DbAccessInRoute(Rule):
    """
    ## What it does
    Checks for route handlers that talk to the database themselves: a call of a session method
    that does database work (`execute`, `scalars`, `get`, `add`, `commit`, `query`, `exec`, ...)
    on a SQLAlchemy or SQLModel session, or a `select`/`insert`/`update`/`delete`/`text`
    statement built in the handler's own body.

    A session is recognised by its type (`AsyncSession`, `Session`, also through `Annotated`
    and aliases such as `SessionDep` defined in another module), by its dependency
    (`Depends(get_db)` where `get_db` yields a session), or by the factory that opened it
    (`async with SessionLocal() as db`). Routes are found through the app or router they are
    registered on, wherever it was created: `FastAPI()`, `APIRouter()`, a project subclass
    (`class VersionedRouter(APIRouter)`), a router class made by a project factory
    (`APIRouter = get_router_class(MyRoute)`, known by the class it returns or its
    `-> type[APIRouter]` annotation), with `X.get(...)`, `X.api_route(...)` or
    `X.add_api_route(path, func)`. One finding per route, at the first database call.

    Not reported by default:
    - The unit of work: a route whose only session calls end or scope the transaction
      (`commit`, `rollback`, `refresh`, `flush`, `begin`, `begin_nested`) after services did
      the work. That is the transaction boundary pattern, not data access in the route
      (option `report-unit-of-work`).
    - Routes declared in test files (a `tests`/`test` package, `test_*.py`, `*_test.py`,
      `conftest.py`): test scaffolding, not the application (option `check-test-files`).

    ## Why is this bad?
    Database code in the endpoint mixes HTTP concerns with data access: it cannot be reused by a
    second endpoint, a CLI or a background job, it is tested only through HTTP, and transaction
    boundaries end up scattered across handlers. The layering Endpoint → Service → Model keeps
    each in one place. A route that passes its session on to a service or CRUD function
    (`crud.get_user(session=db, ...)`) is the intended layering and is not reported, nor are
    dependencies, services and background tasks.

    ## Example
    ```python
    from fastapi import APIRouter, Depends
    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.db import get_db
    from app.models import User

    router = APIRouter()


    @router.get("/users/{user_id}")
    async def read_user(user_id: int, db: AsyncSession = Depends(get_db)):
        return await db.scalar(select(User).where(User.id == user_id))
    ```

    Use instead:
    ```python
    from fastapi import APIRouter, Depends
    from sqlalchemy.ext.asyncio import AsyncSession

    from app import services
    from app.db import get_db

    router = APIRouter()


    @router.get("/users/{user_id}")
    async def read_user(user_id: int, db: AsyncSession = Depends(get_db)):
        return await services.get_user(db, user_id)
    ```

    ## Fix safety
    No automatic fix: moving code into a service is a design decision. A display-only
    suggestion (shown by `--output-format full`, JSON and SARIF) names the operations to move
    and a service function to move them into.

    ## Options
    - `report-unit-of-work` (default `false`): also report routes whose only session calls
      commit, roll back, refresh, flush or begin.
    - `check-test-files` (default `false`): also check routes declared in test files.
    """

    code = "FAL101"
    summary = "Route handler talks to the database directly"
    options = (
        Option(
            "report-unit-of-work",
            bool,
            False,
            "Also report routes whose only database calls end the transaction",
        ),
        TEST_FILES_OPTION,
    )

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        route = application_route(self, node)
        if route is None:
            return
        sessions = self.ctx.function_sessions(node)
        found: list[tuple[ast.Call, str]] = []
        for child in own_nodes(node):
            if not isinstance(child, ast.Call):
                continue
            function = child.func
            if (
                isinstance(function, ast.Attribute)
                and function.attr in DATABASE_METHODS
                and sessions.kind(function.value) is not None
            ):
                found.append((child, f"{self.ctx.source(function.value)}.{function.attr}"))
                continue
            statement = STATEMENTS.get(self.ctx.resolve(function) or "")
            if statement is not None:
                found.append((child, statement))
        if not found or self._unit_of_work(found):
            return
        found.sort(key=lambda pair: _source_order(pair[0]))
        operations = ", ".join(f"`{name}`" for name in dict.fromkeys(name for _, name in found))
        suggestion = Fix(
            title=f"Move {operations} into a service function such as "
            f"`services.{node.name}(db, ...)` and call it from the route",
            applicability=Applicability.DISPLAY_ONLY,
            edits=(),
        )
        self.report(
            found[0][0],
            f"Route `{node.name}` talks to the database itself ({operations}); move this into "
            "a service or CRUD function",
            suggestion,
        )

    visit_AsyncFunctionDef = visit_FunctionDef

    def _unit_of_work(self, found: list[tuple[ast.Call, str]]) -> bool:
        """Only transaction ends (`db.commit()` after services did the work): not reported
        unless `report-unit-of-work` is on."""
        if self.option("report-unit-of-work"):
            return False
        return all(
            isinstance(call.func, ast.Attribute) and call.func.attr in UNIT_OF_WORK
            for call, _ in found
        )


# -- FAL102 -----------------------------------------------------------------------------------
class MissingResponseModel(Rule):
    """
    ## What it does
    Checks for HTTP routes that return data but declare no response model: no `response_model=`
    keyword (any value counts, `None` too, which opts out explicitly) and no return annotation.

    Not reported: routes with `status_code` 204 or 304, a `response_class=` keyword, a return
    annotation that is a `Response` class, routes whose every return builds a `Response`
    (`JSONResponse`, `RedirectResponse`, `StreamingResponse`, `templates.TemplateResponse`, ...
    directly or through a local variable; also a call of a function named `...response` or
    `...redirect`), websocket routes, and routes that return nothing.

    Project helpers are followed up to two calls deep: a function or method annotated to return
    a `Response` gives one; an unannotated (or `-> Any`) helper gives one when every `return`
    of it does. For `obj.method(...)` the class of `obj` comes from its parameter type
    (`Depends()` included) or a local or module-level `obj = Class(...)`; when it is unknown,
    the call counts as a Response when every project method of that name gives one.

    Routes of an app or router created with a non-JSON `default_response_class=`
    (`HTMLResponse`, `PlainTextResponse`, ...) return strings on purpose and are not reported,
    nor are those of a router without a default of its own that every `include_router` gives
    such a default (the including app's, or the keyword of the include). JSON classes
    (`JSONResponse`, `ORJSONResponse`, `UJSONResponse` and project subclasses) still serialise
    data. Routes are found as for FAL101 (router subclasses and factories,
    `api_route`, `add_api_route`, whose keywords count like a decorator's; its finding is at
    the `add_api_route(...)` call). Routes in test files are skipped unless
    `check-test-files` is on.

    A return annotation satisfies the rule: FastAPI uses it as the response model (ruff's
    FAST001 flags a `response_model=` that repeats it, so we never ask for both), except
    `-> Any`, which declares nothing.

    ## Why is this bad?
    Without a response model FastAPI serialises whatever the handler returns: a field added to
    the ORM model (a password hash, an internal flag) leaks into the API, the OpenAPI document
    shows no schema for the response, and clients cannot be generated from it.

    ## Example
    ```python
    from fastapi import FastAPI

    from app.schemas import UserOut

    app = FastAPI()


    @app.get("/users/{user_id}")
    async def read_user(user_id: int):
        return UserOut(id=user_id, name="x")
    ```

    Use instead:
    ```python
    from fastapi import FastAPI

    from app.schemas import UserOut

    app = FastAPI()


    @app.get("/users/{user_id}")
    async def read_user(user_id: int) -> UserOut:
        return UserOut(id=user_id, name="x")
    ```

    ## Fix safety
    Unsafe: a response model filters and validates the response, which can change what clients
    receive. The fix is offered when every return builds one Pydantic model `M` (`M(...)`,
    `M.model_validate(...)`, `M.model_construct(...)`, or a list comprehension of those) and
    adds the return annotation `-> M` (or `-> list[M]`); it never adds `response_model=` next to
    an annotation.

    ## Options
    - `response-model-style`: `"either"` (default) accepts a return annotation or
      `response_model=`; `"decorator"` demands `response_model=` even when an annotation exists.
    - `check-test-files` (default `false`): also check routes declared in test files.

    A route that returns a fixed dict (`return {"ok": True}`) is reported too: the pattern sheet
    asks for a response model always.
    """

    code = "FAL102"
    summary = "Route returns data without a declared response model"
    fix_availability = FixAvailability.SOMETIMES
    options = (
        Option(
            "response-model-style",
            str,
            "either",
            "Whether a return annotation counts as the response model",
            choices=("either", "decorator"),
        ),
        TEST_FILES_OPTION,
    )

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        route = application_route(self, node)
        if route is None or route.call is None or not route.is_http:
            return
        decorator = route.call
        keywords = {kw.arg: kw.value for kw in decorator.keywords if kw.arg}
        if "response_model" in keywords or "response_class" in keywords:
            return
        if route.default_response and not self.ctx.index.is_json_response(route.default_response):
            return  # `default_response_class=HTMLResponse`: strings are the page
        if self._no_body_status(keywords.get("status_code")):
            return
        style = self.option("response-model-style")
        annotation = node.returns
        if annotation is not None:
            if kinds.RESPONSE in self.ctx.index.class_kinds(self.ctx.resolve(annotation)):
                return
            if style == "either" and self.ctx.resolve(annotation) != "typing.Any":
                return
        values = self._returned_values(node)
        data = [value for value in values if not self._is_response(value, node)]
        if not data:
            return
        fix = self._fix(node, data) if annotation is None and style == "either" else None
        wanted = "`response_model=`" if style == "decorator" else "a return annotation"
        self.report(
            decorator,
            f"Route `{node.name}` returns data without a response model; declare {wanted} "
            "so the response is validated and documented",
            fix,
        )

    visit_AsyncFunctionDef = visit_FunctionDef

    def _no_body_status(self, value: ast.expr | None) -> bool:
        if isinstance(value, ast.Constant):
            return value.value in NO_BODY_STATUS
        return value is not None and self.ctx.resolve(value) in NO_BODY_STATUS_NAMES

    def _returned_values(self, node) -> list[ast.expr]:
        values = []
        for child in own_nodes(node):
            if isinstance(child, ast.Return) and child.value is not None:
                value = child.value
                if isinstance(value, ast.Constant) and value.value is None:
                    continue
                values.append(value)
        return values

    def _is_response(self, value: ast.expr, func) -> bool:
        if isinstance(value, ast.Await):
            value = value.value
        if isinstance(value, ast.Name):
            # A variable that was once given a Response holds one, also after helpers that
            # take and return it (`response = await set_cookie(response, ...)`).
            built = self._local_constructions(func).get(value.id, [])
            return any(self._is_response(v, func) for v in built if v is not value)
        if not isinstance(value, ast.Call):
            return False
        function = value.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
        if name.lower().endswith(("response", "redirect")):
            return True  # templates.TemplateResponse(...), flow.get_success_redirect(...)
        qualified = self.ctx.resolve(function)
        index = self.ctx.index
        if kinds.RESPONSE in index.class_kinds(qualified) or index.returns_response(qualified):
            return True
        if isinstance(function, ast.Attribute):
            owner = self._class_of(function.value, func)
            if owner is not None:
                return index.returns_response(f"{owner}.{function.attr}")
            if qualified is None:  # `obj.method(...)`, `obj` of no known class
                return index.methods_returning_response(function.attr)
        return False

    def _class_of(self, value: ast.expr, func) -> str | None:
        """The project class of `obj` in `obj.method(...)`: a parameter's type (`Depends()`
        included), or a local or module-level `obj = Class(...)`."""
        if isinstance(value, ast.Name):
            annotation = declared_type(func, value.id)
            if annotation is not None:
                classes = declared_classes(self.ctx.resolve, annotation)
                return classes[0] if classes else None
            for built in self._local_constructions(func).get(value.id, []):
                if isinstance(built, ast.Call):
                    return self.ctx.resolve(built.func)
        found = self.ctx.index.value_callee(self.ctx.resolve(value))
        return found[1] if found else None

    def _local_constructions(self, func) -> dict[str, list[ast.expr]]:
        assigned: dict[str, list[ast.expr]] = {}
        for child in own_nodes(func):
            if isinstance(child, (ast.Assign, ast.AnnAssign)) and child.value is not None:
                targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, []).append(child.value)
        return assigned

    def _fix(self, node, values: list[ast.expr]) -> Fix | None:
        model = None
        wrap = None
        for value in values:
            found = self._model_of(value)
            if found is None:
                return None
            spelled, listed = found
            if model not in (None, spelled) or wrap not in (None, listed):
                return None
            model, wrap = spelled, listed
        offset = header_colon(self.ctx, node)
        if model is None or offset is None:
            return None
        annotation = f"list[{model}]" if wrap else model
        return Fix(
            title=f"Add the return annotation `-> {annotation}`",
            applicability=Applicability.UNSAFE,
            edits=(Edit(offset, offset, f" -> {annotation}"),),
        )

    def _model_of(self, value: ast.expr) -> tuple[str, bool] | None:
        """(spelling of M, is a list) when `value` builds one Pydantic model."""
        if isinstance(value, ast.ListComp):
            inner = self._model_of(value.elt)
            return (inner[0], True) if inner and not inner[1] else None
        if not isinstance(value, ast.Call):
            return None
        function = value.func
        if isinstance(function, ast.Attribute) and function.attr in (
            "model_validate",
            "model_construct",
        ):
            function = function.value
        if not isinstance(function, (ast.Name, ast.Attribute)):
            return None
        if kinds.PYDANTIC not in self.ctx.index.class_kinds(self.ctx.resolve(function)):
            return None
        return self.ctx.source(function), False


def header_colon(ctx: FileContext, func) -> int | None:
    """Text offset of the `:` that ends a `def` header (where `-> T` goes before)."""
    start = ctx.lines.line_start(func.lineno)
    body = func.body[0]
    end = ctx.lines.offset(body.lineno, body.col_offset)
    fragment = ctx.text[start:end]
    depth = 0
    colon = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(fragment).readline):
            if token.type == tokenize.OP:
                if token.string in "([{":
                    depth += 1
                elif token.string in ")]}":
                    depth -= 1
                elif token.string == ":" and depth == 0 and colon is None:
                    row, column = token.start
                    colon = ctx.lines.line_start(func.lineno + row - 1) + column
    except (tokenize.TokenError, SyntaxError):
        return None
    return colon


# -- FAL103 -----------------------------------------------------------------------------------
class CalledBackgroundTask(Rule):
    """
    ## What it does
    Checks for `background_tasks.add_task(send_email(to))` (and `BackgroundTask(send_email(to))`)
    where the task is called instead of passed: the first argument is a call.

    ## Why is this bad?
    The function runs right away, inside the request, and its return value (often `None`, or a
    coroutine that is never awaited) is what gets queued. The response waits for the work that
    was meant to run after it, and an `async` task never runs at all.

    ## Example
    ```python
    from fastapi import BackgroundTasks, FastAPI

    from app.mail import send_email

    app = FastAPI()


    @app.post("/signup")
    async def signup(email: str, background_tasks: BackgroundTasks) -> dict:
        background_tasks.add_task(send_email(email, subject="Welcome"))
        return {"ok": True}
    ```

    Use instead:
    ```python
    from fastapi import BackgroundTasks, FastAPI

    from app.mail import send_email

    app = FastAPI()


    @app.post("/signup")
    async def signup(email: str, background_tasks: BackgroundTasks) -> dict:
        background_tasks.add_task(send_email, email, subject="Welcome")
        return {"ok": True}
    ```

    ## Fix safety
    Safe: `add_task(send_email(to))` becomes `add_task(send_email, to)`, the arguments moving
    over unchanged; unsafe when a comment sits inside the call. No fix when `add_task` has
    further arguments.
    """

    code = "FAL103"
    summary = "Background task is called instead of passed"
    fix_availability = FixAvailability.SOMETIMES

    def visit_Call(self, node: ast.Call) -> None:
        if not node.args or not isinstance(node.args[0], ast.Call):
            return
        function = node.func
        if isinstance(function, ast.Attribute) and function.attr == "add_task":
            if not self._is_background_tasks(function.value):
                return
        elif self.ctx.resolve(function) not in BACKGROUND_TASK:
            return
        inner = node.args[0]
        fix = None
        if len(node.args) == 1 and not node.keywords:
            edits = self._unwrap(inner)
            fix = Fix(
                title=f"Pass `{self.ctx.source(inner.func)}` and its arguments to the task",
                applicability=self.ctx.applicability(edits, Applicability.SAFE),
                edits=edits,
            )
        self.report(
            inner,
            f"`{self.ctx.source(inner.func)}(...)` runs now, in the request; the task queues "
            "its result",
            fix,
        )

    def _unwrap(self, inner: ast.Call) -> tuple[Edit, ...]:
        """`f(a, b)` -> `f, a, b` by editing only its parentheses, so comments stay."""
        _, func_end = self.ctx.lines.node_range(inner.func)
        _, end = self.ctx.lines.node_range(inner)
        paren = self.ctx.text.index("(", func_end)
        if not inner.args and not inner.keywords:
            return (Edit(func_end, end, ""),)
        return (Edit(paren, paren + 1, ", "), Edit(end - 1, end, ""))

    def _is_background_tasks(self, receiver: ast.expr) -> bool:
        if isinstance(receiver, ast.Call):
            return self.ctx.resolve(receiver.func) == BACKGROUND_TASKS
        if not isinstance(receiver, ast.Name):
            return False
        for scope in reversed(self.ctx.scopes):
            if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
                annotation = declared_type(scope, receiver.id)
                if annotation is not None:
                    return BACKGROUND_TASKS in declared_classes(self.ctx.resolve, annotation)
                for child in own_nodes(scope):
                    if (
                        isinstance(child, ast.Assign)
                        and isinstance(child.value, ast.Call)
                        and any(
                            isinstance(t, ast.Name) and t.id == receiver.id for t in child.targets
                        )
                    ):
                        return self.ctx.resolve(child.value.func) == BACKGROUND_TASKS
        return False
