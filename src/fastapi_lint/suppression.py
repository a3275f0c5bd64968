"""Which diagnostics the user has silenced: `# noqa`, file-level noqa and per-file-ignores.

`# noqa` and `# noqa: FAL301, FAL302` follow flake8 and ruff (spacing and case of `noqa` are
forgiven) and apply to the line where a diagnostic starts. `# fastapi-lint: noqa` anywhere in
a file silences the whole file, or only the codes it lists. Only comments count, not text in a
string. FAL001 and FAL002 cannot be silenced: they say the file was not (fully) checked.

A line-level `# noqa` listing another linter's twin of a rule (see EQUIVALENT_CODES) silences
that rule too: a line someone already reviewed for ruff, flake8-bugbear or bandit is reviewed.
"""

from __future__ import annotations

import fnmatch
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import PurePath

from fastapi_lint import lazy_re
from fastapi_lint.diagnostics import TOOL_CODES, Diagnostic

_CODE_LIST = r"[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*"
NOQA = lazy_re.compile(rf"#\s*noqa(?::[\s]*(?P<codes>{_CODE_LIST}))?", re.IGNORECASE)
FILE_NOQA = lazy_re.compile(
    rf"#\s*fastapi-lint\s*:\s*noqa(?::[\s]*(?P<codes>{_CODE_LIST}))?", re.IGNORECASE
)
_SPLIT = lazy_re.compile(r"[\s,]+")

ALL = frozenset({"*"})

# Other linters' codes for the same finding (prefixes): ruff / flake8-bugbear B006 (mutable
# argument default), ruff / bandit S105-S107 (hardcoded password) and S608 (SQL built from
# strings), ruff / flake8-async ASYNC2xx (blocking calls in async functions).
EQUIVALENT_CODES = {
    "FAL301": ("B006",),
    "FAL401": ("S105", "S106", "S107"),
    "FAL403": ("S608",),
    "FAL201": ("ASYNC2",),
}


@dataclass(frozen=True)
class LineNoqa:
    codes: frozenset[str]  # ALL for a bare noqa comment

    def covers(self, code: str) -> bool:
        return self.codes is ALL or any(code.startswith(c) for c in self.codes)

    def covers_equivalent(self, code: str) -> bool:
        """Whether the comment lists another linter's twin of `code`."""
        twins = EQUIVALENT_CODES.get(code, ())
        return self.codes is not ALL and any(c.startswith(twins) for c in self.codes)


def _codes(text: str | None) -> frozenset[str]:
    if not text:
        return ALL
    return frozenset(code.upper() for code in _SPLIT.split(text.strip()) if code)


def comments(text: str) -> dict[int, tuple[int, str]]:
    """1-based line -> (column, text) of the comment on it.

    Read from tokens, so `note = "# noqa"` is a string, not a comment. Where tokenize gives up
    (it is stricter than the parsers a file may have passed), the lines it did not reach are read
    as plain text from their first `#`, as if no string could hold one.
    """
    return comments_and_strings(text)[0]


_STRING_START = {tokenize.STRING, getattr(tokenize, "FSTRING_START", -1)}
_STRING_END = {tokenize.STRING, getattr(tokenize, "FSTRING_END", -1)}


def comments_and_strings(text: str) -> tuple[dict[int, tuple[int, str]], list[tuple[int, int]]]:
    """The comments (see `comments`) and the (first, last) lines of multi-line strings."""
    found: dict[int, tuple[int, str]] = {}
    strings: list[tuple[int, int]] = []
    reached = 0
    opened: list[int] = []  # first lines of f-strings not closed yet (3.12+ tokens)
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            reached = token.end[0]
            if token.type == tokenize.COMMENT:
                found[token.start[0]] = (token.start[1], token.string)
                continue
            first = token.start[0]
            if token.type in _STRING_START and token.type not in _STRING_END:
                opened.append(first)
                continue
            if token.type in _STRING_END and token.type not in _STRING_START and opened:
                first = opened.pop()
            if token.type in _STRING_END and token.end[0] > first:
                strings.append((first, token.end[0]))
    except (tokenize.TokenError, SyntaxError, ValueError):
        for number, line in enumerate(text.split("\n")[reached:], start=reached + 1):
            column = line.find("#")
            if column >= 0 and number not in found:
                found[number] = (column, line[column:])
    return found, strings


