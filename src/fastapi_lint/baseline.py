"""The baseline file: today's findings, recorded so that only new ones fail a legacy codebase.

JSON with one entry per finding: its fingerprint (see fingerprints.py) and, for people reading
the file, its code, path, line and message.

Format 2 hashes a flagged line with its secrets masked; format 1 (fastapi-lint before that
change) hashed the line as written. A format-1 file is still read, and a finding on a line with
a secret matches it either way, so upgrading does not bring baselined findings back; the run
says to rewrite the file, which holds hashes of secrets' lines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from fastapi_lint import __version__
from fastapi_lint.config import ConfigError
from fastapi_lint.diagnostics import TOOL_CODES, Diagnostic
from fastapi_lint.fingerprints import fingerprints
from fastapi_lint.redaction import Span
from fastapi_lint.results import RunResult
from fastapi_lint.writing import replace_file

FORMAT = 2
UNMASKED_FORMAT = 1  # secrets' lines hashed as written


@dataclass(frozen=True)
class Baseline:
    fingerprints: frozenset[str]
    unmasked: bool = False  # a format-1 file: a line with a secret may match as written

    def new_findings(
        self, path: str, diagnostics: list[Diagnostic], text: str, secrets: list[Span]
    ) -> list[Diagnostic]:
        """The diagnostics of a file (`secrets`: its secrets' spans) that are not baselined."""
        known = self.fingerprints
        prints = fingerprints(path, diagnostics, text, secrets)
        if self.unmasked and secrets:
            written = fingerprints(path, diagnostics, text, [])
            prints = [p if p in known else w for p, w in zip(prints, written, strict=True)]
        return [d for d, p in zip(diagnostics, prints, strict=True) if p not in known]


def load_baseline(path: Path) -> Baseline:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        found = document.get("format")
        if found not in (FORMAT, UNMASKED_FORMAT):
            raise ValueError(f"unsupported baseline format {found!r}")
        known = frozenset(entry["fingerprint"] for entry in document["findings"])
        return Baseline(known, unmasked=found == UNMASKED_FORMAT)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{path}: not a fastapi-lint baseline file: {exc}") from None


def write_baseline(path: Path, result: RunResult) -> int:
    """Write the baseline of `result`'s findings; the count written. A file that cannot be
    read or parsed (FAL001) and an internal error (FAL002) are never baselined
    (`not_baselined`)."""
    findings = []
    for report in sorted(result.files, key=lambda r: r.key_path or r.path):
        prints = fingerprints(
            report.key_path or report.path, report.diagnostics, report.source_text, report.secrets
        )
        for d, fingerprint in zip(report.diagnostics, prints, strict=True):
            if d.code in TOOL_CODES:
                continue  # a broken file must be mended, not baselined
            findings.append(
                {
                    "fingerprint": fingerprint,
                    "code": d.code,
                    "path": report.key_path or report.path,
                    "line": d.line,
                    "message": d.message,
                }
            )
    document = {"tool": "fastapi-lint", "version": __version__, "format": FORMAT}
    document["findings"] = findings
    data = (json.dumps(document, indent=2) + "\n").encode("utf-8")
    if path.exists():
        replace_file(path, data)
    else:
        path.write_bytes(data)
    return len(findings)


def not_baselined(result: RunResult) -> list[str]:
    """The findings a baseline leaves out (as the concise output shows them): a broken file
    must be mended, and the next run with the baseline still reports them."""
    return [
        f"{report.path}:{d.line}:{d.column + 1}: {d.code} {d.message}"
        for report in result.files
        for d in report.diagnostics
        if d.code in TOOL_CODES
    ]
