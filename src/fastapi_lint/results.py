"""What a run found, file by file: the model the runner fills and the reporters read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi_lint.diagnostics import Diagnostic
from fastapi_lint.redaction import Span


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


@dataclass
class RunResult:
    files: list[FileReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # said once per run, on stderr

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for report in self.files for d in report.diagnostics]
