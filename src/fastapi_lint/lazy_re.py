"""Regular expressions compiled when first used, not when their module is imported.

A module-level `re.compile` costs every run that imports the module, used or not: a warm run
takes its findings from the cache and never runs most patterns, and the rules' and
suppression's patterns were a tenth of its start-up. `compile(...)` here returns a stand-in with
the compiled pattern's methods and attributes; the first use compiles it and binds them to the
stand-in, so later uses cost a plain attribute lookup.
"""

from __future__ import annotations

import re
from typing import Any

_BOUND = (
    "match",
    "fullmatch",
    "search",
    "finditer",
    "findall",
    "sub",
    "subn",
    "split",
    "scanner",
    "pattern",
    "flags",
    "groups",
    "groupindex",
)


class LazyPattern:
    """`re.compile(pattern, flags)`, made on first use (see the module docstring)."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_source":  # not a pattern's: copy, pickle, ...
            raise AttributeError(name)
        compiled = re.compile(*self._source)
        for attribute in _BOUND:
            setattr(self, attribute, getattr(compiled, attribute))
        return getattr(compiled, name)

    def __reduce__(self) -> tuple:
        return compile, self._source

    def __repr__(self) -> str:
        return f"lazy_re.compile({self._source[0]!r}, {self._source[1]!r})"


def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return LazyPattern(pattern, flags)  # type: ignore[return-value]  # quacks as one
