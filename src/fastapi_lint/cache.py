"""On-disk caches at the project root (`.fastapi_lint_cache/`): index facts and lint results.

Facts are keyed by file content (and module name); results by content, settings, the project
index's digest and the tool version. A cache that cannot be read is ignored and one that cannot
be written is skipped: the cache never fails a run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

from fastapi_lint import __version__
from fastapi_lint.diagnostics import Applicability, Diagnostic, Edit, Fix, Import
from fastapi_lint.redaction import fix_shows_secret, secret_spans, secret_texts
from fastapi_lint.semantic.facts import FACTS_FORMAT, ModuleFacts
from fastapi_lint.source import LineIndex

CACHE_DIR = ".fastapi_lint_cache"


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class IndexCache:
    def __init__(self, directory: Path | None) -> None:
        self.path = directory / f"index-{__version__}-{FACTS_FORMAT}.json" if directory else None
        self.entries: dict[str, list] = _read_json(self.path)
        self.changed = False

    def get(self, key: str, digest: str, module: str) -> ModuleFacts | None:
        entry = self.entries.get(key)
        if not entry or entry[0] != digest:
            return None
        try:
            facts = ModuleFacts.from_json(entry[1])
        except (KeyError, TypeError, ValueError):
            return None
        return facts if facts.module == module else None

    def put(self, key: str, digest: str, facts: ModuleFacts) -> None:
        data = facts.to_json()
        facts_digest = content_hash(json.dumps(data, sort_keys=True).encode())
        self.entries[key] = [digest, data, facts_digest]
        self.changed = True

    def facts_digest(self, key: str) -> str:
        """A digest of what a module tells the index (stable while only its bodies change)."""
        entry = self.entries.get(key)
        return entry[2] if entry and len(entry) > 2 else ""

    def save(self) -> None:
        if self.path is not None and self.changed:
            _write_json(self.path, self.entries)


class ResultsCache:
    """Per-file lint results, keyed by content, settings, the project index and the version.

    Results are stored before suppression (noqa lives in the content, per-file-ignores in the
    settings, both part of the key), so a hit gives exactly what a new lint would.
    """

    def __init__(self, directory: Path | None) -> None:
        self.path = directory / f"results-{__version__}-{FACTS_FORMAT}.json" if directory else None
        self.entries: dict[str, list] = _read_json(self.path)
        self.changed = False

    @staticmethod
    def key(digest: str, settings_key: str, index_digest: str) -> str:
        return content_hash(f"{digest}\0{settings_key}\0{index_digest}".encode())

    def get(self, path: str, key: str, text: str) -> list[Diagnostic] | None:
        """The cached results for `text`, or None: also when an entry does not fit the text (a
        position outside it), which only a damaged or forged file holds."""
        entry = self.entries.get(path)
        if not entry or entry[0] != key:
            return None
        try:
            diagnostics = [_diagnostic_from_json(item, path) for item in entry[1]]
        except (IndexError, KeyError, TypeError, ValueError):
            return None
        lines = LineIndex(text)
        if not all(_fits(d, lines) for d in diagnostics):
            return None
        return diagnostics

    def put(self, path: str, key: str, diagnostics: list[Diagnostic], text: str) -> None:
        secrets = secret_texts(text, secret_spans(diagnostics))
        if any(fix_shows_secret(d.fix, secrets) for d in diagnostics):
            return  # the file is for what outputs may show: a fix moving a secret is not
        self.entries[path] = [key, [_diagnostic_to_json(d) for d in diagnostics]]
        self.changed = True

    def save(self) -> None:
        if self.path is not None and self.changed:
            _write_json(self.path, self.entries)


def _diagnostic_to_json(d: Diagnostic) -> list:
    fix = None
    if d.fix is not None:
        fix = [
            d.fix.title,
            d.fix.applicability.value,
            [[edit.start, edit.end, edit.content] for edit in d.fix.edits],
            [[item.module, item.name] for item in d.fix.imports],
        ]
    position = [d.line, d.column, d.end_line, d.end_column, d.start_offset]
    secret = list(d.secret) if d.secret is not None else None  # where, never what
    return [d.code, d.name, d.message, position, secret, fix]


def _diagnostic_from_json(item: list, path: str) -> Diagnostic:
    code, name, message, position, secret, fix = item
    line, column, end_line, end_column, start_offset = position
    made = None
    if fix is not None:
        title, applicability, edits, imports = fix
        made = Fix(
            title=title,
            applicability=Applicability(applicability),
            edits=tuple(Edit(*edit) for edit in edits),
            imports=tuple(Import(*item) for item in imports),
        )
    return Diagnostic(
        code=code,
        name=name,
        message=message,
        line=line,
        column=column,
        end_line=end_line,
        end_column=end_column,
        fix=made,
        path=path,
        start_offset=start_offset,
        secret=_span(secret) if secret is not None else None,
    )


def _span(value: list) -> tuple[int, int]:
    start, end = value
    return int(start), int(end)


def _fits(d: Diagnostic, lines: LineIndex) -> bool:
    """Whether a cached diagnostic's positions and offsets lie inside the text and agree."""
    size = len(lines.text)
    if not (isinstance(d.code, str) and isinstance(d.name, str) and isinstance(d.message, str)):
        return False
    numbers = (d.line, d.column, d.end_line, d.end_column, d.start_offset)
    if not all(type(number) is int for number in numbers):
        return False
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
    return all(
        type(start) is int and type(end) is int and 0 <= start <= end <= size
        for start, end in ranges
    )


def _read_json(path: Path | None) -> dict:
    if path is None or not path.is_file():
        return {}
    with contextlib.suppress(OSError, ValueError):
        loaded = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(loaded, dict):
            return loaded
    return {}


def _write_json(path: Path, document: dict) -> None:
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        gitignore = path.parent / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("# Created by fastapi-lint\n*\n", encoding="utf-8")
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(document, stream, separators=(",", ":"))
        os.replace(temporary, path)


FALLBACK_ENTRIES = 2000


class FallbackCache:
    """How each file the running `ast` rejected was lowered, or why it could not be, by content.

    LibCST is slow (DESIGN.md principle 1), so its outcome is kept like any parse. The outcome
    depends on the running Python (what its `ast` reads), which is part of the file name.
    """

    def __init__(self, directory: Path | None) -> None:
        running = f"{sys.version_info[0]}{sys.version_info[1]}"
        self.path = directory / f"fallback-{__version__}-py{running}.json" if directory else None
        self.entries: dict[str, list] = _read_json(self.path)
        self.changed = False

    def get(self, text: str) -> list | None:
        key = content_hash(text.encode("utf-8", "surrogatepass"))
        entry = self.entries.pop(key, None)
        if not isinstance(entry, list) or not entry:
            return None
        self.entries[key] = entry  # most recently used last: trimming keeps it
        return entry

    def put(self, text: str, entry: list) -> None:
        self.entries[content_hash(text.encode("utf-8", "surrogatepass"))] = entry
        self.changed = True

    def save(self) -> None:
        if self.path is not None and self.changed:
            # Keyed by content, old versions of edited files pile up: keep the recent ones.
            recent = list(self.entries.items())[-FALLBACK_ENTRIES:]
            _write_json(self.path, dict(recent))
            self.changed = False
