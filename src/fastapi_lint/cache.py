"""On-disk caches of each project (`.fastapi_lint_cache/`): index facts and lint results.

Where: `--cache-dir`, else the `cache-dir` setting, else `FASTAPI_LINT_CACHE_DIR` (ruff's order
for its own three), each holding one folder per project; else `.fastapi_lint_cache/` at the
project root, or in the current folder for files that belong to no project (as ruff does). A
cache folder ignores itself (`.gitignore` with `*`) and is tagged as a cache (`CACHEDIR.TAG`).

Facts are keyed by file content (and module name), and found without reading a file whose size
and modification time are those it had when its facts were stored; results by content,
settings and the tool version, and hold while the project index gives the same answers to the
queries the file's lint asked (semantic/queries.py). Entries of files that no longer
exist, or that no run used in `IDLE_SAVES` writes of the cache, are dropped when it is written.
The results are spread over sixteen files by path, each written only when one of its
entries changed. A header line describes each result entry (its key, its file's digest and
stamp, where its JSON texts lie after the header): an entry is decoded when a file asks for
it, so a run on three files of a large project does not decode the results of all the others,
and a file whose stamp is the one stored with its results is not even read. An entry's
findings are two texts: their rows (what concise lines and the summary show, results.py, in
`marshal`'s format: a warm run decodes the rows of every file, and marshal reads them at a third
of JSON's cost) and the rest of each diagnostic as JSON (name, end, fix, secret span); a concise
run decodes the rows alone and makes no objects of them, the other outputs decode both into
diagnostics. Each run checks what it decodes: a damaged part is a miss (and a part a run does
not decode is not its concern). The walk of the project root is remembered folder by folder
(discovery.WalkMemo). A cache that cannot be read is ignored and one that cannot be written is
skipped: the cache never fails a run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import marshal
import os
import re
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

from fastapi_lint import __version__, lazy_re
from fastapi_lint.diagnostics import Applicability, Diagnostic, Edit, Fix, Import
from fastapi_lint.discovery import WalkMemo
from fastapi_lint.redaction import fix_shows_secret, secret_spans, secret_texts
from fastapi_lint.resolving import present
from fastapi_lint.results import Rows, row_of
from fastapi_lint.semantic.facts import FACTS_FORMAT, LazyFacts, ModuleFacts
from fastapi_lint.semantic.index import ProjectIndex
from fastapi_lint.semantic.queries import Replay
from fastapi_lint.source import LineIndex

CACHE_DIR = ".fastapi_lint_cache"
CACHE_DIR_ENV = "FASTAPI_LINT_CACHE_DIR"
RESULTS_FORMAT = 6  # bump when a results entry changes shape (6: rows in marshal's format)
# Rows are written in marshal's format 4, which every Python this tool runs on (3.10 and later)
# reads: a cache shared by two interpreters holds the same bytes for both. Marshal sizes a list
# or tuple by the count its data claims before reading an item: one flipped bit made a run
# allocate (and then free, slot by slot) gigabytes. So the rows are stored after a CRC-32 of
# them, and only rows whose CRC holds are unmarshalled.
_MARSHAL_FORMAT = 4
IDLE_SAVES = 30  # an entry no run used in this many writes of its cache is dropped
FORMAT_IDLE_SECONDS = 30 * 86400  # cache files of an older format no run wrote for this long go
TEMPORARY_IDLE_SECONDS = 86400  # a write's temporary file this old was left by a killed run
# A file modified this recently may change again within the same clock tick, unseen by its
# modification time: its facts are stored, but found by content until it is older (git's
# "racily clean" files).
_FRESH_NS = 2_000_000_000
Stamp = tuple[int, int, int, int]  # (size, mtime, ctime in ns, inode) of a file: `stamp_of`


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def cache_folder(root: Path | None, chosen: Path | None) -> Path:
    """The cache folder of the project at `root` (None: files of no project).

    `chosen` is the folder the user named (option, setting or environment, in that order): it
    holds one sub-folder per project, so that projects sharing it never share entries.
    """
    home = root or Path.cwd().resolve()
    if chosen is None:
        return home / CACHE_DIR
    return chosen / content_hash(str(home).encode("utf-8", "surrogateescape"))


def chosen_cache_dir(option: Path | None, setting: Path | None) -> Path | None:
    """The cache folder named by `--cache-dir`, else the `cache-dir` setting, else the
    environment (ruff's order), or None for the default."""
    if option is not None:
        return option.expanduser().resolve()
    if setting is not None:
        return setting
    from_env = os.environ.get(CACHE_DIR_ENV)
    return Path(from_env).expanduser().resolve() if from_env else None


def stamp_of(status: os.stat_result, now: int | None = None) -> Stamp | None:
    """The stamp a file's facts and results can be found by later without reading it, or None
    while it is too fresh. Like git's, it holds the change time and the inode: `cp -p`,
    `touch -r` or an unpacked archive can give another content the same size and mtime. `now`:
    the clock (ns) read before the file was looked at, once for many files."""
    if (time.time_ns() if now is None else now) - status.st_mtime_ns < _FRESH_NS:
        return None
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)


