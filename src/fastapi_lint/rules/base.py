"""What a rule is: a class with a code, docs, options and `visit_<Node>` handlers.

A rule is instantiated once per file with that file's `FileContext`; the engine calls its
`visit_<NodeType>` methods from one shared walk. Rules ask the context (and through it the
semantic layer) questions instead of matching spellings.
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from fastapi_lint.diagnostics import Applicability, Diagnostic, Edit, Fix, Import
from fastapi_lint.semantic.file import SemanticFile
from fastapi_lint.semantic.imports import BUILTIN_NAMES
from fastapi_lint.semantic.walk import string_constants

if TYPE_CHECKING:
    from fastapi_lint.source import LineIndex

REGISTRY: dict[str, type[Rule]] = {}


@dataclass(frozen=True)
class Option:
    name: str  # kebab-case, as written in pyproject.toml
    kind: type  # bool, str, int or list (of str)
    default: Any
    doc: str
    choices: tuple[str, ...] = ()


class FixAvailability:
    ALWAYS = "always"
    SOMETIMES = "sometimes"
    NONE = "none"


def kebab(name: str) -> str:
    # (Without a regular expression: every rule class's import calls it.)
    return "".join(
        f"-{char}" if "A" <= char <= "Z" and position else char
        for position, char in enumerate(name)
    ).lower()


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]  # one line, for `fastapi-lint rules` and SARIF
    fix_availability: ClassVar[str] = FixAvailability.NONE
    default_enabled: ClassVar[bool] = True
    options: ClassVar[tuple[Option, ...]] = ()
    # False: the rule is about what runs (a default evaluated once), and a stub (`.pyi`) runs
    # nothing: its files are not visited by the rule.
    checks_stubs: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            return  # an abstract helper base
        cls.name = kebab(cls.__name__)
        if cls.code in REGISTRY:
            raise RuntimeError(f"rule code {cls.code} is used twice")
        REGISTRY[cls.code] = cls

    @classmethod
    def applies_to(cls, ctx: FileContext) -> bool:
        """Whether the rule may report anything in this file, asked once per file before the
        walk: False leaves its handlers out of the file's walk, which then makes none of its
        calls. An override must answer True wherever the rule could report (a cheap superset
        of its findings' conditions, written down in its comment), and ask the project index
        only through `ctx.index`, so that the results cache notes the question."""
        return True

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx

    def option(self, name: str) -> Any:
        # Asked per function by some rules: looked up in the settings once per run (the
        # engine shares one memo between the files of a run).
        values = self.ctx.option_values
        key = (self.code, name)
        try:
            return values[key]
        except KeyError:
            found = values[key] = self.ctx.settings.rule_option(self.code, name)
            return found

    def report(
        self,
        node: ast.AST,
        message: str,
        fix: Fix | None = None,
        secret: tuple[int, int] | None = None,
    ) -> None:
        """`secret`: text offsets of a secret the finding is about (see `FileContext.secret_in`)."""
        self.ctx.add(self, node, message, fix, secret)

    @classmethod
    def documentation(cls) -> str:
        import inspect

        return inspect.cleandoc(cls.__doc__ or "")


def _inner_span(literal: str) -> tuple[int, int]:
    """Where a string literal's characters are within its source: no prefix, no quotes."""
    prefix = len(literal) - len(literal.lstrip("rbufRBUF"))
    stripped = literal[prefix:]
    for quote in ('"""', "'''", '"', "'"):
        if (
            stripped.startswith(quote)
            and stripped.endswith(quote)
            and len(stripped) > 2 * len(quote)
        ):
            return prefix + len(quote), len(literal) - len(quote)
    return 0, len(literal)


def _usual_quote(strings: list[ast.Constant], lines: LineIndex) -> str:
    """The quote most of the file's one-line strings open with; double on a tie. `strings`: the
    file's `str` constants outside f-strings (before Python 3.12 those must use the other quote),
    found by one walk that neither builds a parent map nor enters f-strings."""
    counts = {"'": 0, '"': 0}
    text = lines.text
    for node in strings:
        start, _ = lines.node_range(node)
        opening = text[start : start + 5].lstrip("rRuUbB")
        if opening[:1] in counts and opening[:3] != opening[0] * 3:
            counts[opening[0]] += 1
    return "'" if counts["'"] > counts['"'] else '"'


class FileContext(SemanticFile):
    """Everything a rule may ask about the file being linted: the semantic file, plus where its
    text is (`lines`), the findings so far, and helpers to report and to build fixes."""

    def __init__(self, *, lines: LineIndex, **semantic: Any) -> None:
        super().__init__(**semantic)
        self.lines = lines
        self.diagnostics: list[Diagnostic] = []
        self._local_names: dict[str, str] | None = None
        self._comments: list[int] | None = None
        self._quote: str | None = None
        self.option_values: dict[tuple[str, str], Any] = {}  # (code, option) -> value (`option`)

    # -- reporting -----------------------------------------------------------------------------
    def add(
        self,
        rule: Rule,
        node: ast.AST,
        message: str,
        fix: Fix | None,
        secret: tuple[int, int] | None = None,
    ) -> None:
        start, end = self.lines.node_range(node)
        line, column = self.lines.position(start)
        end_line, end_column = self.lines.position(end)
        self.diagnostics.append(
            Diagnostic(
                code=rule.code,
                name=rule.name,
                message=message,
                line=line,
                column=column,
                end_line=end_line,
                end_column=end_column,
                fix=fix,
                path=self.path,
                start_offset=start,
                secret=secret,
            )
        )

    def secret_in(
        self, literal: ast.expr, value: str = "", before: str = "", after: str = ""
    ) -> tuple[int, int]:
        """The offsets of a secret in a string literal: `value` (between `before` and `after`)
        where the source spells it as is, else all of the literal's characters."""
        start, end = self.lines.node_range(literal)
        inner_start, inner_end = _inner_span(self.text[start:end])
        start, end = start + inner_start, start + inner_end
        if value:
            found = self.text.find(before + value + after, start, end)
            if found != -1:
                found += len(before)
                return found, found + len(value)
        return start, end

    # -- fix helpers ---------------------------------------------------------------------------
    def source(self, node: ast.AST) -> str:
        return self.lines.segment(node)

    def replace(self, node: ast.AST, content: str) -> Edit:
        start, end = self.lines.node_range(node)
        return Edit(start, end, content)

    def string(self, value: str) -> str:
        """`value` (no quote or backslash in it) as a string literal in the file's style: the
        quote most of its one-line strings use, double on a tie, as ruff and black write."""
        if self._quote is None:
            self._quote = _usual_quote(string_constants(self.tree), self.lines)
        return f"{self._quote}{value}{self._quote}"

    def spell(self, module: str, name: str) -> tuple[str, Import | None]:
        """How to write `module.name` here, and the import to add for it (if any)."""
        local = self._local_name(f"{module}.{name}")
        if local is not None:
            return local, None
        local = self._local_name(module)
        if local is not None:
            return f"{local}.{name}", None
        if name not in self.imports.bindings and name not in BUILTIN_NAMES:
            return name, Import(module, name)
        # The bare name means something else here: spell it through its module.
        return f"{module}.{name}", Import(module)

    def spell_module(self, module: str) -> tuple[str, Import | None]:
        """How to write module `module` here (`asyncio`, or its alias), and the import to add."""
        local = self._local_name(module)
        return (local, None) if local is not None else (module, Import(module))

    def _local_name(self, qualified: str) -> str | None:
        """The first local name bound to `qualified`. The map is made once per file: searching
        the bindings for each fix made fixing a file quadratic in its number of findings."""
        if self._local_names is None:
            self._local_names = {}
            for local, bound in self.imports.bindings.items():
                self._local_names.setdefault(bound, local)
        return self._local_names.get(qualified)

    def has_comment(self, start: int, end: int) -> bool:
        if "#" not in self.text[start:end]:
            return False
        if self._comments is None:
            self._comments = []
            try:
                tokens = tokenize.generate_tokens(io.StringIO(self.text).readline)
                for token in tokens:
                    if token.type == tokenize.COMMENT:
                        row, column = token.start
                        self._comments.append(self.lines.line_start(row) + column)
            except (tokenize.TokenError, SyntaxError):
                return True
        return any(start <= offset < end for offset in self._comments)

    def applicability(self, edits: tuple[Edit, ...], wanted: Applicability) -> Applicability:
        """Rules' fixes are downgraded to unsafe when a comment sits inside the edited code."""
        if wanted is Applicability.SAFE and any(self.has_comment(e.start, e.end) for e in edits):
            return Applicability.UNSAFE
        return wanted
