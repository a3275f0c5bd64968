"""Output formats: one module each, all rendering the same `RunResult`."""

from __future__ import annotations

from collections.abc import Callable

from fastapi_lint.reporters import concise, full, json_report
from fastapi_lint.reporters.base import ReportOptions

Renderer = Callable[..., str]

REPORTERS: dict[str, Renderer] = {
    "concise": concise.render,
    "full": full.render,
    "json": json_report.render,
}
HUMAN_FORMATS = frozenset({"concise", "full"})

__all__ = ["HUMAN_FORMATS", "REPORTERS", "ReportOptions"]
