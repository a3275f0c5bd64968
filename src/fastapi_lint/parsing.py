"""Parse text with the running Python's `ast`; lower newer syntax it cannot read.

Detection runs on `ast` (DESIGN.md, principle 1). A file that the running Python rejects may be
valid newer Python (3.12's `def f[T]()`, 3.14's `except A, B:`): it is lowered to older syntax
(`lowering.py`) and the tree of the lowered text is returned, carrying the `Lowering` that maps
its positions back (`lowered_source`). Only a file nothing can read becomes a `SyntaxProblem`.
LibCST is slow, so the outcome of the fallback is kept by content (`fallback_cache`).
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass

from fastapi_lint.lowering import REFUSED, RUNNING, CannotLower, Lowering, lower


@dataclass(frozen=True)
class SyntaxProblem:
    message: str
    line: int  # 1-based
    column: int  # 0-based, characters


class _NoCache:
    def get(self, text: str) -> list | None:
        return None

    def put(self, text: str, entry: list) -> None:
        pass

    def save(self) -> None:
        pass


# What a file gets when a recursive step (ours or the stdlib's) runs out of stack on it.
TOO_DEEP = SyntaxProblem("nesting too deep to analyse", 1, 0)
NO_CACHE = _NoCache()
# Set by a run (the runner, the flake8 plugin) to a cache.FallbackCache for its project.
fallback_cache = NO_CACHE
_LOWERED = "_fastapi_lint_lowering"


def parse(text: str, filename: str = "<unknown>") -> ast.Module | SyntaxProblem:
    try:
        return _parse(text, filename)
    except SyntaxError as exc:
        return _fallback(text, filename, exc)
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
        return SyntaxProblem(f"cannot parse the file: {_describe(exc)}", 1, 0)


def lowered_source(tree: ast.Module) -> Lowering | None:
    """The lowering a tree was parsed from, or None when it is the file's own text."""
    return getattr(tree, _LOWERED, None)


def _parse(text: str, filename: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning for "\d" and friends
        return ast.parse(text, filename=filename, type_comments=False)


def _fallback(text: str, filename: str, error: SyntaxError) -> ast.Module | SyntaxProblem:
    entry = fallback_cache.get(text)
    if entry is not None:
        try:
            return _from_entry(text, filename, entry)
        except (TypeError, ValueError, IndexError, SyntaxError, RecursionError, MemoryError):
            pass  # a damaged cache entry: work it out again
    entry, tree = _lower(text, filename, error)
    fallback_cache.put(text, entry)
    return tree


def _from_entry(text: str, filename: str, entry: list) -> ast.Module | SyntaxProblem:
    if entry[0] == "problem":
        _, message, line, column = entry
        return SyntaxProblem(str(message), int(line), int(column))
    edits = tuple((int(start), int(end), str(content)) for start, end, content in entry[1])
    return _lowered_tree(Lowering(text, edits), filename)


def _lowered_tree(lowering: Lowering, filename: str) -> ast.Module:
    tree = _parse(lowering.text, filename)
    setattr(tree, _LOWERED, lowering)
    return tree


def _lower(text: str, filename: str, error: SyntaxError) -> tuple[list, ast.Module | SyntaxProblem]:
    """The cache entry (JSON: ["lowered", edits] or ["problem", message, line, column]) and
    the outcome it stands for."""
    line = error.lineno or 1
    column = max((error.offset or 1) - 1, 0)
    try:
        lowering = lower(text)
        if not lowering.edits:  # LibCST reads it but it holds nothing newer: a real error
            raise CannotLower("nothing to lower")
        entry = ["lowered", [list(edit) for edit in lowering.edits]]
        return entry, _lowered_tree(lowering, filename)
    except CannotLower as exc:
        reason = str(exc)
        message = f"{reason} (SyntaxError: {error.msg})" if reason.startswith(REFUSED) else ""
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # the lowered text
        running = f"{RUNNING[0]}.{RUNNING[1]}"
        message = (
            f"SyntaxError: {error.msg} (the file may use syntax newer than Python {running} "
            "that fastapi-lint cannot rewrite; run it under a newer Python)"
        )
    problem = SyntaxProblem(message or f"SyntaxError: {error.msg}", line, column)
    return ["problem", problem.message, line, column], problem


def _describe(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nesting too deep to analyse"
    if isinstance(exc, MemoryError):  # what CPython's parser raises on a too-deep expression
        return "nesting too deep or file too complex to analyse (MemoryError)"
    return str(exc) or type(exc).__name__
