"""Secrets never enter an output: the one way a secret is shown (`mask`) and where it applies.

Security rules mask the secret in their own message and record where it is in the source
(`Diagnostic.secret`, text offsets). Everything else works from those spans: the code frame
masks them, a message of another rule that quotes the source masks them where the diagnostic is
made, a fix or a diff hunk that would show one is left out. Rendered output is never rewritten:
replacing text there also hits line numbers and the format's own words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from fastapi_lint.diagnostics import Diagnostic, Fix
from fastapi_lint.source import LineIndex

Span = tuple[int, int]


def mask(secret: str) -> str:
    return f"{secret[:2]}***"


def secret_spans(diagnostics: Iterable[Diagnostic]) -> list[Span]:
    return sorted({d.secret for d in diagnostics if d.secret is not None})


def masked_line(
    text: str, line_start: int, spans: Iterable[Span]
) -> tuple[str, Callable[[int], int]]:
    """The line of `text` that starts at `line_start` with every secret on it masked, and a
    function mapping the line's columns to columns of the masked line."""
    line_end = text.find("\n", line_start)
    line_end = len(text) if line_end == -1 else line_end
    pieces = []  # (first column, end column, replacement)
    for start, end in _merged(spans):
        if start < line_end and end > line_start:
            first, last = max(start, line_start), min(end, line_end)
            # the secret's first line shows its mask; a continuation line shows only `***`
            shown = mask(text[start:end]) if first == start else "***"
            pieces.append((first - line_start, last - line_start, shown))
    line = text[line_start:line_end]
    out, shifts, position = [], [], 0
    for first, last, shown in pieces:
        out.append(line[position:first] + shown)
        shifts.append((first, last, len(shown) - (last - first)))
        position = last
    out.append(line[position:])

    def column(original: int) -> int:
        moved = original
        for first, last, shift in shifts:
            if original >= last:
                moved += shift
            elif original > first:
                moved -= original - first  # inside a masked secret: its start
        return moved

    return "".join(out), column


def _merged(spans: Iterable[Span]) -> list[Span]:
    """The spans in order, overlapping ones joined: a part of a secret is never left out."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def secret_texts(text: str, spans: Iterable[Span]) -> list[str]:
    return [text[start:end] for start, end in spans if end > start]


def shows_secret(content: str, secrets: Iterable[str]) -> bool:
    """Whether new text (a fix's edit, a diff's added line) holds one of a file's secrets."""
    return any(secret in content for secret in secrets)


def fix_shows_secret(fix: Fix | None, secrets: list[str]) -> bool:
    """A fix that moves a secret (a default copied into a body) must not print its edits."""
    return fix is not None and any(shows_secret(edit.content, secrets) for edit in fix.edits)


def mask_quoted_secrets(diagnostics: list[Diagnostic], lines: LineIndex) -> None:
    """Mask the secrets that other findings quote from the source (a mutable default
    `{"token": "s3cr3t"}` is shown by its rule): in the message and fix title of a finding whose
    range holds the secret, the secret spelled with the characters around it (its quotes), as
    the source has it, also when the message cuts the quote short with `...`."""
    spans = secret_spans(diagnostics)
    if not spans:
        return
    text = lines.text
    for diagnostic in diagnostics:
        if diagnostic.secret is not None:
            continue  # a security finding masks its own message
        end = lines.line_start(diagnostic.end_line) + diagnostic.end_column
        for start, stop in spans:
            if diagnostic.start_offset <= start and stop <= end and stop > start:
                spelling = text[start:stop], text[start - 1 : start], text[stop : stop + 1]
                diagnostic.message = _mask_quoted(diagnostic.message, *spelling)
                if diagnostic.fix is not None:
                    title = _mask_quoted(diagnostic.fix.title, *spelling)
                    diagnostic.fix = replace(diagnostic.fix, title=title)


def _mask_quoted(message: str, secret: str, before: str, after: str) -> str:
    masked = before + mask(secret)
    if before + secret + after in message:
        return message.replace(before + secret + after, masked + after)
    for length in range(len(secret) - 1, 0, -1):
        cut = before + secret[:length] + "..."
        if cut in message:
            return message.replace(cut, masked + "...")
    return message
