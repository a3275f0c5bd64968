"""FAL2xx: async all the way — no blocking calls, every coroutine awaited, async drivers."""

from __future__ import annotations

import ast
import re

from fastapi_lint.diagnostics import Applicability, Edit, Fix
from fastapi_lint.rules.base import FileContext, FixAvailability, Option, Rule
from fastapi_lint.semantic.blocking import (
    CLIENT_PACKAGES,
    QUIET_CLIENT_METHODS,
    Blocker,
    BlockingCatalog,
)
from fastapi_lint.semantic.locals import declared_classes, declared_type, own_nodes, parameters
from fastapi_lint.semantic.sessions import IO_METHODS, SessionKind

PATH_IO = frozenset({"read_text", "read_bytes", "write_text", "write_bytes", "open"})
PATH_TYPES = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"})

ASYNC_SESSION_METHODS = frozenset(
    {
        "execute",
        "scalar",
        "scalars",
        "get",
        "get_one",
        "commit",
        "rollback",
        "flush",
        "refresh",
        "delete",
        "merge",
        "close",
        "stream",
        "stream_scalars",
        "run_sync",
        "connection",
        "invalidate",
    }
)
ASYNC_CONNECTION_METHODS = frozenset(
    {"execute", "scalar", "scalars", "commit", "rollback", "close", "stream", "run_sync"}
)
AWAITABLE_TAKERS = frozenset(
    {
        "asyncio.gather",
        "asyncio.create_task",
        "asyncio.ensure_future",
        "asyncio.wait_for",
        "asyncio.shield",
        "asyncio.wait",
        "asyncio.as_completed",
        "asyncio.run",
        "anyio.create_task_group",
    }
)
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
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def async_function(ctx: FileContext) -> ast.AsyncFunctionDef | None:
    """The `async def` whose own body is being visited (None in a nested def, lambda, class)."""
    innermost = ctx.scopes[-1] if ctx.scopes else None
    return innermost if isinstance(innermost, ast.AsyncFunctionDef) else None


class ExpressionPositions:
    """What a rule needs to know about a call's parent, gathered before the call is visited.

    The walk calls handlers on a parent before its children, so a rule that also visits
    `Expr`, `Await`, `Attribute`, `Subscript` and `Call` knows, when it reaches a call, whether
    it stands alone as a statement, is awaited, or needs parentheses once `await` is added.
    """

    def __init__(self) -> None:
        self.statements: set[int] = set()  # calls that are a whole expression statement
        self.awaited: set[int] = set()
        self.tight: set[int] = set()  # calls that are the value of `.x`, `[i]` or `(...)`
        self.with_items: set[int] = set()

    def note(self, node: ast.AST) -> None:
        if isinstance(node, ast.Expr):
            self.statements.add(id(node.value))
        elif isinstance(node, ast.Await):
            self.awaited.add(id(node.value))
        elif isinstance(node, (ast.Attribute, ast.Subscript)):
            self.tight.add(id(node.value))
        elif isinstance(node, ast.Call):
            self.tight.add(id(node.func))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            self.with_items.update(id(item.context_expr) for item in node.items)


def await_edits(ctx: FileContext, call: ast.Call, prefix: str, tight: bool) -> list[Edit]:
    """Edits that put `prefix` (e.g. `await `) before a call, parenthesised where needed."""
    start, end = ctx.lines.node_range(call)
    if tight:
        return [Edit(start, start, f"({prefix}"), Edit(end, end, ")")]
    return [Edit(start, start, prefix)]


