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
from itertools import accumulate

from fastapi_lint.diagnostics import Diagnostic, Edit, Fix, Import
from fastapi_lint.fix_imports import WORD, import_edits, unused_import_edits, used_names
from fastapi_lint.lsp_positions import minimal_edit
from fastapi_lint.parsing import SyntaxProblem, lowered_source, parse
from fastapi_lint.source import LineIndex

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
        tree = parse(text)  # once for every attempt below
    used: dict[int, set[str]] = {}  # the names `tree` (alive all round) reads, found once
    fixes = [d.fix for d in chosen]
    result = _applied(text, fixes, first_party, tree, used)
    if result is not None:
        return result[0], chosen, result[1]
    # Some fix breaks the file: keep the ones that do not, one at a time. A fix that is valid
    # alone but not with those kept (`async def` made `def`, and an `await` added inside it)
    # waits for the next round, which lints the file again.
    kept = []
    for diagnostic in chosen:
        attempt = _applied(text, [*(d.fix for d in kept), diagnostic.fix], first_party, tree, used)
        if attempt is not None:
            kept.append(diagnostic)
        elif not kept or _applied(text, [diagnostic.fix], first_party, tree, used) is None:
            problems.append(
                f"{diagnostic.line}:{diagnostic.column + 1}: the fix for {diagnostic.code} "
                "produced invalid code and was dropped (please report this bug)"
            )
    if not kept:
        return text, [], None
    result = _applied(text, [d.fix for d in kept], first_party, tree, used)
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
    text: str,
    fixes: list[Fix],
    first_party: frozenset[str],
    tree: ast.Module | SyntaxProblem | None = None,
    used: dict[int, set[str]] | None = None,
) -> tuple[str, ast.Module] | None:
    """`apply_fixes`, with the tree the new text was validated with; `tree` is that of `text`
    when known (the one just linted); `used` keeps the names `tree` reads between calls."""
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
    if not _compiles(new_tree) and _compiles(tree):
        return None  # parses, but Python refuses it (`await` in a `def`, `return` outside one)
    if used is None:
        used = {}
    if id(tree) not in used:
        used[id(tree)] = used_names(tree)
    before = used[id(tree)]
    removed: list[tuple[list[ast.stmt], ast.stmt]] = []
    removals = _on_original(
        new_text, new_tree, lambda seen: unused_import_edits(seen, new_tree, before, removed)
    )
    if removals:
        pruned = apply_edits(new_text, removals)
        pruned_tree = _without_statements(new_text, new_tree, removals, removed)
        if pruned_tree is None:
            pruned_tree = parse(pruned)
        if not isinstance(pruned_tree, SyntaxProblem):
            return pruned, pruned_tree
    return new_text, new_tree


def _without_statements(
    text: str, tree: ast.Module, deletions: list[Edit], removed: list[tuple[list, ast.stmt]]
) -> ast.Module | None:
    """`tree` (of `text`) as parsing the text `deletions` make of `text` gives it, when those
    edits delete whole lines holding only the statements `removed` (imports a fix left unused)
    and blank lines: the statements leave their blocks, and every other node moves up by the
    lines deleted above it, its columns unchanged. A large file is not parsed a second time
    for a few import lines. None when an edit is anything else (an import rewritten, a lowered
    file): the caller parses. `tree` is changed in place."""
    if lowered_source(tree) is not None:
        return None
    deleted: list[tuple[int, int]] = []  # (first line, number of lines)
    line, counted = 1, 0  # the line at offset `counted`: deletions are counted in order
    for edit in sorted(deletions, key=lambda edit: edit.start):
        whole_lines = (edit.start == 0 or text[edit.start - 1] == "\n") and (
            edit.end == len(text) or text[edit.end - 1] == "\n"
        )
        if edit.content or not whole_lines or edit.start < counted:
            return None
        if edit.start < edit.end:
            line += text.count("\n", counted, edit.start)
            deleted.append((line, text.count("\n", edit.start, edit.end)))
            counted = edit.start
    if not deleted:
        return None
    line_count = text.count("\n") + 1
    drops = [0] * (line_count + 2)
    for first, count in deleted:  # the lines after a deletion move up by its size
        drops[min(first + count, line_count + 1)] += count
    up = list(accumulate(drops))  # line -> how far it moves up
    statements = {id(stmt) for _, stmt in removed}
    for body in {id(body): body for body, _ in removed}.values():
        body[:] = [stmt for stmt in body if id(stmt) not in statements]
    _move_lines(tree, up, min(first for first, _ in deleted))
    return tree


