"""Paths -> the Python files to check: excludes, `.gitignore`, `--force-exclude`.

Exclude patterns use `.gitignore` syntax (via pathspec), relative to the directory of the
configuration file (else the project root): `build` matches any file or folder named build,
`app/migrations/` one folder. A file or folder named on the command line is checked even when
excluded (as ruff does), unless `--force-exclude` is given (pre-commit passes every changed file
by name).
"""

from __future__ import annotations

import errno
import functools
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pathspec
# pathspec (a tenth of a warm run's start-up, with its optional backends probed) is imported
# when a pattern is first matched: a walk the memo vouches for matches none (`_spec_of`).

SUFFIXES = (".py", ".pyi")
SYMLINK_LOOP = "Symlink loop (too many levels of symbolic links)"


@dataclass
class Discovery:
    files: list[Path] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, message)
    real: dict[Path, Path] = field(default_factory=dict)  # each file's resolved path


# A pattern that is a plain name (`build`, `.venv`: no slash, wildcard, escape, negation,
# comment or space, not only dots) matches a file or folder of that name at any depth.
_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-")


def _plain_name(pattern: str) -> bool:
    return pattern.strip(".") != "" and _NAME_CHARACTERS.issuperset(pattern)


class Excluder:
    def __init__(self, patterns: tuple[str, ...], base: Path) -> None:
        self.lines = patterns
        self.base = base
        # The default patterns are all names: matched as a set, with no pattern compiled (and
        # pathspec not imported), a cold run starts sooner.
        plain = all(_plain_name(line) for line in patterns)
        self.names = frozenset(patterns) if plain else None

    @functools.cached_property
    def spec(self) -> pathspec.PathSpec:
        return _spec_of(self.lines)

    def excluded(self, path: Path, is_dir: bool) -> bool:
        relative = self._relative(path, is_dir)
        # The patterns' own folder is never one they match (the run asks of a project's root):
        # known without compiling them.
        if relative == "./":
            return False
        if self.names is not None:
            return not self.names.isdisjoint(relative.rstrip("/").split("/"))
        return self.spec.match_file(relative)

    def excludes_itself(self, path: Path, is_dir: bool, real: Path | None = None) -> bool:
        """Like `excluded`, but not for merely being inside an excluded folder: the walk never
        enters one, unless it was named on the command line (then, like a named file, it is
        checked, and only what patterns name inside it is left out). `real` is the path
        resolved, when the walk knows it."""
        relative = self._relative(path, is_dir, real)
        if self.names is not None:
            return relative.rstrip("/").rpartition("/")[2] in self.names
        return matches_itself(self.spec, relative)

    def excludes_by_name(self, path: Path, is_dir: bool, real: Path | None = None) -> bool:
        """Whether `excludes_itself` says so whatever the path holds (always, for patterns)."""
        return self.excludes_itself(path, is_dir, real)

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

    def specs_above(self, directory: Path, stop: Path) -> list[tuple[str, pathspec.PathSpec]]:
        """(folder + "/", spec) of each `.gitignore` from `directory` up to `stop`, nearest
        first: what `ignored` asks of each entry of `directory`, found once for all of them."""
        found = []
        while True:
            spec = self.spec_for(directory)
            if spec is not None:
                found.append((_folder_text(directory), spec))
            if directory == stop or directory == directory.parent:
                return found
            directory = directory.parent

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
        return _spec_of(lines)
    except (ValueError, re.error):
        return _spec_of([line for line in lines if not pattern_error(line)])


def _spec_of(lines) -> pathspec.PathSpec:
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


def pattern_error(pattern: str) -> str | None:
    """Why `pattern` is not a valid .gitignore-style pattern, or None when it is one."""
    try:
        _spec_of([pattern])
    except re.error as exc:  # its position is in the regex pathspec made, not in the pattern
        return exc.msg
    except ValueError as exc:
        return str(exc)
    return None


def _folder_text(folder: Path) -> str:
    """A folder's path ending in a separator (the root's included)."""
    return str(folder).rstrip(os.sep) + os.sep


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


_make_child = getattr(Path, "_make_child_relpath", None)  # (Python 3.10-3.12)


def _child(folder: Path, name: str) -> Path:
    """`folder / name` for a name listed in it; pathlib's walk shortcut, which skips parsing
    the name (a third of the cost of `/`, for every file of a walk), where it has one."""
    if _make_child is None or "/" in name or os.sep in name:
        return folder / name
    return _make_child(folder, name)


