"""What a rule is: a class with a code, docs, options and `visit_<Node>` handlers.

A rule is instantiated once per file with that file's `FileContext`; the engine calls its
`visit_<NodeType>` methods from one shared walk. Rules ask the context (and through it the
semantic layer) questions instead of matching spellings.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from fastapi_lint.diagnostics import Applicability, Diagnostic, Edit, Fix, Import
from fastapi_lint.semantic.facts import class_fact
from fastapi_lint.semantic.fastapi_calls import dependency_providers
from fastapi_lint.semantic.imports import BUILTIN_NAMES
from fastapi_lint.semantic.locals import FunctionSessions
from fastapi_lint.semantic.model import FileModel
from fastapi_lint.semantic.routes import Route, endpoint_registrations, route_of
from fastapi_lint.semantic.sessions import SessionFacts

if TYPE_CHECKING:
    from fastapi_lint.config import Settings
    from fastapi_lint.semantic.facts import ModuleFacts
    from fastapi_lint.semantic.imports import ImportTable
    from fastapi_lint.semantic.index import ProjectIndex
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
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]  # one line, for `fastapi-lint rules` and SARIF
    fix_availability: ClassVar[str] = FixAvailability.NONE
    default_enabled: ClassVar[bool] = True
    options: ClassVar[tuple[Option, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            return  # an abstract helper base
        cls.name = kebab(cls.__name__)
        if cls.code in REGISTRY:
            raise RuntimeError(f"rule code {cls.code} is used twice")
        REGISTRY[cls.code] = cls

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx

    def option(self, name: str) -> Any:
        return self.ctx.settings.rule_option(self.code, name)

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


class FileContext:
    """Everything a rule may ask about the file being linted."""

    def __init__(
        self,
        *,
        path: str,
        text: str,
        lines: LineIndex,
        tree: ast.Module,
        imports: ImportTable,
        index: ProjectIndex,
        settings: Settings,
        module: str,
        facts: ModuleFacts,
    ) -> None:
        self.path = path
        self.text = text
        self.lines = lines
        self.tree = tree
        self.imports = imports
        self.index = index
        self.settings = settings
        self.module = module
        self.facts = facts
        self.model = FileModel(tree)  # scopes, bindings, parents: computed once, asked by rules
        self.sessions = SessionFacts(index, imports)
        self._function_sessions: dict[ast.AST, FunctionSessions] = {}
        self.diagnostics: list[Diagnostic] = []
        self.scopes: list[ast.AST] = []  # enclosing classes, functions and lambdas (engine)
        self._class_kinds: dict[ast.ClassDef, frozenset[str]] = {}
        self._top_level: set[str] | None = None
        self._local_names: dict[str, str] | None = None
        self._routes: dict[ast.AST, Route | None] = {}
        self._comments: list[int] | None = None
        self._class_sessions: dict[ast.ClassDef, tuple[dict, dict]] = {}  # per class, once
        self._registrations: dict[str, ast.Call] | None = None
        self._dependency_providers: frozenset[str] | None = None
        self._memo: dict[object, Any] = {}

    # -- names and classes ---------------------------------------------------------------------
    def resolve(self, node: ast.AST) -> str | None:
        return self.imports.resolve(node)

    def resolve_call_name(self, node: ast.AST) -> str | None:
        """Qualified name of the function a `Call` calls; None for anything else."""
        return self.imports.resolve(node.func) if isinstance(node, ast.Call) else None

    def imports_module(self, *packages: str) -> bool:
        """Whether the module imports anything from one of these top-level packages."""
        if self._top_level is None:
            self._top_level = {value.split(".")[0] for value in self.imports.bindings.values()}
        return any(package in self._top_level for package in packages)

    @property
    def imports_fastapi(self) -> bool:
        return self.imports_module("fastapi")

    @property
    def imports_sqlalchemy(self) -> bool:
        return self.imports_module("sqlalchemy", "sqlmodel")

    def enclosing_class(self) -> ast.ClassDef | None:
        """The class whose body directly holds the node being visited (scopes exclude it)."""
        return (
            self.scopes[-1] if self.scopes and isinstance(self.scopes[-1], ast.ClassDef) else None
        )

    def enclosing_function(self) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The innermost `def` around the node being visited, if any."""
        for scope in reversed(self.scopes):
            if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return scope
        return None

    def route(self, func) -> Route | None:
        """The route `func` handles, asked once per function whichever rules ask."""
        if func not in self._routes:
            self._routes[func] = route_of(self, func)
        return self._routes[func]

    def function_sessions(self, func) -> FunctionSessions:
        """Session-holding names of `func` (a function being visited: its class is on scopes)."""
        found = self._function_sessions.get(func)
        if found is None:
            names = self.settings.session_names
            fallback = frozenset(names) if self.imports_sqlalchemy else frozenset()
            outer = self.scopes[:-1] if self.scopes and self.scopes[-1] is func else self.scopes
            owner = outer[-1] if outer and isinstance(outer[-1], ast.ClassDef) else None
            found = FunctionSessions(
                self.sessions, func, owner, fallback, self.model, self._class_sessions
            )
            self._function_sessions[func] = found
        return found

    def has_future_annotations(self) -> bool:
        return self.imports.bindings.get("annotations") == "__future__.annotations"

    def class_kinds(self, node: ast.ClassDef) -> frozenset[str]:
        """Kinds of a class defined in this file (see semantic.index), nested ones included."""
        kinds = self._class_kinds.get(node)
        if kinds is None:
            kinds = self.index.kinds_of(class_fact(node, self.imports, node.name))
            self._class_kinds[node] = kinds
        return kinds

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

    # -- per-file answers for the route rules ---------------------------------------------------
    def registrations(self) -> dict[str, ast.Call]:
        """Endpoint name -> the first `X.add_api_route(path, name)` call of this module that
        registers it, found in one walk of the file (not one per endpoint)."""
        if self._registrations is None:
            self._registrations = endpoint_registrations(self.tree)
        return self._registrations

    def dependency_providers(self) -> frozenset[str]:
        """Names this module gives to `Depends(name)`, found in one walk per file."""
        if self._dependency_providers is None:
            self._dependency_providers = dependency_providers(self.tree, self.text, self.resolve)
        return self._dependency_providers

    # -- per-file memo -------------------------------------------------------------------------
    def memo(self, key: object, compute: Callable[[], Any]) -> Any:
        """`compute()` once per file for `key` (a rule's per-function or per-file facts), so
        that rules asking again, for every finding, get the stored answer."""
        try:
            return self._memo[key]
        except KeyError:
            found = self._memo[key] = compute()
            return found
