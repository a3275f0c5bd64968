"""Parse text with the running Python's `ast`, and explain what it cannot read.

Detection runs on `ast` (DESIGN.md, principle 1). A file that the running Python rejects may be
valid newer Python (3.12's `def f[T]()`, 3.14's `except A, B:`); LibCST reads every version, so
it tells a newer-syntax file from a broken one and the message names the version needed.
"""

from __future__ import annotations

import ast
import sys
import warnings
from dataclasses import dataclass

RUNNING = sys.version_info[:2]


@dataclass(frozen=True)
class SyntaxProblem:
    message: str
    line: int  # 1-based
    column: int  # 0-based, characters


def parse(text: str, filename: str = "<unknown>") -> ast.Module | SyntaxProblem:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for "\d" and friends
            return ast.parse(text, filename=filename, type_comments=False)
    except SyntaxError as exc:
        return _explain(text, exc)
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
        return SyntaxProblem(f"cannot parse the file: {exc}", 1, 0)


def _explain(text: str, exc: SyntaxError) -> SyntaxProblem:
    line = exc.lineno or 1
    column = max((exc.offset or 1) - 1, 0)
    needed = newer_syntax(text)
    running = f"{RUNNING[0]}.{RUNNING[1]}"
    if needed is None:
        return SyntaxProblem(f"SyntaxError: {exc.msg}", line, column)
    version, feature = needed
    return SyntaxProblem(
        f"the file uses {feature}, which needs Python {version} or newer; fastapi-lint runs "
        f"on Python {running} here and cannot analyse it (run it under Python {version}+)",
        line,
        column,
    )


def newer_syntax(text: str) -> tuple[str, str] | None:
    """(version, feature) when `text` is valid Python newer than the running one, else None."""
    import libcst as cst  # only on the rare file the running Python rejects

    try:
        module = cst.parse_module(text)
    except Exception:  # LibCST rejects it too: a real syntax error
        return None
    finder = _make_finder()()
    module.visit(finder)
    found = [item for item in finder.found if _as_tuple(item[0]) > RUNNING]
    if found:
        return max(found, key=lambda item: _as_tuple(item[0]))
    # LibCST reads it and the running Python does not: most often 3.12's f-string grammar.
    later = f"{RUNNING[0]}.{RUNNING[1] + 1}"
    return later, f"syntax newer than Python {RUNNING[0]}.{RUNNING[1]} (e.g. PEP 701 f-strings)"


def _as_tuple(version: str) -> tuple[int, int]:
    major, minor = version.split(".")
    return int(major), int(minor)


def _make_finder():
    """The visitor class, made on first use so that importing this module skips LibCST."""
    import libcst as cst

    class Finder(cst.CSTVisitor):
        def __init__(self) -> None:
            self.found: list[tuple[str, str]] = []

        def visit_Match(self, node) -> None:
            self.found.append(("3.10", "a `match` statement"))

        def visit_TryStar(self, node) -> None:
            self.found.append(("3.11", "`except*`"))

        def visit_TypeParameters(self, node) -> None:
            self.found.append(("3.12", "a type parameter list (PEP 695)"))

        def visit_TypeAlias(self, node) -> None:
            self.found.append(("3.12", "a `type` alias statement (PEP 695)"))

        def visit_TemplatedString(self, node) -> None:
            self.found.append(("3.14", "a template string (PEP 750)"))

        def visit_ExceptHandler(self, node) -> None:
            kind = node.type
            if isinstance(kind, cst.Tuple) and not kind.lpar:
                self.found.append(("3.14", "`except A, B:` without parentheses (PEP 758)"))

    return Finder
