"""`[tool.fastapi-lint]` in pyproject.toml -> frozen `Settings`.

An unknown key, a value of the wrong type or a broken TOML file is a `ConfigError` that names the
file and the key (and a close match, when there is one); the CLI turns it into exit status 2.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fastapi_lint import lazy_re
from fastapi_lint.resolving import present

DEFAULT_EXCLUDES = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".hg",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pytest_cache",
    ".ruff_cache",
    ".fastapi_lint_cache",
    ".svn",
    ".tox",
    ".venv",
    "__pypackages__",
    "__pycache__",
    "_build",
    "buck-out",
    "build",
    "dist",
    "env",
    "node_modules",
    "site-packages",
    "venv",
)
OUTPUT_FORMATS = ("concise", "full", "json", "json-lines", "sarif", "github", "junit", "gitlab")
_CODE_PREFIX = lazy_re.compile(r"^(ALL|FAL[0-9]{0,3})$")
_TARGET = lazy_re.compile(r"^py3(\d{1,2})$")
# Generous for hand-written code, finite so that a generated 100 MB file cannot eat the machine.
DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024
_SIZE = lazy_re.compile(r"^\s*(\d+)\s*(|B|KB|MB|GB)\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ("FAL",)
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDES
    extend_exclude: tuple[str, ...] = ()
    target_version: tuple[int, int] = (3, 10)
    unsafe_fixes: bool = False
    output_format: str = "concise"
    rule_options: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()
    session_names: tuple[str, ...] = ("db", "session", "db_session", "async_session")
    pydantic_version: int | str = "auto"  # 1, 2, or "auto": see rules/pydantic_v2.py
    src: tuple[str, ...] = ()  # import roots, relative to the pyproject.toml (projects.py)
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # bytes: larger files get FAL001, unread
    skip_generated: bool = True  # files marked generated get no findings (generated.py)
    cache_dir: Path | None = None  # `cache-dir`, resolved (cache.py: where caches live)
    config_path: Path | None = field(default=None, compare=False)

    # -- asking --------------------------------------------------------------------------------
    def enabled_codes(self) -> frozenset[str]:
        chosen = set()
        for rule in all_rules():
            if self._selected(rule.code, rule.default_enabled):
                chosen.add(rule.code)
        return frozenset(chosen)

    def _selected(self, code: str, default_enabled: bool) -> bool:
        picked = _longest_match(code, (*self.select, *self.extend_select))
        dropped = _longest_match(code, self.ignore)
        if picked < 0 or dropped >= picked:
            return False
        return default_enabled or picked > len("FAL")

    def rule_option(self, code: str, name: str) -> Any:
        for rule_code, options in self.rule_options:
            if rule_code == code:
                for key, value in options:
                    if key == name:
                        return value
        for option in all_rules_by_code()[code].options:
            if option.name == name:
                return option.default
        raise KeyError(f"{code} has no option {name!r}")

    def cache_key(self) -> str:
        unrelated = {"config_path": None, "cache_dir": None, "output_format": ""}
        return repr(replace(self, **unrelated, unsafe_fixes=False))


def _longest_match(code: str, prefixes: tuple[str, ...]) -> int:
    best = -1
    for prefix in prefixes:
        if prefix == "ALL":
            best = max(best, len("FAL"))
        elif code.startswith(prefix):
            best = max(best, len(prefix))
    return best


def all_rules() -> list:
    """The rule registry, imported when first asked: importing the settings does not load every
    rule (and the semantic layer under them)."""
    from fastapi_lint.rules import all_rules as registered

    return registered()


def all_rules_by_code() -> dict:
    return {rule.code: rule for rule in all_rules()}


# -- Poetry metadata, and reading a TOML file ------------------------------------------------------
def python_from_poetry(document: dict[str, Any]) -> tuple[int, int] | None:
    """The lowest Python `[tool.poetry.dependencies] python = "^3.11"` allows."""
    spec = _poetry_requirement(document, "python")
    if spec is None:
        return None
    from fastapi_lint.metadata import oldest_python, pep440_from_poetry  # (packaging)

    specifier = pep440_from_poetry(spec)
    return oldest_python(specifier) if specifier is not None else None


def _poetry_requirement(document: dict[str, Any], name: str) -> str | None:
    tool = document.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    dependencies = poetry.get("dependencies") if isinstance(poetry, dict) else None
    spec = dependencies.get(name) if isinstance(dependencies, dict) else None
    if isinstance(spec, dict):
        spec = spec.get("version")
    return spec.replace(" ", "") if isinstance(spec, str) else None


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's document; a broken or unreadable file is a `ConfigError` naming it."""
    return _read_toml(path)


