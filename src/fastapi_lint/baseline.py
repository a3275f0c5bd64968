"""The baseline file: today's findings, recorded so that only new ones fail a legacy codebase.

JSON with one entry per finding: its fingerprint (see fingerprints.py) and, for people reading
the file, its code, path, line and message.
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi_lint import __version__
from fastapi_lint.config import ConfigError
from fastapi_lint.diagnostics import TOOL_CODES
from fastapi_lint.fingerprints import fingerprints
from fastapi_lint.results import RunResult
from fastapi_lint.writing import replace_file

FORMAT = 1


def load_baseline(path: Path) -> frozenset[str]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != FORMAT:
            raise ValueError(f"unsupported baseline format {document.get('format')!r}")
        return frozenset(entry["fingerprint"] for entry in document["findings"])
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{path}: not a fastapi-lint baseline file: {exc}") from None


def write_baseline(path: Path, result: RunResult) -> int:
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
