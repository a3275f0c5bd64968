"""Which diagnostics the user has silenced: `# noqa`, file-level noqa and per-file-ignores.

`# noqa` and `# noqa: FAL301, FAL302` follow flake8 and ruff (spacing and case of `noqa` are
forgiven) and apply to the line where a diagnostic starts. `# fastapi-lint: noqa` anywhere in
a file silences the whole file, or only the codes it lists. FAL001 and FAL002 cannot be
silenced: they say the file was not (fully) checked.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import PurePath

from fastapi_lint.config import ALWAYS_ON
from fastapi_lint.diagnostics import Diagnostic

_CODE_LIST = r"[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*"
NOQA = re.compile(rf"#\s*noqa(?::[\s]*(?P<codes>{_CODE_LIST}))?", re.IGNORECASE)
FILE_NOQA = re.compile(
    rf"#\s*fastapi-lint\s*:\s*noqa(?::[\s]*(?P<codes>{_CODE_LIST}))?", re.IGNORECASE
)
_SPLIT = re.compile(r"[\s,]+")

ALL = frozenset({"*"})


@dataclass(frozen=True)
class LineNoqa:
    codes: frozenset[str]  # ALL for a bare `# noqa`

    def covers(self, code: str) -> bool:
        return self.codes is ALL or any(code.startswith(c) for c in self.codes)


def _codes(text: str | None) -> frozenset[str]:
    if not text:
        return ALL
    return frozenset(code.upper() for code in _SPLIT.split(text.strip()) if code)


def noqa_lines(text: str) -> dict[int, LineNoqa]:
    """1-based line -> the noqa comment on it, for lines that have one."""
    if "noqa" not in text.lower():
        return {}
    found = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if "#" not in line or FILE_NOQA.search(line):
            continue
        match = NOQA.search(line)
        if match:
            found[number] = LineNoqa(_codes(match.group("codes")))
    return found


def file_noqa(text: str) -> LineNoqa | None:
    if "fastapi-lint" not in text:
        return None
    match = FILE_NOQA.search(text)
    return LineNoqa(_codes(match.group("codes"))) if match else None


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


def suppress(
    diagnostics: list[Diagnostic], text: str, ignored_prefixes: set[str]
) -> tuple[list[Diagnostic], int]:
    """(kept, number silenced)."""
    whole_file = file_noqa(text)
    lines = noqa_lines(text)
    kept = []
    for diagnostic in diagnostics:
        code = diagnostic.code
        if code not in ALWAYS_ON and (
            (whole_file is not None and whole_file.covers(code))
            or any(code.startswith(prefix) for prefix in ignored_prefixes)
            or (diagnostic.line in lines and lines[diagnostic.line].covers(code))
        ):
            continue
        kept.append(diagnostic)
    return kept, len(diagnostics) - len(kept)
