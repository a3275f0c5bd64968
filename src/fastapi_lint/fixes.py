"""Apply fixes: non-overlapping edits, imports added once, re-lint, repeat to a fixed point.

A fix is data (see diagnostics.Fix). Each round applies every applicable fix whose edits do not
overlap an earlier one's; the rest wait for the next round, when the file has been linted again.
A round whose result does not parse is retried fix by fix, and a fix whose result does not parse
is dropped and reported: the file keeps its last good content.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from fastapi_lint.diagnostics import Diagnostic, Edit, Fix, Import
from fastapi_lint.parsing import SyntaxProblem, parse
from fastapi_lint.source import LineIndex

MAX_ROUNDS = 10
_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")


@dataclass
class FixOutcome:
    text: str
    fixed: dict[str, int] = field(default_factory=dict)  # code -> number of fixes applied
    diagnostics: list[Diagnostic] = field(default_factory=list)  # what remains
    problems: list[str] = field(default_factory=list)  # fixes dropped, rounds that did not end

    @property
    def fixed_count(self) -> int:
        return sum(self.fixed.values())


def applicable(diagnostics: Iterable[Diagnostic], unsafe_fixes: bool) -> list[Diagnostic]:
    return [d for d in diagnostics if d.fix is not None and d.fix.applies(unsafe_fixes)]


def fix_text(text: str, lint: Callable[[str], list[Diagnostic]], unsafe_fixes: bool) -> FixOutcome:
    outcome = FixOutcome(text)
    diagnostics = lint(text)
    for _ in range(MAX_ROUNDS):
        candidates = applicable(diagnostics, unsafe_fixes)
        if not candidates:
            break
        chosen = choose(candidates)
        new_text, kept = _apply_round(outcome.text, chosen, outcome.problems)
        if not kept:
            break
        for diagnostic in kept:
            outcome.fixed[diagnostic.code] = outcome.fixed.get(diagnostic.code, 0) + 1
        outcome.text = new_text
        diagnostics = lint(new_text)
    else:
        if applicable(diagnostics, unsafe_fixes):
            outcome.problems.append(
                f"fixes did not converge after {MAX_ROUNDS} rounds; the file is left as fixed so "
                "far (please report this bug)"
            )
    outcome.diagnostics = diagnostics
    return outcome


def choose(candidates: list[Diagnostic]) -> list[Diagnostic]:
    """The candidates, in source order, whose edits overlap no earlier chosen edit."""
    taken = _TakenEdits()
    chosen = []
    for diagnostic in sorted(candidates, key=lambda d: (d.start_offset, d.code)):
        edits = diagnostic.fix.edits
        if any(taken.overlaps(edit) for edit in edits):
            continue
        for edit in edits:
            taken.add(edit)
        chosen.append(diagnostic)
    return chosen


class _TakenEdits:
    """Edits already chosen in a round, sorted by start, so a new edit is checked against its
    neighbours only: comparing it with every earlier edit made a round quadratic in the number
    of fixes (4,000 fixes in one file took seconds)."""

    def __init__(self) -> None:
        self._edits: list[Edit] = []
        self._starts: list[int] = []

    def overlaps(self, edit: Edit) -> bool:
        # Chosen edits do not overlap, so their ends grow with their starts: only the one just
        # before `edit` can reach into it, and only those starting inside it can meet it.
        index = bisect.bisect_left(self._starts, edit.start)
        if index > 0 and _overlap(self._edits[index - 1], edit):
            return True
        while index < len(self._edits) and self._starts[index] <= edit.end:
            if _overlap(self._edits[index], edit):
                return True
            index += 1
        return False

    def add(self, edit: Edit) -> None:
        index = bisect.bisect_right(self._starts, edit.start)
        self._starts.insert(index, edit.start)
        self._edits.insert(index, edit)


def _overlap(a: Edit, b: Edit) -> bool:
    if a.start == a.end == b.start == b.end:
        return False  # two insertions at one place: applied in source order of their fixes
    return (a.start < b.end and b.start < a.end) or a.start == b.start


def _apply_round(
    text: str, chosen: list[Diagnostic], problems: list[str]
) -> tuple[str, list[Diagnostic]]:
    fixes = [d.fix for d in chosen]
    result = apply_fixes(text, fixes)
    if result is not None:
        return result, chosen
    # Some fix breaks the file: keep the ones that do not, one at a time.
    kept = []
    for diagnostic in chosen:
        attempt = apply_fixes(text, [*(d.fix for d in kept), diagnostic.fix])
        if attempt is None:
            problems.append(
                f"{diagnostic.line}:{diagnostic.column + 1}: the fix for {diagnostic.code} "
                "produced invalid code and was dropped (please report this bug)"
            )
        else:
            kept.append(diagnostic)
    if not kept:
        return text, []
    return apply_fixes(text, [d.fix for d in kept]) or text, kept


def apply_fixes(text: str, fixes: list[Fix]) -> str | None:
    """The text with every fix applied, or None when the result does not parse."""
    edits = [edit for fix in fixes for edit in fix.edits]
    imports = list(dict.fromkeys(item for fix in fixes for item in fix.imports))
    if imports:
        tree = parse(text)
        if isinstance(tree, SyntaxProblem):
            return None
        edits.extend(import_edits(text, tree, imports))
    new_text = apply_edits(text, edits)
    if isinstance(parse(new_text), SyntaxProblem):
        return None
    return new_text


def edits_with_imports(text: str, fix: Fix) -> list[Edit]:
    """A fix's edits plus the import edits it needs in `text` (for reports of the fix)."""
    edits = list(fix.edits)
    if fix.imports:
        tree = parse(text)
        if not isinstance(tree, SyntaxProblem):
            edits.extend(import_edits(text, tree, list(fix.imports)))
    return sorted(edits, key=lambda edit: edit.start)


