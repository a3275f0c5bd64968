"""Lint one file: parse once, run every selected rule in one walk, collect diagnostics.

Rules register `visit_<NodeType>` methods; the walk calls, for each node, only the rules
interested in its type. A rule that raises is reported as FAL002 and switched off for the rest
of that file; the other rules' findings stand.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from fastapi_lint.config import ALWAYS_ON, Settings
from fastapi_lint.diagnostics import Diagnostic
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

_SCOPES = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_EXIT = object()  # marks the end of a scope on the walk's stack


@dataclass
class LintResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    tree: ast.Module | None = None
    facts: ModuleFacts | None = None
    queries: dict[str, str] = field(default_factory=dict)  # what it asked the project index

    @property
    def internal_error(self) -> bool:
        return any(d.code == "FAL002" for d in self.diagnostics)


class Linter:
    def __init__(self, settings: Settings, index: ProjectIndex) -> None:
        self.settings = settings
        self.index = index
        enabled = settings.enabled_codes()
        self.rules = [r for r in all_rules() if r.code in enabled and r.code not in ALWAYS_ON]
        self.handlers: dict[type[Rule], list[tuple[type, str]]] = {}
        for rule in self.rules:
            self.handlers[rule] = [
                (getattr(ast, attribute[len("visit_") :]), attribute)
                for attribute in dir(rule)
                if attribute.startswith("visit_") and hasattr(ast, attribute[len("visit_") :])
            ]

    def lint(
        self,
        path: str,
        text: str,
        module: str,
        package: str,
        tree: ast.Module | SyntaxProblem | None = None,
    ) -> LintResult:
        if tree is None:
            tree = parse(text, path)
        lines = LineIndex(text)
        if isinstance(tree, SyntaxProblem):
            return LintResult([syntax_diagnostic(path, tree, lines)])
        # A lowered file (newer syntax) is linted as its lowered text, then mapped back.
        lowering = lowered_source(tree)
        seen_lines = LineIndex(lowering.text) if lowering else lines
        try:
            facts = extract(tree, module, package)
        except RecursionError:  # valid but absurdly deep code: that file only
            return LintResult([syntax_diagnostic(path, TOO_DEEP, lines)])
        index = RecordingIndex(self.index)  # its results are cached on what it asks
        if facts.stars:
            index.add_star_names(facts)
        if module not in index.modules:  # a file outside the indexed project
            index.add(facts, [module])
        if self.settings.skip_generated and is_generated(text):
            return LintResult([], tree, facts)  # its facts still count for other files
        ctx = FileContext(
            path=path,
            text=lowering.text if lowering else text,
            lines=seen_lines,
            tree=tree,
            imports=facts.imports(),
            index=index,
            settings=self.settings,
            module=module,
            facts=facts,
        )
        self._walk(ctx)
        if lowering:
            for diagnostic in ctx.diagnostics:
                restore(diagnostic, lowering, seen_lines, lines)
        mask_quoted_secrets(ctx.diagnostics, lines)
        ctx.diagnostics.sort(key=lambda d: (d.line, d.column, d.code))
        return LintResult(ctx.diagnostics, tree, facts, index.stored())

    def _walk(self, ctx: FileContext) -> None:
        dispatch: dict[type, list] = {}
        for rule_class, pairs in self.handlers.items():
            rule = rule_class(ctx)
            for node_type, attribute in pairs:
                dispatch.setdefault(node_type, []).append((rule, getattr(rule, attribute)))
        failed: set[str] = set()
        stack: list = [ctx.tree]
        while stack:
            node = stack.pop()
            if node is _EXIT:
                ctx.scopes.pop()
                continue
            for rule, handler in dispatch.get(type(node), ()):
                if rule.code in failed:
                    continue
                try:
                    handler(node)
                except Exception as exc:  # a bug in a rule must not end the run
                    failed.add(rule.code)
                    ctx.diagnostics.append(internal_error(ctx, rule, node, exc))
            if isinstance(node, _SCOPES):
                ctx.scopes.append(node)
                stack.append(_EXIT)
            children = []
            for name in _child_fields(type(node)):
                value = getattr(node, name, None)
                if type(value) is list:
                    children.extend(item for item in value if isinstance(item, ast.AST))
                elif isinstance(value, ast.AST):
                    children.append(value)
            children.reverse()
            stack.extend(children)


# Fields that never hold a node a rule wants: names, operators, load/store contexts. Skipping
# them (and every field of a Constant) halves the nodes the walk visits.
_LEAF_FIELDS = frozenset({"ctx", "op", "ops", "id", "attr", "arg", "kind", "level", "module"})
_FIELDS: dict[type, tuple[str, ...]] = {ast.Constant: ()}


def _child_fields(node_type: type) -> tuple[str, ...]:
    fields = _FIELDS.get(node_type)
    if fields is None:
        fields = tuple(name for name in node_type._fields if name not in _LEAF_FIELDS)
        _FIELDS[node_type] = fields
    return fields


def syntax_diagnostic(path: str, problem: SyntaxProblem, lines: LineIndex) -> Diagnostic:
    line = min(max(problem.line, 1), lines.line_count)
    return Diagnostic(
        code="FAL001",
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
        code="FAL002",
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
