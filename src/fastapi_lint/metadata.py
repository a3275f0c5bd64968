"""What a pyproject's `[project]` table says about the code: the oldest Python it must run on
(`requires-python`) and the Pydantic major it depends on (`dependencies`).

Both are PEP 440 / PEP 508 text, read with `packaging` (a plain `name[extras] specifiers`
requirement is split here: `packaging.requirements` imports much more, for markers and URLs,
and is asked only for those). A specifier is a set of versions, not a
pattern: `~=3.11`, `>=3.11.4,<4` and `==3.11.*` all start at 3.11; `pydantic>=1.10,<3` admits
both majors. To ask "which majors (or minors) does it admit?" without enumerating every release,
each candidate range is probed at its edges and at the versions the specifier itself names (and
their neighbours), which is where a specifier's answer can change. The commonest specifiers,
`>=` and `<` clauses on plain releases (`pydantic>=2`, `>=3.11`), are an interval of releases,
read here without `packaging` (its import and the expressions it compiles: 15 ms of each run).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from fastapi_lint import lazy_re

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

PYDANTIC_MAJORS = (1, 2)
_LAST = 999  # a component above any real one: 3.11.999 stands for "the last 3.11"


def oldest_python(requires_python: Any) -> tuple[int, int] | None:
    """The lowest 3.x that `requires-python` admits; None when it sets no lower bound."""
    admits = _admits_of(requires_python)
    if admits is None:
        return None
    for minor in range(0, 100):
        if admits((3, minor)):
            # Admitting 3.0 means there is no lower bound: leave the default.
            return (3, minor) if minor > 0 else None
    return None


def pydantic_major(dependencies: Any) -> int | None:
    """1 or 2 when the `pydantic` requirement admits only that major, else None.

    None also for `pydantic>=1.10,<3` (both majors): "auto" then looks at the code, as when
    pydantic is not declared at all.
    """
    if not isinstance(dependencies, list):
        return None
    majors: set[int] = set()
    for item in dependencies:
        requirement = _requirement(item)
        if requirement is None or canonical_name(requirement[0]) != "pydantic":
            continue
        majors.update(major for major in PYDANTIC_MAJORS if requirement[1]((major,)))
    return majors.pop() if len(majors) == 1 else None


def _admits_of(specifier: Any) -> Callable[[tuple[int, ...]], bool] | None:
    """Whether a specifier's text admits a final release starting with a prefix; None for
    anything that is not a specifier."""
    interval = _interval(specifier) if isinstance(specifier, str) else None
    if interval is not None:
        return partial(_interval_admits, interval)
    from packaging.specifiers import SpecifierSet

    parsed = _parsed(SpecifierSet, specifier)
    return partial(_admits_some, parsed) if parsed is not None else None


_BOUND = lazy_re.compile(r"\s*(>=|<)\s*([0-9]+(?:\.[0-9]+)*)\s*")
Interval = tuple[tuple[int, ...], "tuple[int, ...] | None"]  # [lowest, below) releases


def _trimmed(release: tuple[int, ...]) -> tuple[int, ...]:
    """A release without its trailing zeros: such tuples compare as PEP 440 releases do."""
    while release and release[-1] == 0:
        release = release[:-1]
    return release


def _interval(specifier: str) -> Interval | None:
    """The releases `specifier` admits when it is only `>=` and `<` clauses on plain releases
    (none: every release), else None (`packaging` reads it)."""
    low: tuple[int, ...] = ()
    high: tuple[int, ...] | None = None
    if not specifier.strip():
        return low, high
    for clause in specifier.split(","):
        bound = _BOUND.fullmatch(clause)
        if bound is None:
            return None
        release = _trimmed(tuple(int(part) for part in bound.group(2).split(".")))
        if bound.group(1) == ">=":
            low = max(low, release)
        else:
            high = release if high is None else min(high, release)
    return low, high


def _interval_admits(interval: Interval, prefix: tuple[int, ...]) -> bool:
    """Whether a final release starting with `prefix` lies in the interval: the lowest such
    release it holds, if any, is max(its lowest, the prefix's first)."""
    low, high = interval
    start = max(low, _trimmed(prefix))
    end = _trimmed((*prefix[:-1], prefix[-1] + 1))
    if high is not None:
        end = min(end, high)
    return start < end


def canonical_name(name: str) -> str:
    """A project name as PEP 503 compares it: case and runs of `-_.` do not matter."""
    return re.sub(r"[-_.]+", "-", name).lower()


_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_CLAUSE = r"(?:~=|==|!=|<=|>=|<|>)\s*[0-9][0-9A-Za-z.*+!-]*"
# `name`, `name[extra, ...]`, then specifiers: what most requirements are, split here.
_PLAIN = lazy_re.compile(
    rf"\s*({_NAME})\s*(?:\[\s*{_NAME}(?:\s*,\s*{_NAME})*\s*\])?"
    rf"\s*({_CLAUSE}(?:\s*,\s*{_CLAUSE})*)?\s*"
)


def _requirement(value: Any) -> tuple[str, Callable[[tuple[int, ...]], bool]] | None:
    """(name, `_admits_of` its specifier) of a PEP 508 requirement, or None for anything that
    is not one."""
    if not isinstance(value, str):
        return None
    plain = _PLAIN.fullmatch(value)
    if plain is None:  # markers, a URL, parentheses: `packaging` reads the rest
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            requirement = Requirement(value)
        except InvalidRequirement:
            return None
        return requirement.name, partial(_admits_some, requirement.specifier)
    admits = _admits_of(plain.group(2) or "")
    return (plain.group(1), admits) if admits is not None else None


def _admits_some(specifier: SpecifierSet, prefix: tuple[int, ...]) -> bool:
    """Whether `specifier` admits a final release whose version starts with `prefix`."""
    return any(
        specifier.contains(candidate)
        for candidate in _probes(specifier, prefix)
        if candidate.release[: len(prefix)] == prefix
    )


def _probes(specifier: SpecifierSet, prefix: tuple[int, ...]) -> Iterable[Version]:
    """Versions where the answer can change; some fall outside `prefix` (`<2` -> 1.999)."""
    from packaging.version import InvalidVersion, Version

    yield _version((*prefix, 0))
    yield _version((*prefix, _LAST, _LAST))
    for clause in specifier:
        try:
            named = Version(clause.version.rstrip(".*")).release
        except InvalidVersion:
            continue
        yield _version(named)
        yield _version((*named, 1))
        yield _version((*named[:-1], named[-1] + 1))
        if named[-1] > 0:
            yield _version((*named[:-1], named[-1] - 1, _LAST))


def _version(release: tuple[int, ...]) -> Version:
    from packaging.version import Version

    return Version(".".join(str(part) for part in release))


def _parsed(kind: Callable[[str], Any], value: Any) -> Any:
    """`kind(value)` (a SpecifierSet, a Requirement), or None for anything that is not one."""
    from packaging.specifiers import InvalidSpecifier

    if not isinstance(value, str):
        return None
    try:
        return kind(value)
    except InvalidSpecifier:
        return None


def pep440_from_poetry(spec: str) -> str | None:
    """Poetry's constraint syntax as a PEP 440 specifier: `^2.5` -> `>=2.5,<3`, `~1.10` ->
    `>=1.10,<1.11`, `2.*` -> `==2.*`, `*` -> no constraint; PEP 440 clauses pass through.
    None for what is neither (`||` alternatives included)."""
    from packaging.specifiers import SpecifierSet
    from packaging.version import InvalidVersion, Version

    clauses = []
    for part in spec.replace(" ", "").split(","):
        if part in ("", "*"):
            continue
        if part.startswith(("^", "~")) and not part.startswith("~="):
            try:
                release = Version(part[1:]).release
            except InvalidVersion:
                return None
            clauses.append(f">={part[1:]}")
            clauses.append(f"<{_poetry_upper(part[0], release)}")
        elif part[0].isdigit():
            clauses.append(f"=={part}")
        else:
            clauses.append(part)
    return ",".join(clauses) if _parsed(SpecifierSet, ",".join(clauses)) is not None else None


def _poetry_upper(operator: str, release: tuple[int, ...]) -> str:
    """`^` bumps the leftmost non-zero component; `~` the minor (the major if only that)."""
    if operator == "^":
        index = next((i for i, part in enumerate(release) if part), len(release) - 1)
    else:
        index = 1 if len(release) > 1 else 0
    return _version((*release[:index], release[index] + 1)).public
