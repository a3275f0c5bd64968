"""Generated programs (hypothesmith) never crash a rule nor a fix, and fixes keep code parsing."""

from __future__ import annotations

import ast

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings

from fastapi_lint.config import Settings
from fastapi_lint.engine import Linter
from fastapi_lint.fixes import fix_text
from fastapi_lint.parsing import SyntaxProblem, parse
from fastapi_lint.semantic.facts import extract
from fastapi_lint.semantic.index import ProjectIndex


def _lint(source: str):
    index = ProjectIndex()
    tree = parse(source)
    if not isinstance(tree, SyntaxProblem):
        index.add(extract(tree, "fuzzed", ""), ["fuzzed"])
    return Linter(Settings(select=("ALL",), pydantic_version=2), index).lint(
        "fuzzed.py", source, "fuzzed", ""
    )


@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # hypothesmith compiles odd programs
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_node())
def test_generated_programs_do_not_crash_rules_or_fixes(source):
    result = _lint(source)
    assert not result.internal_error, [d.message for d in result.diagnostics if d.code == "FAL002"]
    outcome = fix_text(source, lambda text: _lint(text).diagnostics, unsafe_fixes=True)
    if outcome.text != source:
        ast.parse(outcome.text)
