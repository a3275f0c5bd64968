"""flake8 -> engine -> (line, col, "FAL301 message", type): a thin adapter, entry point `FAL`.

flake8 decides a plugin's kind from its `__init__` parameters, so `tree` is accepted, but the
file is parsed by our own path (the same text, the same diagnostics as the CLI). Under flake8,
flake8 handles `# noqa`, select and ignore: every rule that is on by default runs, with the rule
options of `[tool.fastapi-lint]`. The project index is built once per process and project root,
from the cache, so cross-module facts agree with the CLI. The plugin produces no fixes.
"""

from __future__ import annotations

import atexit
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from fastapi_lint import __version__, parsing
from fastapi_lint.cache import CACHE_DIR, FallbackCache
from fastapi_lint.config import Settings, find_config, find_project_root, load
from fastapi_lint.discovery import Excluder
from fastapi_lint.engine import Linter
from fastapi_lint.semantic.index import module_names
from fastapi_lint.source import normalize_newlines


@dataclass(frozen=True)
class _Project:
    root: Path | None
    linter: Linter


def _project(directory: Path) -> _Project:
    """The project a file belongs to: one index per project root and configuration."""
    config = find_config(directory)
    root = find_project_root(directory)
    return _project_for(root, config, directory if root is None and config is None else None)


@lru_cache(maxsize=16)
def _project_for(root: Path | None, config: Path | None, loose: Path | None) -> _Project:
    from fastapi_lint.runner import blind_spots, build_index

    settings = load(config) if config is not None else Settings()
    # flake8 selects and ignores codes itself: run every rule that is on by default.
    settings = replace(settings, select=("FAL",), extend_select=(), ignore=())
    base = config.parent if config is not None else (root or loose or Path.cwd())
    excluder = Excluder(settings.exclude + settings.extend_exclude, base)
    if root is not None and parsing.fallback_cache is parsing.NO_CACHE:
        parsing.fallback_cache = FallbackCache(root / CACHE_DIR)
        atexit.register(parsing.fallback_cache.save)
    index, _ = build_index(root, [], excluder, use_cache=True, max_file_size=settings.max_file_size)
    # Once per process and project (flake8's worker processes may each say it once).
    for warning in blind_spots(index):
        print(f"fastapi-lint: warning: {warning}", file=sys.stderr)
    return _Project(root, Linter(settings, index))


class Flake8Plugin:
    name = "fastapi-lint"
    version = __version__

    def __init__(self, tree: object, filename: str, lines: list[str]) -> None:
        self.filename = filename
        self.lines = lines

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        path = Path(self.filename if self.filename not in ("stdin", "-") else "stdin.py")
        from fastapi_lint.runner import too_large

        path = path.resolve()
        project = _project(path.parent)
        primary, package, _ = module_names(path, project.root)
        text = normalize_newlines("".join(self.lines)).lstrip("\ufeff")
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > project.linter.settings.max_file_size:
            message = too_large(size, project.linter.settings.max_file_size)
            yield 1, 0, f"FAL001 {message}", type(self)
            return
        result = project.linter.lint(self.filename, text, primary, package)
        for diagnostic in result.diagnostics:
            if diagnostic.code == "FAL001":
                continue  # flake8 reports syntax errors itself (E999)
            message = f"{diagnostic.code} {diagnostic.message}"
            yield diagnostic.line, diagnostic.column, message, type(self)
