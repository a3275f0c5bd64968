"""FAL403: SQL built by string interpolation."""

from __future__ import annotations

import ast
import re

from fastapi_lint.diagnostics import Applicability, Edit, Fix
from fastapi_lint.rules.base import FileContext, FixAvailability, Rule
from fastapi_lint.rules.security import string_value
from fastapi_lint.semantic.locals import own_nodes

# -- FAL403 -----------------------------------------------------------------------------------
BIND_PARAMETER = re.compile(r"(?<![:\w]):[A-Za-z_]\w*")
_VALUE_BEFORE = re.compile(
    r"(=|<|>|<=|>=|!=|<>|\bLIKE|\bILIKE|\bLIMIT|\bOFFSET)\s*'?$", re.IGNORECASE
)


class SqlStringInterpolation(Rule):
    """
    ## What it does
    Checks for SQL built with an f-string, `%`, `.format()` or `+` from a value that is not a
    literal, passed to `text(...)`, a session's or connection's `execute(...)`,
    `exec_driver_sql(...)` or a DBAPI `cursor.execute(...)`, directly or through a variable
    assigned in the same function. Interpolating only literals or ALL_CAPS module constants
    (fixed table names, a common real pattern) is fine, and so is an f-string that builds a bind
    parameter's name (`:{key}`). When an f-string already binds its values (`... = :id`), an
    interpolation in an identifier position (a table or column name) is taken as the author's
    own identifier; one in a value position (after `=`, `<`, `LIKE`, `LIMIT`, ... or inside
    quotes) is still reported. Alembic migrations (modules importing `alembic`) are skipped.

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
    bound parameter: `text("... :name ...").bindparams(name=name)`. No fix when a value stands
    in an identifier position (a table or column name: whitelist those instead), nor for `%`,
    `.format()` or `+`.
    """

    code = "FAL403"
    summary = "SQL built by string interpolation"
    fix_availability = FixAvailability.SOMETIMES

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._migration = ctx.imports_module("alembic")  # run offline with own identifiers

    def visit_Call(self, node: ast.Call) -> None:
        if not node.args or self._migration:
            return
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
        sql = self._built_sql(argument)
        if sql is None:
            return
        fix = self._fix(node, sql) if is_text and sql is argument else None
        self.report(
            sql,
            "SQL built from a non-literal value by string interpolation; use bound parameters",
            fix,
        )

    def _executes_sql(self, function: ast.expr) -> bool:
        if not isinstance(function, ast.Attribute):
            return False
        if function.attr == "exec_driver_sql":
            return True
        if function.attr not in ("execute", "executemany"):
            return False
        receiver = function.value
        scope = self.ctx.enclosing_function()
        if scope is not None and self.ctx.function_sessions(scope).kind(receiver) is not None:
            return True
        if isinstance(receiver, ast.Name):
            if receiver.id in ("cursor", "cur"):
                return True
            if scope is not None:
                for child in own_nodes(scope):
                    if (
                        isinstance(child, ast.Assign)
                        and isinstance(child.value, ast.Call)
                        and isinstance(child.value.func, ast.Attribute)
                        and child.value.func.attr == "cursor"
                        and any(
                            isinstance(t, ast.Name) and t.id == receiver.id for t in child.targets
                        )
                    ):
                        return True
        return False

    def _built_sql(self, node: ast.expr, depth: int = 0) -> ast.expr | None:
        """The interpolating string expression `node` is (or a local variable was given)."""
        if isinstance(node, ast.JoinedStr):
            return node if self._risky_f_string(node) else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            if string_value(node.left) is None:
                return None
            right = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
            return node if any(not self._fixed(part) for part in right) else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            parts = _concatenated(node)
            has_text = any(
                string_value(part) is not None or isinstance(part, ast.JoinedStr) for part in parts
            )
            if has_text and any(not self._fixed(part) for part in parts):
                return node
            return None
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and string_value(node.func.value) is not None
        ):
            values = [*node.args, *(keyword.value for keyword in node.keywords)]
            return node if any(not self._fixed(value) for value in values) else None
        if isinstance(node, ast.Name) and depth == 0:
            scope = self.ctx.enclosing_function()
            if scope is None:
                return None
            for child in own_nodes(scope):
                if (
                    isinstance(child, ast.Assign)
                    and len(child.targets) == 1
                    and isinstance(child.targets[0], ast.Name)
                    and child.targets[0].id == node.id
                ):
                    found = self._built_sql(child.value, depth + 1)
                    if found is not None:
                        return found
        return None

    def _risky_f_string(self, node: ast.JoinedStr) -> bool:
        """An interpolation that may carry a value into the SQL text.

        Interpolations that build a bind parameter's name (`:{key}`) are fixed. When the SQL
        already binds its values (`:name`), interpolations in identifier positions (a table or
        column name between the author's bound values) are taken as the author's identifiers;
        one in a value position or inside quotes is still reported.
        """
        text = "".join(p.value if isinstance(p, ast.Constant) else "\0" for p in node.values)
        binds = bool(BIND_PARAMETER.search(text.replace("\0", "x")))
        before = ""
        for part in node.values:
            if isinstance(part, ast.Constant):
                before += part.value
                continue
            value = part.value
            if before.endswith(":") or self._fixed(value):
                before += "x"
                continue
            if not binds or _VALUE_BEFORE.search(before.rstrip()):
                return True
            before += "x"
        return False

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
            title='Use bound parameters: `text("... :name ...").bindparams(name=...)`',
            applicability=Applicability.UNSAFE,
            edits=tuple(edits),
        )


def _concatenated(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [*_concatenated(node.left), *_concatenated(node.right)]
    return [node]
