"""`path:line:col: CODE [*] message`, one line per diagnostic, like ruff's concise output."""

from __future__ import annotations

import click

from fastapi_lint.reporters.base import ReportOptions, by_position, summary
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


def _plain_lines(diagnostics: list, options: ReportOptions) -> list[str]:
    """`line` without color, for many thousand lines (no call per line)."""
    unsafe = options.unsafe_fixes
    return [
        f"{d.path}:{d.line}:{d.column + 1}: {d.code} "
        f"{'[*] ' if d.fix is not None and d.fix.applies(unsafe) else ''}{d.message}"
        for d in diagnostics
    ]


def render(result: RunResult, options: ReportOptions) -> str:
    diagnostics = sorted(result.diagnostics, key=by_position)
    if options.color:
        out = [line(d, options) for d in diagnostics]
    else:
        out = _plain_lines(diagnostics, options)
    if options.show_summary:
        fixed = sum(sum(report.fixed.values()) for report in result.files)
        out.extend(summary(diagnostics, fixed, options))
    return "\n".join(out) + "\n" if out else ""
