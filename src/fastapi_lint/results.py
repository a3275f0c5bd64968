"""What a run found, file by file: the model the runner fills and the reporters read.

A report holds its findings as `Diagnostic` objects, or, when the results cache gave them in a
run whose outputs show no more than concise lines and the summary (`Options.rows_only`), as
*rows*: `(line, column, code, applicability ("" without a fix), message)`, as the cache
stores them, never made into objects. A warm run of a large project takes tens of thousands
of findings from the cache: making each a `Diagnostic` with its `Fix` and `Edit`s cost more
than the rest of that run. Every output and every path that needs more (JSON, SARIF, full,
statistics, baselines, fixes, the language server) asks the cache for whole diagnostics; the
reporters that read rows (`FileReport.shown_rows`) take them from either form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter

from fastapi_lint.diagnostics import INTERNAL_ERROR, Diagnostic, has_internal_error
from fastapi_lint.redaction import Span

Row = tuple[int, int, str, str, str]  # (line, column, code, applicability or "", message)


# A row's code: `map(row_code, rows)` reads the codes of many thousand rows without a Python
# call per row (`in` and `isdisjoint` then run in C).
row_code = itemgetter(2)


def row_of(d: Diagnostic) -> Row:
    return (d.line, d.column, d.code, d.fix.applicability.value if d.fix else "", d.message)


class Rows(list):
    """A file's cached findings as rows (see the module docstring), in the order found."""


class _Text:
    """`FileReport.source_text`: the text, or what reads it when first asked for (a report
    whose results the cache gave without reading the file: most outputs never ask)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}"

    def __get__(self, report: FileReport | None, owner: type | None = None) -> str:
        if report is None:
            return ""  # the field's default
        text = report.__dict__.get(self.slot, "")
        if not isinstance(text, str):
            text = report.__dict__[self.slot] = text()
        return text

    def __set__(self, report: FileReport, text: str | Callable[[], str]) -> None:
        report.__dict__[self.slot] = text


@dataclass
class FileReport:
    path: str  # as shown to the user
    diagnostics: list[Diagnostic] = field(default_factory=list)
    fixed: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    diff: str = ""
    left_out: list[str] = field(default_factory=list)  # hunks the diff leaves out, and why
    fixed_text: str | None = None  # stdin with --fix: the code to print
    silenced: int = 0
    baselined: int = 0
    noqa_added: int = 0
    noqa_skipped: int = 0
    source_text: str = _Text()  # type: ignore[assignment]  # a str, read when first asked for
    key_path: str = ""  # relative to the configuration's folder: stable for fingerprints
    raw: list[Diagnostic] = field(default_factory=list, repr=False)  # before suppression
    # where the secrets are in source_text (found before suppression): outputs mask them
    secrets: list[Span] = field(default_factory=list)
    # what its lint asked the project index (query -> answer's fingerprint): the results cache
    queries: dict[str, str] = field(default_factory=dict, repr=False)
    # the findings as rows instead of `diagnostics` (empty then): a report the cache gave in a
    # run that needs no more (see the module docstring)
    rows: Rows | None = field(default=None, repr=False)
    # positions in `raw` of the findings the file's own noqa comments silence (the results
    # cache keeps them: a later run needs no text to apply them)
    by_comment: list[int] = field(default_factory=list, repr=False)

    def shown_rows(self) -> list[Row]:
        """The findings reported, as rows, whichever form the report holds."""
        if self.rows is not None:
            return self.rows
        return [row_of(d) for d in self.diagnostics]

    @property
    def count(self) -> int:
        return len(self.rows) if self.rows is not None else len(self.diagnostics)


@dataclass
class RunResult:
    files: list[FileReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # said once per run, on stderr

    @property
    def diagnostics(self) -> list[Diagnostic]:
        if any(report.rows is not None for report in self.files):
            # A rows-only run holds no objects for cached findings: asking is a bug.
            raise RuntimeError("the findings of a rows-only run are rows (see FileReport.rows)")
        return [d for report in self.files for d in report.diagnostics]

    @property
    def count(self) -> int:
        """How many findings are reported."""
        return sum(report.count for report in self.files)

    @property
    def internal_error(self) -> bool:
        """Whether the tool failed somewhere (FAL002): the run's exit status is 2."""
        return any(
            INTERNAL_ERROR in map(row_code, report.rows)
            if report.rows is not None
            else has_internal_error(report.diagnostics)
            for report in self.files
        )
