"""Concise lines plus the source they are about, underlined, and the fix's title."""

from __future__ import annotations

import click

from fastapi_lint.redaction import Span, masked_line
from fastapi_lint.reporters.base import ReportOptions, summary
from fastapi_lint.reporters.concise import line
from fastapi_lint.results import RunResult
from fastapi_lint.source import LineIndex


def frame(diagnostic, lines: LineIndex, options: ReportOptions, secrets: list[Span]) -> list[str]:
    """The diagnostic's line, every secret on it masked (`secrets`: the file's), underlined."""
    if not 1 <= diagnostic.line <= lines.line_count:
        return []
    source, column = masked_line(lines.text, lines.line_start(diagnostic.line), secrets)
    source = source.expandtabs(1)
    width = len(str(diagnostic.line))
    start = column(diagnostic.column)
    end = column(diagnostic.end_column) if diagnostic.end_line == diagnostic.line else len(source)
    underline = max(end - start, 1)
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
        lines = LineIndex(report.source_text)
        for diagnostic in sorted(report.diagnostics, key=lambda d: d.sort_key()):
            out.append(line(diagnostic, options))
            out.extend(frame(diagnostic, lines, options, report.secrets))
            out.append("")
    if options.show_summary:
        fixed = sum(sum(report.fixed.values()) for report in result.files)
        out.extend(summary(result.diagnostics, fixed, options))
    return "\n".join(out) + "\n" if out else ""
