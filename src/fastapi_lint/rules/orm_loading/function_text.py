"""What a function's text says, for the cheap tests before any analysis and for messages: which
calls it mentions, and a node's source on one line."""

from __future__ import annotations

import ast
import bisect
import re

# Text a function must hold to be worth reading (a cheap test before any analysis).
LOAD_CALLS = (".get(", ".get_one(", ".execute(", ".scalars(", ".scalar(", ".exec(", ".query(")
COMMIT_CALLS = (".commit(",)


def mentions(ctx, func, needles: tuple[str, ...]) -> bool:
    try:
        start, end = ctx.lines.node_range(func)
    except IndexError:  # lines `ast` counts differently (a lone form feed, `\r`): just read it
        return True
    # Where each needle stands in the file is found once; a function's test is then a lookup,
    # not a copy and a scan of its text (nested functions' text would be scanned again).
    for needle in needles:
        offsets = ctx.memo((mentions, needle), lambda needle=needle: _offsets(ctx.text, needle))
        at = bisect.bisect_left(offsets, start)
        if at < len(offsets) and offsets[at] + len(needle) <= end:
            return True
    return False


def _offsets(text: str, needle: str) -> list[int]:
    found = []
    at = text.find(needle)
    while at != -1:
        found.append(at)
        at = text.find(needle, at + 1)
    return found


def one_line(ctx, node: ast.AST, limit: int = 50) -> str:
    """A node's source on one line (whatever its layout), cut at `limit` characters."""
    source = " ".join(ctx.source(node).split())
    source = re.sub(r"\s+(?=[.)\]])|(?<=[(\[])\s+", "", source)
    return source if len(source) <= limit else source[: limit - 3] + "..."


def short_name(qualified: str) -> str:
    return qualified.rsplit(".", 1)[-1]
