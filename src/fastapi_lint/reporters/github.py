"""GitHub Actions workflow commands: annotations on the pull request's diff."""

from __future__ import annotations

from fastapi_lint.reporters.base import ReportOptions, by_position
from fastapi_lint.results import RunResult


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: RunResult, options: ReportOptions) -> str:
    lines = []
    for d in sorted(result.diagnostics, key=by_position):
        properties = ",".join(
            [
                f"file={_property(d.path)}",
                f"line={d.line}",
                f"col={d.column + 1}",
                f"endLine={d.end_line}",
                f"endColumn={d.end_column + 1}",
                f"title={_property(f'{d.code} ({d.name})')}",
            ]
        )
        lines.append(f"::error {properties}::{_data(f'{d.code} {d.message}')}")
    return "".join(line + "\n" for line in lines)
