"""FAL102: a route that returns data without a declared response model."""

from __future__ import annotations

import ast
import io
import tokenize

from fastapi_lint.diagnostics import Applicability, Edit, Fix
from fastapi_lint.rules.base import FileContext, FixAvailability, Option, Rule
from fastapi_lint.rules.routes.handlers import TEST_FILES_OPTION, application_route
from fastapi_lint.semantic.annotations import declared_classes
from fastapi_lint.semantic.index import PYDANTIC, RESPONSE

NO_BODY_STATUS = frozenset({204, 304})
NO_BODY_STATUS_NAMES = frozenset(
    {
        "starlette.status.HTTP_204_NO_CONTENT",
        "starlette.status.HTTP_304_NOT_MODIFIED",
        "http.HTTPStatus.NO_CONTENT",
        "http.HTTPStatus.NOT_MODIFIED",
    }
)


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
    message = (
        "Route `{route}` returns data without a response model; declare {wanted} so the "
        "response is validated and documented"
    )
    fix_title = "Add the return annotation `-> {annotation}`"
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
            if RESPONSE in self.ctx.index.class_kinds(self.ctx.resolve(annotation)):
                return
            if style == "either" and self.ctx.resolve(annotation) != "typing.Any":
                return
        values = self._returned_values(node)
        data = [value for value in values if not self._is_response(value, node)]
        if not data:
            return
        fix = self._fix(node, data) if annotation is None and style == "either" else None
        wanted = "`response_model=`" if style == "decorator" else "a return annotation"
        self.report(decorator, self.message.format(route=node.name, wanted=wanted), fix)

    visit_AsyncFunctionDef = visit_FunctionDef

    def _no_body_status(self, value: ast.expr | None) -> bool:
        if isinstance(value, ast.Constant):
            return value.value in NO_BODY_STATUS
        return value is not None and self.ctx.resolve(value) in NO_BODY_STATUS_NAMES

    def _returned_values(self, node) -> list[ast.expr]:
        values = []
        for returned in self.ctx.model.summary(node).returns:
            value = returned.value
            if value is None or (isinstance(value, ast.Constant) and value.value is None):
                continue
            values.append(value)
        return values

    def _is_response(self, value: ast.expr, func) -> bool:
        if isinstance(value, ast.Await):
            value = value.value
        if isinstance(value, ast.Name):
            # A variable that was once given a Response holds one, also after helpers that
            # take and return it (`response = await set_cookie(response, ...)`).
            built = self.ctx.model.assigned_values(func, value.id, annotated=True)
            return any(self._is_response(v, func) for v in built if v is not value)
        if not isinstance(value, ast.Call):
            return False
        function = value.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
        if name.lower().endswith(("response", "redirect")):
            return True  # templates.TemplateResponse(...), flow.get_success_redirect(...)
        qualified = self.ctx.resolve(function)
        index = self.ctx.index
        if RESPONSE in index.class_kinds(qualified) or index.returns_response(qualified):
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
            annotation = self.ctx.model.declared_annotation(func, value.id)
            if annotation is not None:
                classes = declared_classes(self.ctx.resolve, annotation)
                return classes[0] if classes else None
            for built in self.ctx.model.assigned_values(func, value.id, annotated=True):
                if isinstance(built, ast.Call):
                    return self.ctx.resolve(built.func)
        found = self.ctx.index.value_callee(self.ctx.resolve(value))
        return found[1] if found else None

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
            title=self.fix_title.format(annotation=annotation),
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
        if PYDANTIC not in self.ctx.index.class_kinds(self.ctx.resolve(function)):
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
