"""SARIF 2.1.0: every rule's metadata, results with regions, and fixes as replacements.

Columns count Unicode code points (`columnKind`), as every other output of the tool does.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

from fastapi_lint import __version__
from fastapi_lint.redaction import fix_shows_secret, secret_texts
from fastapi_lint.reporters.base import ReportOptions, shown_edits
from fastapi_lint.results import RunResult
from fastapi_lint.rules import all_rules
from fastapi_lint.source import LineIndex

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/fastapi-lint/"
# Paths are shown relative to the current folder; SARIF resolves a relative URI against a base.
SOURCE_ROOT = "%SRCROOT%"


def _section(doc: str, heading: str) -> str:
    if heading not in doc:
        return doc
    text = doc.split(heading, 1)[1].split("\n## ", 1)[0]
    return " ".join(text.split())


def _rule(rule) -> dict:
    doc = rule.documentation()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": _section(doc, "## What it does")},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": "error", "enabled": rule.default_enabled},
        "properties": {"fix": rule.fix_availability},
    }


def _location(path: str) -> dict:
    """An artifact location: a file URI for an absolute path, else a percent-encoded relative
    reference (spaces, `#`, non-ASCII and undecodable bytes included) against the source root."""
    pure = Path(path)
    if pure.is_absolute():
        return {"uri": pure.resolve().as_uri()}
    return {"uri": quote(os.fsencode(pure.as_posix())), "uriBaseId": SOURCE_ROOT}


def _folder_uri(folder: Path) -> str:
    uri = folder.as_uri()
    return uri if uri.endswith("/") else uri + "/"  # a base URI names a folder by its slash


def _region(lines: LineIndex, start: int, end: int) -> dict:
    start_line, start_column = lines.position(start)
    end_line, end_column = lines.position(end)
    return {
        "startLine": start_line,
        "startColumn": start_column + 1,
        "endLine": end_line,
        "endColumn": end_column + 1,
    }


def render(result: RunResult, options: ReportOptions) -> str:
    rules = all_rules()
    rule_index = {rule.code: position for position, rule in enumerate(rules)}
    results = []
    for report in sorted(result.files, key=lambda r: r.path):
        lines = LineIndex(report.source_text)
        location = _location(report.path)
        secrets = secret_texts(report.source_text, report.secrets)
        for d in sorted(report.diagnostics, key=lambda d: d.sort_key()):
            item = {
                "ruleId": d.code,
                "ruleIndex": rule_index[d.code],
                "level": "error",
                "message": {"text": d.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": location,
                            "region": {
                                "startLine": d.line,
                                "startColumn": d.column + 1,
                                "endLine": d.end_line,
                                "endColumn": d.end_column + 1,
                            },
                        }
                    }
                ],
            }
            if d.fix is not None and (not d.fix.edits or fix_shows_secret(d.fix, secrets)):
                # a display-only suggestion, or a fix whose edits would print a secret
                item["properties"] = {"suggestion": d.fix.title}
            elif d.fix is not None and report.source_text:
                edits = shown_edits(d)
                item["fixes"] = [
                    {
                        "description": {"text": d.fix.title},
                        "artifactChanges": [
                            {
                                "artifactLocation": location,
                                "replacements": [
                                    {
                                        "deletedRegion": _region(lines, edit.start, edit.end),
                                        "insertedContent": {"text": edit.content},
                                    }
                                    for edit in edits
                                ],
                            }
                        ],
                    }
                ]
                item["properties"] = {"fixApplicability": d.fix.applicability.value}
            results.append(item)
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "fastapi-lint",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(rule) for rule in rules],
                    }
                },
                "originalUriBaseIds": {SOURCE_ROOT: {"uri": _folder_uri(Path.cwd())}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"
