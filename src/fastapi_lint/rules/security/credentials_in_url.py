"""FAL402: a URL with a hardcoded password (shown masked)."""

from __future__ import annotations

import ast
import re

from fastapi_lint import lazy_re
from fastapi_lint.redaction import mask
from fastapi_lint.rules.base import FileContext, Rule
from fastapi_lint.rules.security.secret_values import (
    is_local_host,
)

_URL = lazy_re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*)://(?P<user>[^:/@\s]*):(?P<password>[^@/\s]+)@"
    r"(?P<host>[^\s/'\"]*)"
)
_PLACEHOLDER = lazy_re.compile(
    r"^(\$\{.*\}|\{.*\}|%s|%\(.*\)s|\*+|<.*>|\[.*|.*\]|\$[A-Z_]+|x{3,}|password|pass|pwd|"
    r"secret|port)$",
    re.IGNORECASE,
)


class CredentialsInUrl(Rule):
    """
    ## What it does
    Checks for string literals holding a URL with a password to a host others can reach:
    `scheme://user:password@host`, for any database dialect and driver, cache, broker or HTTP
    scheme, wherever it stands (also inside a call:
    `create_async_engine("postgresql+asyncpg://app:pw@db.acme-corp.io/app")`), in
    application code, scripts and tests alike.

    A password to a local host is a development default, not a leak, and is not reported:
    loopback (`localhost`, `127.0.0.1`, `::1`), `0.0.0.0`, `host.docker.internal`, names
    reserved for tests and documentation (`example.com`, `*.local`, `*.test`, `*.example`,
    `*.localhost`, `*.internal`) and single-label names such as a compose service (`db`,
    `redis`), reachable only inside a private development network. Placeholders are fine:
    `${DB_PASSWORD}`, `{password}`, `%s`, `***`, `<password>`, `[password]`, and the word
    `password` itself; so are docstrings, which document URL shapes.

    ## Why is this bad?
    A connection string is a credential: anyone who reads the source (or a CI log that prints
    it) can connect to the database with it. Build the URL from settings read from the
    environment.

    ## Example
    ```python
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine("postgresql+asyncpg://app:hunter2@db.acme-corp.io/app")
    ```

    Use instead:
    ```python
    import os

    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(os.environ["DATABASE_URL"])
    ```

    ## Fix safety
    There is no fix. The message shows the URL with the password masked.
    """

    code = "FAL402"
    summary = "URL with a hardcoded password"
    message = "URL with a hardcoded password: `{url}`"  # the password masked

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self.f_string_parts: set[int] = set()

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant):
            self.f_string_parts.add(id(node.value))  # a docstring documents URL shapes

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if type(value) is not str or "://" not in value:
            return  # (most constants: asked before the set of parts)
        if id(node) in self.f_string_parts:
            return  # checked as part of its f-string, or a docstring
        self._check(node, value)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self.f_string_parts.update(id(part) for part in node.values)
        text = "".join(
            part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
        )
        if "://" in text:
            self._check(node, text)

    def _check(self, node: ast.expr, text: str) -> None:
        for match in _URL.finditer(text):
            password = match.group("password")
            if _PLACEHOLDER.match(password) or "{}" in password:
                continue
            if is_local_host(match.group("host")):
                continue  # a development default: nobody else reaches that host
            shown = f"{match.group('scheme')}://{match.group('user')}:{mask(password)}@"
            message = self.message.format(url=f"{shown}{match.group('host')}")
            self.report(node, message, None, self.ctx.secret_in(node, password, ":", "@"))
            return
