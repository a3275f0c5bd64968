"""Which project a file belongs to, which settings check it, and the module name it is imported by.

The answers depend on where the file lies, never on the paths the run was given, so a file gets
the same findings from a run on the repository, on a sub-folder or on the file alone.

A file's *project* is found by walking up from its folder:
1. the first folder whose `pyproject.toml` has a `[tool.fastapi-lint]`, `[project]` or
   `[tool.poetry]` table: that file's settings check the file, and the folder is the project root;
2. else the nearest folder with a `.git` or any other `pyproject.toml`: the project root, checked
   with the default settings (the walk stops at a `.git`: settings above a repository are not its)
   and the Pydantic major its dependency files declare (dependencies.py);
3. else no project: the file is indexed alone (or with the other loose files of the run).
Each project has its own project index: two backends in one repository never see each other's
modules, even when both have a top-level package `app`.

A file's *module name* is its path below an import root, dotted. The import roots of a project
are its `src` setting (folders relative to its pyproject.toml, like ruff's `src`), by default the
project root and its `src/` folder; the deepest one holding the file wins. Below it, a regular
package is named from its `__init__.py` chain: a folder that holds a package (the folder above the
highest folder with an `__init__.py`) is an import root too, and an import root that is itself a
package (`src/__init__.py`) is named by its own chain (`src.app`). Folders without `__init__.py`
(namespace packages) are plain path parts. Every answer is cached per folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi_lint.config import ConfigError, Settings, load, read_toml
from fastapi_lint.resolving import present

if TYPE_CHECKING:
    from fastapi_lint.discovery import Excluder

PYPROJECT = "pyproject.toml"


@dataclass(frozen=True)
class Project:
    root: Path | None  # the folder whose modules form one project index
    config: Path | None  # the pyproject.toml whose settings check its files (None: defaults)


class Projects:
    """Project, settings and module names of files, cached per folder and per settings file.

    `fixed` (settings, base) checks every file with one configuration (`--config`, `--isolated`,
    the tests); otherwise each project's own file is loaded and `adjust` applies the command
    line's overrides to it.
    """

    def __init__(
        self,
        fixed: tuple[Settings, Path] | None = None,
        adjust: Callable[[Settings], Settings] | None = None,
    ) -> None:
        self.fixed = fixed
        self.adjust = adjust
        self._projects: dict[Path, Project] = {}
        self._folders: dict[str, Project] = {}  # `project_of`'s, by the folder's text
        self._import_roots: dict[Path, Path] = {}
        self._folder_names: dict[tuple, tuple[tuple[str, ...], list[tuple[str, ...]]]] = {}
        self._has_init: dict[Path, bool] = {}
        self._names_in: dict[Project, dict[str, tuple]] = {}  # folder -> its modules' prefixes
        self._names_of: tuple[Project | None, dict[str, tuple]] = (None, {})  # the last asked
        self._settings: dict[Path | None, Settings] = {}
        self._layouts: dict[Project, tuple[Path, ...]] = {}
        self._excluders: dict[Project, Excluder] = {}

    # -- projects ------------------------------------------------------------------------------
    def project_of(self, path: Path) -> Project:
        """The project of a file (give it resolved)."""
        # By the folder's text: pathlib's `parent` and a new path's hash, for every file of a
        # run, cost more than the rest.
        folder = str(path).rpartition(os.sep)[0]
        project = self._folders.get(folder) if folder else None
        if project is None:
            project = self.project_at(path.parent)
            if folder:
                self._folders[folder] = project
        return project

    def project_at(self, folder: Path) -> Project:
        """The project of the files in a folder (give it resolved)."""
        cached = self._projects.get(folder)
        if cached is not None:
            return cached
        sys.audit("fastapi_lint.marks", folder)  # its pyproject.toml and .git decide (memo.py)
        marker = _marker(folder)
        if marker == "config":
            project = Project(folder, folder / PYPROJECT)
        elif present(folder / ".git"):
            project = Project(folder, None)  # a repository's top: nothing above is its own
        elif folder.parent == folder:
            project = Project(folder if marker else None, None)
        else:
            above = self.project_at(folder.parent)
            # A plain pyproject.toml (only other tools' tables) marks a root when no settings
            # file lies above: the nearest one is the root, as before settings were hierarchical.
            project = Project(folder, None) if marker and above.config is None else above
        self._projects[folder] = project
        return project

    def settings(self, project: Project) -> Settings:
        if self.fixed is not None:
            return self.fixed[0]
        # Projects without settings share the defaults, but each its own dependencies.
        key = project.config or project.root
        if key not in self._settings:
            settings = load(project.config)
            if project.config is None and project.root is not None:
                settings = _with_dependencies(settings, project.root)
            self._settings[key] = self.adjust(settings) if self.adjust else settings
        return self._settings[key]

    def base(self, project: Project) -> Path:
        """The folder exclude patterns and per-file-ignores of the project are relative to."""
        if self.fixed is not None:
            return self.fixed[1]
        if project.config is not None:
            return project.config.parent
        return project.root or Path.cwd().resolve()

    def excluder(self, project: Project) -> Excluder:
        """The project's exclude patterns, relative to its base."""
        if project not in self._excluders:
            from fastapi_lint.discovery import Excluder  # (pathspec: runs that walk or match)

            settings = self.settings(project)
            patterns = settings.exclude + settings.extend_exclude
            self._excluders[project] = Excluder(patterns, self.base(project))
        return self._excluders[project]

    def discovery_excluder(self) -> _ProjectExcludes:
        """What a run's walk skips: each path judged by the excludes of its own project (a
        parent project's patterns do not reach into a project nested in it)."""
        return _ProjectExcludes(self)

    def own_files(self, project: Project) -> _OwnFiles:
        """What walking the project for its index skips: its excludes and nested projects."""
        return _OwnFiles(self, project)

    # -- module names --------------------------------------------------------------------------
    def module_names(
        self, path: Path, project: Project | None = None
    ) -> tuple[str, str, list[str]]:
        """(module name, its package, the names it is indexed by) of a file (give it resolved)."""
        project = project or self.project_of(path)
        # By string: pathlib's `parent` and `stem` cost more than the rest, for every module.
        folder, _, name = str(path).rpartition(os.sep)
        dot = name.rfind(".")
        stem = name[:dot] if 0 < dot < len(name) - 1 else name
        if project is self._names_of[0]:  # a run asks for one project's modules in a row
            known = self._names_of[1]
        else:  # (hashing a project hashes its paths: once per project, not per module)
            known = self._names_in.get(project)
            if known is None:
                known = self._names_in[project] = {}
            self._names_of = (project, known)
        found = known.get(folder)
        if found is None:
            own, below_others = self._folder_parts(path.parent, project)
            found = known[folder] = (_prefix(own, trim=True), [_prefix(p) for p in below_others])
        prefix, other_prefixes = found
        # Also the name below each other import root holding it (`src.app.main` next to
        # `app.main`, for code that imports through a namespace `src`): the index lets a
        # module's own name win over these.
        if stem == "__init__":  # a package's `__init__.py` is the package
            primary = package = prefix or stem
            others = other_prefixes
        else:
            if stem.isidentifier():
                primary = f"{prefix}.{stem}" if prefix else stem
                others = [
                    f"{other}.{stem}" if other else stem
                    for other in other_prefixes
                    if other is not None
                ]
            else:  # not importable by a dotted name: its stem names it alone
                primary, others = stem, []
            package = primary.rpartition(".")[0]
        if not others:  # (most projects: one import root holds the module)
            return primary, package, [primary]
        names = [primary, *(name for name in others if name and name != primary)]
        return primary, package, list(dict.fromkeys(names))

    def _folder_parts(
        self, folder: Path, project: Project
    ) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
        """The folder's parts below its import root, and below each other import root holding
        it: the same for every file of the folder, found once."""
        key = (folder, project)
        found = self._folder_names.get(key)
        if found is None:
            root = self._import_root(folder, project)
            others = [
                folder.relative_to(other).parts
                for other in self._layout(project)
                if other != root and _inside(folder, other)
            ]
            found = self._folder_names[key] = (folder.relative_to(root).parts, others)
        return found

    def _import_root(self, folder: Path, project: Project) -> Path:
        cached = self._import_roots.get(folder)
        if cached is not None:
            return cached
        layout = self._layout(project)
        holding = [root for root in layout if _inside(folder, root)]
        if holding:
            base = max(holding, key=lambda root: len(root.parts))
            top = None  # the highest package folder below the import root
            for ancestor in [folder, *folder.parents]:
                if ancestor == base:
                    # A root that is itself a package (`src/__init__.py`, code importing
                    # `src.app`; a repository that is a package) is named by its own chain.
                    while self._init(ancestor) and ancestor.parent != ancestor:
                        top, ancestor = ancestor, ancestor.parent
                    break
                if self._init(ancestor):
                    top = ancestor
            found = top.parent if top is not None else base
        else:  # outside every import root: the `__init__.py` chain alone names it
            found = folder
            while self._init(found) and found.parent != found:
                found = found.parent
        self._import_roots[folder] = found
        return found

    def _layout(self, project: Project) -> tuple[Path, ...]:
        """The project's import roots: its `src` setting, else its root and `root/src`."""
        if project not in self._layouts:
            if self.fixed is not None:  # the imposed file's `src` (none under --isolated)
                configured, base = self.fixed[0].src, self.fixed[1]
            elif project.config is not None:  # (its settings, loaded once: `adjust` keeps `src`)
                configured, base = self.settings(project).src, project.config.parent
            else:
                configured, base = (), project.root
            if project.root is None:
                # No project file or repository anywhere above: as ruff does, the current
                # folder is the import root (`app/models/users.py` is `app.models.users`).
                cwd = Path.cwd().resolve()
                roots: tuple[Path, ...] = (cwd, cwd / "src")
            elif configured:  # the root still holds what no `src` entry does (tests/, scripts/)
                roots = (*((base / entry).resolve() for entry in configured), project.root)
            else:
                roots = (project.root, project.root / "src")
            self._layouts[project] = roots
        return self._layouts[project]

    def _init(self, folder: Path) -> bool:
        cached = self._has_init.get(folder)
        if cached is None:
            sys.audit("fastapi_lint.init", folder)  # it decides module names (memo.py)
            cached = present(folder / "__init__.py", file=True)
            self._has_init[folder] = cached
        return cached