def discover(
    paths: list[Path],
    excluder: Excluder,
    *,
    force_exclude: bool,
    root: Path | None,
    memo: WalkMemo | None = None,
) -> Discovery:
    """The files to check. `memo`: what the last walk found in each folder, reused for those
    unchanged since (see `WalkMemo`)."""
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
        try:
            os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            found.errors.append((str(path), "No such file or directory"))
            continue
        except OSError as exc:  # inside a folder that cannot be looked into
            found.errors.append((str(path), f"cannot read: {exc.strerror or exc}"))
            continue
        if _is_symlink_loop(path):
            found.errors.append((str(path), SYMLINK_LOOP))
        elif os.path.isdir(path):
            if force_exclude and excluder.excluded(path, True):
                continue
            real = path.resolve()
            stop = root if root is not None else real
            # The memo vouches for a folder through the folders above it, up to `stop`: only
            # a walk that starts there can use it.
            walk = _Walk(excluder, gitignores, stop, add, found, memo if real == stop else None)
            walk.folder(path, real, trusted=True)
        elif force_exclude and excluder.excluded(path, False):
            continue
        else:
            add(path)
    return found


class _Walk:
    """One walk below a folder named on the command line (or a project root)."""

    def __init__(self, excluder, gitignores, stop: Path, add, found: Discovery, memo) -> None:
        self.excluder = excluder
        self.gitignores = gitignores
        self.stop = stop
        self.add = add
        self.found = found
        self.memo: WalkMemo | None = memo

    def folder(self, directory: Path, real: Path, trusted: bool, linked: bool = False) -> None:
        """Walk `directory`, whose resolved path is `real`. `trusted`: the folders above it
        have the `.gitignore` and `pyproject.toml` the memo saw, so its entries hold if the
        folder is unchanged too. `linked`: reached through a symlink, below folders the memo
        does not vouch for."""
        sys.audit("fastapi_lint.folder", real)  # its entries decide the run (memo.py)
        memo = self.memo
        if memo is None or linked or not _inside(real, self.stop):
            self._list(directory, real, None, linked)
            return
        key = str(real)
        entries = memo.unchanged(key) if trusted else None
        if entries is not None:
            same = directory == real  # (the index's walk): one path object for both
            for name, kind in entries:
                resolved = _child(real, name)
                path = resolved if same else _child(directory, name)
                if kind == _FILE:
                    self.add(path, resolved)
                else:
                    self.folder(path, resolved, trusted=True)
            return
        # Listed again; what lies below still holds unless this folder's own settings files
        # (which reach into every folder below) changed or were never seen.
        self._list(directory, real, memo.entry_for(key, trusted), linked)

    def _list(self, directory: Path, real: Path, entry: _Entry | None, linked: bool) -> None:
        found, excluder, stop = self.found, self.excluder, self.stop
        # A subfolder skipped whatever it holds needs no watching (`.git`, the cache folder).
        by_name = getattr(excluder, "excludes_by_name", None)
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError as exc:
            found.errors.append((str(directory), f"cannot read the folder: {exc.strerror or exc}"))
            return
        # What the last walk took here, when the patterns that judged it are unchanged (an
        # editor writing a file by renaming changes the folder, not its other entries).
        walked = self.memo.walked(entry.key) if entry is not None and entry.trusted else {}
        inside = _inside(real, stop)
        ignores = self.gitignores.specs_above(real, stop) if inside else []
        here = _folder_text(real)
        same = directory == real  # (the index's walk): one path object for both
        for item in entries:
            name = item.name
            path = _child(real, name) if same else _child(directory, name)
            try:
                is_dir = item.is_dir()
            except OSError as exc:
                if exc.errno == errno.ELOOP and name.endswith(SUFFIXES):
                    found.errors.append((str(path), SYMLINK_LOOP))
                if entry is not None:
                    entry.whole = False
                continue
            if not is_dir and not name.endswith(SUFFIXES):
                continue  # never checked, whatever the patterns say
            symlink = item.is_symlink()
            if symlink and entry is not None:
                entry.whole = False  # where it points can change unseen by this folder
            # Resolving costs a system call per folder of the path: done from the folder's own.
            resolved = path.resolve() if symlink else (path if same else _child(real, name))
            # (A subfolder is judged again: what it holds may make it a project of its own.)
            taken = not (symlink or is_dir) and walked.get(name) == _FILE
            if is_dir and entry is not None:
                if by_name is not None and by_name(path, is_dir, resolved):
                    continue
                entry.subfolder(name)  # whether it is skipped depends on what it holds
            if not taken:
                if excluder.excludes_itself(path, is_dir, resolved):
                    continue
                if symlink:
                    if _inside(resolved, stop) and self.gitignores.ignored(resolved, is_dir, stop):
                        continue
                elif _ignored_here(ignores, here, name + "/" if is_dir else name):
                    continue
            if is_dir:
                if entry is not None:
                    entry.entries.append([name, _FOLDER])
                trusted = entry is not None and entry.trusted
                self.folder(path, resolved, trusted, linked=linked or symlink)
            elif _regular_file(item):
                if entry is not None:
                    entry.entries.append([name, _FILE])
                # Not a FIFO or a device found on the way: reading one would block.
                self.add(path, resolved)
        if entry is not None:
            self.memo.listed(entry)


def _ignored_here(ignores: list[tuple[str, pathspec.PathSpec]], here: str, name: str) -> bool:
    """`GitIgnores.ignored` for the entry `name` (a folder's ends in `/`) of the folder `here`
    (as `specs_above` gives folders), from `specs_above(here)`."""
    for folder, spec in ignores:
        if matches_itself(spec, here[len(folder) :].replace(os.sep, "/") + name):
            return True
    return False


