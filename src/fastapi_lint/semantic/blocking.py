"""The blocking-call catalog: which calls block the thread that makes them.

One table, `CATALOG`, maps a qualified name to what calling it does:

- `CALL`: does all its blocking work in the call (`requests.get`, `subprocess.run`); running it
  with `asyncio.to_thread` is a complete fix.
- `OPENS`: blocks, and returns something whose later use blocks too (`open`, `Popen`).
- `CLIENT`: connects (blocks) and returns a synchronous client whose method calls block
  (`smtplib.SMTP`, `psycopg2.connect`, `requests.Session`, `httpx.Client`).
- `LAZY_CLIENT`: returns a synchronous client without connecting (`redis.Redis`,
  `boto3.client`): only its method calls block.

A `*` in a name stands for one dotted part (`stripe.*.create` is `stripe.Customer.create`).
Users extend the table with FAL201's `extra-blocking-calls` option (names or patterns, `CALL`
without a fix). The project index records, for every synchronous project function, the
catalog calls its own body makes (`blocking_calls_in`), so that an `async def` calling it is
reported too; the option is not part of those cached facts.
"""

from __future__ import annotations

import ast
import enum
import re
import sys
from collections.abc import Iterable

from fastapi_lint import lazy_re
from fastapi_lint.semantic.imports import ImportTable
from fastapi_lint.semantic.walk import own_calls_and_assignments


class Blocker(str, enum.Enum):
    CALL = "call"
    OPENS = "opens"
    CLIENT = "client"
    LAZY_CLIENT = "lazy-client"

    @property
    def reported_at_call(self) -> bool:
        return self is not Blocker.LAZY_CLIENT

    @property
    def makes_client(self) -> bool:
        return self in (Blocker.CLIENT, Blocker.LAZY_CLIENT)


_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
# Stripe's resource methods call the Stripe API over HTTP (`stripe.Customer.create(...)`);
# helpers such as `stripe.Webhook.construct_event` do not and are not listed.
_STRIPE_METHODS = (
    "create",
    "retrieve",
    "modify",
    "delete",
    "list",
    "search",
    "cancel",
    "capture",
    "confirm",
    "update",
    "pay",
    "finalize_invoice",
    "void_invoice",
    "list_line_items",
    "create_login_link",
)

CATALOG: dict[str, Blocker] = {
    "time.sleep": Blocker.OPENS,  # its own fix: `await asyncio.sleep`
    **{f"requests.{verb}": Blocker.CALL for verb in _HTTP_VERBS},
    **{f"httpx.{verb}": Blocker.CALL for verb in _HTTP_VERBS},
    "httpx.stream": Blocker.OPENS,
    "urllib.request.urlopen": Blocker.CALL,
    "builtins.open": Blocker.OPENS,
    "io.open": Blocker.OPENS,
    "builtins.input": Blocker.CALL,
    "subprocess.run": Blocker.CALL,
    "subprocess.call": Blocker.CALL,
    "subprocess.check_call": Blocker.CALL,
    "subprocess.check_output": Blocker.CALL,
    "subprocess.Popen": Blocker.OPENS,
    "os.system": Blocker.CALL,
    "os.popen": Blocker.OPENS,
    **{
        f"shutil.{name}": Blocker.CALL
        for name in (
            *("copy", "copy2", "copyfile", "copyfileobj", "copytree", "move", "rmtree"),
            *("make_archive", "unpack_archive"),  # compress or extract a folder on disk
        )
    },
    "socket.create_connection": Blocker.OPENS,
    "sqlalchemy.create_engine": Blocker.OPENS,
    "requests.Session": Blocker.CLIENT,
    "requests.session": Blocker.CLIENT,
    "requests.sessions.Session": Blocker.CLIENT,
    "httpx.Client": Blocker.CLIENT,
    "smtplib.SMTP": Blocker.CLIENT,
    "smtplib.SMTP_SSL": Blocker.CLIENT,
    "psycopg2.connect": Blocker.CLIENT,
    "pymysql.connect": Blocker.CLIENT,
    "sqlite3.connect": Blocker.CLIENT,
    "redis.Redis": Blocker.LAZY_CLIENT,
    "redis.StrictRedis": Blocker.LAZY_CLIENT,
    "redis.client.Redis": Blocker.LAZY_CLIENT,
    "redis.from_url": Blocker.LAZY_CLIENT,
    "redis.Redis.from_url": Blocker.LAZY_CLIENT,
    "redis.StrictRedis.from_url": Blocker.LAZY_CLIENT,
    "boto3.client": Blocker.LAZY_CLIENT,
    "boto3.resource": Blocker.LAZY_CLIENT,
    **{f"stripe.*.{method}": Blocker.CALL for method in _STRIPE_METHODS},
    **{f"stripe.*.*.{method}": Blocker.CALL for method in _STRIPE_METHODS},
}
# Top-level packages that make clients: a module importing none of them makes none itself.
CLIENT_PACKAGES = tuple(
    sorted({name.split(".")[0] for name, kind in CATALOG.items() if kind.makes_client})
)
# Client methods that do no I/O: building requests, URLs, pipelines, cursors; closing.
QUIET_CLIENT_METHODS = frozenset(
    {
        "pipeline",
        "lock",
        "pubsub",
        "get_paginator",
        "get_waiter",
        "can_paginate",
        "generate_presigned_url",
        "generate_presigned_post",
        "mount",
        "prepare_request",
        "build_request",
        "cursor",
        "close",
    }
)


