"""What the semantic layer knows of one file while it is linted, asked by rules and by semantic
helpers alike: its tree and model, imports, facts, the project index, the settings, and the
scopes the walk is in. The rule context (`rules.base.FileContext`) adds reporting and fixes to it;
semantic modules take this, never the rule context.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi_lint.semantic.facts import class_header
from fastapi_lint.semantic.fastapi_calls import dependency_providers
from fastapi_lint.semantic.imports import CANONICAL
from fastapi_lint.semantic.locals import FunctionSessions
from fastapi_lint.semantic.model import FileModel
from fastapi_lint.semantic.routes import Route, endpoint_registrations, route_of
from fastapi_lint.semantic.sessions import SessionFacts

if TYPE_CHECKING:
    from fastapi_lint.config import Settings
    from fastapi_lint.semantic.facts import ModuleFacts
    from fastapi_lint.semantic.imports import ImportTable
    from fastapi_lint.semantic.index import ProjectIndex

_UNASKED = object()  # (a node `resolve` has not been asked about)


class SemanticFile:
    """One file as the semantic layer sees it (see the module docstring)."""

    def __init__(
        self,
        *,
        path: str,
        location: str,
        text: str,
        tree: ast.Module,
        imports: ImportTable,
        index: ProjectIndex,
        settings: Settings,
        module: str,
        facts: ModuleFacts,
    ) -> None:
        self.path = path  # as shown to the user (relative to the current folder)
        self.location = location  # relative to the configuration: the same from any folder
        self.text = text
        self.tree = tree
        self.imports = imports
        self.index = index
        self.settings = settings
        self.module = module
        self.facts = facts
        self.model = FileModel(tree)  # scopes, bindings, parents: computed once, asked by rules
        self.sessions = SessionFacts(index, imports)
        self._function_sessions: dict[ast.AST, FunctionSessions] = {}
        self.scopes: list[ast.AST] = []  # enclosing classes, functions and lambdas (engine)
        self._class_kinds: dict[ast.ClassDef, frozenset[str]] = {}
        self._top_level: set[str] | None = None
        self._routes: dict[ast.AST, Route | None] = {}
        self._class_sessions: dict[ast.ClassDef, tuple[dict, dict]] = {}  # per class, once
        self._registrations: dict[str, ast.Call] | None = None
        self._dependency_providers: frozenset[str] | None = None
        self._memo: dict[object, Any] = {}
        self._resolved: dict[ast.AST, str | None] = {}  # (`resolve`; the imports never change)

    # -- names and classes ---------------------------------------------------------------------
    def resolve(self, node: ast.AST) -> str | None:
        # Most rules resolve each call's callee: a node's answer is kept for the next rule.
        found = self._resolved.get(node, _UNASKED)
        if found is _UNASKED:
            found = self._resolved[node] = self.imports.resolve(node)
        return found

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
            owner = self._owner_class(func)
            found = FunctionSessions(
                self.sessions, func, owner, fallback, self.model, self._class_sessions
            )
            self._function_sessions[func] = found
        return found

    def _owner_class(self, func) -> ast.ClassDef | None:
        """The class whose body holds `func`, read where `func` stands on the scopes, so the
        answer (cached with the function's sessions) is the same whichever rule asks first,
        from the function's body or from a lambda or class inside it."""
        scopes = self.scopes
        for index in range(len(scopes) - 1, -1, -1):
            if scopes[index] is func:
                outer = scopes[index - 1] if index else None
                return outer if isinstance(outer, ast.ClassDef) else None
        return scopes[-1] if scopes and isinstance(scopes[-1], ast.ClassDef) else None

    def has_future_annotations(self) -> bool:
        return self.imports.bindings.get("annotations") == "__future__.annotations"

    def class_kinds(self, node: ast.ClassDef) -> frozenset[str]:
        """Kinds of a class defined in this file (see semantic.index), nested ones included."""
        kinds = self._class_kinds.get(node)
        if kinds is None:
            # its first line says what it is: its body is not read
            kinds = self.index.kinds_of(class_header(node, self.imports, node.name))
            self._class_kinds[node] = kinds
        return kinds

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

    def may_resolve_to(self, qualified: frozenset[str]) -> bool:
        """Whether `resolve` can give one of the `qualified` names in this file: some binding
        is one of them, or a module or class above one, or above a name folded into one
        (`resolve` reads the bindings only: a name's binding, then `.attr`s). A superset
        test for a whole file, before any node is resolved."""
        return not _prefixes(qualified).isdisjoint(self.imports.bindings.values())

    def may_spell(self, *names: str) -> bool:
        """Whether the file may spell one of these identifiers (an attribute a rule looks for):
        its text holds one, or is not ASCII (Python reads a name as its NFKC form)."""
        text = self.text
        return any(name in text for name in names) or not text.isascii()


@functools.cache
def _prefixes(qualified: frozenset[str]) -> frozenset[str]:
    """The names and every dotted prefix of them, and of the names `CANONICAL` folds into
    them."""
    names = set(qualified)
    names.update(raw for raw, folded in CANONICAL.items() if folded in qualified)
    found = set()
    for name in names:
        parts = name.split(".")
        found.update(".".join(parts[:cut]) for cut in range(1, len(parts) + 1))
    return frozenset(found)
