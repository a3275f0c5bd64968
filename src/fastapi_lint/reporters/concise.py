"""`path:line:col: CODE [*] message`, one line per diagnostic, like ruff's concise output."""

from __future__ import annotations

import click

from fastapi_lint.reporters.base import ReportOptions, summary
from fastapi_lint.results import RunResult


def line(diagnostic, options: ReportOptions) -> str:
    mark = "[*] " if options.fixable(diagnostic) else ""
    location = f"{diagnostic.path}:{diagnostic.line}:{diagnostic.column + 1}:"
    code = diagnostic.code
    if options.color:
        location = click.style(location, bold=True)
        code = click.style(code, fg="red", bold=True)
        mark = click.style(mark, fg="cyan") if mark else ""
    return f"{location} {code} {mark}{diagnostic.message}"


def render(result: RunResult, options: ReportOptions) -> str:
    diagnostics = sorted(result.diagnostics, key=lambda d: d.sort_key())
    out = [line(d, options) for d in diagnostics]
    if options.show_summary:
        fixed = sum(sum(report.fixed.values()) for report in result.files)
        out.extend(summary(diagnostics, fixed, options))
    return "\n".join(out) + "\n" if out else ""