def _pattern(name: str) -> re.Pattern[str]:
    return lazy_re.compile(r"[^.]+".join(re.escape(part) for part in name.split("*")))


class BlockingCatalog:
    """The catalog, with a rule's extra names (exact or `*` patterns) added as `CALL`s."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        table = dict(CATALOG)
        self.extra = frozenset(extra)
        table.update(dict.fromkeys(self.extra, Blocker.CALL))
        self.exact = {name: kind for name, kind in table.items() if "*" not in name}
        # Patterns by their first dotted part, so a lookup tries only the few that may match.
        self.patterns: dict[str, list[tuple[re.Pattern[str], Blocker]]] = {}
        for name, kind in table.items():
            if "*" in name:
                first = name.split(".")[0]
                self.patterns.setdefault(first, []).append((_pattern(name), kind))
        self._matched: dict[str, Blocker | None] = {}  # name -> what the patterns say

    def lookup(self, qualified: str | None) -> Blocker | None:
        if not qualified:
            return None
        found = self.exact.get(qualified)
        if found is not None:
            return found
        try:  # asked for every call of every function: a name's answer is kept
            return self._matched[qualified]
        except KeyError:
            pass
        if len(self._matched) > 100_000:  # a run over a vast project: start again
            self._matched.clear()
        found = self._matched[qualified] = self._match(qualified)
        return found

    def _match(self, qualified: str) -> Blocker | None:
        first = qualified.split(".")[0]
        for pattern, kind in self.patterns.get(first, []) + self.patterns.get("*", []):
            if pattern.fullmatch(qualified):
                return kind
        return None


BUILT_IN = BlockingCatalog()
_WITH_EXTRA: dict[frozenset[str], BlockingCatalog] = {frozenset(): BUILT_IN}


def catalog_with(extra: Iterable[str]) -> BlockingCatalog:
    """The catalog with these extra names, made once per set of names (not once per file:
    its patterns are compiled when it is made)."""
    key = frozenset(extra)
    found = _WITH_EXTRA.get(key)
    if found is None:
        found = _WITH_EXTRA[key] = BlockingCatalog(key)
    return found


_STANDARD_LIBRARY = frozenset(getattr(sys, "stdlib_module_names", ())) | {"builtins"}


def client_made_by(callee: str | None) -> bool:
    """Does calling `callee` (a qualified name, maybe `name[...]`) make a synchronous client?"""
    kind = BUILT_IN.lookup(callee.partition("[")[0] if callee else None)
    return kind is not None and kind.makes_client


def blocking_calls_in(
    node: ast.FunctionDef,
    table: ImportTable,
    module_values: dict[str, str],
    client_makers: dict[str, str],
    nodes: Iterable[ast.AST] | None = None,
) -> tuple[list[str], list[str]]:
    """(catalog calls a sync function's own body makes, other callees it may call in the
    project). `module_values` are the module's
    `name = Call(...)` callees: a method called on a module-level `redis.Redis(...)` blocks
    too; so does one on what a `client_makers` function of the same module returns. `nodes`:
    the function's own nodes when the caller has them already (`FileModel.own_nodes`), so the
    body is not walked again."""
    clients = {name for name, callee in module_values.items() if client_made_by(callee)}
    found: list[str] = []
    callees: list[str] = []
    for child in own_calls_and_assignments(node) if nodes is None else nodes:
        kind = type(child)
        if kind is ast.Assign:
            if type(child.value) is ast.Call:
                made = table.resolve(child.value.func)
                if client_made_by(made) or made in client_makers:
                    clients.update(t.id for t in child.targets if isinstance(t, ast.Name))
            continue
        if kind is not ast.Call:
            continue
        callee = table.resolve(child.func)
        kind = BUILT_IN.lookup(callee)
        if kind is not None and kind.reported_at_call:
            found.append(callee.removeprefix("builtins."))
        elif _client_method(child.func, clients):
            found.append(f"{child.func.value.id}.{child.func.attr}")
        elif callee and kind is None and callee.split(".")[0] not in _STANDARD_LIBRARY:
            callees.append(callee)
    return list(dict.fromkeys(found)), list(dict.fromkeys(callees))


def _client_method(function: ast.expr, clients: set[str]) -> bool:
    return (
        isinstance(function, ast.Attribute)
        and isinstance(function.value, ast.Name)
        and function.value.id in clients
        and function.attr not in QUIET_CLIENT_METHODS
    )