# -- FAL201 -----------------------------------------------------------------------------------
class BlockingCallInAsync(Rule):
    """
    ## What it does
    Checks for blocking calls inside `async def`, from one catalog
    (`fastapi_lint.semantic.blocking.CATALOG`): `time.sleep`, `requests` and sync `httpx`
    calls, `urllib.request.urlopen`, `open`/`io.open`, `pathlib.Path` file I/O on a known
    path, `subprocess`, `os.system`/`os.popen`, `shutil` copies and moves,
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

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self.positions = ExpressionPositions()
        self.catalog = BlockingCatalog(self.option("extra-blocking-calls"))
        self.depth = self.option("project-call-depth")
        self.entry_points = (
            frozenset() if self.option("check-script-entry-points") else script_entry_points(ctx)
        )
        self._function_bindings: dict[ast.AST, tuple[dict, dict]] = {}
        self._attribute_clients: dict[tuple[ast.ClassDef, str], str | None] = {}
        # A local name holds a client only if this module can name a client class or factory.
        self.local_clients_possible = ctx.imports_module(*CLIENT_PACKAGES)

    def visit_Expr(self, node: ast.Expr) -> None:
        if async_function(self.ctx) is not None:  # positions matter only where we report
            self.positions.note(node)

    visit_Attribute = visit_Subscript = visit_With = visit_AsyncWith = visit_Await = visit_Expr

    def visit_Call(self, node: ast.Call) -> None:
        function = async_function(self.ctx)
        if function is None or function in self.entry_points:
            return
        self.positions.note(node)
        where = f"inside `async def {function.name}`"
        name = self._blocking_name(node)
        if name is not None:
            fix = self._fix(node, name, self._threadable(node, name))
            self.report(node, f"`{name}` blocks the event loop {where}", fix)
            return
        client = self._client_of(node.func.value) if isinstance(node.func, ast.Attribute) else None
        if client is not None and node.func.attr not in QUIET_CLIENT_METHODS:
            receiver = f"{self.ctx.source(node.func.value)}.{node.func.attr}"
            self.report(
                node,
                f"`{receiver}()` on a synchronous `{client}` client blocks the event loop {where}",
                self._fix(node, receiver, True),
            )
            return
        chain = self._blocking_project_call(node)
        if chain:
            called = self.ctx.source(node.func)
            via = "".join(f"`{step}()`, which calls " for step in chain[1:-1])
            self.report(
                node,
                f"`{called}()` blocks the event loop {where}: it calls {via}`{chain[-1]}`",
                self._fix(node, called, True),
            )

    def _threadable(self, node: ast.Call, name: str) -> bool:
        callee = self.ctx.resolve(node.func)
        if name.startswith("Path."):
            return True
        return self.catalog.lookup(callee) is Blocker.CALL and callee not in self.catalog.extra

    def _blocking_name(self, node: ast.Call) -> str | None:
        callee = self.ctx.resolve(node.func)
        kind = self.catalog.lookup(callee)
        if kind is not None and kind.reported_at_call:
            return callee.removeprefix("builtins.")
        function = node.func
        if (
            isinstance(function, ast.Attribute)
            and function.attr in PATH_IO
            and self._is_path(function.value)
        ):
            return f"Path.{function.attr}"
        return None

    def _client_of(self, value: ast.expr) -> str | None:
        """The synchronous client class or factory (`redis.Redis`) that made `value`."""
        if isinstance(value, ast.Call):
            return self._client_made_by(self.ctx.resolve(value.func))
        function = async_function(self.ctx)
        if isinstance(value, ast.Name) and self.local_clients_possible:
            annotations, bound = self._bindings(function)
            if value.id in annotations:
                annotation = annotations[value.id]
                return self._client_class(annotation) if annotation is not None else None
            if value.id in bound:
                return self._client_of(bound[value.id])
        if isinstance(value, ast.Name):
            found = self.ctx.index.value_callee(self.ctx.resolve(value))
            return self._client_made_by(found[1]) if found else None
        if (
            isinstance(value, ast.Attribute)
            and isinstance(value.value, ast.Name)
            and value.value.id == "self"
        ):
            return self._client_attribute(value.attr)
        return None

    def _bindings(self, function: ast.AST) -> tuple[dict, dict]:
        """(declared annotations, first bound values) of a function's names, made once."""
        found = self._function_bindings.get(function)
        if found is None:
            found = _bindings_of(function)
            self._function_bindings[function] = found
        return found

    def _client_made_by(self, callee: str | None) -> str | None:
        callee = callee.partition("[")[0] if callee else None
        kind = self.catalog.lookup(callee)
        return callee if kind is not None and kind.makes_client else None

    def _client_method(self, qualified: str) -> bool:
        """`app.clients.cache.get`: a method of a module-level synchronous client."""
        receiver, _, method = qualified.rpartition(".")
        if not receiver or method in QUIET_CLIENT_METHODS:
            return False
        found = self.ctx.index.value_callee(receiver)
        return found is not None and self._client_made_by(found[1]) is not None

    def _client_class(self, annotation: ast.expr) -> str | None:
        for name in declared_classes(self.ctx.resolve, annotation):
            if self._client_made_by(name):
                return name
        return None

    def _client_attribute(self, attribute: str) -> str | None:
        owner = self.ctx.scopes[-2] if len(self.ctx.scopes) > 1 else None
        if not isinstance(owner, ast.ClassDef):
            return None
        key = (owner, attribute)
        if key not in self._attribute_clients:
            self._attribute_clients[key] = self._client_attribute_of(owner, attribute)
        return self._attribute_clients[key]

    def _client_attribute_of(self, owner: ast.ClassDef, attribute: str) -> str | None:
        """`self.<attribute>` set to a client in a method, or declared with a client type."""
        for stmt in owner.body:
            if (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.target.id == attribute
            ):
                return self._client_class(stmt.annotation)
            if isinstance(stmt, _FUNCTIONS):
                value = _self_attribute_value(stmt, attribute)
                if isinstance(value, ast.Call):
                    return self._client_made_by(self.ctx.resolve(value.func))
                if isinstance(value, ast.Name):
                    annotation = declared_type(stmt, value.id)
                    return self._client_class(annotation) if annotation else None
        return None

    def _blocking_project_call(self, node: ast.Call) -> list[str]:
        """[callee, ..., blocking call]: a sync project function that blocks, found at most
        `project-call-depth` calls deep. Empty when there is none."""
        if self.depth < 1 or id(node) in self.positions.awaited:
            return []
        start = self.ctx.resolve(node.func)
        paths = [[start]] if start else []
        seen = set()
        for _ in range(self.depth):
            following = []
            for path in paths:
                found = self.ctx.index.function(path[-1])
                if found is None or path[-1] in seen:
                    continue
                seen.add(path[-1])
                fact = found[1]
                if fact.blocking:
                    return [*path, fact.blocking[0]]
                for callee in fact.calls:
                    if self._client_method(callee):  # `cache.get()`, `cache` imported
                        return [*path, callee]
                following.extend([*path, callee] for callee in fact.calls)
            paths = following
        return []

    def _is_path(self, value: ast.expr) -> bool:
        if isinstance(value, ast.Call):
            return self.ctx.resolve(value.func) in PATH_TYPES
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Div):
            return self._is_path(value.left)  # Path("a") / "b"
        if not isinstance(value, ast.Name):
            return False
        function = async_function(self.ctx)
        annotation = declared_type(function, value.id)
        if annotation is not None:
            return bool(PATH_TYPES.intersection(declared_classes(self.ctx.resolve, annotation)))
        for child in own_nodes(function):
            if isinstance(child, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == value.id for t in child.targets
            ):
                return self._is_path(child.value)
        found = self.ctx.index.value_callee(self.ctx.resolve(value))
        return found is not None and found[1] in PATH_TYPES

    def _fix(self, node: ast.Call, name: str, threadable: bool) -> Fix | None:
        if id(node) in self.positions.with_items or id(node) in self.positions.awaited:
            return None
        tight = id(node) in self.positions.tight
        asyncio_name, needed = self.ctx.spell_module("asyncio")
        imports = (needed,) if needed else ()
        if name == "time.sleep":
            start, _ = self.ctx.lines.node_range(node)
            _, func_end = self.ctx.lines.node_range(node.func)
            edits = [Edit(start, func_end, f"{asyncio_name}.sleep")]
            edits += await_edits(self.ctx, node, "await ", tight)
            edits = _merge_at_start(edits)
            return Fix(
                title="Use `await asyncio.sleep(...)`",
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
            edits = [Edit(start, start, opening), Edit(paren, paren + 1, ", ")]
            if closing:
                edits.append(Edit(end, end, closing))
        else:
            edits = [Edit(start, start, opening), Edit(func_end, end, ")" + closing)]
        return Fix(
            title=f"Run `{name}` in a thread with `await asyncio.to_thread(...)`",
            applicability=Applicability.UNSAFE,
            edits=tuple(edits),
            imports=imports,
        )


def _bindings_of(function) -> tuple[dict[str, ast.expr | None], dict[str, ast.expr]]:
    """A function's declared names (parameters, `x: T = ...`) with their annotations, and the
    value each other name is first bound to by `x = value` or `with value as x`."""
    annotations = {arg.arg: arg.annotation for arg, _ in parameters(function)}
    bound: dict[str, ast.expr] = {}
    for child in own_nodes(function):
        if isinstance(child, ast.AnnAssign) and isinstance(child.target, ast.Name):
            annotations.setdefault(child.target.id, child.annotation)
        elif isinstance(child, ast.Assign):
            for target in child.targets:
                if isinstance(target, ast.Name):
                    bound.setdefault(target.id, child.value)
        elif isinstance(child, (ast.With, ast.AsyncWith)):
            for item in child.items:
                if isinstance(item.optional_vars, ast.Name):
                    bound.setdefault(item.optional_vars.id, item.context_expr)
    return annotations, bound


def _self_attribute_value(method: ast.AST, attribute: str) -> ast.expr | None:
    """What a method assigns to `self.<attribute>`, if it does."""
    for child in own_nodes(method):
        targets = (
            child.targets
            if isinstance(child, ast.Assign)
            else [child.target]
            if isinstance(child, ast.AnnAssign)
            else []
        )
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == "self"
                and target.attr == attribute
            ):
                return child.value
    return None


