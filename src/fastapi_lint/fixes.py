"""Apply fixes: non-overlapping edits, imports added once, re-lint, repeat to a fixed point.

A fix is data (see diagnostics.Fix). Each round applies every applicable fix whose edits do not
overlap an earlier one's; the rest wait for the next round, when the file has been linted again.
A round whose result does not parse is retried fix by fix, and a fix whose result does not parse
is dropped and reported: the file keeps its last good content.
"""

from __future__ import annotations

import ast
import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from fastapi_lint.diagnostics import Diagnostic, Edit, Fix
from fastapi_lint.fix_imports import import_edits, unused_import_edits, used_names
from fastapi_lint.parsing import SyntaxProblem, lowered_source, parse

MAX_ROUNDS = 10


@dataclass
class FixOutcome:
    text: str
    fixed: dict[str, int] = field(default_factory=dict)  # code -> number of fixes applied
    diagnostics: list[Diagnostic] = field(default_factory=list)  # what remains
    problems: list[str] = field(default_factory=list)  # fixes dropped, rounds that did not end


def applicable(diagnostics: Iterable[Diagnostic], unsafe_fixes: bool) -> list[Diagnostic]:
    return [d for d in diagnostics if d.fix is not None and d.fix.applies(unsafe_fixes)]


def fix_text(
    text: str,
    lint: Callable[..., list[Diagnostic]],
    unsafe_fixes: bool,
    first_party: frozenset[str] = frozenset(),
    *,
    tree: ast.Module | SyntaxProblem | None = None,
) -> FixOutcome:
    """Fix `text` to a fixed point; `first_party` names the project's top-level modules (for
    where a new import goes).

    Given `tree` (the tree of `text`), `lint` is called as `lint(text, tree)`, and each later
    round with the tree its text was validated with: a round's text is not parsed again.
    """
    outcome = FixOutcome(text)
    parsed = tree is not None
    diagnostics = lint(text, tree) if parsed else lint(text)
    for _ in range(MAX_ROUNDS):
        candidates = applicable(diagnostics, unsafe_fixes)
        if not candidates:
            break
        chosen = choose(candidates)
        new_text, kept, new_tree = _apply_round(
            outcome.text, chosen, outcome.problems, first_party, tree
        )
        if not kept:
            break
        for diagnostic in kept:
            outcome.fixed[diagnostic.code] = outcome.fixed.get(diagnostic.code, 0) + 1
        outcome.text, tree = new_text, new_tree
        diagnostics = lint(new_text, new_tree) if parsed else lint(new_text)
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
    text: str,
    chosen: list[Diagnostic],
    problems: list[str],
    first_party: frozenset[str],
    tree: ast.Module | SyntaxProblem | None = None,
) -> tuple[str, list[Diagnostic], ast.Module | None]:
    """The text after the round, the fixes kept, and the tree it was validated with; `tree` is
    the tree of `text`, when known."""
    if not isinstance(tree, ast.Module):
        tree = None
    fixes = [d.fix for d in chosen]
    result = _applied(text, fixes, first_party, tree)
    if result is not None:
        return result[0], chosen, result[1]
    # Some fix breaks the file: keep the ones that do not, one at a time.
    kept = []
    for diagnostic in chosen:
        attempt = _applied(text, [*(d.fix for d in kept), diagnostic.fix], first_party, tree)
        if attempt is None:
            problems.append(
                f"{diagnostic.line}:{diagnostic.column + 1}: the fix for {diagnostic.code} "
                "produced invalid code and was dropped (please report this bug)"
            )
        else:
            kept.append(diagnostic)
    if not kept:
        return text, [], None
    result = _applied(text, [d.fix for d in kept], first_party, tree)
    return (result[0], kept, result[1]) if result is not None else (text, kept, None)


def apply_fixes(
    text: str, fixes: list[Fix], first_party: frozenset[str] = frozenset()
) -> str | None:
    """The text with every fix applied, or None when the result does not parse.

    Imports the fixes need are added; module imports they left unused are removed.
    """
    result = _applied(text, fixes, first_party)
    return result[0] if result is not None else None


def _applied(
    text: str, fixes: list[Fix], first_party: frozenset[str], tree: ast.Module | None = None
) -> tuple[str, ast.Module] | None:
    """`apply_fixes`, with the tree the new text was validated with; `tree` is that of `text`
    when known (the one just linted)."""
    if tree is None:
        tree = parse(text)
    if isinstance(tree, SyntaxProblem):
        return None
    edits = [edit for fix in fixes for edit in fix.edits]
    imports = list(dict.fromkeys(item for fix in fixes for item in fix.imports))
    if imports:
        edits.extend(
            _on_original(text, tree, lambda seen: import_edits(seen, tree, imports, first_party))
        )
    new_text = apply_edits(text, edits)
    new_tree = parse(new_text)
    if isinstance(new_tree, SyntaxProblem):
        return None
    used = used_names(tree)
    removals = _on_original(
        new_text, new_tree, lambda seen: unused_import_edits(seen, new_tree, used)
    )
    if removals:
        pruned = apply_edits(new_text, removals)
        pruned_tree = parse(pruned)
        if not isinstance(pruned_tree, SyntaxProblem):
            return pruned, pruned_tree
    return new_text, new_tree


def edits_with_imports(text: str, fix: Fix) -> list[Edit]:
    """A fix's edits plus the import edits it needs in `text` (for reports of the fix)."""
    edits = list(fix.edits)
    if fix.imports:
        tree = parse(text)
        if not isinstance(tree, SyntaxProblem):
            wanted = list(fix.imports)
            edits.extend(_on_original(text, tree, lambda seen: import_edits(seen, tree, wanted)))
    return sorted(edits, key=lambda edit: edit.start)


def _on_original(text: str, tree, make_edits: Callable[[str], list[Edit]]) -> list[Edit]:
    """Import edits made on the text the tree was parsed from, as edits of `text`.

    A lowered file (newer syntax) is read as its lowered text; imports sit between statements,
    never in a rewritten span, so their offsets map straight back.
    """
    lowering = lowered_source(tree)
    if lowering is None:
        return make_edits(text)
    return [lowering.original_edit(edit) for edit in make_edits(lowering.text)]


def apply_edits(text: str, edits: list[Edit]) -> str:
    pieces = []
    position = len(text)
    # At one offset, insertions (an import at the top) come before a replacement starting there;
    # insertions keep the order their fixes gave.
    ordered = sorted(
        enumerate(edits),
        key=lambda pair: (pair[1].start, pair[1].end > pair[1].start, pair[0]),
        reverse=True,
    )
    for _, edit in ordered:
        pieces.append(text[edit.end : position])
        pieces.append(edit.content)
        position = edit.start
    pieces.append(text[:position])
    return "".join(reversed(pieces))