class _Store:
    """A JSON file of entries that remembers in which write each entry was last used.

    Each write is one *generation*; an entry used in none of the last `IDLE_SAVES` generations,
    or one `gone` says is stale, is dropped when the file is written, so the file stays bounded
    by what the project holds.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        document = self._read(path)
        entries, used = document.get("entries"), document.get("used")
        generation = document.get("generation")
        readable = isinstance(entries, dict) and isinstance(used, dict)
        readable = readable and type(generation) is int
        self.entries: dict[str, list] = entries if readable else {}
        self.used: dict[str, int] = used if readable else {}
        self.generation = generation + 1 if readable else 1
        self.changed = False

    def _use(self, key: str) -> None:
        self.used[key] = self.generation

    def gone(self, key: str) -> bool:
        """Whether the entry is of something that no longer exists (checked for unused ones)."""
        return False

    def _kept(self, key: str) -> bool:
        last = self.used.get(key)
        if type(last) is not int or self.generation - last >= IDLE_SAVES:
            return False
        return last == self.generation or not self.gone(key)

    def save(self) -> None:
        if self.path is None or not self.changed:
            return
        self.entries = {key: entry for key, entry in self.entries.items() if self._kept(key)}
        self.used = {key: self.used[key] for key in self.entries}
        document = {"generation": self.generation, "used": self.used, "entries": self.entries}
        self._write(self.path, document)
        self.changed = False

    def _read(self, path: Path | None) -> dict:
        return _read_json(path)

    def _write(self, path: Path, document: dict) -> None:
        _write_json(path, document)


# A write that changes few entries of a large index goes to its journal (`IndexCache`).
JOURNAL_MIN = 256  # modules: a smaller index is rewritten whole
JOURNAL_SHARE = 8  # the journal holds at most this fraction (1/8) of the modules


class IndexCache(_Store):
    """Facts of each module, keyed by its path (relative to the project root).

    The file is a JSON header line (generation, uses, and each module's entry: content digest,
    facts digest, stamp, module name, star imports, and where its facts lie in the rest of the
    file) and then each module's facts as its own JSON text, decoded when first used
    (`LazyFacts`): a warm run on three files of a large project decodes the header, not the
    facts of every module. An entry is checked when it is used: a damaged one is a miss.

    A run that changes few entries of a large index (an edit of one module: 3 MB rewritten for
    2,000 modules) writes them to a journal beside the file instead (same layout, `.journal`),
    whose entries replace the file's when read; the file is rewritten, and the journal
    removed, when the journal would hold more than 1/`JOURNAL_SHARE` of the modules or an entry
    is to be dropped. A journal names the file it was written over (`id`): over another, it is
    ignored.
    """

    def __init__(self, directory: Path | None, root: Path | None = None) -> None:
        path = directory / f"index-{__version__}-{FACTS_FORMAT}.json" if directory else None
        self._data: dict[str, dict] = {}  # facts stored by this run (as JSON data), by key
        self._id = ""  # of the file read (its journal must name it)
        self._journaled: set[str] = set()  # entries read from the journal
        self._touched: set[str] = set()  # entries this run changed
        self._dropped = False  # an entry was deleted: the file is rewritten
        super().__init__(path)
        self.root = root or Path("/")

    def gone(self, key: str) -> bool:
        return not present(self.root / key, file=True)

    def unchanged(
        self, key: str, stamp: Stamp, module: str, reread: Callable[[], ModuleFacts]
    ) -> ModuleFacts | None:
        """The facts of a file whose stamp is the one stored with them: no need to read it.
        They are decoded on first use; `reread` gives them from the file should the stored
        ones turn out damaged then."""
        entry = self.entries.get(key)
        if not entry or entry[2] != list(stamp) or entry[3] != module:
            return None
        stars, includes = entry[4], entry[7]
        if type(stars) is not list or (stars and not all(type(star) is str for star in stars)):
            return None
        if includes != [] and not _are_includes(includes):  # (most modules include none)
            return None
        self._use(key)

        def decode() -> ModuleFacts:
            facts = self._decode(key, entry)
            if facts is not None and facts.module == module:
                return facts
            if self.entries.get(key) is entry:  # dropped at the next write: read again then
                del self.entries[key]
                self.changed = self._dropped = True
            return reread()

        return LazyFacts(module, stars, includes, decode)

    def get(
        self, key: str, digest: str, module: str, stamp: Stamp | None = None
    ) -> ModuleFacts | None:
        entry = self.entries.get(key)
        if not entry or entry[0] != digest:
            return None
        facts = self._decode(key, entry)
        if facts is None or facts.module != module:
            return None
        self.used_by(key, digest, stamp)
        return facts

    def used_by(self, key: str, digest: str, stamp: Stamp | None) -> None:
        """Note that an entry was used for content `digest` (a worker's `get`, whose notes die
        with it: the parent keeps them without decoding the facts again)."""
        entry = self.entries.get(key)
        if not entry or entry[0] != digest:
            return
        self._use(key)
        if stamp is not None and entry[2] != list(stamp):
            entry[2] = list(stamp)  # same content, touched: new stamp
            self.changed = True
            self._touched.add(key)

    def _decode(self, key: str, entry: list) -> ModuleFacts | None:
        try:
            data = self._data.get(key)
            if data is None:
                data = json.loads(self._stored(entry))
            return ModuleFacts.from_json(data)
        except (AttributeError, IndexError, KeyError, TypeError, ValueError, RecursionError):
            return None  # a damaged entry (or absurdly nested JSON): a miss

    def _stored(self, entry: list) -> bytes:
        """The JSON text of an entry's facts in the file read (ValueError: it points nowhere)."""
        start, end = entry[5], entry[6]
        if type(start) is not int or type(end) is not int or not 0 <= start <= end:
            raise ValueError("not a span of the file")
        return self._body[start:end]

    def put(self, key: str, digest: str, facts: ModuleFacts, stamp: Stamp | None = None) -> None:
        data = self._data[key] = facts.to_json()
        # What the facts digest keys (stored results, through the index's digest) is kept in
        # the cache folder: with none (`--no-cache`), nothing reads it, and a cold run would
        # serialise and hash the facts of every module for it.
        on_disk = self.path is not None
        facts_digest = content_hash(json.dumps(data, sort_keys=True).encode()) if on_disk else ""
        stored = list(stamp) if stamp else None
        self.entries[key] = [
            *(digest, facts_digest, stored, facts.module, list(facts.stars), 0, 0),
            facts.includes,
        ]
        self._use(key)
        self.changed = True
        self._touched.add(key)

    def facts_digest(self, key: str) -> str:
        """A digest of what a module tells the index (stable while only its bodies change)."""
        entry = self.entries.get(key)
        return entry[1] if entry else ""

    def _read(self, path: Path | None) -> dict:
        self._body = b""
        if path is None:
            return {}
        header, self._body = _header_and_body(path)
        entries = header.get("modules")
        if not isinstance(entries, dict):
            return {}
        document = {
            "generation": header.get("generation"),
            "used": header.get("used"),
            # The shape here; what each field holds, when the entry is used.
            "entries": {
                key: entry
                for key, entry in entries.items()
                if type(entry) is list and len(entry) == 8
            },
        }
        self._id = header.get("id") if type(header.get("id")) is str else ""
        journal, body = _header_and_body(self._journal())
        changes = journal.get("modules")
        if self._id and journal.get("id") == self._id and isinstance(changes, dict):
            offset = len(self._body)  # its entries' texts follow the file's
            self._body += body
            for key, entry in changes.items():
                if type(entry) is list and len(entry) == 8:
                    if type(entry[5]) is int and type(entry[6]) is int:
                        entry[5:7] = [entry[5] + offset, entry[6] + offset]
                    document["entries"][key] = entry
                    self._journaled.add(key)
            document["generation"], document["used"] = (
                journal.get("generation"),
                journal.get("used"),
            )
        return document

    def _journal(self) -> Path:
        return self.path.with_name(self.path.name + ".journal")

    def save(self) -> None:
        if self.path is None or not self.changed:
            return
        pending = self._journaled | self._touched
        if (
            self._id
            and not self._dropped
            and len(self.entries) >= JOURNAL_MIN
            and len(pending) * JOURNAL_SHARE <= len(self.entries)
            and self._none_to_drop()
        ):
            self._write_journal(pending)
            self.changed = False
            return
        super().save()
        with contextlib.suppress(OSError):  # its entries are in the file now
            self._journal().unlink()
        self._journaled, self._touched, self._dropped = set(), set(), False

    def _none_to_drop(self) -> bool:
        """Whether every entry is kept (`_kept`: none deleted or idle). Those this run used are
        (every one, in a run of the whole project): only the others are asked."""
        generation, used = self.generation, self.used
        return all(self._kept(key) for key in self.entries if used.get(key) != generation)

    def _write_journal(self, pending: set[str]) -> None:
        entries: dict[str, list] = {}
        parts: list[bytes] = []
        offset = 0
        for key in sorted(pending):
            entry = self.entries.get(key)
            data = self._data.get(key)
            try:
                if entry is None:
                    continue
                if data is None:
                    text = self._stored(entry)
                else:
                    text = json.dumps(data, separators=(",", ":")).encode()
            except ValueError:
                continue  # damaged: left to the file's next write
            entries[key] = [*entry[:5], offset, offset + len(text), entry[7]]
            parts.append(text)
            offset += len(text)
        header = {
            "id": self._id,
            "generation": self.generation,
            "used": self.used,
            "modules": entries,
        }
        head = json.dumps(header, separators=(",", ":")).encode()
        _write_bytes(self._journal(), [head, b"\n", *parts])
        self._journaled = set(entries)
        self._touched = set()

    def _write(self, path: Path, document: dict) -> None:
        entries: dict[str, list] = {}
        parts: list[bytes] = []
        offset = 0
        for key, entry in document["entries"].items():
            data = self._data.get(key)
            try:  # one never decoded is written back as read
                if data is None:
                    text = self._stored(entry)
                else:
                    text = json.dumps(data, separators=(",", ":")).encode()
            except ValueError:
                continue  # damaged: dropped
            entries[key] = [*entry[:5], offset, offset + len(text), entry[7]]
            parts.append(text)
            offset += len(text)
        self._id = os.urandom(8).hex()  # what a journal over this file names
        header = {
            "id": self._id,
            "generation": document["generation"],
            "used": document["used"],
            "modules": entries,
        }
        # JSON text holds no raw line break: the header is the first line.
        head = json.dumps(header, separators=(",", ":")).encode()
        _write_bytes(path, b"".join([head, b"\n", *parts]))


