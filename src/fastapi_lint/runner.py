"""One run: discover files, build the project index, lint, suppress, fix, and write.

The stages are the modules named in DESIGN.md; this module only wires them together: one
project's files go through `pipeline` (index and lint, each file parsed once, in worker processes
when there are many), one file's check is `checking`.
"""

from __future__ import annotations

import ast
import dataclasses
import gc
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi_lint import parsing, pipeline, resolving
from fastapi_lint.cache import (
    FallbackCache,
    ResultsCache,
    WalkCache,
    cache_folder,
    chosen_cache_dir,
)
from fastapi_lint.checking import Loaded, check, display_path, file_error, too_large
from fastapi_lint.config import DEFAULT_MAX_FILE_SIZE, Settings
from fastapi_lint.discovery import Discovery, Excluder, discover
from fastapi_lint.parsing import TOO_DEEP, parse
from fastapi_lint.projects import Project, Projects
from fastapi_lint.results import FileReport, RunResult
from fastapi_lint.semantic.facts import extract
from fastapi_lint.semantic.index import ProjectIndex
from fastapi_lint.source import SourceFile

if TYPE_CHECKING:
    from fastapi_lint.baseline import Baseline

__all__ = ["check_text", "display_path", "index_project", "run", "too_large"]


@dataclass
class Options:
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False
    force_exclude: bool = False
    use_cache: bool = True
    cache_dir: Path | None = None  # `--cache-dir`: above the setting and the environment
    stdin_filename: str | None = None
    baseline: Baseline | None = None  # findings not to report
    add_noqa: bool = False
    fix_edits: bool = False  # the output shows fixes' edits: make them final (fixes.py)
    # the outputs show no more than rows (results.py): cached findings are left as rows
    rows_only: bool = False
    progress: Callable[[int, int], None] | None = None  # (files done, files in all)


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
    try:
        with resolving.remembered():
            return _run(
                paths, settings, options, base=base, stdin_text=stdin_text, projects=projects
            )
    finally:
        parsing.fallback_cache = parsing.NO_CACHE
        if collecting:
            # What the run made lives until the output is written: moved out of the collector's
            # reach, or its first passes rescan it all (a tenth of a warm run of 2,000 files).
            gc.freeze()
            gc.enable()


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
        anchor = resolving.common_parent(paths)
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

    walks = _run_walk_cache(paths, root, projects, options, excluder)
    memo = walks.memo if walks is not None else None
    found = discover(paths, excluder, force_exclude=options.force_exclude, root=root, memo=memo)
    if walks is not None:
        walks.save()
    resolving.known(found.real)
    result = RunResult()
    for path, message in found.errors:
        report = FileReport(path=path)
        report.diagnostics.append(file_error(path, message))
        result.files.append(report)
    lint_files = found.files
    groups: dict[Project, list[Path]] = {}
    for path in lint_files:
        groups.setdefault(projects.project_of(resolving.resolve(path)), []).append(path)
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


def _run_walk_cache(
    paths: list[Path], root: Path | None, projects: Projects, options: Options, excluder
) -> WalkCache | None:
    """A run on its project's root remembers its walk (discovery.WalkMemo) in the project's
    cache folder, keyed by the exclude settings that decide it (a nested project's own are
    in its pyproject.toml, which the memo watches)."""
    if root is None or not options.use_cache or len(paths) != 1 or _real(paths[0]) != root:
        return None
    project = projects.project_at(root)
    folder = _cache_folder(project, projects.settings(project), options)
    if folder is None or project.root != root:
        return None
    patterns = excluder if isinstance(excluder, Excluder) else projects.excluder(project)
    context = [str(root), options.force_exclude, list(patterns.lines), str(patterns.base)]
    return WalkCache(folder, json.dumps(context), "run")


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
    warnings about modules the index could not read. `walked`: the project's walk, if the run
    made it."""
    settings, base = projects.settings(project), projects.base(project)
    folder = _cache_folder(project, settings, options)
    _use_fallback_cache(folder)
    made = pipeline.plan(project, projects, files, folder, settings.max_file_size, walked)
    # What the output depends on, and the stamps of those not read (memo.py).
    sys.audit("fastapi_lint.files", made.paths, made.stamps)
    results = ResultsCache(folder, base)
    work = pipeline.Checking(made, files, settings, options, base, results)
    reports, index = pipeline.check_files(work)
    results.save()
    # Saved when the index was made; saved again only if a lint found an entry damaged (it is
    # dropped then, and stored anew by the next run).
    made.cache.save()
    parsing.fallback_cache.save()
    return reports, blind_spots(index, files)


def _cache_folder(project: Project, settings: Settings, options: Options) -> Path | None:
    """The project's cache folder (files of no project: the current folder's), or None."""
    if not options.use_cache:
        return None
    folder = cache_folder(project.root, chosen_cache_dir(options.cache_dir, settings.cache_dir))
    sys.audit("fastapi_lint.cache", folder)  # (memo.py: the caches are not what a run reads)
    return folder


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
    index = index_project(project, projects, folder, settings.max_file_size)
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
    item = Loaded(name, source=source, tree=parse(source.text, str(name)))
    primary, package, names = projects.module_names(name.resolve(), project)
    item.module = (primary, package)
    if isinstance(item.tree, ast.Module):  # not on disk: the index learns it from the text
        try:
            facts = extract(item.tree, primary, package)
        except RecursionError:  # valid but absurdly deep code
            item.tree = TOO_DEEP  # its check reports it (FAL001)
        else:
            index.add(facts, names)
            index.expand_stars()
            item.facts = index.as_linted(facts)  # as in a run
    from fastapi_lint.engine import Linter  # (a warm run of files needs no rule: see pipeline)

    report = check(item, Linter(settings, index), settings, options, base, stdin=True)
    parsing.fallback_cache.save()
    # The text checked stands for the file on disk: what is on disk is not a blind spot.
    return report, blind_spots(index, [name])


def _too_large_text(text: str, settings: Settings, options: Options) -> FileReport | None:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size <= settings.max_file_size:
        return None
    report = FileReport(path=options.stdin_filename or "-")
    report.diagnostics.append(file_error(report.path, too_large(size, settings.max_file_size)))
    return report


def _project_root(anchor: Path) -> Path | None:
    from fastapi_lint.config import find_project_root

    return find_project_root(anchor)


# -- the project index ---------------------------------------------------------------------------
def index_project(
    project: Project,
    projects: Projects,
    cache_dir: Path | None,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    files: list[Path] = (),
) -> ProjectIndex:
    """The index of every module of the project, built in this process (the language server,
    the flake8 plugin and standard input, which check one text against it). A project with no
    root has no modules of its own: `files` are indexed as its modules.

    Modules nothing can read are listed in `index.unreadable`: the index is blind to them.
    """
    made = pipeline.plan(project, projects, list(files), cache_dir, max_file_size)
    return pipeline.build_index(made)[0]


def blind_spots(index: ProjectIndex, checked: list[Path] = ()) -> list[str]:
    """One warning per project module the index could not read; the checked files among them
    are not repeated (their FAL001 says it)."""
    reported = {resolving.resolve(path) for path in checked}
    return [
        f"{display_path(path)}: cannot be read ({why}); findings that rely on what it defines "
        "(sessions, routers, models, dependencies) may be missing"
        for path, why in index.unreadable
        if path not in reported
    ]
