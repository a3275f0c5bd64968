"""GitLab Code Quality JSON: a list of issues with stable fingerprints."""

from __future__ import annotations

import json

from fastapi_lint.diagnostics import INTERNAL_ERROR, INVALID_SYNTAX
from fastapi_lint.fingerprints import fingerprints
from fastapi_lint.reporters.base import ReportOptions
from fastapi_lint.results import RunResult

SEVERITY = {INVALID_SYNTAX: "blocker", INTERNAL_ERROR: "critical"}


def render(result: RunResult, options: ReportOptions) -> str:
    issues = []
    for report in sorted(result.files, key=lambda r: r.path):
        prints = fingerprints(
            report.key_path or report.path, report.diagnostics, report.source_text, report.secrets
        )
        pairs = sorted(zip(report.diagnostics, prints, strict=True), key=lambda p: p[0].sort_key())
        for d, fingerprint in pairs:
            issues.append(
                {
                    "description": f"{d.code} {d.message}",
                    "check_name": d.code,
                    "fingerprint": fingerprint,
                    "severity": SEVERITY.get(d.code, "major"),
                    "location": {
                        "path": report.path,
                        "positions": {
                            "begin": {"line": d.line, "column": d.column + 1},
                            "end": {"line": d.end_line, "column": d.end_column + 1},
                        },
                    },
                }
            )
    return json.dumps(issues, indent=2) + "\n"
