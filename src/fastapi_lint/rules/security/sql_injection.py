"""FAL403: SQL built by string interpolation."""

from __future__ import annotations

import ast
import re
from pathlib import PurePath

from fastapi_lint import lazy_re
from fastapi_lint.diagnostics import Applicability, Edit, Fix
from fastapi_lint.rules.base import FileContext, FixAvailability, Rule
from fastapi_lint.rules.security.secret_names import string_value
from fastapi_lint.semantic.fastapi_calls import called_by_fastapi
from fastapi_lint.semantic.outside_values import OutsideValues

# -- FAL403 -----------------------------------------------------------------------------------
BIND_PARAMETER = lazy_re.compile(r"(?<![:\w]):[A-Za-z_]\w*")
_VALUE_BEFORE = lazy_re.compile(
    r"(=|<|>|<=|>=|!=|<>|\bLIKE|\bILIKE|\bLIMIT|\bOFFSET)\s*'?$", re.IGNORECASE
)


MIGRATION_FOLDERS = frozenset({"migrations", "alembic"})
# Statements that cannot take bound parameters at all: a value must be validated instead.
NO_BINDS = lazy_re.compile(
    r"^\s*(SET|RESET|CREATE|ALTER|DROP|TRUNCATE|GRANT|REVOKE|COMMENT|VACUUM|ANALYZE|PRAGMA|SHOW|DESC"
    r"|DESCRIBE|USE)\b",
    re.IGNORECASE,
)
VALUE, IDENTIFIER, UNKNOWN, STATEMENT = "value", "identifier", "unknown", "statement"


def _position(before: str) -> str:
    """Whether an interpolation after the SQL text `before` stands for a value or a name."""
    stripped = before.rstrip()
    return VALUE if _VALUE_BEFORE.search(stripped) or stripped.endswith("'") else IDENTIFIER


PERCENT = lazy_re.compile(r"%[sdifr]")  # positional `%` placeholders
BRACES = lazy_re.compile(r"\{\}")  # positional `.format` placeholders


def _placeholder_positions(template: str, placeholder: re.Pattern, count: int) -> list[str]:
    """Where each of `count` positional values goes in `template`; UNKNOWN when the
    placeholders do not pair with the values one to one (named ones, `%%`, `{0}`)."""
    found = list(placeholder.finditer(template))
    if len(found) != count or "%%" in template or "{{" in template:
        return [UNKNOWN] * count
    return [_position(template[: match.start()]) for match in found]


def _statement_positions(sql: str, values: list) -> list:
    """In a statement that takes no bound parameters, no value can be bound."""
    return [(value, STATEMENT) for value, _ in values] if NO_BINDS.match(sql) else values


# The attributes a call of `sqlalchemy.text` (`sa.text`) or an execute method ends with.
_SQL_METHODS = frozenset({"text", "execute", "executemany", "exec_driver_sql"})


_TEXT = frozenset({"sqlalchemy.text"})


def _migration(ctx: FileContext) -> bool:
    """Migrations run offline, on the author's own identifiers."""
    return ctx.imports_module("alembic") or bool(
        MIGRATION_FOLDERS.intersection(PurePath(ctx.location).parts[:-1])
    )


def _single_target(statement: ast.Assign | ast.AugAssign) -> ast.expr | None:
    if isinstance(statement, ast.AugAssign):
        return statement.target
    return statement.targets[0] if len(statement.targets) == 1 else None