def _header_and_body(path: Path) -> tuple[dict, bytes]:
    """The JSON header line of a cache file (a dict, else empty) and the bytes after it."""
    try:
        with open(path, "rb") as stream:
            header = json.loads(stream.readline())
            body = stream.read()
    except (OSError, ValueError, RecursionError):
        return {}, b""
    return (header, body) if isinstance(header, dict) else ({}, b"")


def _are_includes(value: object) -> bool:
    """`ModuleFacts.includes` as JSON: [included, parent, default] strings."""
    return type(value) is list and all(
        type(item) is list and len(item) == 3 and all(type(part) is str for part in item)
        for item in value
    )


RESULT_SHARDS = 16  # files the results are spread over (`ResultsCache`)


class ResultsCache:
    """Per-file lint results, keyed by content, settings and the version, with what the file
    asked the project index.

    Results are stored before suppression (noqa lives in the content, per-file-ignores in the
    settings, both part of the key), so a hit gives exactly what a new lint would. An entry
    holds while the project index is the one it was linted against (same digest: nothing to
    check) or, when the index changed, while every query the file asked gets the same answer
    again. Entries are keyed by the file's path relative to `base`.

    An entry also keeps the stamp its file had when linted (None while too fresh): a file with
    that stamp still is that content, so its results are found without reading it
    (`unchanged`), with which of them the file's own noqa comments silence (a function of the
    content and the findings, noted when it was linted).

    The entries are spread over `RESULT_SHARDS` files by their path (`_Shard`), each read when
    one of its files is first asked for and written only when one of its entries changed: an
    edit of one file rewrites a sixteenth of the results (9 MB on 2,000 modules), not all.

    Which run last used each entry is kept apart, in one small file (`_Uses`: a generation and
    each entry's last use), so that recording a use never rewrites a shard. The rule: every
    run that writes a shard, or that used an entry whose recorded use is older than the
    file's generation, rewrites the uses file as the next generation, with all its uses.
    An entry is dropped (its shard read and rewritten) when no run used it in the last
    `IDLE_SAVES` generations, or when its file is gone and this run did not use it; so an
    entry any run used within that window is kept, whichever shards that run wrote.
    """

    def __init__(
        self, directory: Path | None, base: Path | None = None, index: ProjectIndex | None = None
    ) -> None:
        stem = f"results-{__version__}-{FACTS_FORMAT}-{RESULTS_FORMAT}"
        self.path = directory / stem if directory else None  # the shards' files: `-NN.json`
        self.base = base or Path("/")
        self._shards: dict[int, _Shard] = {}
        self._used: set[str] = set()  # paths whose entries this run used (hit or stored)
        self.index_digest = ""
        self._replay: Replay | None = None
        if index is not None:
            self.use_index(index)

    def use_index(self, index: ProjectIndex) -> None:
        """The index this run's files are checked against (known once it is assembled)."""
        self.index_digest = index.digest
        self._replay = Replay(index)

    def _shard(self, path: str) -> _Shard:
        """The shard of the entry of `path` (read when first asked for)."""
        number = zlib.crc32(path.encode("utf-8", "surrogateescape")) % RESULT_SHARDS
        shard = self._shards.get(number)
        if shard is None:
            file = self._file(number) if self.path is not None else None
            shard = self._shards[number] = _Shard(file, self.base)
        return shard

    def save(self) -> None:
        """Write the shards whose entries changed and, when needed, the uses (see the class's
        rule); drop the entries of deleted files and those no run used in `IDLE_SAVES`
        generations. Shards this run did not read are read only to drop such entries."""
        if self.path is None or not self._used:
            return
        uses = _Uses(self._uses_file())
        if not any(shard.changed for shard in self._shards.values()) and all(
            uses.used.get(path) == uses.generation for path in self._used
        ):
            return  # nothing new to write: this run's uses are on disk already
        generation = uses.generation + 1
        used = uses.used
        for path in self._used:
            used[path] = generation
        idle = {path for path, last in used.items() if generation - last >= IDLE_SAVES}
        unused = [path for path, last in used.items() if last != generation]
        for path in idle.union(_no_files(self.base, unused)):
            del used[path]
            shard = self._shard(path)  # (read now if this run did not)
            if shard.entries.pop(path, None) is not None:
                shard.changed = True
        for shard in self._shards.values():
            for path in [path for path in shard.entries if path not in used]:
                del shard.entries[path]  # no use on record (a concurrent run's write)
                shard.changed = True
            if shard.changed:
                shard.save()
        uses.generation, uses.used = generation, used
        uses.save()
        remove_idle_files(self.path.parent)

    def _uses_file(self) -> Path:
        return self.path.with_name(f"used-{self.path.name.removeprefix('results-')}.json")

    def _file(self, number: int) -> Path:
        return self.path.with_name(f"{self.path.name}-{number:02}.json")

    @staticmethod
    def key(digest: str, settings_key: str) -> str:
        return content_hash(f"{digest}\0{settings_key}".encode("utf-8", "surrogatepass"))

    def _answers_hold(self, entry: _Results) -> bool:
        if self.index_digest and entry.index_digest == self.index_digest:
            return True
        if self._replay is None:
            return False
        queries = entry.queries
        if isinstance(queries, bytes):  # decoded only when the index changed
            try:
                queries = entry.queries = json.loads(queries)
            except (ValueError, RecursionError):
                return False
        return isinstance(queries, dict) and self._replay.same_answers(queries)

    def get(
        self, path: str, key: str, text: str, stamp: Stamp | None = None
    ) -> list[Diagnostic] | None:
        """The cached results for `text`, or None: also when an entry does not fit the text (a
        position outside it), which only a damaged or forged file holds. `stamp`: the file's,
        stored with the entry for the next run (`unchanged`)."""
        shard = self._shard(path)
        entry = shard.entry(path)
        if entry is None or entry.key != key or not self._answers_hold(entry):
            return None
        diagnostics = _decoded(entry, path)
        if diagnostics is None:
            return None
        lines = LineIndex(text)
        if not all(_fits(d, lines) for d in diagnostics):
            return None
        if stamp is not None and entry.stamp != stamp:  # the same content, touched or settled
            entry.stamp = stamp
            shard.changed = True
        self._hit(shard, path, entry)
        return diagnostics

    def unchanged(
        self, path: str, stamp: Stamp, key_of: Callable[[str], str], rows_only: bool = False
    ) -> tuple[str, list[Diagnostic] | Rows, list[int]] | None:
        """(content digest, results, positions of those the file's noqa comments silence) of
        a file whose stamp is the one stored with its entry, found without reading it; `key_of`
        makes the entry key of a content digest. Positions are not checked against the text
        (they were when a lint of that text stored them). `rows_only`: the results as `Rows`,
        their details left undecoded (the run's outputs need no more)."""
        shard = self._shard(path)
        entry = shard.entry(path)
        if entry is None or entry.stamp != stamp:
            return None
        if key_of(entry.digest) != entry.key or not self._answers_hold(entry):
            return None
        found = _decoded_rows(entry.rows) if rows_only else _decoded(entry, path)
        if found is None or (entry.by_comment and entry.by_comment[-1] >= len(found)):
            return None
        self._hit(shard, path, entry)
        return entry.digest, found, entry.by_comment

    def _hit(self, shard: _Shard, path: str, entry: _Results) -> None:
        if entry.index_digest != self.index_digest:  # the same answers: as if linted against
            entry.index_digest = self.index_digest  # this index (the next run takes the fast
            shard.changed = True  # path)
        self._used.add(path)

    def put(
        self,
        path: str,
        key: str,
        diagnostics: list[Diagnostic],
        text: str,
        queries: dict[str, str],
        stamp: Stamp | None = None,
        digest: str = "",
        by_comment: list[int] = (),
    ) -> None:
        """Store a file's results with the queries its lint asked (query -> fingerprint), the
        stamp and content digest of the file they are of, and the positions of those its noqa
        comments silence (`suppression.suppress_noting`)."""
        secrets = secret_texts(text, secret_spans(diagnostics))
        if any(fix_shows_secret(d.fix, secrets) for d in diagnostics):
            return  # the file is for what outputs may show: a fix moving a secret is not
        silenced = sorted(by_comment)
        entry = _Results(key, digest, stamp if digest else None, self.index_digest, silenced)
        entry.rows = [row_of(d) for d in diagnostics]
        entry.details = [_details_to_json(d) for d in diagnostics]
        entry.queries = queries
        shard = self._shard(path)
        shard.entries[path] = entry
        self._used.add(path)
        shard.changed = True


