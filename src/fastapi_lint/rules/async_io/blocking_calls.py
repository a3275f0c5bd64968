"""FAL201: blocking calls inside `async def` (the catalog, synchronous clients, and project
functions that block one call deep), with fixes to `asyncio.sleep` and `asyncio.to_thread`."""

from __future__ import annotations

import ast
from collections.abc import Callable

from fastapi_lint.diagnostics import Applicability, Edit, Fix
from fastapi_lint.rules.async_io.calls import CallPosition, async_function, may_hold_async_def
from fastapi_lint.rules.async_io.clients import SyncClients
from fastapi_lint.rules.async_io.entry_points import script_entry_points
from fastapi_lint.rules.async_io.project_methods import ProjectMethods
from fastapi_lint.rules.base import FileContext, FixAvailability, Option, Rule
from fastapi_lint.semantic.annotations import declared_classes
from fastapi_lint.semantic.blocking import QUIET_CLIENT_METHODS, Blocker, catalog_with

PATH_IO = frozenset({"read_text", "read_bytes", "write_text", "write_bytes", "open"})
PATH_TYPES = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"})
STREAMING_RESPONSE = "starlette.responses.StreamingResponse"


class BlockingCallInAsync(Rule):
    """
    ## What it does
    Checks for blocking calls inside `async def`, from one catalog
    (`fastapi_lint.semantic.blocking.CATALOG`): `time.sleep`, `requests` and sync `httpx`
    calls, `urllib.request.urlopen`, `open`/`io.open`, `pathlib.Path` file I/O on a known
    path, `subprocess`, `os.system`/`os.popen`, `shutil` copies, moves and archives,
    `socket.create_connection`, `smtplib.SMTP`, sync database drivers (`psycopg2`, `pymysql`,
    `sqlite3`, `sqlalchemy.create_engine`), Stripe API calls (`stripe.Customer.create`, ...)
    and `input`. Names are resolved through imports (`from time import sleep as pause` is
    found; a local function called `sleep` is not).

    Method calls on a synchronous client are blocking too: a `redis.Redis` / `redis.from_url`
    client, a `boto3.client`/`boto3.resource`, a `requests.Session`, an `httpx.Client`, an
    `smtplib.SMTP` or a `psycopg2`/`pymysql`/`sqlite3` connection, whether it is made in the
    function, at module level in any project module, or stored on `self` (made in a method or
    given as a typed `__init__` parameter). Methods that do no I/O (`pipeline`, `cursor`,
    `generate_presigned_url`, `get_paginator`, `close`, ...) are not reported.

    One call deep through the project: calling a project's synchronous function whose own
    body makes a blocking call (a service helper that calls `requests.post`) blocks the loop
    just the same; the message names the function and the blocking call inside it.
    `project-call-depth` follows more calls (0 turns it off).

    So does calling a blocking sync method of a project class (its own, or inherited from a
    project base) on a receiver whose class is known: `Mailer().send()`, `Mailer.ping()` (a
    static or class method), a parameter declared `Mailer` (also in `Optional[...]`,
    `Annotated[...]`, `X | None`, a project alias, or given `Depends(Mailer)`), a local name
    assigned only `Mailer(...)` (or `await get_mailer()`, annotated `-> Mailer | None`), a
    module-level `mailer = Mailer()` of any project module, and
    `self.method()` / `cls.method()` in a method of the class. Async methods and properties
    are not calls to a blocking method; receivers of unknown class are not guessed.

    An `async def` that its module runs with `asyncio.run(main())` (anywhere in the module) or
    through a decorator that does (a CLI's `@coro`), and that is not a route, is a script's
    entry point and is not checked: blocking there stalls nothing else
    (`check-script-entry-points = true` checks it).

    Nested `def`s, lambdas and class bodies inside an `async def` are not async context, and the
    code after them still is. A function passed (not called) to `asyncio.to_thread`,
    `loop.run_in_executor`, `run_in_threadpool` or `anyio.to_thread.run_sync` is fine.

    ## Why is this bad?
    An `async def` runs on the event loop. A blocking call stops the loop for its whole
    duration: every other request the worker serves waits, and latency spikes under load.

    ruff's ASYNC210 (HTTP), ASYNC220-222 (subprocess), ASYNC230 (`open`) and ASYNC251
    (`time.sleep`) overlap with this rule; a team running both can turn one side off. This rule
    adds fixes, `pathlib`, `shutil`, database drivers and the `extra-blocking-calls` option.

    ## Example
    ```python
    import time

    import requests


    async def handler(url: str) -> dict:
        time.sleep(1)
        return requests.get(url, timeout=5).json()
    ```

    Use instead:
    ```python
    import asyncio

    import requests


    async def handler(url: str) -> dict:
        await asyncio.sleep(1)
        return (await asyncio.to_thread(requests.get, url, timeout=5)).json()
    ```

    ## Fix safety
    `time.sleep(x)` becomes `await asyncio.sleep(x)`: safe (the import is added). A blocking
    call that does its whole work in the call (`requests.get`, `subprocess.run`, `shutil.copy`,
    `Path.read_text`, a client method, a blocking project function, ...) becomes
    `await asyncio.to_thread(f, *args, **kwargs)`: unsafe, it now runs in a thread. No fix
    for `open()`, nor for making sessions, clients and connections (their later use blocks
    too), nor for `with open(...)`.

    ## Options
    - `extra-blocking-calls`: qualified names of your own blocking functions, `*` standing for
      one dotted part (e.g. `["app.legacy.fetch_report", "legacy_sdk.*.fetch"]`).
    - `project-call-depth` (default 1): how many project calls deep to look for blocking I/O.
    - `check-script-entry-points` (default false): also check `async def main()` run by
      `asyncio.run(main())`.
    """

    code = "FAL201"
    summary = "Blocking call inside `async def`"
    messages = {
        "call": "`{name}` blocks the event loop inside `async def {function}`",
        "client": "`{receiver}()` on a synchronous `{client}` client blocks the event loop "
        "inside `async def {function}`",
        "project": "`{called}()` blocks the event loop inside `async def {function}`: "
        "it calls {via}`{blocking}`",
    }
    fix_titles = {
        "sleep": "Use `await asyncio.sleep(...)`",
        "thread": "Run `{name}` in a thread with `await asyncio.to_thread(...)`",
    }
    fix_availability = FixAvailability.SOMETIMES
    options = (
        Option(
            "extra-blocking-calls",
            list,
            (),
            "Qualified names (or `*` patterns) of further blocking calls",
        ),
        Option(
            "project-call-depth",
            int,
            1,
            "How many calls deep to follow project functions (0: not at all)",
        ),
        Option(
            "check-script-entry-points",
            bool,
            False,
            "Also check an `async def` that the module only runs with `asyncio.run(...)`",
        ),
    )

    @classmethod
    def applies_to(cls, ctx: FileContext) -> bool:
        return may_hold_async_def(ctx)  # it reports inside an `async def` only

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self.catalog = catalog_with(self.option("extra-blocking-calls"))
        self.clients = SyncClients(ctx, self.catalog)
        self.methods = ProjectMethods(ctx)
        self._method_chains: dict[str, list[str]] = {}  # `mod.Class.method` -> its chain
        self.depth = self.option("project-call-depth")
        self.entry_points = (
            frozenset() if self.option("check-script-entry-points") else script_entry_points(ctx)
        )

    def visit_Call(self, node: ast.Call) -> None:
        function = async_function(self.ctx)
        if function is None or function in self.entry_points:
            return
        name = self._blocking_name(node, function)
        if name is not None:
            fix = self._fix(node, function, name, self._threadable(node, name))
            message = self.messages["call"].format(name=name, function=function.name)
            self.report(node, message, fix)
            return
        client = None
        if isinstance(node.func, ast.Attribute):
            owner = self.ctx.scopes[-2] if len(self.ctx.scopes) > 1 else None
            client = self.clients.client_of(node.func.value, function, owner)
        if client is not None and node.func.attr not in QUIET_CLIENT_METHODS:
            receiver = f"{self.ctx.source(node.func.value)}.{node.func.attr}"
            message = self.messages["client"].format(
                receiver=receiver, client=client, function=function.name
            )
            self.report(node, message, self._fix(node, function, receiver, True))
            return
        chain = self._blocking_project_call(node) or self._blocking_method_call(node, function)
        # Awaited: not a sync call. Streamed is asked last: it needs the file's parents.
        if (
            chain
            and not self.ctx.model.is_awaited(node, function)
            and not self._streamed(node, function)
        ):
            called = self.ctx.source(node.func)
            via = "".join(f"`{step}()`, which calls " for step in chain[1:-1])
            message = self.messages["project"].format(
                called=called, function=function.name, via=via, blocking=chain[-1]
            )
            iterated = self._iterated(node, function)
            self.report(node, message, self._fix(node, function, called, not iterated))

    def _iterated(self, node: ast.Call, function: ast.AST) -> bool:
        """`for row in rows()`: if `rows` is a generator, `to_thread(rows)` would only make it
        in a thread and iterate it here; the facts do not say, so no fix."""
        parent = self.ctx.model.parent_in(node, function)
        return (
            isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension)) and parent.iter is node
        )

    def _streamed(self, node: ast.Call, function: ast.AST) -> bool:
        """`StreamingResponse(export.rows())`: the project generator's body runs as Starlette
        iterates it, in a thread for a sync iterator; the call itself runs none of it."""
        parent = self.ctx.model.parent_in(node, function)
        return (
            isinstance(parent, ast.Call)
            and bool(parent.args)
            and parent.args[0] is node
            and self.ctx.resolve(parent.func) == STREAMING_RESPONSE
        )

    def _threadable(self, node: ast.Call, name: str) -> bool:
        callee = self.ctx.resolve(node.func)
        if name.startswith("Path."):
            return True
        return self.catalog.lookup(callee) is Blocker.CALL and callee not in self.catalog.extra

    def _blocking_name(self, node: ast.Call, function: ast.AsyncFunctionDef) -> str | None:
        callee = self.ctx.resolve(node.func)
        kind = self.catalog.lookup(callee)
        if kind is not None and kind.reported_at_call:
            return callee.removeprefix("builtins.")
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in PATH_IO
            and self._is_path(func.value, function)
        ):
            return f"Path.{func.attr}"
        return None

    def _blocking_project_call(self, node: ast.Call) -> list[str]:
        """[callee, ..., blocking call]: a sync project function that blocks, found at most
        `project-call-depth` calls deep. Empty when there is none."""
        return self._blocking_chain(self.ctx.resolve(node.func), self.ctx.index.function)

    def _blocking_method_call(self, node: ast.Call, function: ast.AsyncFunctionDef) -> list[str]:
        """The same for `receiver.method(...)` when the receiver's project class is known."""
        if self.depth < 1 or not isinstance(node.func, ast.Attribute):
            return []
        called = self.methods.called(node.func, function)
        if called is None:
            return []
        if called not in self._method_chains:  # `db.execute`, `db.commit`: asked once per file
            self._method_chains[called] = self._blocking_chain(called, self.ctx.index.method)
        return self._method_chains[called]

    def _blocking_chain(self, start: str | None, first: Callable) -> list[str]:
        """[start, ..., blocking call]: `first` finds the start's facts, the index's functions
        and methods the facts of what it calls."""
        if self.depth < 1:
            return []
        paths = [[start]] if start else []
        seen = set()
        for _ in range(self.depth):
            following = []
            for path in paths:
                found = first(path[-1]) if len(path) == 1 else self._project_callable(path[-1])
                if found is None or path[-1] in seen:
                    continue
                seen.add(path[-1])
                fact = found[1]
                if fact.blocking:
                    return [*path, fact.blocking[0]]
                for callee in fact.calls:
                    if self.clients.is_client_method(callee):  # `cache.get()`, `cache` imported
                        return [*path, callee]
                following.extend([*path, callee] for callee in fact.calls)
            paths = following
        return []

    def _project_callable(self, qualified: str):
        """A project function's facts, else a project class's method's (`Mailer.ping`)."""
        return self.ctx.index.function(qualified) or self.ctx.index.method(qualified)

    def _is_path(
        self, value: ast.expr, function: ast.AsyncFunctionDef, seen: frozenset[str] = frozenset()
    ) -> bool:
        """`seen`: the names followed so far (`p = p / "x"` must not be followed forever)."""
        if isinstance(value, ast.Call):
            return self.ctx.resolve(value.func) in PATH_TYPES
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Div):
            return self._is_path(value.left, function, seen)  # Path("a") / "b"
        if not isinstance(value, ast.Name) or value.id in seen:
            return False
        model = self.ctx.model
        annotation = model.declared_annotation(function, value.id)
        if annotation is not None:
            return bool(PATH_TYPES.intersection(declared_classes(self.ctx.resolve, annotation)))
        assigned = model.assigned_values(function, value.id)
        if assigned:
            return self._is_path(assigned[0], function, seen | {value.id})
        found = self.ctx.index.value_callee(self.ctx.resolve(value))
        return found is not None and found[1] in PATH_TYPES

    def _fix(
        self, node: ast.Call, function: ast.AsyncFunctionDef, name: str, threadable: bool
    ) -> Fix | None:
        position = CallPosition(self.ctx, node, function)
        # Only a call under `await` can be awaited in the body: the others need no summary.
        if position.with_item or (position.awaited and self.ctx.model.is_awaited(node, function)):
            return None
        tight = position.tight
        asyncio_name, needed = self.ctx.spell_module("asyncio")
        imports = (needed,) if needed else ()
        if name == "time.sleep":
            # `time.sleep(` -> `await asyncio.sleep(`: one edit where `await` meets the name
            start, end = self.ctx.lines.node_range(node)
            _, func_end = self.ctx.lines.node_range(node.func)
            prefix = "(await " if tight else "await "
            edits = [Edit(start, func_end, f"{prefix}{asyncio_name}.sleep")]
            if tight:
                edits.append(Edit(end, end, ")"))
            return Fix(
                title=self.fix_titles["sleep"],
                applicability=self.ctx.applicability(tuple(edits), Applicability.SAFE),
                edits=tuple(edits),
                imports=imports,
            )
        if not threadable:
            return None
        start, end = self.ctx.lines.node_range(node)
        _, func_end = self.ctx.lines.node_range(node.func)
        opening = f"{'(' if tight else ''}await {asyncio_name}.to_thread("
        closing = ")" if tight else ""
        if node.args or node.keywords:
            paren = self.ctx.text.index("(", func_end)
            # `f(\n    a,\n)`: no space left at the end of the line
            comma = "," if self.ctx.text[paren + 1 : paren + 2].isspace() else ", "
            edits = [Edit(start, start, opening), Edit(paren, paren + 1, comma)]
            if closing:
                edits.append(Edit(end, end, closing))
        else:
            edits = [Edit(start, start, opening), Edit(func_end, end, ")" + closing)]
        return Fix(
            title=self.fix_titles["thread"].format(name=name),
            applicability=Applicability.UNSAFE,
            edits=tuple(edits),
            imports=imports,
        )
