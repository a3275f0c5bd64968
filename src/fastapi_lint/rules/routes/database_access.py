"""FAL101: a route handler that talks to the database itself."""

from __future__ import annotations

import ast

from fastapi_lint.diagnostics import Applicability, Fix
from fastapi_lint.rules.base import Option, Rule
from fastapi_lint.rules.routes.handlers import TEST_FILES_OPTION, application_route
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

# Session methods that only end or scope a transaction: a route that calls nothing else on its
# session is the unit-of-work boundary around services, not database code in the route.
UNIT_OF_WORK = frozenset({"commit", "rollback", "refresh", "flush", "begin", "begin_nested"})


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
    message = (
        "Route `{route}` talks to the database itself ({operations}); move this into a service "
        "or CRUD function"
    )
    fix_title = (
        "Move {operations} into a service function such as `services.{route}(db, ...)` and "
        "call it from the route"
    )
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
        for call in self.ctx.model.summary(node).calls:
            function = call.func
            if (
                isinstance(function, ast.Attribute)
                and function.attr in DATABASE_METHODS
                and sessions.kind(function.value) is not None
            ):
                found.append((call, f"{self.ctx.source(function.value)}.{function.attr}"))
                continue
            statement = STATEMENTS.get(self.ctx.resolve(function) or "")
            if statement is not None:
                found.append((call, statement))
        if not found or self._unit_of_work(found):
            return
        found.sort(key=lambda pair: (pair[0].lineno, pair[0].col_offset))
        operations = ", ".join(f"`{name}`" for name in dict.fromkeys(name for _, name in found))
        suggestion = Fix(
            title=self.fix_title.format(operations=operations, route=node.name),
            applicability=Applicability.DISPLAY_ONLY,
            edits=(),
        )
        message = self.message.format(route=node.name, operations=operations)
        self.report(found[0][0], message, suggestion)

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