def script_entry_points(ctx: FileContext) -> frozenset[ast.AST]:
    """`async def`s that their module runs with `asyncio.run(main())` (or through a decorator
    that does, like click's usual `@coro`) and that are not routes: a script's or a CLI
    command's `main`, where blocking stalls nothing else."""
    if ".run(" not in ctx.text and "import run" not in ctx.text:
        return frozenset()  # no `asyncio.run(...)`: the walk below is not needed
    run_names: set[str] = set()
    functions = []
    for node in ast.walk(ctx.tree):
        if isinstance(node, _FUNCTIONS):
            functions.append(node)
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Call)
            and isinstance(node.args[0].func, ast.Name)
            and ctx.resolve(node.func) == "asyncio.run"
        ):
            run_names.add(node.args[0].func.id)
    if not run_names:
        return frozenset()
    # `def coro(f): ... asyncio.run(f(*args))`: what it decorates is run too
    runners = {f.name for f in functions if f.args.args and f.args.args[0].arg in run_names}
    entry_points = {
        function
        for function in functions
        if isinstance(function, ast.AsyncFunctionDef)
        and (
            function.name in run_names
            or any(isinstance(d, ast.Name) and d.id in runners for d in function.decorator_list)
        )
        and ctx.route(function) is None
    }
    return frozenset(entry_points | _entry_point_helpers(ctx.tree, entry_points))


