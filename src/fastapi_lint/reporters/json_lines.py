"""One JSON object per line (the `json` format's objects), for streaming consumers."""

from __future__ import annotations

import json

from fastapi_lint.reporters.base import ReportOptions
from fastapi_lint.reporters.json_report import to_dicts
from fastapi_lint.results import RunResult


def render(result: RunResult, options: ReportOptions) -> str:
    return "".join(json.dumps(item) + "\n" for item in to_dicts(result, options))
