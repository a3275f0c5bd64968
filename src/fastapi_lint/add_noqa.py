"""`--add-noqa`: append `# noqa: FALxxx` to every line with a finding, merging existing ones.

A finding on a line that ends inside a multi-line string gets its comment after the string
(which covers every line of it, as in flake8: `suppression.noqa_lines`). A line that cannot take
a comment (it ends with a backslash continuation, or the string's last line does) has its
findings counted as skipped instead.
"""

from __future__ import annotations

import io
import re
import tokenize

from fastapi_lint.diagnostics import TOOL_CODES, Diagnostic
from fastapi_lint.suppression import FILE_NOQA, NOQA, comments_and_strings


def add_noqa(text: str, diagnostics: list[Diagnostic]) -> tuple[str, int, int]:
    """(new text, directives added, findings skipped)."""
    by_line: dict[int, set[str]] = {}
    for diagnostic in diagnostics:
        if diagnostic.code in TOOL_CODES:
            continue
        by_line.setdefault(diagnostic.line, set()).add(diagnostic.code)
    if not by_line:
        return text, 0, 0
    blocked = _lines_without_comment_room(text)
    comment_on, strings = comments_and_strings(text)
    by_line = _moved_past_strings(by_line, strings)
    lines = text.split("\n")
    added = skipped = 0
    for number, codes in sorted(by_line.items()):
        line = lines[number - 1]
        if number in blocked or line.rstrip().endswith("\\"):
            skipped += len(codes)
            continue
        column, comment = comment_on.get(number, (0, ""))
        match = NOQA.search(comment) if not FILE_NOQA.search(comment) else None
        if match is None:
            lines[number - 1] = f"{line.rstrip()}  # noqa: {', '.join(sorted(codes))}"
            added += len(codes)
            continue
        if match.group("codes") is None:
            continue  # a bare noqa comment covers every code already
        present = re.split(r"[\s,]+", match.group("codes").strip())
        missing = sorted(code for code in codes if code not in present)
        if missing:
            merged = f"# noqa: {', '.join([*present, *missing])}"
            start, end = column + match.start(), column + match.end()
            lines[number - 1] = line[:start] + merged + line[end:]
            added += len(missing)
    return "\n".join(lines), added, skipped


def _moved_past_strings(
    by_line: dict[int, set[str]], strings: list[tuple[int, int]]
) -> dict[int, set[str]]:
    """The codes by the line their comment goes on: a line inside a multi-line string (its
    first line included) gives its codes to the string's last line."""
    moved: dict[int, set[str]] = {}
    for number, codes in by_line.items():
        # The outermost string around the line: its last line is the first that can hold one.
        ends = [last for first, last in strings if first <= number < last]
        moved.setdefault(max(ends, default=number), set()).update(codes)
    return moved


def _lines_without_comment_room(text: str) -> set[int]:
    """Lines whose end lies inside a string token (a multi-line string or f-string)."""
    blocked: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.start[0] != token.end[0] and token.type in _STRINGISH:
                blocked.update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, SyntaxError):
        pass
    return blocked


_STRINGISH = {tokenize.STRING}
if hasattr(tokenize, "FSTRING_MIDDLE"):
    _STRINGISH |= {tokenize.FSTRING_MIDDLE, tokenize.FSTRING_START, tokenize.FSTRING_END}
