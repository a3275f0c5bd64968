"""Fingerprints that survive unrelated edits: for the baseline and GitLab's Code Quality report.

A fingerprint hashes the rule code, the file's path, the finding's source line with its white
space folded, and the occurrence index of that (code, path, line) triple, never the line number:
moving code around leaves it unchanged, editing the flagged line changes it.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from fastapi_lint.diagnostics import Diagnostic


def line_key(source_text: str, line: int) -> str:
    lines = source_text.split("\n")
    text = lines[line - 1] if 1 <= line <= len(lines) else ""
    return " ".join(text.split())


def fingerprints(path: str, diagnostics: list[Diagnostic], source_text: str) -> list[str]:
    """One fingerprint per diagnostic, in the given order."""
    seen: Counter[tuple[str, str]] = Counter()
    out = []
    for diagnostic in sorted(diagnostics, key=lambda d: (d.line, d.column, d.code)):
        key = (diagnostic.code, line_key(source_text, diagnostic.line))
        occurrence = seen[key]
        seen[key] += 1
        raw = "\0".join([diagnostic.code, path, key[1], str(occurrence)])
        out.append(
            (
                id(diagnostic),
                hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:32],
            )
        )
    by_id = dict(out)
    return [by_id[id(d)] for d in diagnostics]
