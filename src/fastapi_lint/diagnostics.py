"""The data every stage passes on: diagnostics, fixes and their text edits."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

# The tool's own codes: a file it cannot read or parse, and a failure of the tool itself. They
# are always on, and never suppressed or baselined.
INVALID_SYNTAX = "FAL001"
INTERNAL_ERROR = "FAL002"
TOOL_CODES = (INVALID_SYNTAX, INTERNAL_ERROR)


class Applicability(str, enum.Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


@dataclass(frozen=True)
class Edit:
    """Replace text[start:end] with `content` (offsets into the `\\n`-normalized text)."""

    start: int
    end: int
    content: str


@dataclass(frozen=True)
class Import:
    """`from module import name` (or `import module` when name is None)."""

    module: str
    name: str | None = None


@dataclass(frozen=True)
class Fix:
    title: str
    applicability: Applicability
    edits: tuple[Edit, ...]
    imports: tuple[Import, ...] = ()

    def applies(self, unsafe_fixes: bool) -> bool:
        if self.applicability is Applicability.SAFE:
            return True
        return unsafe_fixes and self.applicability is Applicability.UNSAFE


@dataclass
class Diagnostic:
    code: str
    name: str
    message: str
    line: int  # 1-based
    column: int  # 0-based, characters
    end_line: int
    end_column: int
    fix: Fix | None = None
    path: str = ""
    # internal: offsets of the reported range, for edits and suppression
    start_offset: int = field(default=0, compare=False)
    # a security finding's secret: text offsets (start, end) of its characters in the source.
    # Its text is never carried: outputs mask that span (see redaction.py)
    secret: tuple[int, int] | None = field(default=None, compare=False, repr=False)
    # the fix's final edits of the file's text, as `--fix` would make them (imports placed and
    # removed): set where the file is checked, for the outputs that show edits; None until then
    edits: tuple[Edit, ...] | None = field(default=None, compare=False, repr=False)

    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column, self.code)


def has_internal_error(diagnostics: Iterable[Diagnostic]) -> bool:
    """Whether the tool failed somewhere (FAL002): the run's exit status is 2."""
    return any(d.code == INTERNAL_ERROR for d in diagnostics)
