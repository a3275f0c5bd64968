"""The Pydantic major a project depends on, from every file next to its pyproject.toml that says.

Declared dependencies come first, in this order, and the first that admits one major only
decides: `[project] dependencies`, Poetry's `[tool.poetry.dependencies]` (then its groups and
`dev-dependencies`), `[project.optional-dependencies]`, PEP 735 `[dependency-groups]`,
`[tool.pdm.dev-dependencies]`, `[tool.uv] dev-dependencies`, `requirements*.txt` (with their
`-r` includes, one level) and `setup.cfg`'s `install_requires`. Only then the locked version of
`uv.lock`, `poetry.lock` or `pdm.lock`. A file that cannot be read or parsed says nothing: these
files belong to other tools, so they never fail a run.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi_lint import lazy_re

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

LOCK_FILES = ("uv.lock", "poetry.lock", "pdm.lock")


def project_pydantic(folder: Path, document: dict[str, Any]) -> int | None:
    """1 or 2 when the project's dependencies (else its lock file) settle the major, else None.

    `document` is the project's pyproject.toml, `folder` the folder holding it.
    """
    for requirements in _declared(folder, document):
        named = [item for item in requirements if _names_pydantic(item)]
        if not named:
            continue  # (no requirement to parse: `packaging` is not even imported)
        from fastapi_lint.metadata import pydantic_major

        major = pydantic_major(named)
        if major is not None:
            return major
    return locked_pydantic(folder)


# A PEP 508 requirement starts with its name; `pydantic` has no separator to normalise.
_NAME = lazy_re.compile(r"\s*([A-Za-z0-9._-]+)")


def _names_pydantic(requirement: str) -> bool:
    """Whether a requirement may be pydantic's (what `packaging` could read as one passes)."""
    name = _NAME.match(requirement)
    return name is not None and name.group(1).lower() == "pydantic"


def _declared(folder: Path, document: dict[str, Any]) -> Iterator[list[str]]:
    """Lists of PEP 508 requirements, in the order they are asked."""
    project = _table(document, "project")
    tool = _table(document, "tool")
    yield _strings(project.get("dependencies"))
    yield from _poetry(_table(tool, "poetry"))
    for extra in _table(project, "optional-dependencies").values():
        yield _strings(extra)
    for group in _table(document, "dependency-groups").values():
        yield _strings(group)  # `{include-group = ...}` entries are not requirements
    for group in _table(_table(tool, "pdm"), "dev-dependencies").values():
        yield _strings(group)
    yield _strings(_table(tool, "uv").get("dev-dependencies"))
    for path in sorted(folder.glob("requirements*.txt")):
        yield requirements_file(path)
    yield _setup_cfg(folder / "setup.cfg")


def _poetry(poetry: dict[str, Any]) -> Iterator[list[str]]:
    """Poetry's dependency tables (main, groups, legacy dev), as PEP 508 requirements."""
    tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
    tables[1:1] = [_table(group, "dependencies") for group in _table(poetry, "group").values()]
    if not any(isinstance(table, dict) and table for table in tables):
        return
    from fastapi_lint.metadata import pep440_from_poetry  # (packaging)

    for table in tables:
        if not isinstance(table, dict):
            continue
        requirements = []
        for name, spec in table.items():
            if isinstance(spec, dict):
                spec = spec.get("version")
            specifier = pep440_from_poetry(spec) if isinstance(spec, str) else None
            if specifier is not None:
                requirements.append(f"{name}{specifier}")
        yield requirements


def requirements_file(path: Path, *, include: bool = True) -> list[str]:
    """The requirements of a pip requirements file; `-r other.txt` includes (one level, relative
    to the file) with `include`. Options, editable and URL lines are not requirements."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    found: list[str] = []
    for line in text.replace("\\\n", " ").splitlines():
        line = line.split(" #", 1)[0].strip()
        if line.startswith(("-r ", "--requirement ", "--requirement=")):
            if include:
                name = line.split("=", 1)[1] if "=" in line else line.split(None, 1)[1]
                found += requirements_file(path.parent / name.strip(), include=False)
        elif line and not line.startswith(("-", "#")):
            found.append(line.split(" --", 1)[0])  # per-requirement options (`--hash=...`)
    return found


def _setup_cfg(path: Path) -> list[str]:
    if not path.is_file():
        return []
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
        value = parser.get("options", "install_requires", fallback="")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return []
    lines = (line.strip() for line in value.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def locked_pydantic(folder: Path) -> int | None:
    """The major of the pydantic version the first lock file next to the project pins."""
    for name in LOCK_FILES:
        path = folder / name
        if not path.is_file():
            continue
        from fastapi_lint.metadata import canonical_name

        document: dict[str, Any] = {}
        with (
            contextlib.suppress(OSError, tomllib.TOMLDecodeError, UnicodeDecodeError),
            path.open("rb") as handle,
        ):
            document = tomllib.load(handle)
        packages = document.get("package")
        majors = {
            _major(package.get("version"))
            for package in (packages if isinstance(packages, list) else [])
            if isinstance(package, dict)
            and isinstance(package.get("name"), str)
            and canonical_name(package["name"]) == "pydantic"
        }
        majors.discard(None)
        if len(majors) == 1:
            return majors.pop()
    return None


def _major(version: Any) -> int | None:
    if not isinstance(version, str):
        return None
    from packaging.version import InvalidVersion, Version

    from fastapi_lint.metadata import PYDANTIC_MAJORS

    try:
        major = Version(version).major
    except InvalidVersion:
        return None
    return major if major in PYDANTIC_MAJORS else None


def _table(document: Any, key: str) -> dict[str, Any]:
    value = document.get(key) if isinstance(document, dict) else None
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