def apply_edits(text: str, edits: list[Edit]) -> str:
    pieces = []
    position = len(text)
    # Stable for equal starts: an insertion keeps the order its fix gave.
    ordered = sorted(enumerate(edits), key=lambda pair: (pair[1].start, pair[0]), reverse=True)
    for _, edit in ordered:
        pieces.append(text[edit.end : position])
        pieces.append(edit.content)
        position = edit.start
    pieces.append(text[:position])
    return "".join(reversed(pieces))


# -- imports -----------------------------------------------------------------------------------
def import_edits(text: str, tree: ast.Module, imports: list[Import]) -> list[Edit]:
    """Edits that make every import available, merging into an existing `from x import ...`."""
    lines = LineIndex(text)
    edits: list[Edit] = []
    new_lines: list[str] = []
    by_module: dict[str, list[str]] = {}
    for item in imports:
        if item.name is None:
            if not _has_module_import(tree, item.module):
                new_lines.append(f"import {item.module}")
        elif not _has_name_import(tree, item.module, item.name):
            by_module.setdefault(item.module, []).append(item.name)
    for module, names in by_module.items():
        existing = _from_import(tree, module)
        if existing is not None:
            last = existing.names[-1]
            offset = lines.offset(last.end_lineno, last.end_col_offset)
            edits.append(Edit(offset, offset, "".join(f", {name}" for name in names)))
        else:
            new_lines.append(f"from {module} import {', '.join(names)}")
    if new_lines:
        offset, prefix = _insertion_point(text, tree, lines)
        edits.append(Edit(offset, offset, prefix + "".join(f"{line}\n" for line in new_lines)))
    return edits


def _has_module_import(tree: ast.Module, module: str) -> bool:
    return any(
        isinstance(stmt, ast.Import) and any(a.name == module and not a.asname for a in stmt.names)
        for stmt in tree.body
    )


def _has_name_import(tree: ast.Module, module: str, name: str) -> bool:
    return any(
        isinstance(stmt, ast.ImportFrom)
        and stmt.module == module
        and stmt.level == 0
        and any(a.name == name and not a.asname for a in stmt.names)
        for stmt in tree.body
    )


def _from_import(tree: ast.Module, module: str) -> ast.ImportFrom | None:
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.ImportFrom)
            and stmt.module == module
            and stmt.level == 0
            and stmt.names[0].name != "*"
        ):
            return stmt
    return None


def _insertion_point(text: str, tree: ast.Module, lines: LineIndex) -> tuple[int, str]:
    """After the docstring, `__future__` imports and the leading block of imports."""
    last: ast.stmt | None = None
    for position, stmt in enumerate(tree.body):
        docstring = (
            position == 0
            and isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str)
        )
        if docstring or isinstance(stmt, (ast.Import, ast.ImportFrom)):
            last = stmt
        else:
            break
    if last is None:
        line = 1
        while line <= lines.line_count and (
            lines.line_text(line).startswith("#!") or _CODING.match(lines.line_text(line))
        ):
            line += 1
        if line > lines.line_count:
            return len(text), "" if not text or text.endswith("\n") else "\n"
        return lines.line_start(line), ""
    if last.end_lineno >= lines.line_count:
        return len(text), "" if text.endswith("\n") else "\n"
    return lines.line_start(last.end_lineno + 1), ""