def remove_idle_files(folder: Path) -> None:
    """Remove what this code will not read again from a cache folder: this version's results,
    uses, index and index journals in an older format that no run wrote for
    `FORMAT_IDLE_SECONDS` (not sooner: the version alone does not tell two builds apart, a
    pre-commit hook pinned to an older commit and a development install, and one would delete
    the other's on every write), and the temporary files of writes a killed run left
    (`TEMPORARY_IDLE_SECONDS`). Other versions' files are left to them."""
    now = time.time()
    with contextlib.suppress(OSError), os.scandir(folder) as listing:
        for item in listing:
            idle = _idle_limit(item.name)
            if idle is None:
                continue
            with contextlib.suppress(OSError):
                if item.stat(follow_symlinks=False).st_mtime < now - idle:
                    os.remove(item.path)


_VERSION = re.escape(__version__)
# results-V-F.json (before the results format), results-V-F-R.json (before the shards),
# results-V-F-R-NN.json and used-V-F-R.json
_RESULTS_FILE = lazy_re.compile(rf"(?:results|used)-{_VERSION}-(\d+)(?:-(\d+))?(?:-\d+)?\.json")
_INDEX_FILE = lazy_re.compile(rf"index-{_VERSION}-(\d+)\.json(?:\.journal)?")  # and its journal


