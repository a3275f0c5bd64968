"""`--diff`: a unified diff that `git apply` and `patch` accept, without a line that shows a secret.

Two steps. A fix that edits a line holding a secret, or whose new text holds one, is not applied
at all (`without_secret_fixes`), so what it needs elsewhere (an import) does not come either.
Then a hunk is left out whole when one of its lines still holds a secret (a context line next to
a fix): a line the rules' secret spans touch, before or after the fixes, or an added line that
holds a secret's text. The line numbers of the hunks kept still match the file, so the patch
applies. Each fix or hunk left out is named in a note for stderr.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable

from fastapi_lint.diagnostics import Diagnostic
from fastapi_lint.redaction import Span, fix_shows_secret, secret_texts, shows_secret

CONTEXT = 3
NO_NEWLINE = "\\ No newline at end of file\n"


def safe_unified_diff(
    path: str,
    before: str,
    after: str,
    before_secrets: list[Span],
    after_secrets: list[Span],
    newline: str = "\n",
    bom: bool = False,
) -> tuple[str, list[str]]:
    """The patch from `before` to `after` (offsets in `*_secrets` are into those texts) and one
    note per hunk left out because it would show a secret. `newline` and `bom` are the file's
    own (the texts have `\n`): the patch's lines must be the file's lines to apply."""
    old, new = _split(before), _split(after)
    if bom:
        old[:1] = ["\ufeff" + line for line in old[:1]]
        new[:1] = ["\ufeff" + line for line in new[:1]]
    old_secret_lines = _lines_touched(before, before_secrets)
    new_secret_lines = _lines_touched(after, after_secrets)
    texts = secret_texts(before, before_secrets) + secret_texts(after, after_secrets)
    matcher = difflib.SequenceMatcher(None, old, new)  # as difflib.unified_diff does
    hunks, notes, shift = [], [], 0  # shift: lines the kept hunks added above this one
    for group in matcher.get_grouped_opcodes(CONTEXT):
        old_lines = {i for _, i1, i2, _, _ in group for i in range(i1, i2)}
        added = [j for tag, _, _, j1, j2 in group if tag != "equal" for j in range(j1, j2)]
        secret = (
            old_lines & old_secret_lines
            or set(added) & new_secret_lines
            or any(shows_secret(new[j], texts) for j in added)
        )
        first_change = next(i1 for tag, i1, _, _, _ in group if tag != "equal")
        if secret:
            notes.append(
                f"line {first_change + 1}: a change is left out of the diff: its lines would "
                "show a secret"
            )
            continue
        hunks.append(_hunk(group, old, new, shift, newline))
        shift += sum((j2 - j1) - (i2 - i1) for _, i1, i2, j1, j2 in group)
    if not hunks:
        return "", notes
    return f"--- a/{path}\n+++ b/{path}\n" + "".join(hunks), notes


def without_secret_fixes(
    diagnostics: list[Diagnostic], text: str, spans: list[Span], notes: list[str]
) -> list[Diagnostic]:
    """The diagnostics, those whose fix would show a secret in the diff without their fix; a
    note for each (once, at the line where it was first seen) is added to `notes`."""
    if not spans:
        return diagnostics
    secret_lines = _lines_touched(text, spans)
    secrets = secret_texts(text, spans)
    kept = []
    for diagnostic in diagnostics:
        fix = diagnostic.fix
        if fix is not None and (
            fix_shows_secret(fix, secrets)
            or _lines_touched(text, [(edit.start, edit.end) for edit in fix.edits]) & secret_lines
        ):
            note = f"the {diagnostic.code} fix is left out of the diff: it would show a secret"
            if not any(known.endswith(note) for known in notes):
                notes.append(f"line {diagnostic.line}: {note}")
            diagnostic = dataclasses.replace(diagnostic, fix=None)
        kept.append(diagnostic)
    return kept


def _split(text: str) -> list[str]:
    """Lines with their `\n` (not `splitlines`: a form feed inside a line is no line break)."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def _lines_touched(text: str, spans: Iterable[Span]) -> set[int]:
    """0-based numbers of the lines that hold part of a span."""
    touched: set[int] = set()
    for start, end in spans:
        first = text.count("\n", 0, start)
        last = text.count("\n", 0, max(start, end - 1))
        touched.update(range(first, last + 1))
    return touched


def _hunk(group, old: list[str], new: list[str], shift: int, newline: str) -> str:
    old_start, old_end = group[0][1], group[-1][2]
    new_length = old_end - old_start + sum((j2 - j1) - (i2 - i1) for _, i1, i2, j1, j2 in group)
    old_range = _range(old_start, old_end - old_start)
    out = [f"@@ -{old_range} +{_range(old_start + shift, new_length)} @@\n"]
    for tag, i1, i2, j1, j2 in group:
        if tag == "equal":
            out.extend(_line(" ", line, newline) for line in old[i1:i2])
            continue
        out.extend(_line("-", line, newline) for line in old[i1:i2])
        out.extend(_line("+", line, newline) for line in new[j1:j2])
    return "".join(out)


def _range(start: int, length: int) -> str:
    """A hunk header's range, as `diff -u` writes it (1-based; an empty range names the line
    before it)."""
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


def _line(mark: str, line: str, newline: str) -> str:
    if line.endswith("\n"):
        return mark + line[:-1] + newline
    return mark + line + "\n" + NO_NEWLINE
