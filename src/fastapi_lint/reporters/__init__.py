"""Output formats: one module each, all rendering the same `RunResult`.

A format's module is imported when that format is asked for: JUnit's XML, SARIF's rule registry
and the JSON encoders cost a small run nothing when it prints concise lines.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from fastapi_lint.reporters.base import ReportOptions

Renderer = Callable[..., str]

MODULES: dict[str, str] = {  # output format -> its module in this package
    "concise": "concise",
    "full": "full",
    "json": "json_report",
    "json-lines": "json_lines",
    "sarif": "sarif",
    "github": "github",
    "junit": "junit",
    "gitlab": "gitlab",
}
HUMAN_FORMATS = frozenset({"concise", "full"})
EDIT_FORMATS = frozenset({"json", "json-lines", "sarif"})  # they show each fix's edits


def renderer(output_format: str) -> Renderer:
    """The `render(result, options)` of an output format."""
    return importlib.import_module(f"{__name__}.{MODULES[output_format]}").render


__all__ = ["EDIT_FORMATS", "HUMAN_FORMATS", "MODULES", "ReportOptions", "renderer"]
