"""The command's front door, and its output memo: a run where nothing changed replays its output.

`fastapi-lint` and `python -m fastapi_lint` start here. A plain `fastapi-lint check ...` run
(concise, json, sarif, github, junit, ...; `--statistics`, `--exit-zero`, `--quiet`, `--select`,
`--config`, `--baseline`, `--cache-dir`: the options in `_VALUED` and `_FLAGS`, paths that are
not `-`) keeps what it printed (the bytes of stdout and stderr, in the order they were written)
and its exit status, once the command finished (`fastapi_lint.done`, from cli.py: not a run
cut short by Ctrl-C, which click reports as "Aborted!" and status 1, nor one that raised). The
next identical invocation, when everything the output depends on still holds, writes those
bytes and exits with that status before importing click or any of the run: this module
imports only `os`, `sys`, `marshal` and `zlib` (the memo's CRC-32, checked before marshal
reads it). On any doubt (no memo, a damaged one, a changed stamp, an option not listed here, a
stdout or stderr without a binary buffer, as in-process use may give) it runs the command as
usual, silently.

**Key** (`_key`): the memo format, the tool and Python versions, the interpreter, its flags and
`-W` options (`-X importtime` writes to stderr as the run imports: never memoised), the exact
arguments, the current folder, whether stdin, stdout and stderr are terminals (colour,
progress), and the environment variables the run or Python's streams may read
(`_ENV_PREFIXES`, `_ENV_NAMES`: `FASTAPI_LINT_*`, `NO_COLOR`, `PYTHON*`, the locale, ...). The
terminal's size decides nothing the run prints. A memo is one file, named by a digest of its
key, which it holds in full: another key is a miss.

**Stamps** (size, modification and change time, inode, as `cache.stamp_of`; or "absent") of
everything the run relied on, heard as audit events (`sys.audit`) while it ran:
- each path as given on the command line, resolved, and where it leads (its real path: a
  symlink on the way or in a chain retargeted leads elsewhere);
- every module of each project's index and every file checked (`fastapi_lint.files`, from the
  runner, with the stamps it found unread modules by: a warm run only looks at those);
- every folder the walks went through, from their listing or from the walk memo
  (`fastapi_lint.folder`, discovery), and the paths' common folder: a folder's stamp changes
  when an entry is added, removed or renamed in it; and the `.gitignore` and `pyproject.toml` of
  each (or their absence): the walk memo vouches for a folder by their status without reading
  them, and an edit in place leaves the folder as it was;
- for the folders above the paths' common folder, up to their project's root (or up to the top
  for files of no project), their `.gitignore` and `pyproject.toml` and whether they hold a
  `.git`, not their own stamp: a home folder or /tmp changes all the time;
- for any other folder whose project was looked up (`fastapi_lint.marks`, projects: `.git`,
  `node_modules`, the folders above a root marked by a plain pyproject.toml; not a `.git`
  folder nor the caches' own), its `pyproject.toml`, and whether it holds a `.git` (only that:
  git changes the folder of a `.git` all the time);
- every other folder listed (`os.scandir`: requirements files) and every file opened for
  reading (`open`: pyproject.toml files, `.gitignore` files, `--config`, the baseline, lock and
  requirements files), except modules Python imports, `/proc`, `/dev`, `/sys` and the caches'
  own folders (the caches keep themselves right; the memo holds what they gave);
- whether each folder the run asked holds an `__init__.py` (`fastapi_lint.init`, projects):
  that names the modules below it, above the paths too (files of no project, a package chain
  climbing above a project's root);
- the tool's modules the run imported (an editable install keeps its version). A warm run
  imports no rules: like every cache, the results cache answers for them by the version;
- the `site-packages` folders on `sys.path`: installing, upgrading or removing a package
  (click, pathspec, ...) adds or removes an entry there.
A memo is not written when a stamp is not settled (changed less than `_FRESH_NS` before the run
began: the cache's racy-time rule), when the run printed progress, met an unreadable file or a
file that does not parse (FAL001), or a problem the runner warns about (`RunResult.warnings`),
or failed (status 2). The warnings that follow from what is stamped ("No Python files found",
a baseline written by an older version) are kept. Nor by the first run of an invocation: it
leaves a note (`SEEN`), and the second keeps the memo, so that pre-commit's run on each
commit's files does not pay for writing one it would never replay.

**Where**: in the cache folder of the project at the paths, found as the caches find it by
default (the nearest folder above with a `pyproject.toml` or a `.git`, else the current folder;
`--cache-dir`, then `FASTAPI_LINT_CACHE_DIR`). A run whose cache folder is another (a
`cache-dir` setting, a nested project's rules) writes no memo. The newest `KEEP` memos (and
notes) are kept; a write that fails leaves no file behind. `--no-cache` neither reads nor
writes one. The cache folder is found here, not by cache.py and config.py, which a replay must
not import (`_cache_folder` mirrors `cache.cache_folder` and `config.find_project_root`, and
tests/test_memo.py checks they agree); a memo is written only into a cache folder the run
itself used (`fastapi_lint.cache`, runner), so any disagreement (a plain pyproject.toml is a
root here and for the caches, not for the settings) costs a memo, never a wrong one.
"""