class SqlStringInterpolation(Rule):
    """
    ## What it does
    Checks for SQL built with an f-string, `%`, `.format()` or `+` and passed to `text(...)`, a
    session's or connection's `execute(...)`, `exec_driver_sql(...)` or a DBAPI
    `cursor.execute(...)` (directly or through a variable of the same function), when an
    interpolated value can come from outside the code: a parameter of the enclosing function,
    or a value derived from one without validation. The message names the source
    (`user-supplied `name` (parameter of `search`)`).

    Only injection risk is reported, not string building:
    - *user-supplied* values (parameters of route handlers and dependency providers) are
      reported wherever they stand, table or column names and `SET` / DDL arguments included;
    - *caller-supplied* values (parameters of any other function) only where a bound parameter
      would be legal (a value: after `=`, `<`, `LIKE`, `LIMIT`, ... or inside quotes). A helper's
      identifier or DDL argument is, in real code, its callers' own table or column name;
    - validated values are not reported: `int(...)`, `float(...)`, `UUID(...)` and any class
      constructor (an enum lookup), a lookup in a mapping (`COLUMNS[sort]`), a membership test
      (`if sort not in SORTABLE: raise`) or a pattern test (`re.fullmatch`, `.isidentifier()`)
      on the name anywhere in the function, and parameters declared as numbers, dates, UUIDs,
      enums, `Literal[...]`, SQLAlchemy objects, sessions or `Depends(...)`;
    - the code's own values are not reported: literals, ALL_CAPS constants, `self` attributes,
      names from metadata or query results, the result of the author's own functions, and a
      bind parameter's name (`:{key}`).
    Alembic migrations (modules importing `alembic`, or in a `migrations` / `alembic` folder)
    are skipped. `# noqa: S608` (ruff's and bandit's twin check) is honoured as an equivalent
    code.

    ## Why is this bad?
    A value spliced into SQL text is SQL injection: a crafted `name` such as `x' OR '1'='1`
    rewrites the query. Bound parameters send values separately from the statement, so they can
    never change it (and the database can cache the plan).

    ## Example
    ```python
    from sqlalchemy import text


    async def find(db, name: str):
        return await db.execute(text(f"SELECT * FROM users WHERE name = '{name}'"))
    ```

    Use instead:
    ```python
    from sqlalchemy import text


    async def find(db, name: str):
        query = text("SELECT * FROM users WHERE name = :name").bindparams(name=name)
        return await db.execute(query)
    ```

    ## Fix safety
    Unsafe: for `text(f"...")` whose interpolations are plain names or attributes in value
    positions (after `=`, `<`, `>`, `LIKE`, `LIMIT`, ..., or inside quotes), each becomes a
    bound parameter: `text("... :name ...").bindparams(name=name)`. Offered only where a bind
    parameter is legal: not when a value stands in an identifier position (a table or column
    name: check those against a fixed set instead), not in `SET`, DDL, `PRAGMA` or `SHOW`
    statements (validate the value first), nor for `%`, `.format()` or `+`.
    """

    code = "FAL403"
    summary = "SQL built by string interpolation"
    fix_availability = FixAvailability.SOMETIMES
    # by where the value stands; `who` is "user-supplied" in a route, else "caller-supplied"
    messages = {
        VALUE: "{who} `{parameter}` (parameter of `{function}`) is interpolated into SQL; use "
        "a bound parameter",
        STATEMENT: "{who} `{parameter}` (parameter of `{function}`) is interpolated into SQL; "
        "validate it first (`int(...)`, a fixed set): this statement cannot be bound",
        IDENTIFIER: "{who} `{parameter}` (parameter of `{function}`) is interpolated into SQL; "
        "check it against a fixed set of names (an identifier cannot be bound)",
        UNKNOWN: "{who} `{parameter}` (parameter of `{function}`) is interpolated into SQL; "
        "bind values, check identifiers against a fixed set of names",
    }
    fix_title = 'Use bound parameters: `text("... :name ...").bindparams(name=...)`'

    @classmethod
    def applies_to(cls, ctx: FileContext) -> bool:
        # It reports a call of `sqlalchemy.text` or of an `execute`, `executemany` or
        # `exec_driver_sql` method, outside migrations.
        return not _migration(ctx) and (
            ctx.may_spell("execute", "exec_driver_sql") or ctx.may_resolve_to(_TEXT)
        )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._migration = _migration(ctx)
        self._values: dict[ast.AST, OutsideValues] = {}
        self._cursors: dict[ast.AST, frozenset[str]] = {}

    def visit_Call(self, node: ast.Call) -> None:
        if not node.args or self._migration:
            return
        if isinstance(node.func, ast.Attribute) and node.func.attr not in _SQL_METHODS:
            return  # neither `x.text(...)` nor an execute: no name to resolve
        scope = self.ctx.enclosing_function()
        if scope is None:
            return  # module level: nothing comes from a caller
        argument = node.args[0]
        function = node.func
        callee = self.ctx.resolve(function)
        is_text = callee == "sqlalchemy.text"
        if not is_text and not self._executes_sql(function):
            return
        if (
            not is_text
            and isinstance(argument, ast.Call)
            and self.ctx.resolve(argument.func) == "sqlalchemy.text"
        ):
            return  # `execute(text(...))`: the inner `text` call is checked itself
        built = self._built_sql(argument)
        if built is None:
            return
        sql, interpolated = built
        values = self._outside_values(scope)
        from_request = called_by_fastapi(self.ctx, scope)
        found = next(
            (
                (source, position)
                for value, position in interpolated
                # a helper's name or DDL argument is, in real code, the author's own identifier
                if from_request or position not in (IDENTIFIER, STATEMENT)
                if (source := values.source(value))
            ),
            None,
        )
        if found is None:
            return
        source, position = found
        bindable = is_text and sql is argument and position != STATEMENT
        fix = self._fix(node, sql) if bindable else None
        message = self.messages[position].format(
            who="user-supplied" if from_request else "caller-supplied",
            parameter=source.parameter,
            function=source.function,
        )
        self.report(sql, message, fix)

    def _outside_values(self, scope) -> OutsideValues:
        found = self._values.get(scope)
        if found is None:
            found = self._values[scope] = OutsideValues(self.ctx, scope)
        return found

    def _executes_sql(self, function: ast.expr) -> bool:
        if not isinstance(function, ast.Attribute):
            return False
        if function.attr == "exec_driver_sql":
            return True
        if function.attr not in ("execute", "executemany"):
            return False
        receiver = function.value
        scope = self.ctx.enclosing_function()
        # the names first: they need no session analysis of the function
        if isinstance(receiver, ast.Name) and (
            receiver.id in ("cursor", "cur")
            or (scope is not None and receiver.id in self._cursor_names(scope))
        ):
            return True
        return scope is not None and self.ctx.function_sessions(scope).kind(receiver) is not None

    def _cursor_names(self, scope) -> frozenset[str]:
        """Locals assigned `x.cursor()` in a function, found once per function."""
        found = self._cursors.get(scope)
        if found is None:
            found = self._cursors[scope] = frozenset(
                name
                for name, bound in self.ctx.model.bindings(scope).items()
                if any(
                    type(binding.node) is ast.Assign
                    and isinstance(binding.value, ast.Call)
                    and isinstance(binding.value.func, ast.Attribute)
                    and binding.value.func.attr == "cursor"
                    for binding in bound
                )
            )
        return found

    def _built_sql(self, node: ast.expr, depth: int = 0) -> tuple[ast.expr, list] | None:
        """The interpolating string expression `node` is (or a local variable was given), with
        its non-literal values and where each stands (VALUE, IDENTIFIER or UNKNOWN)."""
        if isinstance(node, ast.JoinedStr):
            values = self._f_string_values(node)
            return (node, values) if values else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            if string_value(node.left) is None:
                return None
            right = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
            positions = _placeholder_positions(string_value(node.left) or "", PERCENT, len(right))
            values = [
                (part, at)
                for part, at in zip(right, positions, strict=True)
                if not self._fixed(part)
            ]
            values = _statement_positions(string_value(node.left) or "", values)
            return (node, values) if values else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            parts = _concatenated(node)
            if not any(
                string_value(part) is not None or isinstance(part, ast.JoinedStr) for part in parts
            ):
                return None
            values = []
            before = ""
            for part in parts:
                text = string_value(part)
                if text is not None:
                    before += text
                elif isinstance(part, ast.JoinedStr):
                    values += self._f_string_values(part, before)
                    before += "x"
                elif not self._fixed(part):
                    values.append((part, _position(before)))
                    before += "x"
            values = _statement_positions(before, values)
            return (node, values) if values else None
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and string_value(node.func.value) is not None
        ):
            template = string_value(node.func.value) or ""
            positions = _placeholder_positions(template, BRACES, len(node.args))
            arguments = [
                *zip(node.args, positions, strict=True),
                *((k.value, UNKNOWN) for k in node.keywords),
            ]
            values = [(value, at) for value, at in arguments if not self._fixed(value)]
            values = _statement_positions(string_value(node.func.value) or "", values)
            return (node, values) if values else None
        if isinstance(node, ast.Name) and depth == 0:
            scope = self.ctx.enclosing_function()
            if scope is None:
                return None
            for binding in self.ctx.model.bindings(scope).get(node.id, ()):
                child = binding.node
                if type(child) in (ast.Assign, ast.AugAssign) and isinstance(
                    _single_target(child), ast.Name
                ):
                    found = self._built_sql(child.value, depth + 1)
                    if found is not None:
                        return found
        return None

    def _f_string_values(self, node: ast.JoinedStr, before: str = "") -> list:
        """Interpolated values of an f-string and where each stands; a bind parameter's name
        (`:{key}`) and literals are left out."""
        values = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                before += part.value
                continue
            if not (before.endswith(":") or self._fixed(part.value)):
                values.append((part.value, _position(before)))
            before += "x"
        return _statement_positions(before, values)

    def _fixed(self, node: ast.expr) -> bool:
        """A literal, or an ALL_CAPS module constant: safe to splice into SQL."""
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.JoinedStr):
            return all(
                not isinstance(part, ast.FormattedValue) or self._fixed(part.value)
                for part in node.values
            )
        if isinstance(node, ast.Name):
            return node.id.isupper() and not any(
                isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef))
                and any(arg.arg == node.id for arg in scope.args.args)
                for scope in self.ctx.scopes
            )
        if isinstance(node, ast.Attribute):
            return node.attr.isupper() or node.attr == "__tablename__"  # settings.TABLE_NAME
        return False

    def _fix(self, call: ast.Call, sql: ast.JoinedStr) -> Fix | None:
        segment = self.ctx.source(sql)
        if "\n" in segment or "{{" in segment or "}}" in segment or segment[:1] not in "fF":
            return None
        quote = segment[1]
        if quote not in "'\"" or segment[-1] != quote or quote in segment[2:-1]:
            return None  # triple quotes, escaped quotes, implicit concatenation: keep it simple
        start, _ = self.ctx.lines.node_range(sql)
        edits = [Edit(start, start + 1, "")]  # drop the `f` prefix
        params: dict[str, str] = {}
        text_so_far = ""
        for part in sql.values:
            if isinstance(part, ast.Constant):
                text_so_far += part.value
                continue
            value = part.value
            if part.conversion != -1 or part.format_spec is not None:
                return None
            if not isinstance(value, (ast.Name, ast.Attribute)):
                return None
            name = self.ctx.source(value).replace(".", "_")
            if params.get(name, self.ctx.source(value)) != self.ctx.source(value):
                return None
            quoted = text_so_far.endswith("'")
            if not _VALUE_BEFORE.search(text_so_far.rstrip()):
                return None  # an identifier position: a table or column name
            params[name] = self.ctx.source(value)
            value_start, value_end = self.ctx.lines.node_range(value)
            brace = self.ctx.text.rindex("{", start, value_start)
            close = self.ctx.text.index("}", value_end)
            left, right = brace, close + 1
            if quoted and self.ctx.text[brace - 1] == "'" and self.ctx.text[close + 1] == "'":
                left, right = brace - 1, close + 2
            edits.append(Edit(left, right, f":{name}"))
            text_so_far += "?"
        _, end = self.ctx.lines.node_range(call)
        binds = ", ".join(f"{name}={source}" for name, source in params.items())
        edits.append(Edit(end, end, f".bindparams({binds})"))
        return Fix(
            title=self.fix_title,
            applicability=Applicability.UNSAFE,
            edits=tuple(edits),
        )


def _concatenated(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [*_concatenated(node.left), *_concatenated(node.right)]
    return [node]
