"""Paths resolved once per run.

A warm run resolved each file's path eight times (a quarter of its time), and made it relative to
its base three times. Inside `remembered()` (one `run`) each path is resolved once, and the
paths discovery already resolved on its walk are not resolved again; outside it (the language
server, the flake8 plugin) nothing is remembered. Forked workers inherit what the parent knew.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_resolved: dict[Path, Path] | None = None
_relative: dict[tuple[Path, Path], str] | None = None
_cwd: str | None = None


@contextmanager
def remembered() -> Iterator[None]:
    global _resolved, _relative, _cwd
    _resolved, _relative, _cwd = {}, {}, None
    try:
        yield
    finally:
        _resolved = _relative = _cwd = None


def current_folder() -> str:
    """`os.getcwd()`, asked once per run (a system call for each file shown, otherwise)."""
    global _cwd
    if _resolved is None:
        return os.getcwd()
    if _cwd is None:
        _cwd = os.getcwd()
    return _cwd


def known(real: dict[Path, Path]) -> None:
    """Paths discovery resolved on its walk, and what they resolve to (the index loads files by
    their resolved paths, which resolve to themselves)."""
    if _resolved is not None:
        _resolved.update(real)
        _resolved.update((resolved, resolved) for resolved in real.values())


def resolve(path: Path) -> Path:
    if _resolved is None:
        return path.resolve()
    found = _resolved.get(path)
    if found is None:
        found = _resolved[path] = path.resolve()
    return found


def relative_to(path: Path, base: Path) -> str:
    """`path` relative to `base` (posix), or as given when it is not below it."""
    known_relative = _relative.get((path, base)) if _relative is not None else None
    if known_relative is None:
        real = resolve(path)
        if os.name == "posix":  # by string, as pathlib's (lexical) relative_to, at a tenth
            text, below = str(real), str(base)
            if text.startswith(below.rstrip("/") + "/"):
                known_relative = text[len(below.rstrip("/")) + 1 :]
            elif text == below:
                known_relative = "."
        if known_relative is None:
            try:
                known_relative = real.relative_to(base).as_posix()
            except ValueError:
                known_relative = path.as_posix()
        if _relative is not None:  # (asked twice per file of a warm run)
            _relative[path, base] = known_relative
    return known_relative


def common_parent(paths: list[Path]) -> Path:
    """The deepest folder holding every path (the current folder for none). realpath, not
    resolve(): a symlink loop must reach discovery, which reports it; `os.path.isdir`, not
    `Path.is_dir`: a path inside a folder that cannot be looked into is not a folder here, and
    discovery says it cannot be read."""
    real = [os.path.realpath(path) for path in paths] or [os.getcwd()]
    return Path(os.path.commonpath([p if os.path.isdir(p) else os.path.dirname(p) for p in real]))


def present(path: Path, *, file: bool = False) -> bool:
    """Whether `path` exists (is a file): False where it cannot be looked at. A folder another
    user keeps to itself (a database volume, say) must not stop a run that never reads it; one
    the run does read is reported by discovery."""
    try:
        return path.is_file() if file else path.exists()
    except OSError:
        return False
