"""JUnit XML: a test suite per file, a failing test case per finding (CI test-report views)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from fastapi_lint.reporters.base import ReportOptions
from fastapi_lint.results import RunResult


def render(result: RunResult, options: ReportOptions) -> str:
    diagnostics = result.diagnostics
    root = ET.Element(
        "testsuites",
        name="fastapi-lint",
        tests=str(max(len(diagnostics), 1)),
        failures=str(len(diagnostics)),
        errors="0",
    )
    if not diagnostics:
        suite = ET.SubElement(root, "testsuite", name="fastapi-lint", tests="1", failures="0")
        ET.SubElement(suite, "testcase", name="fastapi-lint", classname="fastapi-lint")
    for report in sorted(result.files, key=lambda r: r.path):
        if not report.diagnostics:
            continue
        count = str(len(report.diagnostics))
        suite = ET.SubElement(root, "testsuite", name=report.path, tests=count, failures=count)
        for d in sorted(report.diagnostics, key=lambda d: d.sort_key()):
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"{d.code} ({d.name})",
                classname=report.path,
                file=report.path,
                line=str(d.line),
            )
            failure = ET.SubElement(case, "failure", message=d.message, type=d.code)
            failure.text = f"{report.path}:{d.line}:{d.column + 1}: {d.code} {d.message}"
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
