"""Every fixture: expectations match both ways; fixes match `.fixed.py` and keep the invariants."""

from __future__ import annotations

import ast

import pytest

from fastapi_lint.rules import rule_by_code_or_name
from harness import (
    EXPECTATION,
    FIXTURES,
    expectations,
    fix_copy,
    fixture_files,
    lint,
    rule_code,
    updating,
    without_markers,
)

FILES = fixture_files()


def _id(path):
    return str(path.relative_to(FIXTURES))


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_expectations_match_both_ways(path):
    expected = expectations(path.read_text(encoding="utf-8"))
    result = lint(path)
    reported = [(d.line, d.code, d.column + 1) for d in result.diagnostics]
    assert sorted((line, code) for line, code, _ in reported) == sorted(
        (line, code) for line, code, _ in expected
    )
    for line, code, column in expected:
        if column is not None:
            assert (line, code, column) in reported, f"{code} on line {line} not at column {column}"


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_fix_matches_fixed_file_and_keeps_invariants(path, tmp_path, request):
    result = lint(path)
    if not any(_applies(d) for d in result.diagnostics):
        assert not path.with_name(path.stem + ".fixed.py").exists(), "stale .fixed.py"
        return
    target, fixed_result = fix_copy(path, tmp_path)
    fixed = target.read_text(encoding="utf-8")
    ast.parse(fixed)  # the fixed code parses
    remaining = [d for d in fixed_result.diagnostics if _applies(d)]
    assert not remaining, f"fixable diagnostics left after --fix: {remaining}"

    lint(target, fix=True, code=rule_code(path))
    assert target.read_text(encoding="utf-8") == fixed, "a second --fix changed the file"

    # The markers say what the fixture reports; in the fixed file they would only mislead.
    fixed = without_markers(fixed)
    expected_path = path.with_name(path.stem + ".fixed.py")
    if request.config.getoption("--update-fixtures") or updating():
        expected_path.write_text(fixed, encoding="utf-8")
    assert expected_path.exists(), f"missing {expected_path.name} (run pytest --update-fixtures)"
    assert fixed == expected_path.read_text(encoding="utf-8")


FIXED_FILES = sorted(FIXTURES.glob("**/*.fixed.py"))


@pytest.mark.parametrize("path", FIXED_FILES, ids=_id)
def test_fixed_file_has_no_markers(path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        assert not EXPECTATION.search(line), f"{_id(path)}:{number} keeps a `# error:` marker"


def _applies(diagnostic) -> bool:
    """A fix `--fix --unsafe-fixes` applies (display-only suggestions edit nothing)."""
    return diagnostic.fix is not None and diagnostic.fix.applies(unsafe_fixes=True)


CODES = sorted({rule_code(path) for path in FILES})


@pytest.mark.parametrize("code", CODES)
def test_fixes_offered_match_the_declared_fix_availability(code):
    """`always`: every finding edits; `sometimes`: some finding does; `none`: none edits."""
    rule = rule_by_code_or_name(code)
    diagnostics = [d for path in FILES if rule_code(path) == code for d in lint(path).diagnostics]
    assert diagnostics, f"the {code} fixtures report nothing"
    editing = [d for d in diagnostics if d.fix is not None and d.fix.edits]
    for diagnostic in diagnostics:
        where = f"{diagnostic.path}:{diagnostic.line}:{diagnostic.column + 1}"
        if rule.fix_availability == "always":
            assert _applies(diagnostic), f"{code} is always fixable but offers no fix at {where}"
        if rule.fix_availability == "none":
            assert not _applies(diagnostic), f"{code} declares no fix but offers one at {where}"
        if diagnostic.fix is not None and not _applies(diagnostic):
            assert diagnostic.fix.edits == (), f"a display-only suggestion edits at {where}"
    if rule.fix_availability == "sometimes":
        assert editing, f"{code} is sometimes fixable but no fixture finding offers a fix"