def _move_lines(tree: ast.Module, up: list[int], first_changed: int) -> None:
    """Move every node up by `up[its line]` lines; those ending before `first_changed` stay."""
    stack: list = list(tree.body)
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        kind = type(node)
        shape = _SHAPES.get(kind)
        if shape is None:
            shape = _shape(kind)
        positioned, fields = shape
        if positioned:
            end = node.end_lineno
            if end is not None and end < first_changed:
                continue  # the node and all it holds stand before every deleted line
            node.lineno -= up[node.lineno]
            if end is not None:
                node.end_lineno = end - up[end]
        for name in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        push(item)
            elif isinstance(value, ast.AST):
                push(value)


# Per node type: (whether it has line numbers, the fields that may hold nodes with them).
_SHAPES: dict[type, tuple[bool, tuple[str, ...]]] = {ast.Constant: (True, ())}
# Fields holding tokens (contexts, operators) or plain values, never a node with a position.
_TOKEN_FIELDS = frozenset(
    {"ctx", "op", "ops", "id", "attr", "arg", "name", "module", "level", "kind", "type_comment"}
    | {"conversion", "simple", "is_async"}
)


def _shape(kind: type) -> tuple[bool, tuple[str, ...]]:
    fields = tuple(name for name in kind._fields if name not in _TOKEN_FIELDS)
    shape = _SHAPES[kind] = ("lineno" in kind._attributes, fields)
    return shape


def _compiles(tree: ast.Module) -> bool:
    """Whether Python would compile the tree: `ast.parse` accepts code the compiler refuses."""
    try:
        compile(tree, "<fixed>", "exec", dont_inherit=True)
    except SyntaxError:
        return False
    except (ValueError, TypeError, RecursionError, MemoryError):
        return True  # not a verdict on the code (a lowered tree, absurd depth): parse decides
    return True


def edits_with_imports(text: str, fix: Fix) -> list[Edit]:
    """A fix's edits plus the import edits it needs in `text`, placed as if no module were first
    party, and no import removed (the snapshot tests pin this view of a fix)."""
    edits = list(fix.edits)
    if fix.imports:
        tree = parse(text)
        if not isinstance(tree, SyntaxProblem):
            wanted = list(fix.imports)
            edits.extend(_on_original(text, tree, lambda seen: import_edits(seen, tree, wanted)))
    return sorted(edits, key=lambda edit: edit.start)


def attach_final_edits(
    diagnostics: Iterable[Diagnostic],
    text: str,
    first_party: frozenset[str] = frozenset(),
    newline: str = "\n",
) -> None:
    """Give each fix of `diagnostics` (found in `text`) its final edits, for the outputs that
    show them: what `--fix` makes of that fix applied alone (see `final_edits`), with the file's
    own `newline` in what they insert, as `--fix` writes it."""
    fixes = _FixesOf(text, first_party)
    for diagnostic in diagnostics:
        if diagnostic.fix is not None:
            edits = fixes.final_edits(diagnostic.fix)
            if newline != "\n":
                edits = tuple(
                    Edit(edit.start, edit.end, edit.content.replace("\n", newline))
                    for edit in edits
                )
            diagnostic.edits = edits


