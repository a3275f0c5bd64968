"""flake8 -> engine -> (line, col, "FAL301 message", type): a thin adapter, entry point `FAL`.

flake8 decides a plugin's kind from its `__init__` parameters, so `tree` is accepted, but the
file is parsed by our own path (the same text, the same diagnostics as the CLI). Under flake8,
flake8 handles `# noqa`, select and ignore (the plugin itself honours a `# noqa` listing another
linter's twin code, as the CLI does): every rule that is on by default runs, with the rule
options of the file's project (found as the CLI finds it, see projects.py). The project index is
built once per process and project, from the cache, so cross-module facts and module names agree
with the CLI. The plugin produces no fixes.
"""

from __future__ import annotations

import ast
import atexit
import contextlib
import sys
from collections.abc import Iterator
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from fastapi_lint import __version__, parsing
from fastapi_lint.cache import FallbackCache, cache_folder, chosen_cache_dir
from fastapi_lint.config import ConfigError, Settings
from fastapi_lint.diagnostics import INTERNAL_ERROR, INVALID_SYNTAX
from fastapi_lint.engine import Linter, LintResult, module_facts
from fastapi_lint.parsing import parse
from fastapi_lint.projects import Project, Projects
from fastapi_lint.source import normalize_newlines
from fastapi_lint.suppression import without_equivalent_noqa


def _all_default_rules(settings: Settings) -> Settings:
    # flake8 selects and ignores codes itself: run every rule that is on by default.
    return replace(settings, select=("FAL",), extend_select=(), ignore=())


_PROJECTS = Projects(adjust=_all_default_rules)


# The paths flake8 was given. Files of no project (no pyproject.toml or .git above them) are
# indexed together with the other such files under these paths, as `fastapi-lint check <paths>`
# indexes them: a helper module's facts do not depend on which file flake8 reads first.
_GIVEN: list[Path] = []


def _cache_folder(project: Project) -> Path | None:
    """As the CLI's: files of no project use the current folder's."""
    return cache_folder(project.root, chosen_cache_dir(None, _PROJECTS.settings(project).cache_dir))


def _rootless_files() -> list[Path]:
    from fastapi_lint.discovery import discover

    found = discover(_GIVEN, _PROJECTS.discovery_excluder(), force_exclude=True, root=None)
    return [path for path in found.files if _PROJECTS.project_of(path.resolve()).root is None]


@lru_cache(maxsize=16)
def _fallback_cache(folder: Path | None):
    """Each project's lowered newer-syntax files are cached in its own cache folder."""
    if folder is None:
        return parsing.NO_CACHE
    cache = FallbackCache(folder)
    atexit.register(cache.save)
    return cache


@lru_cache(maxsize=16)
def _said(message: str) -> None:
    """Print a message once per process (flake8's worker processes may each say it once)."""
    print(f"fastapi-lint: {message}", file=sys.stderr)


@lru_cache(maxsize=16)
def _linter(project: Project) -> Linter:
    """One project index per project, built on first use."""
    from fastapi_lint.runner import blind_spots, index_project

    settings = _PROJECTS.settings(project)
    folder = _cache_folder(project)
    parsing.fallback_cache = _fallback_cache(folder)
    files = _rootless_files() if project.root is None and _GIVEN else []
    index = index_project(project, _PROJECTS, folder, settings.max_file_size, files)
    for warning in blind_spots(index):
        _said(f"warning: {warning}")
    return Linter(settings, index)


def _lint(linter: Linter, filename: str, text: str, primary: str, package: str) -> LintResult:
    """Lint a file, which the index learns first when it is outside the indexed project (no
    project root): its own classes and routers are found as in a run."""
    tree = parse(text, filename)
    facts = None
    if isinstance(tree, ast.Module) and primary not in linter.index.modules:
        with contextlib.suppress(RecursionError):  # its lint reports it (FAL001)
            facts = module_facts(tree, primary, package, linter.index)
            linter.index.add(facts, [primary])
    return linter.lint(filename, text, primary, package, tree, facts)


class Flake8Plugin:
    name = "fastapi-lint"
    version = __version__

    @staticmethod
    def parse_options(options) -> None:
        """flake8 hands every plugin its options once per process: the paths it was given."""
        names = options.filenames or ["."]  # flake8's default: the current folder
        # standard input alone indexes no other file, as `fastapi-lint check -` does
        _GIVEN[:] = [Path(name) for name in names if name != "-"]

    def __init__(self, tree: object, filename: str, lines: list[str]) -> None:
        self.filename = filename
        self.lines = lines

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        path = Path(self.filename if self.filename not in ("stdin", "-") else "stdin.py")
        path = path.resolve()
        project = _PROJECTS.project_of(path)
        text = normalize_newlines("".join(self.lines)).lstrip("\ufeff")
        try:
            primary, package, _ = _PROJECTS.module_names(path, project)
            linter = _linter(project)
        except ConfigError as error:
            # Broken settings check nothing: reported on each file, so flake8 fails instead
            # of passing silently.
            message = f"{INTERNAL_ERROR} settings cannot be used, nothing was checked: {error}"
            yield 1, 0, message, type(self)
            return
        parsing.fallback_cache = _fallback_cache(_cache_folder(project))
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > linter.settings.max_file_size:
            from fastapi_lint.runner import too_large

            message = f"{INVALID_SYNTAX} {too_large(size, linter.settings.max_file_size)}"
            yield 1, 0, message, type(self)
            return
        result = _lint(linter, self.filename, text, primary, package)
        for diagnostic in without_equivalent_noqa(result.diagnostics, text):
            if diagnostic.code == INVALID_SYNTAX:
                continue  # flake8 reports syntax errors itself (E999)
            message = f"{diagnostic.code} {diagnostic.message}"
            yield diagnostic.line, diagnostic.column, message, type(self)