def _entry_point_helpers(tree: ast.Module, entry_points: set[ast.AST]) -> set[ast.AST]:
    """Private module-level `async def _helper()`s used only by entry points (or by such
    helpers): they run in the script's loop too."""
    candidates = {
        stmt.name: stmt
        for stmt in tree.body
        if isinstance(stmt, ast.AsyncFunctionDef) and stmt.name.startswith("_")
    }
    helpers: set[ast.AST] = set()
    if not entry_points or not candidates:
        return helpers
    used_elsewhere: dict[ast.AST, set[str]] = {}  # each top-level statement: names it uses
    for stmt in tree.body:
        used_elsewhere[stmt] = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
    inside = {n.id for f in entry_points for n in ast.walk(f) if isinstance(n, ast.Name)}
    changed = True
    while changed:
        changed = False
        running = entry_points | helpers
        outside = set().union(
            *(names for stmt, names in used_elsewhere.items() if stmt not in running)
        )
        for name, function in candidates.items():
            if function not in helpers and name in inside and name not in outside:
                helpers.add(function)
                inside |= used_elsewhere[function]
                changed = True
    return helpers


def _merge_at_start(edits: list[Edit]) -> list[Edit]:
    """`time.sleep(` -> `await asyncio.sleep(`: one edit where replacement and insertion meet."""
    replace, *rest = edits
    merged = []
    for edit in rest:
        if edit.start == edit.end == replace.start:
            replace = Edit(replace.start, replace.end, edit.content + replace.content)
        else:
            merged.append(edit)
    return [replace, *merged]