def _idle_limit(name: str) -> int | None:
    """How long a file of a cache folder is left unwritten before it goes; None: it stays."""
    if name.endswith(".tmp"):
        return TEMPORARY_IDLE_SECONDS
    found = _RESULTS_FILE.fullmatch(name)
    if found is not None:
        if found[2] is None:  # a layout older than any results format
            return FORMAT_IDLE_SECONDS if int(found[1]) <= FACTS_FORMAT else None
        formats = (int(found[1]), int(found[2]))
        current = (FACTS_FORMAT, RESULTS_FORMAT)
        # (Not when newer in either: a newer build's files are its own.)
        older = formats != current and formats[0] <= current[0] and formats[1] <= current[1]
        return FORMAT_IDLE_SECONDS if older else None
    found = _INDEX_FILE.fullmatch(name)
    if found is not None and int(found[1]) < FACTS_FORMAT:
        return FORMAT_IDLE_SECONDS
    return None


def _no_files(base: Path, paths: list[str]) -> list[str]:
    """Those of `paths` (relative to `base`) that are no file now, by one listing per folder (a
    pre-commit run asks it of every other file of the project). As with `present`, a file that
    cannot be looked at counts as gone."""
    listed: dict[str, set[str]] = {}
    gone = []
    for path in paths:
        folder, _, name = path.rpartition("/")  # (posix: `resolving.relative_to`)
        names = listed.get(folder)
        if names is None:
            names = listed[folder] = set()
            folder_path = os.path.join(base, folder)
            # (ValueError: a NUL in a damaged uses file's path)
            with contextlib.suppress(OSError, ValueError), os.scandir(folder_path) as items:
                names.update(item.name for item in items if item.is_file())
        if name not in names:
            gone.append(path)
    return gone


