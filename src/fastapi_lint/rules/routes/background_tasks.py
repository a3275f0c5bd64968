"""FAL103: a background task that is called instead of passed."""

from __future__ import annotations

import ast

from fastapi_lint.diagnostics import Applicability, Edit, Fix
from fastapi_lint.rules.base import FileContext, FixAvailability, Rule
from fastapi_lint.semantic.annotations import declared_classes

BACKGROUND_TASKS = "starlette.background.BackgroundTasks"
BACKGROUND_TASK = frozenset({"starlette.background.BackgroundTask", "fastapi.BackgroundTask"})


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
    message = "`{task}(...)` runs now, in the request; the task queues its result"
    fix_title = "Pass `{task}` and its arguments to the task"
    fix_availability = FixAvailability.SOMETIMES

    @classmethod
    def applies_to(cls, ctx: FileContext) -> bool:
        # It reports `x.add_task(f(...))` and `BackgroundTask(f(...))` only.
        return ctx.may_spell("add_task") or ctx.may_resolve_to(BACKGROUND_TASK)

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
                title=self.fix_title.format(task=self.ctx.source(inner.func)),
                applicability=self.ctx.applicability(edits, Applicability.SAFE),
                edits=edits,
            )
        self.report(inner, self.message.format(task=self.ctx.source(inner.func)), fix)

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
        model = self.ctx.model
        for scope in reversed(self.ctx.scopes):
            if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
                annotation = model.declared_annotation(scope, receiver.id)
                if annotation is not None:
                    return BACKGROUND_TASKS in declared_classes(self.ctx.resolve, annotation)
                for value in model.assigned_values(scope, receiver.id):
                    if isinstance(value, ast.Call):
                        return self.ctx.resolve(value.func) == BACKGROUND_TASKS
        return False
