"""Write a fixed file without losing anything.

A file is replaced only if it still holds exactly the bytes that were read (a user's edit made
while the run was fixing wins), never when it is read-only, and keeps its mode, owner and hard
links. The new content goes to a temporary file in the same folder, renamed over the old one: a
crash leaves either the old file or the new one, never half of either. A hard-linked file, or
one whose owner a rename could not keep, is rewritten in place instead (a rename would cut the
link or change the owner). A run that is killed may leave its temporary file behind; its name
says whose it is, and the next run that writes in that folder removes it before writing.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from fastapi_lint import lazy_re

_MARK = ".fastapi-lint-"
# `.routes.py.fastapi-lint-<pid>-<random>.tmp`: the pid tells whether its writer still runs.
_TEMPORARY = lazy_re.compile(r"^\..+" + re.escape(_MARK) + r"(\d+)-[^.]*\.tmp$")


# Folders this process already rid of stale temporaries: once each, not once per file written.
_CLEANED: set[Path] = set()


class NotWritten(Exception):
    """The file was deliberately left as it is; the message says why."""


def replace_file(path: Path, data: bytes, expected: bytes | None = None) -> None:
    """Make `path` hold `data`, if it still holds `expected` (a source file the run read).

    Raises NotWritten when a source file is read-only or changed since it was read, OSError
    when writing fails; in both cases the file is as it was. Without `expected` (a file the
    tool owns, such as a baseline), the file is replaced whatever it holds.
    """
    target = Path(os.path.realpath(path))  # a symlink stays a link to the fixed file
    if target.parent not in _CLEANED:
        _CLEANED.add(target.parent)
        remove_stale_temporaries([target.parent])
    before = os.stat(target)
    if expected is not None and not before.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        # By the mode bits, not os.access: root may write anything, but 0444 means "leave me".
        raise NotWritten("the file is read-only; it was not fixed")
    if before.st_nlink > 1 or not _can_give(before):
        _rewrite_in_place(target, data, expected)
    else:
        _replace_by_rename(target, data, expected, before)


def _can_give(status: os.stat_result) -> bool:
    """Whether a new file of ours can be given the old one's owner and group."""
    euid = os.geteuid() if hasattr(os, "geteuid") else None
    if euid is None or euid == 0:
        return True
    return status.st_uid == euid and status.st_gid in (os.getegid(), *os.getgroups())


def _replace_by_rename(
    target: Path, data: bytes, expected: bytes | None, before: os.stat_result
) -> None:
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}{_MARK}{os.getpid()}-", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            # No fsync: a killed process loses nothing the kernel already has, and syncing
            # each file made fixing 200 files take seconds instead of a fraction of one.
            if hasattr(os, "fchown"):
                os.fchown(stream.fileno(), before.st_uid, before.st_gid)
        os.chmod(temporary, stat.S_IMODE(before.st_mode))  # after chown: it clears set-id bits
        _check_unchanged(target, expected)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _rewrite_in_place(target: Path, data: bytes, expected: bytes | None) -> None:
    with open(target, "r+b") as stream:
        if expected is not None and stream.read() != expected:
            raise NotWritten(_CHANGED)
        # One write, then cut what is left: the narrowest window a rewrite in place allows.
        stream.seek(0)
        stream.write(data)
        stream.truncate()


_CHANGED = "the file changed while it was being fixed; it was left as it is (run again)"


def _check_unchanged(target: Path, expected: bytes | None) -> None:
    if expected is None:
        return
    with open(target, "rb") as stream:
        if stream.read() != expected:
            raise NotWritten(_CHANGED)


def remove_stale_temporaries(folders: Iterable[Path]) -> None:
    """Remove temporary files that a killed run of ours left in these folders."""
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            match = _TEMPORARY.match(entry.name)
            if match is None or _still_writing(int(match.group(1))):
                continue
            try:
                if entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)
            except OSError:
                pass  # gone already, or not ours to remove: leave it


def _still_writing(pid: int) -> bool:
    """Whether process `pid` may still be writing its temporary file (it is another, live one)."""
    if pid == os.getpid():
        return False  # this run writes one file at a time, and none is being written now
    if os.name == "nt":
        return True  # os.kill would end the process there: keep the file
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # alive but not ours to signal, or cannot tell: keep the file
    return True
