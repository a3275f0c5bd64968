"""Lint one file: parse once, run every selected rule in one walk, collect diagnostics.

Rules register `visit_<NodeType>` methods; the walk calls, for each node, only the rules
interested in its type. A rule that raises is reported as FAL002 and switched off for the rest
of that file; the other rules' findings stand.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi_lint.config import Settings
from fastapi_lint.diagnostics import (
    INTERNAL_ERROR,
    INVALID_SYNTAX,
    TOOL_CODES,
    Diagnostic,
    has_internal_error,
)
from fastapi_lint.generated import is_generated
from fastapi_lint.lowering import restore
from fastapi_lint.parsing import TOO_DEEP, SyntaxProblem, lowered_source, parse
from fastapi_lint.redaction import mask_quoted_secrets
from fastapi_lint.rules import all_rules
from fastapi_lint.rules.base import FileContext, Rule
from fastapi_lint.semantic.facts import ModuleFacts, extract
from fastapi_lint.semantic.index import ProjectIndex
from fastapi_lint.semantic.queries import RecordingIndex
from fastapi_lint.source import LineIndex

_SCOPES = frozenset({ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda})
_EXIT = object()  # marks the end of a scope on the walk's stack


@dataclass
class LintResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    tree: ast.Module | None = None
    facts: ModuleFacts | None = None
    queries: dict[str, str] = field(default_factory=dict)  # what it asked the project index

    @property
    def internal_error(self) -> bool:
        return has_internal_error(self.diagnostics)


class Linter:
    def __init__(self, settings: Settings, index: ProjectIndex, *, record: bool = True) -> None:
        """`record`: note what each lint asks the index, for the results cache (see queries.py);
        without a cache to keep them, the notes are not made."""
        self.settings = settings
        self.index = index
        self.record = record
        self._rules: list[type[Rule]] | None = None
        self._table: dict[type, list[tuple[int, Callable]]] | None = None
        # The table without the handlers of some rules (keyed by their positions): stubs leave
        # out the rules that do not check them, each file the rules that cannot report in it.
        self._tables: dict[frozenset[int], dict[type, list[tuple[int, Callable]]]] = {}
        self._gated: list[tuple[int, type[Rule]]] | None = None
        self._stub_rules: frozenset[int] | None = None
        self.option_values: dict = {}  # rule options, looked up once per run (`Rule.option`)

    @property
    def rules(self) -> list[type[Rule]]:
        """The selected rules, found when first asked: a process that only assembles the index
        or takes cached results (the parent of workers) never imports the rule modules."""
        if self._rules is None:
            enabled = self.settings.enabled_codes()
            self._rules = [r for r in all_rules() if r.code in enabled and r.code not in TOOL_CODES]
        return self._rules

    @property
    def table(self) -> dict[type, list[tuple[int, Callable]]]:
        """Node type -> (position of the rule, its unbound handler), in rule order: made once
        per run; each file only makes its rule instances."""
        if self._table is None:
            table: dict[type, list[tuple[int, Callable]]] = {}
            for position, rule in enumerate(self.rules):
                for attribute in dir(rule):
                    node_type = getattr(ast, attribute[len("visit_") :], None)
                    if attribute.startswith("visit_") and node_type is not None:
                        table.setdefault(node_type, []).append((position, getattr(rule, attribute)))
            self._table = table
        return self._table

    @property
    def stub_table(self) -> dict[type, list[tuple[int, Callable]]]:
        """`table` without the handlers of rules that do not check stubs (`Rule.checks_stubs`)."""
        return self._table_without(self._stubs_left_out())

    def _stubs_left_out(self) -> frozenset[int]:
        if self._stub_rules is None:
            self._stub_rules = frozenset(
                position for position, rule in enumerate(self.rules) if not rule.checks_stubs
            )
        return self._stub_rules

    def _table_without(self, left_out: frozenset[int]) -> dict[type, list[tuple[int, Callable]]]:
        """`table` without the handlers of the rules at `left_out`: made once per set of rules
        left out, not per file."""
        if not left_out:
            return self.table
        table = self._tables.get(left_out)
        if table is None:
            table = self._tables[left_out] = {
                node_type: kept
                for node_type, entries in self.table.items()
                if (kept := [entry for entry in entries if entry[0] not in left_out])
            }
        return table

    def _left_out(self, ctx: FileContext) -> frozenset[int]:
        """The positions of the rules this file's walk leaves out: those a stub does not
        concern, and those that say they cannot report in it (`Rule.applies_to`)."""
        if self._gated is None:
            self._gated = [
                (position, rule)
                for position, rule in enumerate(self.rules)
                if rule.applies_to.__func__ is not Rule.applies_to.__func__
            ]
        stub = ctx.location.endswith(".pyi")
        left_out = self._stubs_left_out() if stub else frozenset()
        gated = []
        for position, rule in self._gated:
            if position in left_out:
                continue
            try:
                applies = rule.applies_to(ctx)
            except Exception:  # a bug in a gate: the rule runs, as it would without one
                applies = True
            if not applies:
                gated.append(position)
        return left_out.union(gated) if gated else left_out

    def prepare(self) -> None:
        """Import the selected rules and make their handler table now, not at the first lint."""
        _ = self.table  # (the property makes and keeps it)

    def lint(
        self,
        path: str,
        text: str,
        module: str,
        package: str,
        tree: ast.Module | SyntaxProblem | None = None,
        facts: ModuleFacts | None = None,
        location: str | None = None,
    ) -> LintResult:
        """Lint `text`; `tree` and `facts` are the ones the index was built from, when it was
        built from this text (the facts with the names star imports bring). The index is only
        read: a module it does not hold is added while it is built, not here. `location`: where
        the file is in its project (rules judge test and script files by it), else `path`."""
        if tree is None:
            tree = parse(text, path)
        lines = LineIndex(text)
        if isinstance(tree, SyntaxProblem):
            return LintResult([syntax_diagnostic(path, tree, lines)])
        # A lowered file (newer syntax) is linted as its lowered text, then mapped back.
        lowering = lowered_source(tree)
        seen_lines = LineIndex(lowering.text) if lowering else lines
        # Its results are cached on what it asks.
        index = RecordingIndex(self.index) if self.record else self.index
        if facts is None:
            try:
                facts = module_facts(tree, module, package, index)
            except RecursionError:  # valid but absurdly deep code: that file only
                return LintResult([syntax_diagnostic(path, TOO_DEEP, lines)])
        else:  # the index build gave the facts their star names: note what those depend on
            for starred in facts.stars:
                index.star_names(starred)
        if self.settings.skip_generated and is_generated(text):
            return LintResult([], tree, facts)  # generated code: not linted
        ctx = FileContext(
            path=path,
            location=location or path,
            text=lowering.text if lowering else text,
            lines=seen_lines,
            tree=tree,
            imports=facts.imports(),
            index=index,
            settings=self.settings,
            module=module,
            facts=facts,
        )
        ctx.option_values = self.option_values
        self._walk(ctx)
        if lowering:
            for diagnostic in ctx.diagnostics:
                restore(diagnostic, lowering, seen_lines, lines)
        mask_quoted_secrets(ctx.diagnostics, lines)
        ctx.diagnostics.sort(key=lambda d: (d.line, d.column, d.code))
        queries = index.stored() if self.record else {}
        return LintResult(ctx.diagnostics, tree, facts, queries)

    def _walk(self, ctx: FileContext) -> None:
        """Visit the tree depth-first, children in field order, each node's handlers in rule
        order; what a node's type needs (its handlers bound to this file's rules, scope or not,
        child fields) is looked up once per type, and a failing rule's handlers leave the
        table."""
        left_out = self._left_out(ctx)
        dispatch = self._table_without(left_out)
        rules = [None if p in left_out else rule(ctx) for p, rule in enumerate(self.rules)]
        kinds: dict[type, tuple] = {}
        scopes = ctx.scopes
        stack: list = [ctx.tree]
        pop, push, extend = stack.pop, stack.append, stack.extend
        while stack:
            node = pop()
            if node is _EXIT:
                scopes.pop()
                continue
            node_type = type(node)
            kind = kinds.get(node_type)
            if kind is None:
                handlers = [
                    (position, handler.__get__(rules[position]))
                    for position, handler in dispatch.get(node_type, ())
                ]
                kind = kinds[node_type] = (handlers, node_type in _SCOPES, _pushed(node_type))
            handlers, scope, fields = kind
            for position, handler in handlers:
                try:
                    handler(node)
                except Exception as exc:  # a bug in a rule must not end the run
                    ctx.diagnostics.append(internal_error(ctx, rules[position], node, exc))
                    dispatch = {  # its other handlers are not called again (in this file)
                        node_type: [entry for entry in entries if entry[0] != position]
                        for node_type, entries in dispatch.items()
                    }
                    kinds.clear()
            if scope:
                scopes.append(node)
                push(_EXIT)
            for name in fields:  # last field first: the stack pops the first one first
                value = getattr(node, name, None)
                if type(value) is list:
                    extend(reversed(value))  # None and str items are popped and pass
                elif value is not None:
                    push(value)


def module_facts(tree: ast.Module, module: str, package: str, index: ProjectIndex) -> ModuleFacts:
    """The facts of a module's tree, with the names its star imports bring from `index` (which
    is read, not changed). Raises RecursionError on absurdly deep code."""
    facts = extract(tree, module, package)
    if facts.stars:
        index.add_star_names(facts)  # sets the new facts' bindings only
    return facts


# Fields that never hold a node a rule wants: names, operators, load/store contexts, numbers and
# flags. Skipping them (and every field of a Constant) halves the nodes the walk visits. What
# other fields hold that is not a node (a `name` string, `MatchSingleton`'s value) is pushed,
# popped and passed over.
_LEAF_FIELDS = frozenset(
    {"ctx", "op", "ops", "id", "attr", "arg", "kind", "level", "module", "type_comment"}
    | {"conversion", "simple", "is_async", "tag"}
)
_FIELDS: dict[type, tuple[str, ...]] = {ast.Constant: ()}


def _pushed(node_type: type) -> tuple[str, ...]:
    """The fields the walk pushes, last first (None: a list item that is not a node)."""
    fields = _FIELDS.get(node_type)
    if fields is None:
        names = getattr(node_type, "_fields", ())
        fields = tuple(reversed([name for name in names if name not in _LEAF_FIELDS]))
        _FIELDS[node_type] = fields
    return fields


def syntax_diagnostic(path: str, problem: SyntaxProblem, lines: LineIndex) -> Diagnostic:
    line = min(max(problem.line, 1), lines.line_count)
    return Diagnostic(
        code=INVALID_SYNTAX,
        name="invalid-syntax",
        message=problem.message,
        line=line,
        column=problem.column,
        end_line=line,
        end_column=problem.column,
        path=path,
        start_offset=lines.line_start(line) + problem.column,
    )


def internal_error(ctx: FileContext, rule: Rule, node: ast.AST, exc: Exception) -> Diagnostic:
    line = getattr(node, "lineno", 1)
    column = ctx.lines.char_column(line, getattr(node, "col_offset", 0))
    return Diagnostic(
        code=INTERNAL_ERROR,
        name="internal-error",
        message=(
            f"Rule {rule.code} ({rule.name}) raised {type(exc).__name__}: {exc}; "
            "its findings for this file are missing (please report this bug)"
        ),
        line=line,
        column=column,
        end_line=line,
        end_column=column,
        path=ctx.path,
        start_offset=ctx.lines.line_start(line) + column,
    )