from __future__ import annotations

import io  # (made at start-up: sys.stdout is one)
import marshal
import os
import sys

FORMAT = 5  # 5: a CRC; 4: __init__.py of folders that name modules; 3: where paths lead
KEEP = 8  # memos per cache folder: `check .` and the pre-commit hook's runs alternate
PREFIX = "memo-"
SEEN = "seen-"  # + a memo's name: the note that its invocation ran (no memo kept yet)
_MAGIC = b"fastapi-lint memo\n"
_FRESH_NS = 2_000_000_000  # as cache.stamp_of: a change within the same clock tick is unseen
_CACHE_DIR = ".fastapi_lint_cache"  # cache.CACHE_DIR (imported by a run, not by a replay)
_CACHE_DIR_ENV = "FASTAPI_LINT_CACHE_DIR"

# `check`'s options a memo may stand for; any other (`--fix`, `--diff`, `--add-noqa`,
# `--write-baseline`, `--output-file`, `--stdin-filename`, `--no-cache`, `--help`) runs as usual.
_VALUED = frozenset(
    (
        "--select",
        "--extend-select",
        "--ignore",
        "--output-format",
        "--config",
        "--cache-dir",
        "--baseline",
    )
)
_FLAGS = frozenset(
    (
        "--no-fix",
        "--unsafe-fixes",
        "--no-unsafe-fixes",
        "--statistics",
        "--exit-zero",
        "--quiet",
        "-q",
        "--isolated",
        "--force-exclude",
    )
)
_ENV_PREFIXES = ("FASTAPI_LINT_", "PYTHON", "LC_", "CLICK_")
_ENV_NAMES = frozenset(
    (
        "NO_COLOR",
        "FORCE_COLOR",
        "TERM",
        "COLUMNS",
        "LINES",
        "LANG",
        "LANGUAGE",
        "HOME",
        "CI",
        "GITHUB_ACTIONS",
        "PWD",
    )
)
# Opened by Python and the operating system, not by the run's own reading.
_NOT_READ = (".py", ".pyc", ".pyi", ".so", ".pth")
_SYSTEM = ("/proc/", "/dev/", "/sys/")
_INSTALLED = ("site-packages", "dist-packages")


def script() -> None:
    """The console script (`fastapi-lint ...`) and `python -m fastapi_lint`: `main`, then,
    once the output is flushed, an exit that leaves what the run made (reports, findings,
    settings: tens of thousands of objects) to the operating system instead of freeing them
    one by one (measured: 11 ms of a 0.44 s run after a body edit in 2,000 modules). What the
    run writes is written and closed before it returns; an exception other than an exit ends
    as Python ends it."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:  # started with that descriptor closed: as /dev/null
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
    kept: list = []
    try:
        status = main(kept)
    except SystemExit as exc:
        status = exc.code
    if status is not None and not isinstance(status, int):
        print(status, file=sys.stderr)  # as `sys.exit` does with a message
        status = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # the reader went away, a stream closed: Python says so
        raise SystemExit(status) from None
    os._exit(status or 0)


def main(kept: list | None = None) -> int | None:
    """The command, or the replay of its memo. `kept`: what the run made is kept there (its
    result), for `script`'s exit."""
    where = _memo_path(sys.argv[1:])
    if where is not None:
        replayed = _replay(where[0], where[1])
        if replayed is not None:
            return replayed
    from fastapi_lint import cli
    from fastapi_lint.cli import main as command

    cli.kept_until_exit = kept
    if where is None:
        return command()
    recording = _Recording(*where, seen=_seen(where[0]))
    status: object = None  # kept only if the command ends by its own exit (`fastapi_lint.done`)
    recording.start()
    try:
        command()
    except SystemExit as exc:
        status = exc.code
        raise
    finally:
        recording.stop(status)
    return 0


