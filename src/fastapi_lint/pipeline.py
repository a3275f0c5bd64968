"""One project's files through the index and the lint, each file read, parsed and its facts
extracted once, by the process that lints it.

Phase 1: each share of the files (a worker process's, or all of them in this process) reads,
parses and extracts the facts of its files; it keeps the trees of the files it will lint. The
parent assembles the project index (cached facts of unchanged modules, new facts, star imports)
and takes the results it has cached. Phase 2: each share lints its files whose results were not
cached, with the tree and the facts the index was built from (parsing then those it did not
parse in phase 1), and sends the reports. Trees never cross processes, and the parent does not
hold the trees of the workers' files. Workers divide the files as they go (`Claims`): each reads
the next file no other took, and one done with its lints takes those of files another worker has
not reached yet (reading them again), so no worker waits at a phase's end for a slower one.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import functools
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi_lint import resolving
from fastapi_lint.cache import (
    IndexCache,
    ResultsCache,
    Stamp,
    WalkCache,
    content_hash,
    stamp_of,
)
from fastapi_lint.checking import (
    Loaded,
    TextOf,
    check,
    display_path,
    from_cache,
    load,
    read_unread,
)
from fastapi_lint.config import Settings
from fastapi_lint.diagnostics import Diagnostic, has_internal_error
from fastapi_lint.discovery import Discovery, discover
from fastapi_lint.parsing import TOO_DEEP, SyntaxProblem, parse
from fastapi_lint.projects import Project, Projects
from fastapi_lint.results import FileReport, Rows, row_of
from fastapi_lint.semantic.facts import ModuleFacts, extract
from fastapi_lint.semantic.index import ProjectIndex

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from fastapi_lint.engine import Linter  # (imported by the runs that lint: `_linter`)

PARALLEL_THRESHOLD = 48  # files: below this, starting processes costs more than it saves
_READ, _ITEM, _READ_ALL, _REPORT, _DONE = "read", "item", "read-all", "report", "done"
# In a process that ends without freeing what it made (a worker; the console script:
# `memo.script`), the tree of each file linted is kept here, left to the exit, instead of being
# freed node by node once its report is made: a tenth of the CPU of a cold run's lint
# (0.25 s for the 454 files of the benchmark's libraries). None: trees are freed.
trees_left_to_exit: list | None = None


def leave_trees_to_exit(kept: list | None) -> None:
    """Keep the trees linted in `kept` (see `trees_left_to_exit`); None: free them."""
    global trees_left_to_exit
    trees_left_to_exit = kept


# -- what is read ---------------------------------------------------------------------------------
@dataclass
class Plan:
    """What the index of one project needs read, decided in the parent before reading."""

    root: Path | None
    cache: IndexCache
    max_file_size: int
    paths: list[Path]  # every module of the index (resolved), in the order it is built
    wanted: set[Path]  # the files checked (resolved)
    names: dict[Path, tuple[str, str, list[str]]]  # (module, package, names it is indexed by)
    known: dict[Path, ModuleFacts] = field(default_factory=dict)  # found by stamp, unread
    stamps: dict[Path, tuple[int, int]] = field(default_factory=dict)  # the stamps they had
    sizes: dict[Path, int] = field(default_factory=dict)  # of the files to read
    keys: dict[Path, str] = field(default_factory=dict)  # each module's index cache key

    def key(self, path: Path) -> str:
        key = self.keys.get(path)
        if key is None:
            key = self.keys[path] = _cache_key(path, self.root)
        return key

    @functools.cached_property
    def slots(self) -> dict[Path, int]:
        """Each module's position in `paths`: what workers send instead of a path, which is
        rebuilt from its parts when unpickled (thousands of times in a large project)."""
        return {path: slot for slot, path in enumerate(self.paths)}

    @property
    def to_read(self) -> list[Path]:
        return [path for path in self.paths if path in self.wanted or path not in self.known]

    @property
    def cold(self) -> int:
        """How many files to read may have to be parsed for their facts."""
        return sum(1 for path in self.paths if path not in self.known)


def plan(
    project: Project,
    projects: Projects,
    lint_files: list[Path],
    cache_dir: Path | None,
    max_file_size: int,
    walked: Discovery | None = None,
) -> Plan:
    """Every module of the project (or only the checked files when there is no root).

    A module whose size and modification time are those cached with its facts is not read at
    all: a pre-commit run on three files of a large project reads those three. A project
    nested inside this one (a folder with its own settings) is not part of it, and the walk
    does not enter it. `walked` is a walk of the project's root the run already made.
    """
    root = project.root
    wanted = {resolving.resolve(path) for path in lint_files}
    if root is not None:
        walk = projects.own_files(project)  # nested projects are pruned from the walk
        if walked is None or walk.excluded(root, True):
            walks = WalkCache(cache_dir, walk.key())
            walked = discover([root], walk, force_exclude=True, root=root, memo=walks.memo)
            walks.save()
            resolving.known(walked.real)
        project_paths = set(walked.real.values()) | wanted
    else:
        project_paths = set(wanted)
    cache = IndexCache(cache_dir, root)
    made = Plan(root, cache, max_file_size, _in_order(project_paths), wanted, {})
    now = time.time_ns()  # (before any file is looked at: a file changed since is fresh)
    for path in made.paths:
        made.names[path] = names = projects.module_names(path, project)
        try:
            status = path.stat()
        except OSError:
            continue  # reading it says why
        stamp = stamp_of(status, now)
        facts = _unchanged_facts(made, path, names[0], status.st_size, stamp)
        if facts is not None:
            made.known[path] = facts
            made.stamps[path] = stamp
        if facts is None or path in wanted:
            made.sizes[path] = status.st_size
    return made


def _in_order(paths: set[Path]) -> list[Path]:
    """Paths in pathlib's order; on POSIX by their parts, the same order without pathlib's
    comparisons (a tenth of the plan of 2,000 modules): the text with each separator made a
    NUL, which sorts before any character of a part, compares as the list of parts does (the
    paths are normalised; pathlib's `parts`, or splitting, costs more)."""
    if os.name == "posix":
        return sorted(paths, key=lambda path: str(path).replace("/", "\0"))
    return sorted(paths)


def _unchanged_facts(
    made: Plan, path: Path, module: str, size: int, stamp: Stamp | None
) -> ModuleFacts | None:
    """The cached facts of a module unchanged since they were stored, found without reading it."""
    if made.cache.path is None or stamp is None or size > made.max_file_size:
        return None
    return made.cache.unchanged(made.key(path), stamp, module, lambda: _reread(made, path))


def _reread(made: Plan, path: Path) -> ModuleFacts:
    """The facts of a module from its file, for cached facts found damaged when first used
    (after the index was assembled: what the file holds, or none when it no longer parses)."""
    primary, package, _ = made.names[path]
    source = load(path, made.max_file_size).source
    tree = parse(source.text, str(path)) if source is not None else None
    if isinstance(tree, ast.Module):
        with contextlib.suppress(RecursionError):
            return extract(tree, primary, package)
    return ModuleFacts(primary, package)


def _cache_key(path: Path, root: Path | None) -> str:
    """The path relative to the root, posix (by string: the paths are resolved, and pathlib's
    `relative_to` was a fifth of a warm pre-commit run)."""
    text = str(path)
    if root is not None:
        prefix = str(root).rstrip(os.sep) + os.sep
        if text.startswith(prefix):
            return text[len(prefix) :].replace(os.sep, "/")
    return text


@dataclass
class Read:
    """What reading one module tells the parent."""

    path: Path
    digest: str = ""
    stamp: Stamp | None = None
    facts: ModuleFacts | None = None
    cached: bool = False  # the facts come from the index cache (the parent notes the use)
    unreadable: str = ""  # why the index cannot read it
    item: Loaded | None = None  # a checked file: what its check needs


class Share:
    """The files one process reads and lints; it keeps the trees of those it will lint.
    `claims`: the files are shared with other workers, each taking the next one not taken
    (`paths` is then the order they are taken in)."""

    def __init__(
        self, made: Plan, paths: list[Path], defer: bool = False, claims: Claims | None = None
    ) -> None:
        self.plan = made
        self.paths = paths
        self.claims = claims
        self.kept: dict[Path, Loaded] = {}
        # Checked files unchanged since the index cached their facts are left unread: their
        # cached results may need no text (`_Reports`), which reads them otherwise.
        self.defer = defer

    def read(self) -> Iterator[Read]:
        if self.claims is None:
            for path in self.paths:
                yield self._read(path)
            return
        for number in self.claims:
            yield self._read(self.paths[number])

    def _read(self, path: Path) -> Read:
        made = self.plan
        if self.defer and path in made.wanted and path in made.known:
            item = Loaded(path, stamp=made.stamps[path], unread=True)
            item.module = made.names[path][:2]
            self.kept[path] = item
            return Read(path, stamp=item.stamp, item=item)  # its facts are the parent's
        item = load(path, made.max_file_size)
        read = Read(path, item.digest, item.stamp)
        if path in made.wanted:
            self.kept[path] = read.item = item
        if item.data is None:
            read.unreadable = item.error.message
            return read
        primary, package, _ = made.names[path]
        item.module = (primary, package)
        if path in made.known and item.stamp == made.stamps.get(path):
            return read  # its facts are the parent's already (unchanged since the walk)
        read.facts = made.cache.get(made.key(path), item.digest, primary, item.stamp)
        if read.facts is not None:
            read.cached = True
            return read
        if item.source is None:
            read.unreadable = item.error.message
            return read
        tree = parse(item.source.text, str(path))
        if path in made.wanted:
            item.tree = tree
        if isinstance(tree, SyntaxProblem):
            where = f"line {tree.line}: " if tree.line > 1 else ""
            read.unreadable = where + tree.message
            return read
        try:
            read.facts = extract(tree, primary, package)
        except RecursionError:  # valid but absurdly deep code
            read.unreadable = TOO_DEEP.message
            if path in made.wanted:
                item.tree = TOO_DEEP  # its check says so
        return read

    def borrow(self, path: Path, digest: str) -> bool:
        """Load a file another worker read, to lint it here; False when it changed since."""
        item = load(path, self.plan.max_file_size)
        if item.digest != digest or item.source is None:
            return False
        item.data = None  # as the files it read: only a fix writes, in one process
        item.module = self.plan.names[path][:2]
        self.kept[path] = item
        return True

    def lint(
        self,
        pending: list[tuple[int, Path]],
        linter: Linter,
        own: dict[Path, ModuleFacts],
        settings: Settings,
        options,
        base: Path,
    ) -> Iterator[tuple[int, FileReport]]:
        """Phase 2: the report of each pending (position, path) this share read."""
        for position, path in pending:
            item = self.kept[path]
            parsed_here = item.tree is None and item.error is None and item.source is not None
            if parsed_here:
                item.tree = parse(item.source.text, str(path))  # its facts were cached
            # (Not those of the index when read later, changed since: see `_Reports._cached`.)
            changed = path in self.plan.known and item.stamp != self.plan.stamps.get(path)
            item.facts = own.get(path) if not changed else None
            report = check(item, linter, settings, options, base, stdin=False)
            # (Only the trees alive since the read: those parsed here one at a time are freed,
            # or a run whose facts were all cached would hold every tree of the project.)
            if trees_left_to_exit is not None and not parsed_here:
                trees_left_to_exit.append(item.tree)
            item.tree = item.facts = None  # done with it
            yield position, report


# -- the index ----------------------------------------------------------------------------------
class Assembly:
    """The parent's side of phase 1: the index, put together from what the shares read."""

    def __init__(self, made: Plan) -> None:
        self.plan = made
        self.reads: dict[Path, Read] = {}

    def take(self, read: Read, by_worker: bool) -> None:
        """One module read (`by_worker`: in a worker, whose uses of the index cache are lost)."""
        made = self.plan
        self.reads[read.path] = read
        if read.facts is None or read.unreadable:
            return
        key = made.key(read.path)
        if not read.cached:
            made.cache.put(key, read.digest, read.facts, read.stamp)
        elif by_worker:
            made.cache.used_by(key, read.digest, read.stamp)

    def index(self, lint_only: bool = False) -> tuple[ProjectIndex, dict[Path, ModuleFacts]]:
        """The project index, and the facts of each checked file as its lint sees them.
        `lint_only`: a worker's copy, for its lints only (no digest, the cache left alone)."""
        made = self.plan
        index = ProjectIndex()
        own: dict[Path, ModuleFacts] = {}
        prints: list[str] = []  # what the index knows of each module, for the results cache key
        for path in made.paths:
            read = self.reads.get(path)
            if read is not None and read.unreadable:
                index.unreadable.append((path, read.unreadable))
                continue
            facts = read.facts if read is not None and read.facts else made.known.get(path)
            if facts is None:
                continue  # it vanished between the walk and the read
            primary, _, names = made.names[path]
            if path in made.wanted:
                own[path] = facts
            index.add(facts, names)
            if not lint_only:
                prints.append(f"{primary}:{made.cache.facts_digest(made.key(path))}")
        if not lint_only:
            # (Written before the facts are decoded below: an entry found damaged then is
            # dropped by the run's last write, and the next run stores it anew.)
            made.cache.save()
        index.expand_stars()
        own = {path: index.as_linted(facts) for path, facts in own.items()}
        if not lint_only:
            joined = "\n".join(sorted(prints)).encode("utf-8", "surrogateescape")
            index.digest = content_hash(joined)
        return index, own


def build_index(
    made: Plan, defer: bool = False
) -> tuple[ProjectIndex, dict[Path, ModuleFacts], Share]:
    """Phase 1 in this process (the language server, the flake8 plugin, small runs); `defer`:
    see `Share`."""
    share = Share(made, made.to_read, defer)
    assembly = Assembly(made)
    for read in share.read():
        assembly.take(read, by_worker=False)
    index, own = assembly.index()
    return index, own, share


# -- the results cache --------------------------------------------------------------------------
def results_key(item: Loaded, settings_key: str, digest: str | None = None) -> str:
    """Content (`item.digest`, or `digest`), settings and the file's module name (relative
    imports and the package's own evidence depend on it); the index answers the file relied on
    are checked on `get`."""
    primary, package = item.module
    content = item.digest if digest is None else digest
    return ResultsCache.key(content, f"{settings_key}\0{primary}\0{package}")


def cached_results(
    item: Loaded, key: str, results: ResultsCache, base: Path
) -> list[Diagnostic] | None:
    text = item.source.text if item.source is not None else ""
    return results.get(resolving.relative_to(item.path, base), key, text, item.stamp)


def unchanged_results(
    item: Loaded,
    settings_key: str,
    results: ResultsCache,
    base: Path,
    rows_only: bool = False,
    key_path: str | None = None,
) -> list[Diagnostic] | Rows | None:
    """The cached results of a file left unread whose stamp is the one stored with them (then
    `item.digest` is the content's); `rows_only`: as rows (results.py). `key_path`: the file's
    path relative to `base`, when the caller has it."""
    found = results.unchanged(
        resolving.relative_to(item.path, base) if key_path is None else key_path,
        item.stamp,
        lambda digest: results_key(item, settings_key, digest),
        rows_only,
    )
    if found is None:
        return None
    item.digest, diagnostics, item.by_comment = found
    return diagnostics


def store_results(
    report: FileReport, key: str | None, results: ResultsCache, item: Loaded | None = None
) -> None:
    """Store a report's results under `key`, with the stamp and digest of the `item` linted."""
    if key is not None and not has_internal_error(report.raw):
        stamp, digest = (item.stamp, item.digest) if item is not None else (None, "")
        results.put(
            *(report.key_path, key, report.raw, report.source_text, report.queries),
            *(stamp, digest, report.by_comment),
        )


# -- one project's run ----------------------------------------------------------------------------
@dataclass
class Checking:
    """What checking one project's files needs, in whichever process checks them."""

    plan: Plan
    files: list[Path]  # as given, in the order reports are returned
    settings: Settings
    options: object  # the runner's Options
    base: Path
    results: ResultsCache

    @property
    def plain(self) -> bool:
        return not (self.options.fix or self.options.diff or self.options.add_noqa)

    @property
    def caching(self) -> bool:
        """Whether the results of this check are cached (then each lint notes its queries)."""
        return self.plain and self.results.path is not None

    @property
    def rows_sent(self) -> bool:
        """Whether workers send their findings as rows (results.py): the run's outputs show
        no more, and it caches nothing (the cache stores whole diagnostics)."""
        return self.options.rows_only and not self.caching

    @property
    def quiet(self):
        """The options of a check in a worker (the parent shows the progress)."""
        return dataclasses.replace(self.options, progress=None)


class _Reports:
    """The reports of a project's files by position, taken from the cache or as they come."""

    def __init__(self, work: Checking, items: list[Loaded], index: ProjectIndex) -> None:
        self.work = work
        self.items = items
        self.reports: list[FileReport | None] = [None] * len(items)
        self.keys: list[str | None] = [None] * len(items)
        self.done = 0
        self.pending: list[tuple[int, Path]] = []  # (position, path) of the files to lint
        work.results.use_index(index)
        self.settings_key = work.settings.cache_key()  # once per project, not per file
        options = work.options
        unread_served = work.caching and not (options.baseline or options.fix_edits)
        for position, item in enumerate(items):
            if item.module is None:
                item.module = work.plan.names[item.path][:2]
            if item.unread and unread_served:
                report = self._unchanged(item)
                if report is not None:
                    self.reports[position] = report
                    self.done += 1
                    continue
            cached = self._cached(position, item)
            if cached is None:
                self.pending.append((position, item.path))
                continue
            report = check(
                item, None, work.settings, work.options, work.base, stdin=False, cached=cached
            )
            self.reports[position] = report
            self.done += 1
        self._progress()

    def _unchanged(self, item: Loaded) -> FileReport | None:
        """The report of a file left unread, from the results its stamp vouches for (most files
        of a warm run: what `check` does for them, without its steps for a lint)."""
        work = self.work
        key_path = resolving.relative_to(item.path, work.base)
        found = unchanged_results(
            item, self.settings_key, work.results, work.base, work.options.rows_only, key_path
        )
        if found is None:
            return None
        return from_cache(item, found, work.settings, display_path(item.path), key_path)

    def _cached(self, position: int, item: Loaded) -> list[Diagnostic] | Rows | None:
        work = self.work
        if item.unread:  # its text is needed after all (fingerprints, edits, a new lint)
            planned = item.stamp
            read_unread(item, work.plan.max_file_size)
            if item.stamp != planned:  # changed since the index took its facts: not cached
                return None
        if not (work.caching and item.digest):
            return None
        self.keys[position] = key = results_key(item, self.settings_key)
        return cached_results(item, key, work.results, work.base)

    def checked(self, position: int, report: FileReport) -> None:
        self.reports[position] = report
        store_results(report, self.keys[position], self.work.results, self.items[position])
        self.done += 1
        self._progress()

    def take(self, message: tuple) -> None:
        """A worker's message of phase 2."""
        if message[0] == _REPORT:
            _, position, report = message
            item = self.items[position]
            if not report.source_text:  # sent without it (`_send_reports`)
                if item.source is not None:
                    report.source_text = item.source.text
                elif item.error is None and item.digest:  # a rows run's (`_serve_share`)
                    report.source_text = TextOf(item.path, item.digest)  # (no output reads it)
            self.checked(position, report)
        else:
            from fastapi_lint.workers import replay_fallback  # (multiprocessing: when used)

            replay_fallback(message[1])

    def _progress(self) -> None:
        if self.work.options.progress is not None:
            self.work.options.progress(self.done, len(self.reports))

    def all(self) -> list[FileReport]:
        return [report for report in self.reports if report is not None]


def check_files(work: Checking) -> tuple[list[FileReport], ProjectIndex]:
    """The report of every file (in `work.files` order) and the index they were checked with."""
    jobs = jobs_for(work.plan.cold) if work.plain else 1
    if jobs > 1:
        return _in_workers(work, jobs)
    index, own, share = build_index(work.plan, defer=work.caching)
    made = _Reports(work, [share.kept[resolving.resolve(path)] for path in work.files], index)
    if not made.pending:  # every result cached: no rule is imported or made
        return made.all(), index
    linter = _linter(work, index)
    jobs = jobs_for(len(made.pending)) if work.plain else 1
    lint = (linter, own, work.settings, work.quiet, work.base)
    if jobs > 1:  # workers inherit the trees and the index: nothing is pickled to them
        from fastapi_lint.workers import Workers  # (multiprocessing: only runs that fork)

        parts = _balanced(made.pending, jobs, lambda entry: work.plan.sizes.get(entry[1], 0))

        def linting(part):
            return lambda connection: _send_reports(
                connection, share.lint(part, *lint), rows=work.rows_sent
            )

        with Workers([linting(part) for part in parts]) as workers:
            for _, message in workers.messages(_DONE):
                made.take(message)
    else:
        for position, report in share.lint(made.pending, *lint):
            made.checked(position, report)
    return made.all(), index


def _linter(work: Checking, index: ProjectIndex) -> Linter:
    """The linter of a project's files; the engine and the rules are imported by the runs that
    lint a file (a warm run takes every result from the cache)."""
    from fastapi_lint.engine import Linter

    return Linter(work.settings, index, record=work.caching)


def _send_reports(
    connection: Connection,
    reports: Iterator[tuple[int, FileReport]],
    recording=None,
    rows: bool = False,
) -> None:
    """A worker's phase 2: each report, then what it used of the lowering cache. `rows`: the
    findings go as rows (`Checking.rows_sent`), which the parent unpickles in a fraction of
    the time diagnostics take (18,000 findings of the benchmark's app)."""
    from fastapi_lint.workers import record_fallback

    recording = recording or record_fallback()
    leave_trees_to_exit([])  # a worker ends with `os._exit` (workers.py)
    for position, report in reports:
        # The parent has its text from the read (a rows run needs none: `_Reports.take`);
        # with secrets it is sent: outputs must mask them even if the file changes meanwhile.
        if not report.secrets:
            report.source_text = ""
        if rows:
            report.rows = Rows(row_of(d) for d in report.diagnostics)
            report.diagnostics, report.raw = [], []
        connection.send((_REPORT, position, report))
    connection.send((_DONE, recording.taken()))


def _in_workers(work: Checking, jobs: int) -> tuple[list[FileReport], ProjectIndex]:
    """Both phases in `jobs` forked workers, which divide the files as they go (`Claims`)."""
    import pickle

    from fastapi_lint.workers import Workers, replay_fallback

    made = work.plan

    def cost(path: Path) -> int:  # checked files cost a parse and a lint, other modules a parse
        return made.sizes.get(path, 0) * (3 if path in made.wanted else 1)

    # Taken one by one, the costliest first: the last ones taken are the cheapest.
    order = sorted(made.to_read, key=cost, reverse=True)
    try:
        claims = Claims(len(order))
        parts = [order] * jobs
    except (OSError, ImportError):  # no shared semaphores (no /dev/shm, no sem_open): fixed
        # shares, balanced by size
        claims = None
        parts = _balanced(made.to_read, jobs, cost)

    def serving(number: int, share: Share):
        return lambda connection: _serve_share(connection, number, share, work)

    assembly = Assembly(made)
    owner: dict[Path, int] = {}
    shares = [
        serving(number, Share(made, part, claims=claims)) for number, part in enumerate(parts)
    ]
    # Each worker assembles the index too, from its own reads and the others' (passed on as
    # they were received): it is never pickled whole, and the workers put it together while
    # the parent does, instead of waiting for its pickle.
    received: list[list[bytes]] = [[] for _ in shares]
    slots = made.slots  # (made before the workers fork: they inherit it)
    with Workers(shares) as workers:
        for number, message, data in workers.messages_and_bytes(_READ_ALL):
            if message[0] == _READ:
                _, slot, read, packed = message
                read.path = made.paths[slot]
                owner[read.path] = number
                received[number].append(data)
                # The parent's index serves the results cache (and says which modules could
                # not be read): without one, it needs no facts, and unpickles none.
                if packed is not None and work.caching:
                    read.facts = pickle.loads(packed)
                assembly.take(read, by_worker=True)
            elif message[0] == _ITEM:
                _, slot, item = message
                item.path = made.paths[slot]
                assembly.reads[item.path].item = item
            else:
                replay_fallback(message[1])
        index, _ = assembly.index()
        items = [assembly.reads[resolving.resolve(path)].item for path in work.files]
        reports = _Reports(work, items, index)
        todo: list[list[tuple[int, int]]] = [[] for _ in shares]  # (position, slot)
        for position, path in reports.pending:
            todo[owner[path]].append((position, slots[path]))
        for number in range(len(shares)):
            others = [
                data for other, reads in enumerate(received) if other != number for data in reads
            ]
            workers.send_bytes(number, pickle.dumps((todo, others), pickle.HIGHEST_PROTOCOL))
        for _, message in workers.messages(_DONE):
            reports.take(message)
    return reports.all(), index


class Claims:
    """What forked workers share to divide the work as they go, so that one meeting slower
    files (or less CPU) does fewer of them, where fixed shares wait for the slowest: the next
    file to read (each takes the next one when it is free), and which lints are taken (by
    position in the reading order)."""

    def __init__(self, count: int) -> None:
        import multiprocessing  # (only runs with workers need it: imported when they start)

        context = multiprocessing.get_context("fork")
        self.count = count
        self.taken = context.Value("q", 0)
        self.linted = context.Array("b", max(count, 1))

    def __iter__(self) -> Iterator[int]:
        taken = self.taken
        while True:
            with taken.get_lock():
                number = taken.value
                taken.value = number + 1
            if number >= self.count:
                return
            yield number

    def lint(self, number: int) -> bool:
        """Take the lint of the file at `number`: False when another worker took it."""
        linted = self.linted
        with linted.get_lock():
            if linted[number]:
                return False
            linted[number] = 1
            return True


def _serve_share(connection: Connection, number: int, share: Share, work: Checking) -> None:
    """A worker: phase 1 on its share, then phase 2 with the index the parent sends."""
    import pickle

    from fastapi_lint.workers import record_fallback

    recording = record_fallback()
    made = share.plan
    assembly = Assembly(made)
    for read in share.read():
        item, read.item = read.item, None
        # The facts go as a pickle of their own: the parent unpickles them only to cache them
        # (`_in_workers`), and passes the message on to the other workers as it came. The
        # path goes as its slot (`Plan.slots`).
        facts, read.facts = read.facts, None
        packed = pickle.dumps(facts, pickle.HIGHEST_PROTOCOL) if facts is not None else None
        path, read.path = read.path, None
        slot = made.slots[path]
        connection.send((_READ, slot, read, packed))
        read.path, read.facts = path, facts
        assembly.reads[path] = read
        if item is not None:
            item.data = None  # only a fix writes with it, and fixes run in one process
            # The parent needs what the check shows, not the tree; and the text unless the run
            # shows rows and caches nothing (`_Reports.take`): outputs, baselines and caches
            # must have the text that was linted, whatever happens to the file meanwhile.
            source = None if work.rows_sent else item.source
            sent = dataclasses.replace(item, path=None, tree=None, source=source)
            connection.send((_ITEM, slot, sent))
    connection.send((_READ_ALL, recording.taken()))
    # Its rules are imported while the parent assembles the index, not after.
    linter = _linter(work, ProjectIndex())
    linter.prepare()
    todo, others = pickle.loads(connection.recv_bytes())
    todo = [[(position, made.paths[slot]) for position, slot in part] for part in todo]
    for data in others:
        _, slot, read, packed = pickle.loads(data)
        read.path = made.paths[slot]
        read.facts = pickle.loads(packed) if packed is not None else None
        assembly.reads[read.path] = read
    index, own = assembly.index(lint_only=True)
    digests = {path: assembly.reads[path].digest for path in own if path in assembly.reads}
    linter.index = index
    lint = (linter, own, work.settings, work.quiet, work.base)
    if share.claims is None:
        reports = share.lint(todo[number], *lint)
    else:
        reports = _lint_shared(share, number, todo, digests, lint)
    _send_reports(connection, reports, recording, rows=work.rows_sent)


def _lint_shared(
    share: Share, number: int, todo: list[list[tuple[int, Path]]], digests: dict, lint: tuple
) -> Iterator[tuple[int, FileReport]]:
    """A worker's phase 2: the files it read (with their trees), then, when it is done first,
    those other workers have not reached yet, read again here, the cheapest first (the end of
    their lists). Each lint is taken once (`Claims.lint`)."""
    claims = share.claims
    slots = {path: slot for slot, path in enumerate(share.paths)}
    for position, path in todo[number]:
        if claims.lint(slots[path]):
            yield from share.lint([(position, path)], *lint)
    for other in todo[number + 1 :] + todo[:number]:
        for position, path in reversed(other):
            slot = slots[path]
            if path not in digests or claims.linted[slot]:
                continue  # its facts are unknown (the reader reports why), or it is taken
            if share.borrow(path, digests[path]) and claims.lint(slot):
                yield from share.lint([(position, path)], *lint)


def _balanced(entries: list, jobs: int, cost) -> list[list]:
    """`entries` in `jobs` parts of about equal cost (largest first to the lightest part),
    each in the order given."""
    loads = [0] * jobs
    chosen: dict[int, int] = {}
    order = sorted(range(len(entries)), key=lambda n: cost(entries[n]), reverse=True)
    for number in order:
        lightest = loads.index(min(loads))
        chosen[number] = lightest
        loads[lightest] += cost(entries[number]) + 1
    parts: list[list] = [[] for _ in range(jobs)]
    for number, entry in enumerate(entries):
        parts[chosen[number]].append(entry)
    return parts


def jobs_for(count: int) -> int:
    """How many processes to give `count` files (FASTAPI_LINT_JOBS, else the cores, up to 8)."""
    configured = os.environ.get("FASTAPI_LINT_JOBS")
    if configured and configured.isdigit():
        wanted = int(configured)
    elif count < PARALLEL_THRESHOLD:
        return 1
    else:
        wanted = min(os.cpu_count() or 1, 8)
    if wanted <= 1:
        return 1
    from fastapi_lint.workers import can_fork

    if not can_fork():
        return 1
    return max(1, min(wanted, count))