def noqa_lines(
    by_line: dict[int, tuple[int, str]], strings: list[tuple[int, int]] = ()
) -> dict[int, LineNoqa]:
    """1-based line -> the noqa comment that covers it (`by_line`: comments). As in flake8, a
    comment after a multi-line string covers every line of the string."""
    found = {}
    for number, (_, comment) in by_line.items():
        if FILE_NOQA.search(comment):
            continue
        match = NOQA.search(comment)
        if match:
            found[number] = LineNoqa(_codes(match.group("codes")))
    for first, last in strings:
        if last in found:
            for number in range(first, last):
                found.setdefault(number, found[last])
    return found


def file_noqa(by_line: dict[int, tuple[int, str]]) -> LineNoqa | None:
    """The first `# fastapi-lint: noqa` comment of a file (`by_line`: its comments)."""
    for number in sorted(by_line):
        match = FILE_NOQA.search(by_line[number][1])
        if match:
            return LineNoqa(_codes(match.group("codes")))
    return None


def per_file_ignored(path: str, patterns: tuple[tuple[str, tuple[str, ...]], ...]) -> set[str]:
    """Code prefixes that per-file-ignores silence for `path` (relative, posix)."""
    ignored: set[str] = set()
    pure = PurePath(path)
    for pattern, codes in patterns:
        if (
            fnmatch.fnmatch(path, pattern)
            or fnmatch.fnmatch(pure.name, pattern)
            or pure.match(pattern)
            or fnmatch.fnmatch(path, f"*/{pattern}")
        ):
            ignored.update(codes)
    return ignored


def silenced_by_path(code: str, prefixes: tuple[str, ...]) -> bool:
    """Whether per-file-ignores' `prefixes` silence `code` (never the tool's own codes)."""
    return code not in TOOL_CODES and code.startswith(prefixes)


def _may_hold_directive(diagnostics: list[Diagnostic], text: str) -> bool:
    """Whether a directive could apply, judged on the raw text (which holds every comment, and
    strings too): tokenizing is the slow part (~40 ms per 1000 lines), most files need none."""
    lowered = text.lower()
    if not diagnostics or "noqa" not in lowered:
        return False
    if "fastapi-lint" in lowered and FILE_NOQA.search(text):
        return True
    lines = lowered.split("\n")
    # A finding on a line that opens a multi-line string may be covered from its last line.
    return any(
        0 < d.line <= len(lines)
        and (
            "noqa" in lines[d.line - 1] or '"""' in lines[d.line - 1] or "'''" in lines[d.line - 1]
        )
        for d in diagnostics
    )


def suppress(
    diagnostics: list[Diagnostic], text: str, ignored_prefixes: set[str]
) -> tuple[list[Diagnostic], int]:
    """(kept, number silenced)."""
    kept, silenced, _ = suppress_noting(diagnostics, text, ignored_prefixes)
    return kept, silenced


def suppress_noting(
    diagnostics: list[Diagnostic], text: str, ignored_prefixes: set[str]
) -> tuple[list[Diagnostic], int, list[int]]:
    """(kept, number silenced, positions in `diagnostics` of those the text's own comments
    silence). The positions depend on the text and the findings only, so the results cache
    keeps them and a later run applies them without reading the file."""
    by_comment = silenced_by_comments(diagnostics, text)
    prefixes = tuple(ignored_prefixes)
    kept = [
        diagnostic
        for number, diagnostic in enumerate(diagnostics)
        if number not in by_comment and not silenced_by_path(diagnostic.code, prefixes)
    ]
    return kept, len(diagnostics) - len(kept), sorted(by_comment)


def silenced_by_comments(diagnostics: list[Diagnostic], text: str) -> set[int]:
    """Positions in `diagnostics` of those a noqa comment of `text` silences."""
    if not _may_hold_directive(diagnostics, text):
        return set()
    by_line, strings = comments_and_strings(text)
    whole_file = file_noqa(by_line)
    lines = noqa_lines(by_line, strings)
    silenced = set()
    for number, diagnostic in enumerate(diagnostics):
        code = diagnostic.code
        if code not in TOOL_CODES and (
            (whole_file is not None and whole_file.covers(code))
            or (diagnostic.line in lines and _line_covers(lines[diagnostic.line], code))
        ):
            silenced.add(number)
    return silenced


def _line_covers(noqa: LineNoqa, code: str) -> bool:
    return noqa.covers(code) or noqa.covers_equivalent(code)


def without_equivalent_noqa(diagnostics: list[Diagnostic], text: str) -> list[Diagnostic]:
    """The diagnostics whose line carries no equivalent code of another linter (for front
    doors such as flake8 that handle our own codes themselves)."""
    if not _may_hold_directive(diagnostics, text):
        return diagnostics
    lines = noqa_lines(*comments_and_strings(text))
    return [
        d for d in diagnostics if not (d.line in lines and lines[d.line].covers_equivalent(d.code))
    ]