# -- which memo ----------------------------------------------------------------------------------
def _memo_path(
    arguments: list[str],
) -> tuple[str, bytes, list[str], list[str], list[str]] | None:
    """(memo file, key, the folders from the paths up to their project's root, the paths
    resolved, the paths as given made absolute) for a `check` run a memo may stand for, else
    None."""
    if not arguments or arguments[0] != "check" or not _binary(sys.stdout, sys.stderr):
        return None  # (in-process use with a text-only stdout: its bytes cannot be replayed)
    if "importtime" in sys._xoptions or os.environ.get("PYTHONPROFILEIMPORTTIME"):
        return None  # Python writes to stderr as the run imports
    paths: list[str] = []
    cache_dir = None
    given = iter(arguments[1:])
    for argument in given:
        name, equals, value = argument.partition("=")
        if name in _VALUED and argument.startswith("--"):
            if not equals:
                value = next(given, None)
                if value is None:
                    return None
            if name == "--cache-dir":
                cache_dir = value
        elif argument in _FLAGS:
            continue
        elif argument.startswith("-"):
            return None  # `-` (stdin), `--`, and every option a memo cannot stand for
        else:
            paths.append(argument)
    try:
        # Joined, not normalised: `a/sub/../x.py` goes through where `a/sub` leads.
        given = [os.path.join(os.getcwd(), path) for path in paths or ["."]]
        real = [os.path.realpath(path) for path in given]
        folder, watched = _cache_folder(real, cache_dir)
        key = _key(arguments)
    except (OSError, ValueError):
        return None
    return os.path.join(folder, PREFIX + _digest(key)), key, watched, real, given


def _binary(*streams) -> bool:
    """Whether every stream writes to a binary buffer (what a memo keeps and replays)."""
    return all(getattr(stream, "buffer", None) is not None for stream in streams)


def _cache_folder(real: list[str], option: str | None) -> tuple[str, list[str]]:
    """The cache folder a run on the paths `real` (resolved) uses by default
    (cache.cache_folder), and the folders from their common folder up to their project's
    root."""
    anchor = os.path.commonpath([p if os.path.isdir(p) else os.path.dirname(p) for p in real])
    watched = _up_to_root(anchor)
    home = watched[-1] if _is_root(watched[-1]) else os.path.realpath(os.getcwd())
    chosen = option if option is not None else os.environ.get(_CACHE_DIR_ENV)
    if not chosen:
        return os.path.join(home, _CACHE_DIR), watched
    import hashlib  # (only where the caches are kept apart from the projects)

    digest = hashlib.blake2b(home.encode("utf-8", "surrogateescape"), digest_size=16)
    chosen = os.path.realpath(os.path.expanduser(chosen))
    return os.path.join(chosen, digest.hexdigest()), watched


def _up_to_root(folder: str) -> list[str]:
    """`folder` and those above it up to the nearest with a pyproject.toml or a .git (as
    config.find_project_root), or up to the top."""
    found = [folder]
    while not _is_root(folder):
        above = os.path.dirname(folder)
        if above == folder:
            break
        found.append(above)
        folder = above
    return found


def _is_root(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "pyproject.toml")) or os.path.exists(
        os.path.join(folder, ".git")
    )


def _key(arguments: list[str]) -> bytes:
    from fastapi_lint import __version__

    environment = sorted(
        (name, value)
        for name, value in os.environ.items()
        if name.startswith(_ENV_PREFIXES) or name in _ENV_NAMES
    )
    terminals = [_isatty(stream) for stream in (sys.stdin, sys.stdout, sys.stderr)]
    described = (FORMAT, __version__, sys.version, sys.executable, arguments, os.getcwd())
    python = (tuple(sys.flags), sorted(sys._xoptions.items()), sys.warnoptions)  # (-W)
    return repr((*described, python, environment, terminals)).encode("utf-8", "surrogateescape")


def _isatty(stream) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (OSError, ValueError):
        return False


def _digest(data: bytes) -> str:
    """FNV-1a, 64 bits: names the memo file (hashlib would cost the replay its import)."""
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"


