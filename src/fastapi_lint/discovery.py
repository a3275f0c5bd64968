"""Paths -> the Python files to check: excludes, `.gitignore`, `--force-exclude`.

Exclude patterns use `.gitignore` syntax (via pathspec), relative to the directory of the
configuration file (else the project root): `build` matches any file or folder named build,
`app/migrations/` one folder. A file or folder named on the command line is checked even when
excluded (as ruff does), unless `--force-exclude` is given (pre-commit passes every changed file
by name).
"""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

SUFFIXES = (".py", ".pyi")
SYMLINK_LOOP = "Symlink loop (too many levels of symbolic links)"


@dataclass
class Discovery:
    files: list[Path] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, message)
    real: dict[Path, Path] = field(default_factory=dict)  # each file's resolved path


class Excluder:
    def __init__(self, patterns: tuple[str, ...], base: Path) -> None:
        self.base = base
        self.spec = pathspec.GitIgnoreSpec.from_lines(patterns)

    def excluded(self, path: Path, is_dir: bool) -> bool:
        return self.spec.match_file(self._relative(path, is_dir))

    def excludes_itself(self, path: Path, is_dir: bool, real: Path | None = None) -> bool:
        """Like `excluded`, but not for merely being inside an excluded folder: the walk never
        enters one, unless it was named on the command line (then, like a named file, it is
        checked, and only what patterns name inside it is left out). `real` is the path
        resolved, when the walk knows it."""
        return matches_itself(self.spec, self._relative(path, is_dir, real))

    def _relative(self, path: Path, is_dir: bool, real: Path | None = None) -> str:
        try:
            relative = (real or path.resolve()).relative_to(self.base).as_posix()
        except ValueError:
            relative = path.name
        return relative + "/" if is_dir else relative


class GitIgnores:
    """`.gitignore` files met on the way down, each matching paths below its own folder."""

    def __init__(self) -> None:
        self._specs: dict[Path, pathspec.PathSpec | None] = {}

    def spec_for(self, directory: Path) -> pathspec.PathSpec | None:
        if directory not in self._specs:
            spec = None
            candidate = directory / ".gitignore"
            try:
                if candidate.is_file():
                    lines = candidate.read_text(encoding="utf-8", errors="replace").splitlines()
                    spec = _gitignore_spec(lines)
            except OSError:
                spec = None
            self._specs[directory] = spec
        return self._specs[directory]

    def ignored(self, path: Path, is_dir: bool, stop: Path) -> bool:
        directory = path.parent
        while True:
            spec = self.spec_for(directory)
            if spec is not None:
                relative = path.relative_to(directory).as_posix() + ("/" if is_dir else "")
                if matches_itself(spec, relative):
                    return True
            if directory == stop or directory == directory.parent:
                return False
            directory = directory.parent


def _gitignore_spec(lines: list[str]) -> pathspec.PathSpec:
    """The patterns of a .gitignore file; like git, a line that is not a valid pattern (`!`,
    `[z-a]`) is skipped instead of failing the run."""
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except (ValueError, re.error):
        return pathspec.GitIgnoreSpec.from_lines(line for line in lines if not pattern_error(line))


def pattern_error(pattern: str) -> str | None:
    """Why `pattern` is not a valid .gitignore-style pattern, or None when it is one."""
    try:
        pathspec.GitIgnoreSpec.from_lines([pattern])
    except (ValueError, re.error) as exc:
        return str(exc)
    return None


def matches_itself(spec: pathspec.PathSpec, relative: str) -> bool:
    """Whether `spec` matches `relative` (a folder ends in `/`) by a pattern that names it, not
    only one of the folders it is in. Git semantics: the last such pattern decides."""
    if not spec.match_file(relative):
        return False
    decided = False
    for pattern in spec.patterns:
        regex = getattr(pattern, "regex", None)
        if pattern.include is None or regex is None:
            continue
        match = regex.match(relative)
        if match is None:
            continue
        # pathspec's `ps_d` group is the slash after the folder a pattern matched: before the
        # end, it matched a folder this path is in.
        if "ps_d" in regex.groupindex and -1 < match.start("ps_d") < len(relative) - 1:
            continue
        decided = pattern.include
    return decided


def discover(
    paths: list[Path], excluder: Excluder, *, force_exclude: bool, root: Path | None
) -> Discovery:
    found = Discovery()
    gitignores = GitIgnores()
    seen: set[Path] = set()

    def add(path: Path, real: Path | None = None) -> None:
        key = real or path.resolve()
        if key not in seen:
            seen.add(key)
            found.files.append(path)
            found.real[path] = key

    for path in paths:
        if not path.exists() and not path.is_symlink():
            found.errors.append((str(path), "No such file or directory"))
        elif _is_symlink_loop(path):
            found.errors.append((str(path), SYMLINK_LOOP))
        elif path.is_dir():
            if force_exclude and excluder.excluded(path, True):
                continue
            stop = root if root is not None else path.resolve()
            _walk(path, path.resolve(), excluder, gitignores, stop, add, found)
        elif force_exclude and excluder.excluded(path, False):
            continue
        else:
            add(path)
    return found


def _walk(directory: Path, real: Path, excluder, gitignores, stop, add, found: Discovery) -> None:
    """Walk `directory`, whose resolved path is `real`."""
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError as exc:
        found.errors.append((str(directory), exc.strerror or str(exc)))
        return
    for entry in entries:
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()
        except OSError as exc:
            if exc.errno == errno.ELOOP and entry.name.endswith(SUFFIXES):
                found.errors.append((str(path), SYMLINK_LOOP))
            continue
        # Resolving costs a system call per folder of the path: done from the folder's own.
        resolved = path.resolve() if entry.is_symlink() else real / entry.name
        if excluder.excludes_itself(path, is_dir, resolved):
            continue
        if _inside(resolved, stop) and gitignores.ignored(resolved, is_dir, stop):
            continue
        if is_dir:
            _walk(path, resolved, excluder, gitignores, stop, add, found)
        elif entry.name.endswith(SUFFIXES) and _regular_file(entry):
            add(path, resolved)  # not a FIFO or a device found on the way: reading one would block


def _regular_file(entry: os.DirEntry) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _is_symlink_loop(path: Path) -> bool:
    if not path.is_symlink():
        return False
    try:
        path.stat()
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def _inside(path: Path, directory: Path) -> bool:
    try:
        path.relative_to(directory)
        return True
    except ValueError:
        return False