class _Shard:
    """One file of results entries (`ResultsCache`).

    The file is a JSON header line (each entry's key, stamp and where its parts lie) and then
    each entry's diagnostics and queries as JSON texts: a run on three files of a large project
    reads the header and decodes three entries, not the results of every file, and an entry is
    written back as read unless it changed. Uses are not here but in `_Uses`.
    """

    def __init__(self, path: Path | None, base: Path) -> None:
        self.path, self.base = path, base
        self._body = b""  # the file after its header line (see `_read`)
        self.entries: dict[str, list | _Results] = self._read(path)
        self.changed = False

    def _read(self, path: Path | None) -> dict:
        if path is None:
            return {}
        try:
            with open(path, "rb") as stream:
                header = json.loads(stream.readline())
                body = stream.read()
        except (OSError, ValueError, RecursionError):
            return {}
        stored = header.get("entries") if isinstance(header, dict) else None
        if not isinstance(stored, dict):
            return {}
        self._body = body
        return stored  # each entry stays its header fields until asked for (`entry`)

    def save(self) -> None:
        if self.path is not None:
            self._write(self.path, {"entries": self.entries})
        self.changed = False

    def entry(self, path: str) -> _Results | None:
        entry = self.entries.get(path)
        if entry is None or isinstance(entry, _Results):
            return entry
        made = self.entries[path] = _Results.from_header(entry, self._body)
        return made

    def _write(self, path: Path, document: dict) -> None:
        entries: dict[str, list] = {}
        parts: list[bytes] = []
        offset = 0
        for key, entry in document["entries"].items():
            if not isinstance(entry, _Results):  # never asked for: written back as read
                entry = _Results.from_header(entry, self._body)
                if entry is None:
                    continue
            rows, details = _rows_encoded(entry.rows), _encoded(entry.details)
            queries = _encoded(entry.queries)
            middle = offset + len(rows) + len(details)
            end = middle + len(queries)
            entries[key] = [*entry.header(), offset, offset + len(rows), middle, end]
            parts += (rows, details, queries)
            offset = end
        # JSON text holds no raw line break: the header is the first line.
        head = json.dumps({"entries": entries}, separators=(",", ":")).encode()
        _write_bytes(path, [head, b"\n", *parts])  # (not joined: megabytes copied once less)


def _is_path(key: str) -> bool:
    """Whether a damaged file's key can name a file: no NUL, and no lone surrogate but those
    `os.fsdecode` makes of undecodable bytes."""
    try:
        key.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return False
    return "\0" not in key


class _Uses:
    """Which write of the results last recorded a use of each entry (`ResultsCache`): the
    generation (one per write) and, by path, the generation of each entry's last use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        document = _read_json(path)
        generation, used = document.get("generation"), document.get("used")
        if type(generation) is int and isinstance(used, dict):
            self.generation = generation
            self.used = {
                key: last for key, last in used.items() if type(last) is int and _is_path(key)
            }
        else:
            self.generation, self.used = 0, {}

    def save(self) -> None:
        _write_json(self.path, {"generation": self.generation, "used": self.used})


class _Results:
    """One file's entry; its rows (marshal), details and queries (JSON) stay the bytes they were
    read as until asked for (and are written back as read)."""

    __slots__ = (
        *("by_comment", "details", "digest", "index_digest", "key", "queries", "rows", "stamp"),
    )

    def __init__(
        self, key: str, digest: str, stamp: Stamp | None, index_digest: str, by_comment: list[int]
    ) -> None:
        self.key, self.digest, self.stamp = key, digest, stamp
        # positions of the findings the file's noqa comments silence (ascending)
        self.index_digest, self.by_comment = index_digest, by_comment
        self.rows: bytes | list = []
        self.details: bytes | list = b"[]"
        self.queries: bytes | dict = b"{}"

    def header(self) -> list:
        stamp = list(self.stamp) if self.stamp is not None else None
        return [self.key, self.digest, stamp, self.index_digest, self.by_comment]

    @classmethod
    def from_header(cls, fields: object, body: bytes) -> _Results | None:
        """The entry a header's fields describe, or None for fields no write makes."""
        if not isinstance(fields, list) or len(fields) != 9:
            return None
        key, digest, stamp, index_digest, by_comment, start, rows_end, middle, end = fields
        # (Checked for every file of a warm run: chained comparisons, no generator.)
        if not (type(key) is str and type(digest) is str and type(index_digest) is str):
            return None
        if not _is_stamp(stamp):
            return None
        if type(by_comment) is not list or (by_comment and not _are_positions(by_comment)):
            return None
        if not type(start) is type(rows_end) is type(middle) is type(end) is int:
            return None
        if not 0 <= start <= rows_end <= middle <= end <= len(body):
            return None
        stamp = tuple(stamp) if stamp is not None else None
        entry = cls(key, digest, stamp, index_digest, by_comment)
        entry.rows, entry.details = body[start:rows_end], body[rows_end:middle]
        entry.queries = body[middle:end]
        return entry