# -- FAL202 -----------------------------------------------------------------------------------
class UnawaitedSessionCall(Rule):
    """
    ## What it does
    Checks for `AsyncSession` (and `AsyncConnection`) coroutine methods called without `await`
    inside `async def`: `execute`, `scalar(s)`, `get`, `commit`, `rollback`, `flush`,
    `refresh`, `delete`, `merge`, `close`, `stream`, `run_sync`, ... A call is fine when it is
    awaited, returned, passed to `asyncio.gather`/`create_task`/`wait_for`, or assigned to a
    name that is awaited later in the function. The session is known by its type, its
    dependency or its factory, also through aliases such as `SessionDep` from another module,
    `contextmanager(get_db)` wrappers, `next(get_db())` / `await anext(get_db())`, factories
    held in a parameter or attribute (`async with self.factory() as session`) and `self.db`
    set in `__init__` from a typed parameter.

    When a parameter is annotated `Session` but its dependency yields an `AsyncSession`, the
    dependency decides (it is what FastAPI passes): the un-awaited call is reported, and the
    message names the wrong annotation.

    The synchronous methods `add`, `add_all`, `expunge`, `expire`, `in_transaction` and
    `is_modified` are never reported.

    ## Why is this bad?
    The coroutine is created and dropped: the commit never happens, and Python only warns
    "coroutine was never awaited" when it is garbage collected. It is silent data loss.

    ## Example
    ```python
    from sqlalchemy.ext.asyncio import AsyncSession


    async def create(db: AsyncSession, item: object) -> None:
        db.add(item)
        db.commit()
    ```

    Use instead:
    ```python
    from sqlalchemy.ext.asyncio import AsyncSession


    async def create(db: AsyncSession, item: object) -> None:
        db.add(item)
        await db.commit()
    ```

    ## Fix safety
    Adds `await` (parenthesised where precedence needs it: `(await db.execute(q)).scalars()`).
    Safe when the call is a statement on its own; unsafe when its value is used.
    """

    code = "FAL202"
    summary = "`AsyncSession` coroutine called without `await`"
    fix_availability = FixAvailability.ALWAYS

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self.positions = ExpressionPositions()
        self.handed_over: set[int] = set()  # returned, or given to gather/create_task/...

    def visit_Expr(self, node: ast.AST) -> None:
        if async_function(self.ctx) is not None:  # positions matter only where we report
            self.positions.note(node)

    visit_Await = visit_Attribute = visit_Subscript = visit_Expr

    def visit_Return(self, node: ast.Return) -> None:
        if node.value is not None:
            self.handed_over.add(id(node.value))

    def visit_Call(self, node: ast.Call) -> None:
        function = async_function(self.ctx)
        if function is None:
            return
        self.positions.note(node)
        if self.ctx.resolve(node.func) in AWAITABLE_TAKERS:
            self.handed_over.update(id(argument) for argument in node.args)
            self.handed_over.update(id(keyword.value) for keyword in node.keywords)
        if not isinstance(node.func, ast.Attribute):
            return
        method = node.func.attr
        sessions = self.ctx.function_sessions(function)
        kind = sessions.kind(node.func.value)
        if kind is SessionKind.ASYNC:
            coroutine = method in ASYNC_SESSION_METHODS
        elif kind is SessionKind.ASYNC_CONNECTION:
            coroutine = method in ASYNC_CONNECTION_METHODS
        else:
            return
        if not coroutine or id(node) in self.positions.awaited or id(node) in self.handed_over:
            return
        if self._awaited_later(function, node):
            return
        receiver = self.ctx.source(node.func.value)
        statement = id(node) in self.positions.statements
        edits = tuple(await_edits(self.ctx, node, "await ", id(node) in self.positions.tight))
        wanted = Applicability.SAFE if statement else Applicability.UNSAFE
        fix = Fix(
            title="Add `await`",
            applicability=self.ctx.applicability(edits, wanted),
            edits=edits,
        )
        message = f"`{receiver}.{method}()` is a coroutine and is never awaited"
        self.report(node, _with_note(message, sessions.wrong_annotation(node.func.value)), fix)

    def _awaited_later(self, function: ast.AsyncFunctionDef, call: ast.Call) -> bool:
        """`pending = db.execute(q)` ... `await pending` (or handed to gather) is fine."""
        names = set()
        for child in own_nodes(function):
            if isinstance(child, ast.Assign) and child.value is call:
                names.update(t.id for t in child.targets if isinstance(t, ast.Name))
        if not names:
            return False
        for child in own_nodes(function):
            if isinstance(child, (ast.Await, ast.Return)):
                if isinstance(child.value, ast.Name) and child.value.id in names:
                    return True
            elif (
                isinstance(child, ast.Call)
                and self.ctx.resolve(child.func) in AWAITABLE_TAKERS
                and any(isinstance(a, ast.Name) and a.id in names for a in child.args)
            ):
                return True
        return False


def _with_note(message: str, note: str | None) -> str:
    return f"{message} ({note})" if note else message


