"""`path:line:col: CODE [*] message`, one line per diagnostic, like ruff's concise output.

It reads each report's rows (results.py), not `Diagnostic` objects: a warm run's findings come
from the cache as rows.
"""

from __future__ import annotations

from operator import attrgetter, itemgetter

import click

from fastapi_lint.reporters.base import ReportOptions, summary_of
from fastapi_lint.results import Row, RunResult

_in_file_order = itemgetter(0, 1, 2)  # (line, column, code): `by_position` within one file


def line(diagnostic, options: ReportOptions) -> str:
    mark = "[*] " if options.fixable(diagnostic) else ""
    return _line(
        diagnostic.path,
        diagnostic.line,
        diagnostic.column,
        diagnostic.code,
        mark,
        diagnostic.message,
        options,
    )


def _line(
    path: str, line: int, column: int, code: str, mark: str, message: str, options: ReportOptions
) -> str:
    location = f"{path}:{line}:{column + 1}:"
    if options.color:
        location = click.style(location, bold=True)
        code = click.style(code, fg="red", bold=True)
        mark = click.style(mark, fg="cyan") if mark else ""
    return f"{location} {code} {mark}{message}"


def _marks(options: ReportOptions) -> dict[str, str]:
    """A row's applicability -> its `[*] ` mark (fixable: safe, or unsafe with --unsafe-fixes)."""
    return {
        "": "",
        "safe": "[*] ",
        "unsafe": "[*] " if options.unsafe_fixes else "",
        "display-only": "",
    }


def _ordered(result: RunResult) -> list[tuple[str, list[Row]]]:
    """Each file's path and rows, in `by_position` order: files by path, rows by position."""
    files = sorted(result.files, key=attrgetter("path"))  # stable, as the sort of them all
    paths = [report.path for report in files]
    if len(set(paths)) == len(paths):
        return [(report.path, sorted(report.shown_rows(), key=_in_file_order)) for report in files]
    # Two reports under one shown path: their rows interleave by position.
    rows = sorted(
        ((report.path, row) for report in files for row in report.shown_rows()),
        key=lambda entry: (entry[0], *_in_file_order(entry[1])),
    )
    grouped: dict[str, list[Row]] = {}
    for path, row in rows:
        grouped.setdefault(path, []).append(row)
    return list(grouped.items())


def render(result: RunResult, options: ReportOptions) -> str:
    marks = _marks(options)
    out: list[str] = []
    fixes: list[str] = []
    for path, rows in _ordered(result):
        if options.color:
            out += [
                _line(path, line, column, code, marks[fix], message, options)
                for line, column, code, fix, message in rows
            ]
        else:  # many thousand lines: no call per line
            out += [
                f"{path}:{line}:{column + 1}: {code} {marks[fix]}{message}"
                for line, column, code, fix, message in rows
            ]
        fixes += [row[3] for row in rows if row[3]]
    if options.show_summary:
        fixed = sum(sum(report.fixed.values()) for report in result.files)
        out.extend(summary_of(result.count, fixes, fixed, options))
    return "\n".join(out) + "\n" if out else ""