_FILE, _FOLDER = "f", "d"
PYPROJECT = "pyproject.toml"
_FRESH_NS = 2_000_000_000  # as cache.stamp_of: a change within the same clock tick is unseen


def _status(path: str) -> list[int] | None:
    """What changes when a folder gains, loses or renames an entry, or a file is rewritten
    (or None: it does not exist)."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return [status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns]


def _settled(status: list[int] | None, now: int) -> bool:
    return status is None or now - max(status[2], status[3]) >= _FRESH_NS


@dataclass
class _Entry:
    """One folder's listing as the memo keeps it."""

    key: str  # the folder's resolved path
    status: list[int] | None
    marks: list  # the status of its .gitignore and pyproject.toml
    trusted: bool  # the folders below may be taken from the memo
    entries: list[list[str]] = field(default_factory=list)  # [name, kind] of what is walked
    subfolders: list[list] = field(default_factory=list)  # [name, *_folder_marks] of each
    whole: bool = True  # nothing in it (a symlink, an error) makes it unfit to keep

    def subfolder(self, name: str) -> None:
        self.subfolders.append([name, *_folder_marks(os.path.join(self.key, name))])


def _folder_marks(folder: str) -> list:
    """What decides whether a folder is a project of its own: a `.git` in it, and its
    `pyproject.toml` (what else it holds is its own entry's business)."""
    return [os.path.exists(os.path.join(folder, ".git")), _status(os.path.join(folder, PYPROJECT))]


def _own_marks(folder: str) -> list:
    """The status of the files in a folder whose patterns reach into everything below it."""
    return [_status(os.path.join(folder, ".gitignore")), _status(os.path.join(folder, PYPROJECT))]


class WalkMemo:
    """What a walk found in each folder, to skip listing and matching the folders that did not
    change on the next walk with the same settings (`context`).

    A folder's entry holds while the folder's status is the one seen (adding, removing or
    renaming an entry changes its modification time), its `.gitignore` and `pyproject.toml`
    and those of every folder above are unchanged, and each subfolder still has (or has not)
    a `.git` and the same `pyproject.toml` (they decide whether it is a project of its own). Folders
    with a symlink, an unreadable entry, or a status too recent to be trusted are not kept;
    below a folder whose own settings files changed, nothing is taken from the memo.
    """

    def __init__(self, context: str, stored: object = None) -> None:
        self.context = context
        known = stored.get("folders") if isinstance(stored, dict) else None
        if not isinstance(known, dict) or stored.get("context") != context:
            known = {}
        self.known: dict[str, list] = known
        self.kept: dict[str, list] = {}  # this walk's entries, to store
        self.relisted = False
        self.now = time.time_ns()

    def unchanged(self, key: str) -> list | None:
        """The walked entries of an unchanged folder, or None."""
        stored = self.known.get(key)
        if not _well_formed(stored):
            return None
        status, marks, entries, subfolders = stored
        if status is None or status != _status(key) or marks != _own_marks(key):
            return None
        for name, *folder_marks in subfolders:
            if folder_marks != _folder_marks(os.path.join(key, name)):
                return None
        self.kept[key] = stored
        return entries

    def entry_for(self, key: str, trusted: bool) -> _Entry:
        """A new entry for a folder listed again (its status taken before listing it)."""
        status, marks = _status(key), _own_marks(key)
        stored = self.known.get(key)
        same_marks = _well_formed(stored) and stored[1] == marks
        self.relisted = True
        return _Entry(key, status, marks, trusted and same_marks)

    def walked(self, key: str) -> dict[str, str]:
        """Name -> kind of what the last walk took in a folder (listed again now)."""
        stored = self.known.get(key)
        if not _well_formed(stored) or not isinstance(stored[2], list):
            return {}
        return {
            item[0]: item[1]
            for item in stored[2]
            if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
        }

    def listed(self, entry: _Entry) -> None:
        if not all(_settled(status, self.now) for status in entry.marks):
            return  # unknown marks: the next walk lists everything below again
        stamps = [entry.status] + [marks[1] for _, *marks in entry.subfolders]
        if (
            entry.whole
            and entry.status is not None
            and all(_settled(status, self.now) for status in stamps)
        ):
            self.kept[entry.key] = [entry.status, entry.marks, entry.entries, entry.subfolders]
        else:  # listed again next time (its marks still vouch for the folders below, and what
            # it took is taken again without matching, unless a symlink makes it unsure)
            taken = entry.entries if entry.whole else []
            self.kept[entry.key] = [None, entry.marks, taken, []]

    @property
    def changed(self) -> bool:
        return self.relisted or self.kept.keys() != self.known.keys()

    def document(self) -> dict:
        return {"context": self.context, "folders": self.kept}


def _well_formed(stored: object) -> bool:
    return isinstance(stored, list) and len(stored) == 4


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
