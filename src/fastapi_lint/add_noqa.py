"""`--add-noqa`: append `# noqa: FALxxx` to every line with a finding, merging existing ones.

A line that ends inside a multi-line string or with a backslash continuation cannot take a
comment; its findings are counted as skipped instead.
"""

from __future__ import annotations

import io
import re
import tokenize

from fastapi_lint.diagnostics import TOOL_CODES, Diagnostic
from fastapi_lint.suppression import FILE_NOQA, NOQA, comments


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
    comment_on = comments(text)
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
