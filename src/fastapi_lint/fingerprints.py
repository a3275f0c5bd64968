"""Fingerprints that survive unrelated edits: for the baseline and GitLab's Code Quality report.

A fingerprint hashes the rule code, the file's path, the finding's source line with its white
space folded, and the occurrence index of that (code, path, line) triple, never the line number:
moving code around leaves it unchanged, editing the flagged line changes it. Secrets on the line
are hashed masked: a short secret could be found again from the hash of its line.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from fastapi_lint.diagnostics import Diagnostic
from fastapi_lint.redaction import Span, masked_line
from fastapi_lint.source import LineIndex


def line_key(lines: LineIndex, line: int, secrets: list[Span]) -> str:
    text = ""
    if 1 <= line <= lines.line_count:
        text, _ = masked_line(lines.text, lines.line_start(line), secrets)
    return " ".join(text.split())


def fingerprints(
    path: str, diagnostics: list[Diagnostic], source_text: str, secrets: list[Span]
) -> list[str]:
    """One fingerprint per diagnostic, in the given order (`secrets`: the file's)."""
    lines = LineIndex(source_text)
    seen: Counter[tuple[str, str]] = Counter()
    out = []
    for diagnostic in sorted(diagnostics, key=lambda d: (d.line, d.column, d.code)):
        key = (diagnostic.code, line_key(lines, diagnostic.line, secrets))
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