class _ProjectExcludes:
    """An excluder for `discover` that asks each path's own project (see discovery_excluder)."""

    def __init__(self, projects: Projects) -> None:
        self.projects = projects
        self._by_folder: dict[Path, Excluder] = {}

    def _for(self, path: Path, is_dir: bool) -> Excluder:
        # A folder is judged by its own project (a nested project's root by itself: it is
        # not excluded by the patterns of the project around it), a file by its folder's.
        folder = path if is_dir else path.parent
        excluder = self._by_folder.get(folder)
        if excluder is None:
            project = self.projects.project_at(folder.resolve())
            excluder = self._by_folder[folder] = self.projects.excluder(project)
        return excluder

    def excluded(self, path: Path, is_dir: bool) -> bool:
        return self._for(path, is_dir).excluded(path, is_dir)

    def excludes_itself(self, path: Path, is_dir: bool, real: Path | None = None) -> bool:
        return self._for(path, is_dir).excludes_itself(path, is_dir, real)


class _OwnFiles:
    """An excluder for `discover` that also prunes folders belonging to another project."""

    def __init__(self, projects: Projects, project: Project) -> None:
        self.projects = projects
        self.project = project
        self.patterns = projects.excluder(project)

    def excluded(self, path: Path, is_dir: bool) -> bool:
        return self.patterns.excluded(path, is_dir) or self._elsewhere(path, is_dir)

    def excludes_itself(self, path: Path, is_dir: bool, real: Path | None = None) -> bool:
        return self.patterns.excludes_itself(path, is_dir, real) or self._elsewhere(
            path, is_dir, real
        )

    def key(self) -> str:
        """What, beside the files, decides what the walk of the project finds."""
        project = self.project
        where = [str(project.root), str(project.config), str(self.patterns.base)]
        return json.dumps([where, list(self.patterns.lines)])

    def excludes_by_name(self, path: Path, is_dir: bool, real: Path | None = None) -> bool:
        return self.patterns.excludes_itself(path, is_dir, real)

    def _elsewhere(self, path: Path, is_dir: bool, real: Path | None = None) -> bool:
        return is_dir and self.projects.project_at(real or path.resolve()) != self.project