# -- FAL203 -----------------------------------------------------------------------------------
class SyncSessionInAsync(Rule):
    """
    ## What it does
    Checks for a synchronous SQLAlchemy session used inside `async def`: a method that does I/O
    (`execute`, `scalars`, `get`, `commit`, `query`, `exec`, ...) on a `Session`, a
    `sessionmaker()` product, a SQLModel `Session`, a `scoped_session` or a sync `Connection`;
    and `.query(...)` on any session (the 1.x Query API does not exist on `AsyncSession`).

    The most common real case is an `async def` route whose session comes from an `Annotated`
    alias defined in another module (`SessionDep = Annotated[Session, Depends(get_db)]`):
    nothing in the route says the session is synchronous. The project index follows the alias.

    When the annotation and the dependency disagree, the dependency decides: `.query()` on a
    session annotated `Session` whose provider yields an `AsyncSession` is reported as a method
    that does not exist on `AsyncSession` (naming the wrong annotation), not as blocking.

    ## Why is this bad?
    Every query blocks the event loop while the database answers: one slow query stalls every
    request the worker is serving. FastAPI runs a plain `def` route in its threadpool, where a
    synchronous session is fine.

    ## Example
    ```python
    from fastapi import Depends, FastAPI
    from sqlalchemy.orm import Session

    from app.db import get_db

    app = FastAPI()


    @app.get("/items")
    async def list_items(db: Session = Depends(get_db)) -> list:
        return db.execute("select 1").all()
    ```

    Use instead:
    ```python
    from fastapi import Depends, FastAPI
    from sqlalchemy.orm import Session

    from app.db import get_db

    app = FastAPI()


    @app.get("/items")
    def list_items(db: Session = Depends(get_db)) -> list:
        return db.execute("select 1").all()
    ```

    ## Fix safety
    Unsafe: when the enclosing function is a route handler that contains no `await`,
    `async for` or `async with`, `async def` becomes `def` (FastAPI then runs it in its
    threadpool, which changes how it interacts with thread-unsafe code). Otherwise no fix: move
    to `AsyncSession`, or wrap the work in `run_in_threadpool`.
    """

    code = "FAL203"
    summary = "Synchronous session used inside `async def`"
    fix_availability = FixAvailability.SOMETIMES

    def visit_Call(self, node: ast.Call) -> None:
        function = async_function(self.ctx)
        if function is None or not isinstance(node.func, ast.Attribute):
            return
        method = node.func.attr
        sessions = self.ctx.function_sessions(function)
        kind = sessions.kind(node.func.value)
        if kind is None:
            return
        if not ((kind.is_sync and method in IO_METHODS) or method == "query"):
            return
        receiver = self.ctx.source(node.func.value)
        if kind.is_async:  # the real defect is not blocking: the method does not exist
            message = f"`{receiver}.query()` does not exist on `AsyncSession`; use `select()`"
            fix = None
        else:
            message = (
                f"`{receiver}.{method}()` on a synchronous session blocks the event loop inside "
                f"`async def {function.name}`"
            )
            fix = self._fix(function)
        self.report(node, _with_note(message, sessions.wrong_annotation(node.func.value)), fix)

    def _fix(self, function: ast.AsyncFunctionDef) -> Fix | None:
        if self.ctx.route(function) is None:
            return None
        for child in own_nodes(function):
            if isinstance(child, (ast.Await, ast.AsyncFor, ast.AsyncWith)):
                return None
            if isinstance(child, ast.comprehension) and child.is_async:
                return None
        start = self.ctx.lines.offset(function.lineno, function.col_offset)
        header = self.ctx.text[start : start + 40]
        if not header.startswith("async"):
            return None
        end = start + header.index("def")
        return Fix(
            title="Make the route a plain `def` (FastAPI runs it in its threadpool)",
            applicability=Applicability.UNSAFE,
            edits=(Edit(start, end, ""),),
        )


# -- FAL204 -----------------------------------------------------------------------------------
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
    fix_availability = FixAvailability.ALWAYS

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
                title=f"Use the async driver: `{replacement}://`",
                applicability=Applicability.UNSAFE,
                edits=(Edit(offset, offset + len(scheme), replacement),),
            )
        self.report(
            url,
            f"`{scheme}://` names a synchronous driver; `create_async_engine` needs an async one "
            f"such as `{replacement}://`",
            fix,
        )


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
