"""FAL204: an async engine given the URL of a synchronous database driver."""

from __future__ import annotations

import ast
import re

from fastapi_lint.diagnostics import Applicability, Edit, Fix
from fastapi_lint.rules.base import FileContext, FixAvailability, Rule

ASYNC_ENGINES = frozenset(
    {
        "sqlalchemy.ext.asyncio.create_async_engine",
        "sqlalchemy.ext.asyncio.async_engine_from_config",
    }
)
ASYNC_DRIVERS = {
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "mysql": "mysql+aiomysql",
    "mysql+pymysql": "mysql+aiomysql",
    "mysql+mysqldb": "mysql+aiomysql",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "mssql+pyodbc": "mssql+aioodbc",
    "oracle": "oracle+oracledb_async",
}


class SyncDriverInAsyncEngine(Rule):
    """
    ## What it does
    Checks the URL given to `create_async_engine` / `async_engine_from_config` as a string or
    f-string: a scheme that names a synchronous DBAPI driver (`postgresql://`,
    `postgresql+psycopg2://`, `mysql://`, `mysql+pymysql://`, `sqlite://`, `mssql+pyodbc://`,
    `oracle://`, ...).

    ## Why is this bad?
    The async engine needs an async driver; with a sync one SQLAlchemy fails at the first
    connection (`InvalidRequestError: The asyncio extension requires an async driver`), often
    only in the environment that sets that URL.

    ## Example
    ```python
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine("postgresql://app:secret@db/app")
    ```

    Use instead:
    ```python
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine("postgresql+asyncpg://app:secret@db/app")
    ```

    ## Fix safety
    Unsafe: the async driver (`asyncpg`, `aiomysql`, `aiosqlite`, `aioodbc`, `oracledb`) must
    be installed. The scheme is swapped; the rest of the string is kept byte for byte.
    """

    code = "FAL204"
    summary = "Async engine given a synchronous driver URL"
    message = (
        "`{scheme}://` names a synchronous driver; `create_async_engine` needs an async one "
        "such as `{replacement}://`"
    )
    fix_title = "Use the async driver: `{replacement}://`"
    fix_availability = FixAvailability.ALWAYS

    @classmethod
    def applies_to(cls, ctx: FileContext) -> bool:
        return ctx.may_resolve_to(ASYNC_ENGINES)  # else no call's callee is one

    def visit_Call(self, node: ast.Call) -> None:
        if self.ctx.resolve(node.func) not in ASYNC_ENGINES:
            return
        url = node.args[0] if node.args else None
        for keyword in node.keywords:
            if keyword.arg == "url":
                url = keyword.value
        scheme = _scheme(url)
        if scheme is None or scheme not in ASYNC_DRIVERS:
            return
        replacement = ASYNC_DRIVERS[scheme]
        start, end = self.ctx.lines.node_range(url)
        # Schemes are matched case-insensitively (`POSTGRESQL://`), so find the spelling too.
        spelled = re.compile(re.escape(scheme) + "://", re.IGNORECASE).search(
            self.ctx.text, start, end
        )
        fix = None
        if spelled is not None:
            offset = spelled.start()
            fix = Fix(
                title=self.fix_title.format(replacement=replacement),
                applicability=Applicability.UNSAFE,
                edits=(Edit(offset, offset + len(scheme), replacement),),
            )
        self.report(url, self.message.format(scheme=scheme, replacement=replacement), fix)


def _scheme(url: ast.expr | None) -> str | None:
    text = None
    if isinstance(url, ast.Constant) and isinstance(url.value, str):
        text = url.value
    elif isinstance(url, ast.JoinedStr) and url.values:
        first = url.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            text = first.value
    if text is None or "://" not in text:
        return None
    return text.split("://", 1)[0].lower()
