"""The on-disk cache of per-module index facts, keyed by file content.

One JSON file per tool version in `.fastapi_lint_cache/` at the project root. An entry is used
only when the file's content hash and its module name are unchanged. A cache that cannot be read
is ignored and one that cannot be written is skipped: the cache never fails a run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path

from fastapi_lint import __version__
from fastapi_lint.semantic.facts import FACTS_FORMAT, ModuleFacts

CACHE_DIR = ".fastapi_lint_cache"


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class IndexCache:
    def __init__(self, directory: Path | None) -> None:
        self.path = directory / f"index-{__version__}-{FACTS_FORMAT}.json" if directory else None
        self.entries: dict[str, list] = {}
        self.changed = False
        if self.path is not None and self.path.is_file():
            with contextlib.suppress(OSError, ValueError):
                loaded = json.loads(self.path.read_text(encoding="utf-8"))
                if isinstance(loaded, dict):
                    self.entries = loaded

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
        self.entries[key] = [digest, facts.to_json()]
        self.changed = True

    def save(self) -> None:
        if self.path is None or not self.changed:
            return
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            gitignore = self.path.parent / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("# Created by fastapi-lint\n*\n", encoding="utf-8")
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(self.entries, stream, separators=(",", ":"))
            os.replace(temporary, self.path)
