"""FAL301: a mutable default value for a parameter."""

from __future__ import annotations

import ast

from fastapi_lint.diagnostics import Applicability, Edit, Fix, Import
from fastapi_lint.rules.base import FileContext, FixAvailability, Rule
from fastapi_lint.rules.models.defaults import (
    mutable_kind,
    shown,
)
from fastapi_lint.semantic.fastapi_calls import called_by_fastapi


class MutableDefaultArgument(Rule):
    """
    ## What it does
    Checks for parameters whose default is a mutable object: a list, dict or set literal or
    comprehension, or a call of `list`, `dict`, `set`, `bytearray`, `collections.defaultdict`,
    `OrderedDict`, `Counter` or `deque`. Functions, methods, `async def` and lambdas are checked.

    Route handlers and dependency providers are not: FastAPI copies a declared default for each
    request (`tags: list[str] = []` and `Annotated[list[str], Query()] = []` alike, as it does
    for `Query([])`), so no object is shared. Dependency providers are functions or classes
    given to `Depends(...)` in the same module, or functions declaring a parameter with
    `Query()`, `Depends()`, `Header()` and the like. A line marked
    `# noqa: B006` (ruff's / flake8-bugbear's twin) is taken as reviewed (equivalent codes).

    Not in stubs (`.pyi`): nothing there is evaluated.

    ## Why is this bad?
    A default is evaluated once, when the function is defined. Every call that relies on it gets
    the same object, so a change made in one call shows up in the next, across requests.

    ## Example
    ```python
    def add_tag(tag: str, tags: list[str] = []) -> list[str]:
        tags.append(tag)
        return tags
    ```

    Use instead:
    ```python
    def add_tag(tag: str, tags: list[str] | None = None) -> list[str]:
        if tags is None:
            tags = []
        tags.append(tag)
        return tags
    ```

    ## Fix safety
    Unsafe: the signature changes (the default becomes `None` and the annotation `T | None`, or
    `Optional[T]` when the target version is below 3.10), which callers and tools may see. The
    fix is offered for `def` and `async def` whose body starts on its own line, not for lambdas.
    It is the same finding as ruff's B006; a team running both can turn one side off.
    """

    code = "FAL301"
    checks_stubs = False  # a stub (`.pyi`) evaluates no default
    summary = "Mutable default value for a parameter"
    fix_availability = FixAvailability.SOMETIMES
    message = (
        "Parameter `{name}` has a mutable default (`{default}`): one `{kind}` is shared by "
        "every call"
    )
    fix_title = "Default `{name}` to `None` and build the `{name}` value in the body"

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._check(node, node.args)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._check(node, node.args)

    def _check(self, node: ast.AST, args: ast.arguments) -> None:
        if not args.defaults and not any(args.kw_defaults):
            return
        positional = [*args.posonlyargs, *args.args]
        pairs = list(
            zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=False)
        )
        pairs += [
            (arg, d)
            for arg, d in zip(args.kwonlyargs, args.kw_defaults, strict=False)
            if d is not None
        ]
        found = [(arg, d, kind) for arg, d in pairs if (kind := mutable_kind(self.ctx, d))]
        if not found:
            return
        if not isinstance(node, ast.Lambda) and called_by_fastapi(self.ctx, node):
            return  # FastAPI builds each request's values: the default object is never shared
        for arg, default, kind in found:
            fix = None
            if not isinstance(node, ast.Lambda):
                fix = self._fix(node, arg, default)
            self.report(
                default,
                self.message.format(name=arg.arg, default=shown(self.ctx, default), kind=kind),
                fix,
            )

    def _fix(self, func, arg: ast.arg, default: ast.expr) -> Fix | None:
        ctx = self.ctx
        insertion = _body_insertion(ctx, func)
        if insertion is None:
            return None
        offset, indent, unit = insertion
        edits = [ctx.replace(default, "None")]
        imports: tuple[Import, ...] = ()
        if arg.annotation is not None and not _admits_none(ctx, arg.annotation):
            annotation_edit, imports = _optional_annotation(ctx, arg.annotation)
            edits.append(annotation_edit)
        body = ctx.source(default)
        statement = f"{indent}if {arg.arg} is None:\n{indent}{unit}{arg.arg} = {body}\n"
        edits.append(Edit(offset, offset, statement))
        return Fix(
            title=self.fix_title.format(name=arg.arg),
            applicability=Applicability.UNSAFE,
            edits=tuple(sorted(edits, key=lambda e: e.start)),
            imports=imports,
        )


def _body_insertion(ctx: FileContext, func) -> tuple[int, str, str] | None:
    """(offset, indent, indent unit) where a statement goes at the top of `func`'s body."""
    body = func.body
    first = body[0]
    index = 1 if _is_docstring(first) else 0
    anchor = body[index] if index < len(body) else None
    first_line = ctx.lines.line_text(first.lineno)
    indent = first_line[: ctx.lines.char_column(first.lineno, first.col_offset)]
    if indent.strip() or first.lineno == func.lineno:
        return None  # the body shares a line with the `def` or with another statement
    def_line = ctx.lines.line_text(func.lineno)
    def_indent = def_line[: len(def_line) - len(def_line.lstrip())]
    unit = indent[len(def_indent) :] if indent.startswith(def_indent) else "    "
    if not unit:
        return None
    if anchor is not None:
        anchor_line = ctx.lines.line_text(anchor.lineno)
        if anchor_line[: ctx.lines.char_column(anchor.lineno, anchor.col_offset)].strip():
            return None
        return ctx.lines.line_start(anchor.lineno), indent, unit
    end_line = first.end_lineno
    if end_line >= ctx.lines.line_count:
        return None  # a docstring on the file's last line: no line to insert before
    return ctx.lines.line_start(end_line + 1), indent, unit


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _admits_none(ctx: FileContext, annotation: ast.expr) -> bool:
    if isinstance(annotation, ast.Constant):
        if annotation.value is None:
            return True
        if isinstance(annotation.value, str):
            text = annotation.value
            return "None" in text or "Optional" in text or text in ("Any", "object")
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _admits_none(ctx, annotation.left) or _admits_none(ctx, annotation.right)
    if isinstance(annotation, ast.Subscript):
        origin = ctx.resolve(annotation.value)
        if origin == "typing.Optional":
            return True
        if origin == "typing.Union":
            items = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else []
            return any(_admits_none(ctx, item) for item in items)
        if origin == "typing.Annotated" and isinstance(annotation.slice, ast.Tuple):
            return _admits_none(ctx, annotation.slice.elts[0])
    return ctx.resolve(annotation) in ("typing.Any", "builtins.object")


def _optional_annotation(ctx: FileContext, annotation: ast.expr) -> tuple[Edit, tuple[Import, ...]]:
    text = ctx.source(annotation)
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        quote = text[-1]
        return ctx.replace(annotation, f"{text[:-1]} | None{quote}"), ()
    if ctx.settings.target_version >= (3, 10) or ctx.has_future_annotations():
        if isinstance(annotation, (ast.Lambda, ast.IfExp, ast.NamedExpr)):
            text = f"({text})"
        return ctx.replace(annotation, f"{text} | None"), ()
    spelled, needed = ctx.spell("typing", "Optional")
    return ctx.replace(annotation, f"{spelled}[{text}]"), ((needed,) if needed else ())