class _FixesOf:
    """One text's fixes, made final. The text is parsed and walked once; a fix is applied and
    the result parsed only when it deletes every use of an imported name (only then can it
    leave an import unused), so many fixes in one file do not each cost the whole file."""

    def __init__(self, text: str, first_party: frozenset[str]) -> None:
        self.text = text
        self.first_party = first_party
        self._tree: ast.Module | SyntaxProblem | None = None
        self._used: set[str] | None = None
        self._uses: dict[str, list[tuple[int, int]]] | None = None
        self._imports: dict[tuple[Import, ...], list[Edit]] = {}

    @property
    def tree(self) -> ast.Module | SyntaxProblem:
        if self._tree is None:
            self._tree = parse(self.text)
        return self._tree

    def final_edits(self, fix: Fix) -> tuple[Edit, ...]:
        """`fix`'s edits, the imports it needs placed in their sections and the imports it
        leaves unused removed, as `apply_fixes` does; sorted by offset."""
        text, edits = self.text, list(fix.edits)
        if not edits and not fix.imports:
            return ()
        tree = self.tree
        if isinstance(tree, SyntaxProblem):
            return _in_order(edits)
        if fix.imports:
            edits.extend(self._import_edits(tuple(dict.fromkeys(fix.imports))))
        if not self._may_unuse_an_import(fix):
            return _in_order(edits)
        new_text = apply_edits(text, edits)
        new_tree = parse(new_text)
        if isinstance(new_tree, SyntaxProblem):
            return _in_order(edits)  # --fix drops it; the report still shows what it proposes
        if self._used is None:
            self._used = used_names(tree)
        used = self._used
        removals = _on_original(
            new_text, new_tree, lambda seen: unused_import_edits(seen, new_tree, used)
        )
        if not removals:
            return _in_order(edits)
        pruned = apply_edits(new_text, removals)
        if isinstance(parse(pruned), SyntaxProblem):
            return _in_order(edits)
        return _composed(text, edits, removals, pruned)

    def _import_edits(self, wanted: tuple[Import, ...]) -> list[Edit]:
        """The edits adding `wanted` (the same for every fix that needs the same imports)."""
        if wanted not in self._imports:
            tree = self.tree
            self._imports[wanted] = _on_original(
                self.text,
                tree,
                lambda seen: import_edits(seen, tree, list(wanted), self.first_party),
            )
        return self._imports[wanted]

    def _may_unuse_an_import(self, fix: Fix) -> bool:
        """Whether the fix's edits reach every use of some imported name."""
        text = self.text
        spans = [(edit.start, edit.end) for edit in fix.edits if edit.start < edit.end]
        deleted = {word for start, end in spans for word in WORD.findall(text[start:end])}
        if not deleted:
            return False
        uses = self._imported_uses()
        if uses is None:
            return True  # no positions to go by: ask the parser
        return any(
            all(any(use[0] < end and start < use[1] for start, end in spans) for use in found)
            for found in (uses.get(word) for word in deleted)
            if found
        )

    def _imported_uses(self) -> dict[str, list[tuple[int, int]]] | None:
        """Where each imported name is used, as `used_names` counts uses (reads of the name,
        words of strings): text spans. None for a lowered file (its tree has other offsets)."""
        tree = self.tree
        if self._uses is None and lowered_source(tree) is None:
            imported = _imported_names(tree)
            lines = LineIndex(self.text)
            uses: dict[str, list[tuple[int, int]]] = {}
            for node in ast.walk(tree):
                if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):
                    names = {node.id} & imported
                elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                    names = set(WORD.findall(node.value)) & imported
                else:
                    continue
                for name in names:
                    uses.setdefault(name, []).append(lines.node_range(node))
            self._uses = uses
        return self._uses


def _imported_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
    return names


def _in_order(edits: list[Edit]) -> tuple[Edit, ...]:
    """By offset; at one offset, insertions first, each group in the order it was applied."""
    return tuple(sorted(edits, key=lambda edit: (edit.start, edit.end > edit.start)))


def _composed(text: str, edits: list[Edit], removals: list[Edit], result: str) -> tuple[Edit, ...]:
    """Edits of `text` giving `result`: `edits` (of `text`) then `removals` (of the text they
    made) as edits of `text`. A removal reaching into what an edit wrote (a name merged into an
    import that is then rewritten) becomes one edit with it; if that still does not give
    `result`, one edit of the whole changed span."""
    ordered = _in_order(edits)  # as apply_edits applied them
    written = []  # (start, end) of each edit's content in the edited text
    delta = 0
    for edit in ordered:
        written.append((edit.start + delta, edit.start + delta + len(edit.content)))
        delta += len(edit.content) - (edit.end - edit.start)

    def original(position: int, inside_goes_to_end: bool) -> int:
        offset = 0
        for edit, (start, end) in zip(ordered, written, strict=True):
            if position <= start:
                break
            if position < end:  # inside what the edit wrote: the edit's own span
                return edit.end if inside_goes_to_end else edit.start
            offset = end - edit.end
        return position - offset

    spans = [(edit.start, edit.end, edit) for edit in ordered]
    for removal in removals:
        start, end = original(removal.start, False), original(removal.end, True)
        spans.append((start, end, Edit(start, end, removal.content)))
    spans.sort(key=lambda span: (span[0], span[1] > span[0]))
    groups: list[list] = []
    for span in spans:
        # an insertion where a removal starts joins it: one edit replaces the old import
        if groups and (
            (span[0] < groups[-1][1] and groups[-1][0] < span[1])
            or groups[-1][0] == groups[-1][1] == span[0]
        ):
            groups[-1][1] = max(groups[-1][1], span[1])
            groups[-1][2].append(span[2])
        else:
            groups.append([span[0], span[1], [span[2]]])
    combined = []
    for start, end, members in groups:
        if len(members) == 1:
            combined.append(members[0])
        else:  # what the group's span became in `result`
            first = _moved(_moved(start, ordered), removals)
            last = _moved(_moved(end, ordered), removals)
            combined.append(Edit(start, end, result[first:last]))
    if apply_edits(text, combined) == result:
        return tuple(combined)
    whole = minimal_edit(text, result)
    return (whole,) if whole is not None else ()


def _moved(position: int, edits: list[Edit] | tuple[Edit, ...]) -> int:
    """Where `position`, an end of a group, is once `edits` are applied: an insertion right
    there belongs to the group that starts there, so it does not move the position."""
    for edit in edits:
        if edit.end < position or (edit.end == position and edit.start < edit.end):
            position += len(edit.content) - (edit.end - edit.start)
    return position


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