# -- finding and reading the file ---------------------------------------------------------------
def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml above `start` with a [tool.fastapi-lint] table."""
    for directory in [start, *start.parents]:
        candidate = directory / "pyproject.toml"
        if present(candidate, file=True) and "fastapi-lint" in _read_toml(candidate).get(
            "tool", {}
        ):
            return candidate
    return None


def find_project_root(start: Path) -> Path | None:
    """The nearest directory above `start` with a pyproject.toml or a .git."""
    for directory in [start, *start.parents]:
        if present(directory / "pyproject.toml", file=True) or present(directory / ".git"):
            return directory
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):  # (imported by a run that reads settings, not by --help)
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib

    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8 only; tomllib lets this one through
        raise ConfigError(
            f"{path}: not a UTF-8 text file (byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start})"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None


def load(path: Path | None) -> Settings:
    """Settings from a pyproject.toml, or from a file with the settings at its top level (a
    file of another name with a `[tool.fastapi-lint]` table is read as a pyproject.toml:
    `--config pyproject.ci.toml`)."""
    if path is None:
        return Settings()
    document = _read_toml(path)
    project = _table(document, "project", path)
    tool = document.get("tool")
    if path.name != "pyproject.toml" and isinstance(tool, dict) and "fastapi-lint" in tool:
        mixed = sorted(key for key in document if key in _TOP_LEVEL)
        if mixed:  # which would win is anyone's guess: say so
            raise ConfigError(
                f"{path}: settings both in [tool.fastapi-lint] and at the top level "
                f"({', '.join(mixed)}): keep one"
            )
    if path.name == "pyproject.toml" or (isinstance(tool, dict) and "fastapi-lint" in tool):
        table = _table(document, "tool", path).get("fastapi-lint", {})
        where = "[tool.fastapi-lint]"
    else:
        table = document
        where = "the top level"
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {where} must be a table")
    settings = parse_table(table, path, where)
    if "pydantic-version" not in table:  # dependencies.py: declared, then locked
        from fastapi_lint.dependencies import project_pydantic

        declared = project_pydantic(path.parent, document)
        if declared is not None:
            settings = replace(settings, pydantic_version=declared)
    if "target-version" not in table:
        version = None
        requires = project.get("requires-python")
        if isinstance(requires, str):  # (`packaging` is imported only for a specifier to read)
            from fastapi_lint.metadata import oldest_python

            version = oldest_python(requires)
        if version is None:
            version = python_from_poetry(document)
        if version is not None:
            settings = replace(settings, target_version=version)
    return settings


def _table(document: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    """`document[key]`, which TOML allows to be anything and pyproject.toml needs a table."""
    value = document.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: `{key}` must be a table, not {value!r}")
    return value


_TOP_LEVEL = {
    "select": "codes",
    "extend-select": "codes",
    "ignore": "codes",
    "per-file-ignores": "per-file",
    "exclude": "patterns",
    "extend-exclude": "patterns",
    "target-version": "target",
    "unsafe-fixes": "bool",
    "output-format": "format",
    "session-names": "strings",
    "pydantic-version": "pydantic-version",
    "src": "strings",
    "max-file-size": "size",
    "skip-generated": "bool",
    "cache-dir": "folder",
}


def parse_table(table: dict[str, Any], path: Path, where: str) -> Settings:
    # The registry (every rule module) only for a table naming a rule's options, or a mistake.
    known_keys = all(key in _TOP_LEVEL for key in table)
    rules_by_name = {} if known_keys else {rule.name: rule for rule in all_rules()}
    values: dict[str, Any] = {"config_path": path}
    rule_options: list[tuple[str, tuple[tuple[str, Any], ...]]] = []
    for key, value in table.items():
        kind = _TOP_LEVEL.get(key)
        if kind is None and key in rules_by_name:
            rule = rules_by_name[key]
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: `{key}` must be a table of options for {rule.code}")
            rule_options.append((rule.code, _rule_options(rule, value, path)))
            continue
        if kind is None:
            known = [*_TOP_LEVEL, *rules_by_name]
            raise ConfigError(f"{path}: unknown key `{key}` in {where}{_suggest(key, known)}")
        attribute = key.replace("-", "_")
        values[attribute] = _convert(kind, key, value, path)
    values["rule_options"] = tuple(rule_options)
    return Settings(**values)


def _rule_options(rule: Any, table: dict[str, Any], path: Path) -> tuple[tuple[str, Any], ...]:
    known = {option.name: option for option in rule.options}
    out = []
    for key, value in table.items():
        option = known.get(key)
        if option is None:
            names = list(known) or ["(this rule has no options)"]
            raise ConfigError(
                f"{path}: unknown option `{key}` for rule `{rule.name}` ({rule.code})"
                f"{_suggest(key, names)}"
            )
        out.append((key, _convert_option(option, rule, value, path)))
    return tuple(out)


def _convert_option(option: Any, rule: Any, value: Any, path: Path) -> Any:
    where = f"`{rule.name}.{option.name}`"
    if option.kind is list:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{path}: {where} must be a list of strings")
        return tuple(value)
    if option.kind is bool and not isinstance(value, bool):
        raise ConfigError(f"{path}: {where} must be true or false")
    if option.kind is int and (type(value) is not int or value < 0):
        raise ConfigError(f"{path}: {where} must be a whole number, 0 or more, not {value!r}")
    if option.kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{path}: {where} must be a string")
        if option.choices and value not in option.choices:
            choices = ", ".join(f'"{choice}"' for choice in option.choices)
            raise ConfigError(f"{path}: {where} must be one of {choices}, not {value!r}")
    return value


def _convert(kind: str, key: str, value: Any, path: Path) -> Any:
    if kind == "codes":
        return validate_codes(value, f"{path}: `{key}`")
    if kind == "patterns":
        from fastapi_lint.discovery import pattern_error  # (pathspec: only settings that set one)

        patterns = _convert("strings", key, value, path)
        for pattern in patterns:
            error = pattern_error(pattern)
            if error is not None:
                raise ConfigError(
                    f"{path}: `{key}`: {pattern!r} is not a valid .gitignore-style pattern: {error}"
                )
        return patterns
    if kind == "strings":
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{path}: `{key}` must be a list of strings")
        return tuple(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: `{key}` must be true or false, not {value!r}")
        return value
    if kind == "format":
        if value not in OUTPUT_FORMATS:
            raise ConfigError(
                f"{path}: `{key}` must be one of {', '.join(OUTPUT_FORMATS)}, not {value!r}"
            )
        return value
    if kind == "pydantic-version":
        if value not in (1, 2, "auto") or isinstance(value, bool):
            raise ConfigError(f'{path}: `{key}` must be 1, 2 or "auto", not {value!r}')
        return value
    if kind == "size":
        return parse_size(value, f"{path}: `{key}`")
    if kind == "folder":  # relative to the file's own folder; `~` is the home folder
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{path}: `{key}` must be a folder path (a string), not {value!r}")
        return (path.parent / Path(value).expanduser()).resolve()
    if kind == "target":
        return parse_target_version(value, f"{path}: `{key}`")
    if kind == "per-file":
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: `{key}` must be a table of glob = [codes]")
        return tuple(
            (pattern, validate_codes(codes, f"{path}: `{key}.{pattern}`"))
            for pattern, codes in value.items()
        )
    raise AssertionError(kind)


def validate_codes(value: Any, where: str) -> tuple[str, ...]:
    """The codes as given, or a `ConfigError`: a code or prefix that no rule has would otherwise
    select nothing, silently (`--select FAL999` reporting "All checks passed!")."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where} must be a list of rule codes, not {value!r}")
    rules = all_rules()
    known = [rule.code for rule in rules]
    prefixes = {code[:length] for code in known for length in range(len("FAL"), len(code) + 1)}
    for code in value:
        if not _CODE_PREFIX.match(code):
            raise ConfigError(
                f"{where}: `{code}` is not a rule code or prefix (e.g. FAL301, FAL3, ALL); "
                f"fastapi-lint's codes start with FAL{_hint(code, rules, prefixes)}"
            )
        if code != "ALL" and code not in prefixes:
            raise ConfigError(
                f"{where}: `{code}` matches no rule{_siblings(code, prefixes)}; "
                "see `fastapi-lint rules`"
            )
    return tuple(value)