# -- replaying ------------------------------------------------------------------------------------
def _replay(path: str, key: bytes) -> int | None:
    """Write the output of the memo at `path` and give its status, if it is whole and every
    stamp in it still holds; else None (nothing written)."""
    memo = _load(path, key)
    if memo is None:
        return None
    stamps, chunks, status = memo
    try:
        if not _hold(stamps):
            return None
    except Exception:  # a damaged entry
        return None
    streams = {1: sys.stdout, 2: sys.stderr}
    try:
        for number, data in chunks:
            stream = streams[number]
            stream.flush()
            stream.buffer.write(data)
            stream.buffer.flush()
    except BrokenPipeError:  # as click ends: the reader went away
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)
        return 1
    return status


def _seen(path: str) -> bool:
    """Whether this invocation ran before: it keeps a memo then (one that never ran twice, a
    pre-commit run on this commit's files, only leaves a note that it ran)."""
    folder, name = os.path.split(path)
    return os.path.exists(path) or os.path.exists(os.path.join(folder, SEEN + name))


def _hold(stamps: list) -> bool:
    """Whether every stamp still holds (inlined: a memo of a large project holds thousands)."""
    stat = os.stat
    for name, stamp in stamps:
        if type(stamp) is bool:
            if os.path.exists(name) != stamp:
                return False
            continue
        if type(stamp) is str:  # a path as given: where it leads, through every symlink
            if os.path.realpath(name) != stamp:
                return False
            continue
        try:
            found = stat(name)
        except OSError:
            if stamp is None:
                continue
            return False
        if (found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino) != stamp:
            return False
    return True


def _load(path: str, key: bytes) -> tuple[list, list, int] | None:
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError:
        return None
    if not data.startswith(_MAGIC):
        return None
    import zlib  # (a replay's only import beyond os, sys and marshal: under 1 ms)

    # Marshal sizes a list by the count its data claims before reading an item: a flipped bit
    # could make it allocate gigabytes. Only data whose CRC holds is unmarshalled.
    body = memoryview(data)[len(_MAGIC) + 4 :]
    if zlib.crc32(body) != int.from_bytes(data[len(_MAGIC) : len(_MAGIC) + 4], "little"):
        return None
    try:
        stored_key, stamps, chunks, status = marshal.loads(body)
    except Exception:  # damaged: whatever marshal makes of it
        return None
    if stored_key != key or type(status) is not int or status not in (0, 1):
        return None
    if type(stamps) is not list or type(chunks) is not list:
        return None
    for item in chunks:
        if type(item) is not tuple or len(item) != 2 or item[0] not in (1, 2):
            return None
        if type(item[1]) is not bytes:
            return None
    return stamps, chunks, status


def _stamp(path: str) -> tuple[int, int, int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)


# -- recording -----------------------------------------------------------------------------------
_recording: _Recording | None = None  # the run being recorded (audit hooks cannot be removed)
_hooked = False
_HEARD = frozenset(("open", "os.scandir"))


def _heard(event: str, arguments: tuple) -> None:
    recording = _recording
    if recording is None or not (event in _HEARD or event.startswith("fastapi_lint.")):
        return
    try:
        recording.hear(event, arguments)
    except Exception:  # a hook's error would fail what raised the event: the memo is dropped
        recording.unsure = True


