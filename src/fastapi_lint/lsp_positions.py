"""Positions between the tool's text and an LSP client's document.

Inside the tool a document is text with `\\n` newlines and columns count code points. An LSP
document keeps its own newlines (`\\r\\n`, `\\r` and `\\n` all end a line, so its line numbers are
the tool's) and counts columns in the negotiated `positionEncoding`: UTF-16 code units unless
client and server agreed on UTF-8 bytes or UTF-32 (code points).
"""

from __future__ import annotations

from fastapi_lint.diagnostics import Edit
from fastapi_lint.source import LineIndex

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


def client_column(line: str, column: int, encoding: str) -> int:
    """The client's column of the code point column `column` of `line`."""
    before = line[:column]
    if encoding == UTF32 or before.isascii():
        return len(before)
    if encoding == UTF8:
        return len(before.encode("utf-8", "surrogatepass"))
    return len(before.encode("utf-16-le", "surrogatepass")) // 2


def code_point_column(line: str, units: int, encoding: str) -> int:
    """The code point column of the client's column `units` on `line` (clamped to the line; a
    column inside a character counts as that character's start)."""
    if encoding == UTF32 or line.isascii():
        return min(units, len(line))
    width = 1 if encoding == UTF8 else 2
    codec = "utf-8" if encoding == UTF8 else "utf-16-le"
    used = 0
    for position, character in enumerate(line):
        used += len(character.encode(codec, "surrogatepass")) // width
        if used > units:
            return position
    return len(line)


def client_position(lines: LineIndex, line: int, column: int, encoding: str) -> tuple[int, int]:
    """(0-based line, client column) of a 1-based line and code point column."""
    line = min(max(line, 1), lines.line_count)
    return line - 1, client_column(lines.line_text(line), column, encoding)


def offset_position(lines: LineIndex, offset: int, encoding: str) -> tuple[int, int]:
    """(0-based line, client column) of a text offset."""
    line, column = lines.position(offset)
    return client_position(lines, line, column, encoding)


def text_offset(lines: LineIndex, line: int, units: int, encoding: str) -> int:
    """The text offset of a client position (0-based line, client column)."""
    line = min(max(line + 1, 1), lines.line_count)
    return lines.line_start(line) + code_point_column(lines.line_text(line), units, encoding)


def minimal_edit(old: str, new: str) -> Edit | None:
    """One edit turning `old` into `new`: the span between their common prefix and suffix (so an
    editor keeps the cursor and folds of the untouched text); None when they are equal."""
    if old == new:
        return None
    limit = min(len(old), len(new))
    start = 0
    while start < limit and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old -= 1
        end_new -= 1
    return Edit(start, end_old, new[start:end_new])