def _hint(text: str, rules: list, prefixes: set[str]) -> str:
    """What was likely meant by something that is not a code: a rule's name (ruff's settings
    take codes only, and so do these), a code in lower case, a look-alike FAL code; nothing
    for another linter's code (`E501` from a ruff ignore list)."""
    named = next((rule.code for rule in rules if rule.name == text.lower()), None)
    if named is not None:
        return f" (`{text}` is the name of `{named}`)"
    upper = text.upper()
    if upper in prefixes or upper == "ALL":
        return f" (did you mean `{upper}`?)"
    if _CODE_PREFIX.match(upper):  # `fal9`: what `FAL9` would be told
        return _siblings(upper, prefixes)
    return _suggest(upper, [rule.code for rule in rules]) if upper.startswith("FAL") else ""


def _siblings(code: str, prefixes: set[str]) -> str:
    """The codes or prefixes of `code`'s length under the longest prefix of it that exists:
    `FAL21` -> `FAL20`; `FAL9` lists the families rather than guessing one (a close spelling
    of a digit says nothing about which rule was meant)."""
    parent = max((p for p in prefixes if code.startswith(p)), key=len, default="FAL")
    siblings = sorted(p for p in prefixes if len(p) == len(code) and p.startswith(parent))
    if len(siblings) == 1:
        return f" (did you mean `{siblings[0]}`?)"
    if len(siblings) > 8:  # `FAL999`: the families say more than 23 codes
        siblings = sorted(p for p in prefixes if len(p) == len(parent) + 1 and p.startswith(parent))
    return f" (under `{parent}`: {', '.join(siblings)})" if siblings else ""


def parse_size(value: Any, where: str) -> int:
    """Bytes from `5242880`, `"500KB"` or `"5MB"` (units of 1024)."""
    match = _SIZE.match(value) if isinstance(value, str) else None
    if match:
        size = int(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]
    elif isinstance(value, int) and not isinstance(value, bool):
        size = value
    else:
        size = 0
    if size <= 0:
        raise ConfigError(f'{where} must be a positive size like 5242880 or "5MB", not {value!r}')
    return size


def parse_target_version(value: Any, where: str) -> tuple[int, int]:
    match = _TARGET.match(value) if isinstance(value, str) else None
    if match is None:
        raise ConfigError(f'{where} must be a Python 3 version written like "py310", not {value!r}')
    return (3, int(match.group(1)))


def _suggest(word: str, choices: list[str]) -> str:
    import difflib  # only a mistake in the settings needs it

    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""