def _is_stamp(value: object) -> bool:
    return value is None or (
        type(value) is list
        and len(value) == 4
        and type(value[0]) is type(value[1]) is type(value[2]) is type(value[3]) is int
    )


def _are_positions(value: object) -> bool:
    """Ascending positions in a list (their bound is checked against the rows decoded)."""
    if type(value) is not list:
        return False
    last = -1
    for number in value:
        if type(number) is not int or number <= last:
            return False
        last = number
    return True


def _rows_encoded(rows: bytes | list) -> bytes:
    """Rows as stored: the CRC-32 of their marshal data (4 bytes, little-endian), then it."""
    if isinstance(rows, bytes):
        return rows
    data = marshal.dumps(rows, _MARSHAL_FORMAT)
    return zlib.crc32(data).to_bytes(4, "little") + data


def _rows_loaded(stored: bytes | list) -> list:
    """An entry's rows (EOFError, ValueError, TypeError: bytes no write made, checked by their
    CRC before marshal reads them; see `_MARSHAL_FORMAT`)."""
    if not isinstance(stored, bytes):
        return stored
    data = memoryview(stored)[4:]
    if zlib.crc32(data) != int.from_bytes(stored[:4], "little"):
        raise ValueError("damaged rows")
    rows = marshal.loads(data)
    if type(rows) is not list:
        raise TypeError("not a list")
    return rows


def _encoded(value: bytes | list | dict) -> bytes:
    if isinstance(value, bytes):
        return value
    return json.dumps(value, separators=(",", ":")).encode()


def _details_to_json(d: Diagnostic) -> list:
    """What a diagnostic holds besides its row (`results.row_of`)."""
    fix = None
    if d.fix is not None:
        fix = [
            d.fix.title,
            [[edit.start, edit.end, edit.content] for edit in d.fix.edits],
            [[item.module, item.name] for item in d.fix.imports],
        ]
    secret = list(d.secret) if d.secret is not None else None  # where, never what
    return [d.name, d.end_line, d.end_column, d.start_offset, secret, fix]


def _loaded(stored: bytes | list) -> list:
    # (decoded first: json.loads would detect the encoding of each entry's bytes)
    items = json.loads(stored.decode()) if isinstance(stored, bytes) else stored
    if type(items) is not list:
        raise TypeError("not a list")
    return items


def _decoded(entry: _Results, path: str) -> list[Diagnostic] | None:
    """The diagnostics of an entry, or None when it is not what a write makes."""
    try:
        rows, details = _rows_loaded(entry.rows), _loaded(entry.details)
        if len(rows) != len(details):
            return None
        return [
            _diagnostic_from_json(row, more, path) for row, more in zip(rows, details, strict=True)
        ]
    except (EOFError, IndexError, KeyError, TypeError, ValueError, RecursionError):
        return None


_FIXES = {"", *(item.value for item in Applicability)}  # a row's applicability ("": no fix)


def _decoded_rows(stored: bytes | list) -> Rows | None:
    """An entry's rows, each checked for what the outputs show of it, or None when they are
    not what a write makes."""
    try:
        rows = _rows_loaded(stored)
        fixes = _FIXES
        for row in rows:
            if type(row) is not tuple or len(row) != 5:  # (a dict of five keys unpacks)
                return None
            line, column, code, fix, message = row
            if not (
                type(line) is int
                and type(column) is int
                and type(code) is str
                and type(message) is str
                and type(fix) is str
                and line > 0
                and column >= 0
                and fix in fixes
            ):
                return None
    except (EOFError, TypeError, ValueError, RecursionError):
        return None
    return Rows(rows)


# Many thousand diagnostics are made per warm run: made without the dataclasses' __init__
# (keyword handling, frozen setattr), each field checked for its type on the way.
_new = object.__new__
_APPLICABILITY = {item.value: item for item in Applicability}
_STORED = {"code", "name", "message", "line", "column", "end_line", "end_column", "fix"}
_STORED |= {"path", "start_offset", "secret"}
# The fields a cached diagnostic does not hold get their defaults (tests/test_cache.py checks
# that every one has a plain default).
_UNSTORED = {f.name: f.default for f in dataclasses.fields(Diagnostic) if f.name not in _STORED}


_set = object.__setattr__  # (a frozen dataclass's own refuses)


def _diagnostic_from_json(row: list, details: list, path: str) -> Diagnostic:
    line, column, code, applicability, message = row
    name, end_line, end_column, start_offset, secret, fix = details
    if not (
        type(code) is str
        and type(name) is str
        and type(message) is str
        and type(line) is int
        and type(column) is int
        and type(end_line) is int
        and type(end_column) is int
        and type(start_offset) is int
        and 0 < line <= end_line
        and column >= 0
        and end_column >= 0
        and start_offset >= 0
    ):
        raise ValueError("not a diagnostic")
    if (fix is None) != (applicability == ""):
        raise ValueError("a row and its details disagree")
    if fix is not None:
        title, edits, imports = fix
        if type(title) is not str:
            raise TypeError("not a fix")
        made_edits = []
        for start, end, content in edits:
            if not (type(start) is int and type(end) is int and type(content) is str):
                raise TypeError("not an edit")
            if not 0 <= start <= end:
                raise ValueError("not an edit's range")
            edit = _new(Edit)
            _set(edit, "__dict__", {"start": start, "end": end, "content": content})
            made_edits.append(edit)
        made_imports = []
        for module, imported in imports:
            if type(module) is not str or not (imported is None or type(imported) is str):
                raise TypeError("not an import")
            item = _new(Import)
            _set(item, "__dict__", {"module": module, "name": imported})
            made_imports.append(item)
        made = _new(Fix)
        _set(
            made,
            "__dict__",
            {
                "title": title,
                "applicability": _APPLICABILITY[applicability],
                "edits": tuple(made_edits),
                "imports": tuple(made_imports),
            },
        )
        fix = made
    if secret is not None:
        secret = _span(secret)
    diagnostic = _new(Diagnostic)
    diagnostic.__dict__ = {
        "code": code,
        "name": name,
        "message": message,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "fix": fix,
        "path": path,
        "start_offset": start_offset,
        "secret": secret,
        **_UNSTORED,
    }
    return diagnostic


