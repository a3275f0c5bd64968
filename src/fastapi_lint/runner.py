"""One run: discover files, build the project index, lint, suppress, fix, and write.

The stages are the modules named in DESIGN.md; this module only wires them together. A cold run
parses each file once: trees parsed for the index are kept for the files being checked.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import gc
import multiprocessing
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi_lint import parsing
from fastapi_lint.add_noqa import add_noqa
from fastapi_lint.cache import (
    FallbackCache,
    IndexCache,
    ResultsCache,
    cache_folder,
    chosen_cache_dir,
    content_hash,
    stamp_of,
)
from fastapi_lint.config import DEFAULT_MAX_FILE_SIZE, Settings
from fastapi_lint.diagnostics import Diagnostic
from fastapi_lint.diffs import safe_unified_diff, without_secret_fixes
from fastapi_lint.discovery import Discovery, Excluder, discover
from fastapi_lint.engine import Linter
from fastapi_lint.fingerprints import fingerprints
from fastapi_lint.fix_imports import first_party_modules
from fastapi_lint.fixes import fix_text
from fastapi_lint.parsing import TOO_DEEP, SyntaxProblem, parse
from fastapi_lint.projects import Project, Projects
from fastapi_lint.redaction import Span, secret_spans
from fastapi_lint.results import FileReport, RunResult
from fastapi_lint.semantic.facts import ModuleFacts, extract
from fastapi_lint.semantic.index import ProjectIndex
from fastapi_lint.source import DecodeError, SourceFile
from fastapi_lint.suppression import per_file_ignored, suppress
from fastapi_lint.writing import NotWritten, replace_file


@dataclass
class Options:
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False
    force_exclude: bool = False
    use_cache: bool = True
    cache_dir: Path | None = None  # `--cache-dir`: above the setting and the environment
    stdin_filename: str | None = None
    baseline: frozenset[str] = frozenset()  # fingerprints of findings not to report
    add_noqa: bool = False
    progress: Callable[[int, int], None] | None = None  # (files done, files in all)


@dataclass
class _Loaded:
    path: Path
    data: bytes | None = None
    source: SourceFile | None = None
    tree: ast.Module | SyntaxProblem | None = None
    error: Diagnostic | None = None
    digest: str = ""  # of the file's bytes
    stamp: tuple[int, int] | None = None  # (size, mtime) when read, unless modified just now
    module: tuple[str, str] | None = None  # (module name, package), set before it is checked


def run(
    paths: list[Path],
    settings: Settings,
    options: Options,
    *,
    base: Path,
    stdin_text: str | None = None,
    projects: Projects | None = None,
) -> RunResult:
    """Check `paths` (or stdin); `base` anchors exclude patterns (the config file's folder).

    `projects` gives each file its project's settings (hierarchical configuration); without it
    `settings` check every file.
    """
    # Millions of AST nodes are alive at once (trees are kept between the index and the lint
    # pass); they hold no reference cycles, so the cycle collector only rescans them over and
    # over: measured, it more than doubled a cold run. Reference counting still frees them.
    collecting = gc.isenabled()
    gc.disable()
    global _resolved, _relative
    _resolved, _relative = {}, {}
    try:
        return _run(paths, settings, options, base=base, stdin_text=stdin_text, projects=projects)
    finally:
        _resolved = _relative = None
        parsing.fallback_cache = parsing.NO_CACHE
        if collecting:
            gc.enable()


# Each path resolved once per run (a warm run resolved each file's path eight times, a quarter
# of its time), and made relative to its base once; outside `run` (the language server, the
# flake8 plugin) nothing is remembered.
_resolved: dict[Path, Path] | None = None
_relative: dict[tuple[Path, Path], str] | None = None


def _known_resolved(real: dict[Path, Path]) -> None:
    """The paths discovery resolved on its walk, and what they resolve to (the index loads
    files by their resolved paths): not resolved again."""
    if _resolved is not None:
        _resolved.update(real)
        _resolved.update((resolved, resolved) for resolved in real.values())


def _resolve(path: Path) -> Path:
    if _resolved is None:
        return path.resolve()
    found = _resolved.get(path)
    if found is None:
        found = _resolved[path] = path.resolve()
    return found


def _run(
    paths: list[Path],
    settings: Settings,
    options: Options,
    *,
    base: Path,
    stdin_text: str | None,
    projects: Projects | None,
) -> RunResult:
    # Without hierarchical settings (`--config`, `--isolated`, the tests) one configuration
    # checks every file; the projects still decide the index and the module names.
    projects = projects or Projects(fixed=(settings, base))
    if options.diff:
        options = dataclasses.replace(options, use_cache=False)  # --diff writes nothing
    if stdin_text is not None:
        name = Path(options.stdin_filename or "-")
        anchor = name.resolve().parent if options.stdin_filename else Path.cwd()
    else:
        anchor = _common_parent(paths)
    root = _project_root(anchor)
    if projects.fixed is None:
        excluder = projects.discovery_excluder()
    else:
        excluder = Excluder(settings.exclude + settings.extend_exclude, base)

    if stdin_text is not None:
        if options.force_exclude and options.stdin_filename and excluder.excluded(name, False):
            return RunResult([FileReport(path=str(name), source_text=stdin_text)])
        report, warnings = _check_stdin(name, stdin_text, projects, options)
        return RunResult([report], warnings)

    found = discover(paths, excluder, force_exclude=options.force_exclude, root=root)
    _known_resolved(found.real)
    result = RunResult()
    for path, message in found.errors:
        report = FileReport(path=path)
        report.diagnostics.append(_file_error(path, message))
        result.files.append(report)
    lint_files = found.files
    groups: dict[Project, list[Path]] = {}
    for path in lint_files:
        groups.setdefault(projects.project_of(_resolve(path)), []).append(path)
    reports: dict[Path, FileReport] = {}
    done = 0
    walked = _whole_project_walk(paths, root, found, groups)
    for project, files in groups.items():
        checked, warnings = _check_project(
            project, files, projects, _counting(options, done, lint_files), walked
        )
        result.warnings.extend(warnings)
        reports.update(zip(files, checked, strict=True))
        done += len(files)
    result.files.extend(reports[path] for path in lint_files)
    return result


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _whole_project_walk(
    paths: list[Path], root: Path | None, found: Discovery, groups: dict[Project, list[Path]]
) -> Discovery | None:
    """The run's walk when it walked the root of the one project it found files of: the same
    walk the index makes (its nested projects, if any, hold none of the files), not made
    twice."""
    if root is None or len(paths) != 1 or len(groups) != 1 or _real(paths[0]) != root:
        return None
    (project,) = groups
    return found if project.root == root else None


def _counting(options: Options, done: int, files: list[Path]) -> Options:
    """Options whose progress counts one project's files as part of the whole run."""
    shown = options.progress
    if shown is None:
        return options
    return dataclasses.replace(options, progress=lambda count, _: shown(done + count, len(files)))


def _check_project(
    project: Project,
    files: list[Path],
    projects: Projects,
    options: Options,
    walked: Discovery | None = None,
) -> tuple[list[FileReport], list[str]]:
    """Check one project's files with its settings, against its own project index; also the
    warnings about modules the index could not read. `walked`: the project's walk, if the
    run made it."""
    settings, base = projects.settings(project), projects.base(project)
    folder = _cache_folder(project, settings, options)
    _use_fallback_cache(folder)
    index, loaded = build_index(
        project, projects, files, folder, max_file_size=settings.max_file_size, walked=walked
    )
    linter = Linter(settings, index)
    results = ResultsCache(folder, base, index)
    items = [
        loaded.pop(_resolve(path), None) or _load(path, settings.max_file_size) for path in files
    ]
    for item in items:
        if item.module is None:
            item.module = projects.module_names(_resolve(item.path), project)[:2]
    reports = _check_all(items, linter, settings, options, base, results)
    results.save()
    parsing.fallback_cache.save()
    return reports, blind_spots(index, files)


def _cache_folder(project: Project, settings: Settings, options: Options) -> Path | None:
    """The project's cache folder (files of no project: the current folder's), or None."""
    if not options.use_cache:
        return None
    return cache_folder(project.root, chosen_cache_dir(options.cache_dir, settings.cache_dir))


def _use_fallback_cache(folder: Path | None) -> None:
    """Lowered newer-syntax files are cached by content in the project's cache folder."""
    parsing.fallback_cache = FallbackCache(folder) if folder is not None else parsing.NO_CACHE


def _check_stdin(
    name: Path, text: str, projects: Projects, options: Options
) -> tuple[FileReport, list[str]]:
    project = projects.project_of(name.resolve())
    settings = projects.settings(project)
    too_big = _too_large_text(text, settings, options)
    if too_big is not None:
        return too_big, []
    folder = _cache_folder(project, settings, options)
    _use_fallback_cache(folder)
    index, _ = build_index(project, projects, [], folder, max_file_size=settings.max_file_size)
    return check_text(name, text, projects, options, index)


def check_text(
    name: Path, text: str, projects: Projects, options: Options, index: ProjectIndex
) -> tuple[FileReport, list[str]]:
    """Check unsaved text standing for the file `name` against its project's `index` (the
    language server keeps one warm); the index learns the text's own facts."""
    project = projects.project_of(name.resolve())
    settings, base = projects.settings(project), projects.base(project)
    too_big = _too_large_text(text, settings, options)
    if too_big is not None:
        return too_big, []
    source = SourceFile(text=text.replace("\r\n", "\n"))
    item = _Loaded(name, source=source, tree=parse(source.text, str(name)))
    primary, package, names = projects.module_names(name.resolve(), project)
    item.module = (primary, package)
    if isinstance(item.tree, ast.Module):  # not on disk: the index learns it from the text
        with contextlib.suppress(RecursionError):  # its lint reports it (FAL001)
            index.add(extract(item.tree, primary, package), names)
            index.expand_stars()
    report = _check(item, Linter(settings, index), settings, options, base, stdin=True)
    parsing.fallback_cache.save()
    # The text checked stands for the file on disk: what is on disk is not a blind spot.
    return report, blind_spots(index, [name])


def _too_large_text(text: str, settings: Settings, options: Options) -> FileReport | None:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size <= settings.max_file_size:
        return None
    report = FileReport(path=options.stdin_filename or "-")
    report.diagnostics.append(_file_error(report.path, too_large(size, settings.max_file_size)))
    return report


def _check_all(items, linter, settings, options, base, results) -> list[FileReport]:
    """Check every file: cached results first, then the rest, in worker processes if many."""
    reports: list[FileReport | None] = [None] * len(items)
    keys: list[str | None] = [None] * len(items)
    pending: list[int] = []
    plain_check = not (options.fix or options.diff or options.add_noqa)
    settings_key = settings.cache_key()
    for position, item in enumerate(items):
        if plain_check and results.path is not None and item.digest:
            keys[position] = ResultsCache.key(item.digest, settings_key)
            text = item.source.text if item.source is not None else ""
            cached = results.get(_relative_to(item.path, base), keys[position], text)
            if cached is not None:
                reports[position] = _check(
                    item, linter, settings, options, base, stdin=False, cached=cached
                )
                continue
        pending.append(position)

    def checked(position: int, report: FileReport) -> None:
        reports[position] = report
        key = keys[position]
        if key is not None and not any(d.code == "FAL002" for d in report.raw):
            results.put(report.key_path, key, report.raw, report.source_text, report.queries)

    done = len(items) - len(pending)
    jobs = _jobs(len(pending)) if plain_check else 1
    if jobs > 1:
        global _SHARED
        _SHARED = (items, linter, settings, options, base)
        context = multiprocessing.get_context("fork")
        with context.Pool(jobs) as pool:
            chunk = max(1, len(pending) // (jobs * 8))
            for position, report in pool.imap_unordered(_check_shared, pending, chunk):
                checked(position, report)
                done += 1
                if options.progress is not None:
                    options.progress(done, len(items))
        _SHARED = None
    else:
        for position in pending:
            report = _check(items[position], linter, settings, options, base, stdin=False)
            checked(position, report)
            done += 1
            if options.progress is not None:
                options.progress(done, len(items))
    return [report for report in reports if report is not None]


# What forked workers read (copy-on-write): the loaded files, their trees and the linter.
_SHARED: tuple | None = None
PARALLEL_THRESHOLD = 48  # files: below this, starting processes costs more than it saves


def _jobs(pending: int) -> int:
    configured = os.environ.get("FASTAPI_LINT_JOBS")
    if configured and configured.isdigit():
        wanted = int(configured)
    elif pending < PARALLEL_THRESHOLD:
        return 1
    else:
        wanted = min(os.cpu_count() or 1, 8)
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(wanted, pending))


def _check_shared(position: int) -> tuple[int, FileReport]:
    items, linter, settings, options, base = _SHARED
    quiet = dataclasses.replace(options, progress=None)
    return position, _check(items[position], linter, settings, quiet, base, stdin=False)


def _common_parent(paths: list[Path]) -> Path:
    # realpath, not resolve(): a symlink loop must reach discovery, which reports it.
    resolved = [_real(path) for path in paths] or [Path.cwd()]
    parents = [path if path.is_dir() else path.parent for path in resolved]
    return Path(os.path.commonpath([str(path) for path in parents]))


def _project_root(anchor: Path) -> Path | None:
    from fastapi_lint.config import find_project_root

    return find_project_root(anchor)


# -- the project index ---------------------------------------------------------------------------
def build_index(
    project: Project,
    projects: Projects,
    lint_files: list[Path],
    cache_dir: Path | None,
    *,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    walked: Discovery | None = None,
) -> tuple[ProjectIndex, dict[Path, _Loaded]]:
    """Index every module of the project (or only the checked files when there is no root).

    A module whose size and modification time are those cached with its facts is not read at
    all: a pre-commit run on three files of a large project reads those three. A project
    nested inside this one (a folder with its own settings) is not part of it, and the walk
    does not enter it. Modules nothing can read are listed in `index.unreadable`: the
    index is blind to them. `walked` is a walk of the project's root the run already made.
    """
    index = ProjectIndex()
    root = project.root
    wanted = {_resolve(path) for path in lint_files}
    if root is not None:
        walk = projects.own_files(project)  # nested projects are pruned from the walk
        if walked is None or walk.excluded(root, True):
            walked = discover([root], walk, force_exclude=True, root=root)
            _known_resolved(walked.real)
        project_paths = set(walked.real.values()) | wanted
    else:
        project_paths = set(wanted)
    cache = IndexCache(cache_dir, root)
    kept: dict[Path, _Loaded] = {}
    prints: list[str] = []  # what the index knows of each module, for the results cache key
    for path in sorted(project_paths):
        key = _cache_key(path, root)
        primary, package, names = projects.module_names(path, project)
        if path not in wanted:
            facts = _unchanged_facts(cache, key, path, primary, max_file_size)
            if facts is not None:
                index.add(facts, names)
                prints.append(f"{primary}:{cache.facts_digest(key)}")
                continue
        item = _load(path, max_file_size)
        if path in wanted:
            kept[path] = item
        if item.data is None:
            index.unreadable.append((path, item.error.message))
            continue
        item.module = (primary, package)
        digest = item.digest
        facts = cache.get(key, digest, primary, item.stamp)
        if facts is None:
            if item.source is None:
                index.unreadable.append((path, item.error.message))
                continue
            if item.tree is None:
                item.tree = parse(item.source.text, str(path))
            if isinstance(item.tree, SyntaxProblem):
                problem = item.tree
                where = f"line {problem.line}: " if problem.line > 1 else ""
                index.unreadable.append((path, where + problem.message))
                continue
            try:
                facts = extract(item.tree, primary, package)
            except RecursionError:  # valid but absurdly deep code
                index.unreadable.append((path, TOO_DEEP.message))
                continue
            cache.put(key, digest, facts, item.stamp)
        if path not in wanted:
            item.tree = None  # not checked: do not hold its tree
        index.add(facts, names)
        prints.append(f"{primary}:{cache.facts_digest(key)}")
    cache.save()
    index.expand_stars()
    index.digest = content_hash("\n".join(sorted(prints)).encode("utf-8", "surrogateescape"))
    return index, kept


def _unchanged_facts(
    cache: IndexCache, key: str, path: Path, module: str, max_file_size: int
) -> ModuleFacts | None:
    """The cached facts of a module unchanged since they were stored, found without reading it."""
    if cache.path is None:
        return None
    try:
        status = path.stat()
    except OSError:
        return None  # reading it says why
    stamp = stamp_of(status)
    if stamp is None or status.st_size > max_file_size:
        return None
    return cache.unchanged(key, stamp, module)


def _cache_key(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return str(path)


def blind_spots(index: ProjectIndex, checked: list[Path] = ()) -> list[str]:
    """One warning per project module the index could not read; the checked files among them
    are not repeated (their FAL001 says it)."""
    reported = {_resolve(path) for path in checked}
    return [
        f"{display_path(path)}: cannot be read ({why}); findings that rely on what it defines "
        "(sessions, routers, models, dependencies) may be missing"
        for path, why in index.unreadable
        if path not in reported
    ]


def _load(path: Path, max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> _Loaded:
    item = _Loaded(path)
    try:
        status = path.stat()
        size = status.st_size
        if size > max_file_size:
            item.error = _file_error(str(path), too_large(size, max_file_size))
            return item
        item.data = path.read_bytes()
    except OSError as exc:
        item.error = _file_error(str(path), f"cannot read the file: {exc.strerror or exc}")
        return item
    item.digest = content_hash(item.data)
    item.stamp = stamp_of(status)
    try:
        item.source = SourceFile.decode(item.data)
    except DecodeError as exc:
        item.error = _file_error(str(path), exc.message, exc.line, exc.column - 1)
    return item


def too_large(size: int, limit: int) -> str:
    return (
        f"file too large to analyse ({size / 1048576:.1f} MB; `max-file-size` is "
        f"{limit / 1048576:.1f} MB)"
    )


def _file_error(path: str, message: str, line: int = 1, column: int = 0) -> Diagnostic:
    return Diagnostic(
        code="FAL001",
        name="invalid-syntax",
        message=message,
        line=line,
        column=column,
        end_line=line,
        end_column=column,
        path=path,
    )


# -- one file -------------------------------------------------------------------------------
def _check(
    item: _Loaded,
    linter: Linter,
    settings: Settings,
    options: Options,
    base: Path,
    *,
    stdin: bool,
    cached: list[Diagnostic] | None = None,
) -> FileReport:
    shown = display_path(item.path) if not stdin else (options.stdin_filename or "-")
    key = _relative_to(item.path, base) if not stdin else shown
    report = FileReport(path=shown, key_path=key)
    if item.error is not None or item.source is None:
        error = item.error or _file_error(shown, "cannot read the file")
        error.path = shown
        report.diagnostics.append(error)
        return report
    source = item.source
    report.source_text = source.text
    primary, package = item.module
    ignored = per_file_ignored(_relative_to(item.path, base), settings.per_file_ignores)
    secrets_of: dict[str, list[Span]] = {}  # text linted -> its secrets, for --diff

    def lint(text: str, tree=None, reuse: list[Diagnostic] | None = None) -> list[Diagnostic]:
        if reuse is None:
            linted = linter.lint(shown, text, primary, package, tree)
            found, report.queries = linted.diagnostics, linted.queries
        else:
            found = reuse
            for diagnostic in found:
                diagnostic.path = shown
        report.raw = found
        report.secrets = secrets_of[text] = secret_spans(found)
        kept, silenced = suppress(found, text, ignored)
        report.silenced = silenced
        if options.baseline:
            prints = fingerprints(key, kept, text, secrets_of[text])
            new = [d for d, p in zip(kept, prints, strict=True) if p not in options.baseline]
            report.baselined = len(kept) - len(new)
            kept = new
        return kept

    if options.add_noqa:
        report.diagnostics = lint(source.text, item.tree)
        text, report.noqa_added, report.noqa_skipped = add_noqa(source.text, report.diagnostics)
        if text != source.text:
            try:
                replace_file(item.path, source.with_text(text).encode(), item.data)
            except (NotWritten, OSError, UnicodeEncodeError) as exc:
                report.problems.append(_not_written(exc, "cannot write the file"))
                report.noqa_added = 0
        return report
    if not (options.fix or options.diff):
        report.diagnostics = lint(source.text, item.tree, cached)
        return report

    def lint_for_diff(text: str) -> list[Diagnostic]:  # only fixes that show no secret
        return without_secret_fixes(lint(text), text, secrets_of[text], report.left_out)

    first_party = first_party_modules(item.path, primary)
    outcome = fix_text(
        source.text,
        lint_for_diff if options.diff else lint,
        options.unsafe_fixes or settings.unsafe_fixes,  # the file's own project may allow them
        first_party,
    )
    report.diagnostics = outcome.diagnostics
    report.fixed = outcome.fixed
    report.problems = outcome.problems
    if outcome.text == source.text:
        if stdin and options.fix:
            report.fixed_text = source.text
        return report
    if options.diff:
        path = shown if stdin else Path(os.path.relpath(item.path)).as_posix()
        report.diff, left_out = safe_unified_diff(
            path,
            source.text,
            outcome.text,
            secrets_of[source.text],
            secrets_of[outcome.text],
            source.newline,
            source.bom,
        )
        report.left_out.extend(left_out)
    elif stdin:
        report.fixed_text = outcome.text
    else:
        try:
            replace_file(item.path, source.with_text(outcome.text).encode(), item.data)
        except (NotWritten, OSError, UnicodeEncodeError) as exc:
            report.problems.append(_not_written(exc, "cannot write the fixed file"))
            report.fixed = {}
            report.diagnostics = lint(source.text)
            return report
    report.source_text = outcome.text
    return report


def _not_written(exc: Exception, failure: str) -> str:
    """Why a file was not written: left alone on purpose (read-only, edited) or a failure."""
    return str(exc) if isinstance(exc, NotWritten) else f"{failure}: {exc}"


def _relative_to(path: Path, base: Path) -> str:
    known = _relative.get((path, base)) if _relative is not None else None
    if known is None:
        try:
            known = _resolve(path).relative_to(base).as_posix()
        except ValueError:
            known = path.as_posix()
        if _relative is not None:
            _relative[path, base] = known
    return known


def display_path(path: Path) -> str:
    try:
        return _resolve(path).relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)