class _Recording:
    """What one run printed and relied on, written as a memo if the run was plain."""

    def __init__(
        self,
        path: str,
        key: bytes,
        watched: list[str],
        given: list[str],
        named: list[str],
        *,
        seen: bool,
    ) -> None:
        self.path = path
        self.key = key
        self.seen = seen
        self.given = given  # the paths on the command line, resolved
        self.named = named  # the same as given (symlinks kept), made absolute
        self.done: object = None  # the status the command exits with, once it has finished
        self.files: list = []  # lists of paths (Path or str)
        self.stamps: list[dict] = []  # path -> cache.stamp_of, as the run found them
        self.folders: list = list(watched[:1])  # resolved
        self.above: list = list(watched[1:])  # the folders above the paths' common folder
        self.listed: list = []
        self.marks: list = []  # folders whose pyproject.toml and .git presence decide
        self.packages: list = []  # folders whose __init__.py decides module names
        self.opened: list[str] = []
        self.cache_folders: set[str] = set()
        self.chunks: list[tuple[int, bytes]] = []
        self.unsure = False
        self.streams: tuple = ()
        self.began = 0

    def hear(self, event: str, arguments: tuple) -> None:
        if event == "open":
            name, mode, flags = arguments
            if isinstance(mode, str):
                writes = any(letter in mode for letter in "wax+")
            else:
                writes = bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
            if not isinstance(name, int) and not writes:
                self.opened.append(os.fsdecode(name))
        elif event == "os.scandir":
            self.listed.append(arguments[0] if arguments[0] is not None else ".")
        elif event == "fastapi_lint.files":
            self.files.append(arguments[0])
            if len(arguments) > 1:
                self.stamps.append(arguments[1])
        elif event == "fastapi_lint.folder":
            self.folders.append(arguments[0])
        elif event == "fastapi_lint.marks":
            self.marks.append(arguments[0])
        elif event == "fastapi_lint.init":
            self.packages.append(arguments[0])
        elif event == "fastapi_lint.cache":
            self.cache_folders.add(os.fspath(arguments[0]))
        elif event == "fastapi_lint.unsure":
            self.unsure = True
        elif event == "fastapi_lint.done":
            self.done = arguments[0]

    def start(self) -> None:
        global _recording, _hooked
        import time

        self.began = time.time_ns()
        self.streams = (sys.stdout, sys.stderr)
        sys.stdout = _teed(sys.stdout, 1, self)
        sys.stderr = _teed(sys.stderr, 2, self)
        _recording = self
        if not _hooked:
            sys.addaudithook(_heard)
            _hooked = True

    def stop(self, status: object) -> None:
        global _recording
        _recording = None
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            sys.stdout, sys.stderr = self.streams
        # Only an exit the command made once it had finished: click turns Ctrl-C into
        # "Aborted!" and status 1, and an error may leave any status.
        finished = self.done is not None and status == self.done
        if finished and status in (0, 1) and not self.unsure:
            import contextlib  # (the run has imported it)

            with contextlib.suppress(Exception):  # the memo never fails a run
                self._write(status)

    def _write(self, status: int) -> None:
        folder = os.path.dirname(self.path)
        if folder not in self.cache_folders or not os.path.isdir(folder):
            return  # not the cache folder the run used (a `cache-dir` setting, ...)
        if not self.seen:  # noted; the next identical run keeps the memo
            folder, name = os.path.split(self.path)
            with open(os.path.join(folder, SEEN + name), "wb"):
                pass
            _prune(folder, SEEN)
            return
        settled = self.began - _FRESH_NS
        for name in self.given:  # the likeliest to have just changed (pre-commit's files)
            stamp = _stamp(name)
            if stamp is not None and (stamp[1] > settled or stamp[2] > settled):
                return
        names, gits = self._relied_on()
        # The given paths first: a replay stops at the first stamp that changed. Then where
        # each path as given leads: a symlink on the way (or in a chain) retargeted leads
        # elsewhere.
        stamps: list[tuple[str, object]] = [(name, _stamp(name)) for name in self.given]
        stamps += zip(self.named, self.given, strict=True)
        names.difference_update(self.given)
        for taken in self.stamps:  # stamps the run took of the files it did not read
            for path, stamp in taken.items():
                name = os.fspath(path)
                if stamp is not None and name in names:
                    if stamp[1] > settled or stamp[2] > settled:
                        return  # (the cache's rule looks at the modification time only)
                    names.discard(name)
                    stamps.append((name, stamp))
        stat = os.stat
        for name in names:
            try:
                found = stat(name)
            except OSError:
                stamps.append((name, None))
                continue
            if found.st_mtime_ns > settled or found.st_ctime_ns > settled:
                return  # it may change again unseen within the same clock tick
            stamp = (found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino)
            stamps.append((name, stamp))
        # Only whether a .git is there counts: git changes its folder all the time.
        stamps += ((name, os.path.exists(name)) for name in gits)
        import zlib

        body = marshal.dumps((self.key, stamps, self.chunks, status))
        data = _MAGIC + zlib.crc32(body).to_bytes(4, "little") + body
        temporary = f"{self.path}.{os.getpid()}.tmp"
        try:
            with open(temporary, "wb") as stream:
                stream.write(data)
            os.replace(temporary, self.path)
        except BaseException:  # (a full disk, a file size limit): leave nothing half written
            import contextlib  # (the run has imported it)

            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        _prune(folder, PREFIX)

    def _relied_on(self) -> tuple[set[str], set[str]]:
        """The paths whose stamps the memo is checked by, and those of each `.git` whose
        presence alone is (see the module's docstring)."""
        read = {os.path.realpath(name) for name in self.opened if not name.endswith(_NOT_READ)}
        read.update(os.path.realpath(folder) for folder in self.listed)
        inside = tuple(folder + os.sep for folder in self.cache_folders)
        names = {
            name
            for name in read
            if not name.startswith(inside)
            and name not in self.cache_folders
            and not name.startswith(_SYSTEM)
        }
        folders = {os.fspath(folder) for folder in self.folders}  # (resolved)
        names |= folders
        # The settings files of every folder walked or above the paths: the walk memo may vouch
        # for a folder by their status without reading them (a new one changes the folder's
        # stamp, an edit in place only their own).
        for folder in folders:
            names.add(os.path.join(folder, ".gitignore"))
            names.add(os.path.join(folder, "pyproject.toml"))
        # A folder above the paths (up to their project's root; above a folder of no project,
        # up to the top) decides by its settings files and its `.git` alone: its own stamp
        # would change with every file made beside the project (a home folder, /tmp).
        above = {os.fspath(folder) for folder in self.above} - folders
        for folder in above:
            names.add(os.path.join(folder, ".gitignore"))
            names.add(os.path.join(folder, "pyproject.toml"))
        # A folder whose stamp is not watched has its marks watched one by one (a new entry
        # changes a folder's stamp; a pyproject.toml read is stamped as read). A `.git` folder
        # and the caches' own folders are never a project's: their marks mean nothing.
        marked = {
            name
            for name in map(os.fspath, self.marks)
            if os.path.basename(name) != ".git"
            and name not in self.cache_folders
            and not name.startswith(inside)
        } - names
        names.update(os.path.join(folder, "pyproject.toml") for folder in marked)
        for group in self.files:
            names.update(map(os.fspath, group))
        # Whether a folder is a package names the modules below it, and so decides which
        # imports between them resolve (above the paths too: files of no project, a package
        # chain that climbs above a project's root).
        names.update(os.path.join(os.fspath(folder), "__init__.py") for folder in self.packages)
        # The tool's modules this run imported (an editable install keeps its version). The
        # rules a warm run did not import are the results cache's business, keyed by version.
        names.update(
            module.__file__
            for name, module in list(sys.modules.items())
            if name.startswith("fastapi_lint.") and getattr(module, "__file__", None)
        )
        # The folders of installed packages (click, pathspec, ...): installing, upgrading or
        # removing one adds or removes an entry there.
        names.update(folder for folder in sys.path if os.path.basename(folder) in _INSTALLED)
        gits = {os.path.join(folder, ".git") for folder in marked | above}
        return names - gits, gits


