"""A JSON list with ruff's field names, so tools that read `ruff --output-format json` read ours.

Positions are 1-based rows and columns, as in ruff. `name` (the rule's kebab-case name) is
ours.
"""

from __future__ import annotations

import json

from fastapi_lint.redaction import fix_shows_secret, secret_texts
from fastapi_lint.reporters.base import ReportOptions, shown_edits
from fastapi_lint.results import RunResult
from fastapi_lint.source import LineIndex


def _location(lines: LineIndex | None, offset: int) -> dict[str, int]:
    if lines is None:
        return {"row": 1, "column": 1}
    line, column = lines.position(offset)
    return {"row": line, "column": column + 1}


def to_dicts(result: RunResult, options: ReportOptions) -> list[dict]:
    items = []
    for report in sorted(result.files, key=lambda r: r.path):
        lines = LineIndex(report.source_text) if report.source_text else None
        secrets = secret_texts(report.source_text, report.secrets)
        for d in sorted(report.diagnostics, key=lambda d: d.sort_key()):
            fix = None
            if d.fix is not None:
                # a fix that would print a secret keeps its title and applicability only
                shown = () if fix_shows_secret(d.fix, secrets) else shown_edits(d)
                fix = {
                    "applicability": d.fix.applicability.value,
                    "message": d.fix.title,
                    "edits": [
                        {
                            "content": edit.content,
                            "location": _location(lines, edit.start),
                            "end_location": _location(lines, edit.end),
                        }
                        for edit in shown
                    ],
                }
            items.append(
                {
                    "code": d.code,
                    "name": d.name,
                    "message": d.message,
                    "filename": d.path,
                    "location": {"row": d.line, "column": d.column + 1},
                    "end_location": {"row": d.end_line, "column": d.end_column + 1},
                    "fix": fix,
                    "noqa_row": d.line,
                    "url": None,
                }
            )
    return items


def render(result: RunResult, options: ReportOptions) -> str:
    return json.dumps(to_dicts(result, options), indent=2) + "\n"