def _with_dependencies(settings: Settings, root: Path) -> Settings:
    """Default settings told the Pydantic major by the files of a project without settings
    (a plain pyproject.toml, requirements.txt, a lock file), as a project's own would be."""
    from fastapi_lint.dependencies import project_pydantic

    document: dict = {}
    with contextlib.suppress(ConfigError):
        document = read_toml(root / PYPROJECT) if present(root / PYPROJECT, file=True) else {}
    major = project_pydantic(root, document)
    return replace(settings, pydantic_version=major) if major is not None else settings


def _marker(folder: Path) -> str | None:
    """`config` for a pyproject.toml with settings or metadata, `plain` for another, else None.

    A file that cannot be read counts as settings: loading it then says what is wrong with it
    (and `--config` or `--isolated` runs, which never load it, are not stopped by it).
    """
    candidate = folder / PYPROJECT
    if not present(candidate, file=True):
        return None
    try:
        document = read_toml(candidate)
    except ConfigError:
        return "config"
    tool = document.get("tool", {})
    tool = tool if isinstance(tool, dict) else {}
    if "fastapi-lint" in tool or "poetry" in tool or "project" in document:
        return "config"
    return "plain"


def _prefix(folder: tuple[str, ...], *, trim: bool = False) -> str | None:
    """The dotted name of a folder's modules up to their own (`a.b` for `root/a/b/c.py`, folder
    parts `a`, `b` below the root), found once per folder.

    With `trim`, leading folders that cannot be imported (`my-app`) are dropped, what follows
    them can; without, such a folder gives its modules no name (None).
    """
    parts = list(folder)
    while trim and parts and not all(part.isidentifier() for part in parts):
        parts.pop(0)
    return ".".join(parts) if all(part.isidentifier() for part in parts) else None


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents
