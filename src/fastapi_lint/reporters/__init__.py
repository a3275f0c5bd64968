"""Output formats: one module each, all rendering the same `RunResult`."""

from __future__ import annotations

from collections.abc import Callable

from fastapi_lint.reporters import (
    concise,
    full,
    github,
    gitlab,
    json_lines,
    json_report,
    junit,
    sarif,
)
from fastapi_lint.reporters.base import ReportOptions

Renderer = Callable[..., str]

REPORTERS: dict[str, Renderer] = {
    "concise": concise.render,
    "full": full.render,
    "json": json_report.render,
    "json-lines": json_lines.render,
    "sarif": sarif.render,
    "github": github.render,
    "junit": junit.render,
    "gitlab": gitlab.render,
}
HUMAN_FORMATS = frozenset({"concise", "full"})
EDIT_FORMATS = frozenset({"json", "json-lines", "sarif"})  # they show each fix's edits

__all__ = ["EDIT_FORMATS", "HUMAN_FORMATS", "REPORTERS", "ReportOptions"]