class _Tee(io.RawIOBase):
    """Bytes written to a stream, also kept as chunks (stream number, bytes) in their order."""

    def __init__(self, stream, number: int, recording: _Recording) -> None:
        self.stream = stream
        self.number = number
        self.recording = recording

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        data = bytes(data)
        try:
            self.stream.flush()
            self.stream.buffer.write(data)
        except BaseException:  # not all of it was shown (`| head`): nothing to keep
            self.recording.unsure = True
            raise
        self.recording.chunks.append((self.number, data))
        return len(data)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    def close(self) -> None:  # the stream it writes to is not its own
        self.flush()


def _teed(stream, number: int, recording: _Recording) -> io.TextIOWrapper:
    """A text stream like `stream` whose bytes also go to the recording's chunks."""
    return io.TextIOWrapper(
        _Tee(stream, number, recording),
        encoding=stream.encoding,
        errors=stream.errors,
        newline="\n",
        line_buffering=stream.line_buffering,
        write_through=True,
    )


def _prune(folder: str, prefix: str) -> None:
    """Keeps the newest `KEEP` memos (or notes) of a cache folder."""
    memos = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(prefix) and not entry.name.endswith(".tmp"):
                try:
                    memos.append((entry.stat().st_mtime_ns, entry.path))
                except OSError:
                    continue
    import contextlib

    for _, path in sorted(memos, reverse=True)[KEEP:]:
        with contextlib.suppress(OSError):
            os.unlink(path)
