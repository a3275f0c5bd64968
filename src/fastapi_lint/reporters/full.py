"""Concise lines plus the source they are about, underlined, and the fix's title."""

from __future__ import annotations

import click

from fastapi_lint.reporters.base import ReportOptions, summary
from fastapi_lint.reporters.concise import line
from fastapi_lint.runner import RunResult


def frame(diagnostic, text: str, options: ReportOptions) -> list[str]:
    lines = text.split("\n")
    if not 1 <= diagnostic.line <= len(lines):
        return []
    source = lines[diagnostic.line - 1].expandtabs(1)
    width = len(str(diagnostic.line))
    start = diagnostic.column
    end = diagnostic.end_column if diagnostic.end_line == diagnostic.line else len(source)
    underline = max(end - start, 1)
    if diagnostic.secrets:
        underline = min(underline, 5)  # the secret is masked in the line: hide its length
    marker = " " * start + "^" * underline
    gutter = " " * width
    caret = f"{marker} {diagnostic.code}"
    if options.color:
        caret = click.style(caret, fg="red", bold=True)
    out = [f"{gutter} |", f"{diagnostic.line} | {source}", f"{gutter} | {caret}", f"{gutter} |"]
    if diagnostic.fix is not None:
        out.append(f"{gutter} = help: {diagnostic.fix.title}")
    return out


def render(result: RunResult, options: ReportOptions) -> str:
    out: list[str] = []
    for report in sorted(result.files, key=lambda r: r.path):
        for diagnostic in sorted(report.diagnostics, key=lambda d: d.sort_key()):
            out.append(line(diagnostic, options))
            out.extend(frame(diagnostic, report.source_text, options))
            out.append("")
    if options.show_summary:
        fixed = sum(sum(report.fixed.values()) for report in result.files)
        out.extend(summary(result.diagnostics, fixed, options))
    return "\n".join(out) + "\n" if out else ""