def _span(value: list) -> tuple[int, int]:
    start, end = value
    if not (type(start) is int and type(end) is int and 0 <= start <= end):
        raise ValueError("not a span")
    return start, end


def _fits(d: Diagnostic, lines: LineIndex) -> bool:
    """Whether a cached diagnostic's positions and offsets lie inside the text and agree."""
    size = len(lines.text)
    if not 1 <= d.line <= d.end_line <= lines.line_count:
        return False
    if not (0 <= d.column <= len(lines.line_text(d.line))):
        return False
    if not (0 <= d.end_column <= len(lines.line_text(d.end_line))):
        return False
    if d.line == d.end_line and d.end_column < d.column:
        return False
    if d.start_offset != lines.line_start(d.line) + d.column:
        return False
    ranges = [d.secret] if d.secret is not None else []
    if d.fix is not None:
        ranges += [(edit.start, edit.end) for edit in d.fix.edits]
    return all(end <= size for _, end in ranges)


def _read_json(path: Path | None) -> dict:
    if path is None or not path.is_file():
        return {}
    with contextlib.suppress(OSError, ValueError, RecursionError):
        loaded = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(loaded, dict):
            return loaded
    return {}


def _write_json(path: Path, document: dict) -> None:
    # dumps, not dump: only a one-shot encode uses the C encoder (several times faster)
    _write_bytes(path, json.dumps(document, separators=(",", ":")).encode())


def _write_bytes(path: Path, data: bytes | list[bytes]) -> None:
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        mark_cache_folder(path.parent)
        # A name no other writer has (O_EXCL), as `tempfile.mkstemp` makes, without importing
        # tempfile (with shutil, random, bz2 and lzma: 5 ms of a run that edited one file).
        temporary = f"{path}.{os.urandom(6).hex()}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        handle = os.open(temporary, flags | getattr(os, "O_BINARY", 0), 0o600)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.writelines([data] if isinstance(data, bytes) else data)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):  # not left behind in the cache folder
                os.unlink(temporary)
            raise


class WalkCache:
    """The last walk of the project root, folder by folder (discovery.WalkMemo), for a walk with
    the same settings (`context`): `index` the index's walk, `run` a run's walk of the root."""

    def __init__(self, directory: Path | None, context: str, kind: str = "index") -> None:
        # The run's walk and the index's walk are kept apart: their settings differ.
        self.path = directory / f"walk-{kind}-{__version__}.json" if directory else None
        self.memo = WalkMemo(context, _read_json(self.path)) if self.path else None

    def save(self) -> None:
        if self.path is not None and self.memo is not None and self.memo.changed:
            _write_json(self.path, self.memo.document())


# The tag of https://bford.info/cachedir/ : backup tools skip a folder holding it.
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by fastapi-lint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


def mark_cache_folder(folder: Path) -> None:
    """Make a cache folder ignore itself in git and be known as a cache (as ruff's does)."""
    gitignore = folder / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("# Automatically created by fastapi-lint.\n*\n", encoding="utf-8")
    tag = folder / "CACHEDIR.TAG"
    if not tag.exists():
        tag.write_text(_CACHEDIR_TAG, encoding="utf-8")


FALLBACK_ENTRIES = 2000


class FallbackCache(_Store):
    """How each file the running `ast` rejected was lowered, or why it could not be, by content.

    LibCST is slow (DESIGN.md principle 1), so its outcome is kept like any parse. The outcome
    depends on the running Python (what its `ast` reads), which is part of the file name.
    """

    def __init__(self, directory: Path | None) -> None:
        running = f"{sys.version_info[0]}{sys.version_info[1]}"
        super().__init__(
            directory / f"fallback-{__version__}-py{running}.json" if directory else None
        )

    def get(self, text: str) -> list | None:
        key = content_hash(text.encode("utf-8", "surrogatepass"))
        entry = self.entries.pop(key, None)
        if not isinstance(entry, list) or not entry:
            return None
        self.entries[key] = entry  # most recently used last: trimming keeps it
        self._use(key)
        return entry

    def put(self, text: str, entry: list) -> None:
        key = content_hash(text.encode("utf-8", "surrogatepass"))
        self.entries.pop(key, None)
        self.entries[key] = entry
        self._use(key)
        self.changed = True

    def save(self) -> None:
        # Keyed by content, old versions of edited files pile up: keep the recent ones.
        if len(self.entries) > FALLBACK_ENTRIES:
            # By the write that last used them, then (a stable sort) by use within one run.
            recent = sorted(self.entries, key=lambda key: self.used.get(key, 0))
            self.entries = {key: self.entries[key] for key in recent[-FALLBACK_ENTRIES:]}
        super().save()
