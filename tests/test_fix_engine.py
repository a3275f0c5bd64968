"""The fix engine's recovery: a round whose output does not parse is retried fix by fix."""

from __future__ import annotations

import ast

import pytest

from fastapi_lint import fixes
from fastapi_lint.config import Settings
from fastapi_lint.diagnostics import Applicability, Diagnostic, Edit, Fix
from fastapi_lint.fixes import fix_text
from fastapi_lint.rules.base import REGISTRY, Rule
from fastapi_lint.runner import Options, run

# `f(a)` becomes `f(a for a in b)` or `f(a, c)`; both at once, `f(a for a in b, c)`, is a
# syntax error (a generator argument must be parenthesized when it is not the only one).
SOURCE = "f(a)\n"
GENERATOR = "a for a in b"
EXTRA_ARGUMENT = ", c"


@pytest.fixture
def clashing_rule():
    """A rule, for this test only, whose two fixes on `f(a)` parse alone but not together."""

    class ClashingFixes(Rule):
        code = "FAL999"
        summary = "Two fixes that clash"

        def visit_Call(self, node: ast.Call) -> None:
            if not (isinstance(node.func, ast.Name) and node.func.id == "f"):
                return
            if len(node.args) != 1 or not isinstance(node.args[0], ast.Name):
                return
            start, end = self.ctx.lines.node_range(node.args[0])
            self.report(node.args[0], "generator", _fix("generator", start, end, GENERATOR))
            self.report(node, "extra argument", _fix("extra argument", end, end, EXTRA_ARGUMENT))

    try:
        yield ClashingFixes
    finally:
        REGISTRY.pop(ClashingFixes.code, None)


def _fix(title: str, start: int, end: int, content: str) -> Fix:
    return Fix(title, Applicability.SAFE, (Edit(start, end, content),))


def test_a_round_that_does_not_parse_keeps_the_fixes_that_do(clashing_rule, tmp_path):
    module = tmp_path / "m.py"
    module.write_text(SOURCE, encoding="utf-8")
    settings = Settings(select=(clashing_rule.code,))
    result = run([module], settings, Options(fix=True, use_cache=False), base=tmp_path)
    fixed = module.read_text(encoding="utf-8")
    ast.parse(fixed)
    # The fix reported first in source order (at the call, before its argument) is kept.
    assert fixed == "f(a, c)\n"
    [report] = result.files
    assert report.fixed == {clashing_rule.code: 1}
    # The other fix was valid alone: it waits for the next round, whose lint no longer reports
    # it. Only a fix invalid on its own is called a bug.
    assert report.problems == []


def _diagnostic(offset: int, fix: Fix) -> Diagnostic:
    return Diagnostic("FAL999", "test", fix.title, 1, offset, 1, offset, fix, start_offset=offset)


def test_a_fix_that_breaks_the_file_does_not_stop_a_later_good_one():
    text = "x = 1\ny = 2\n"
    broken = _diagnostic(0, _fix("broken", 0, 0, "(\n"))  # an unclosed parenthesis
    good = _diagnostic(6, _fix("good", 6, 7, "z"))

    def lint(current: str) -> list[Diagnostic]:
        return [broken, good] if current == text else []

    outcome = fix_text(text, lint, unsafe_fixes=False)
    assert outcome.text == "x = 1\nz = 2\n"
    assert outcome.fixed == {"FAL999": 1}
    assert len(outcome.problems) == 1 and "1:1: the fix for FAL999" in outcome.problems[0]


def test_a_fix_invalid_on_its_own_is_dropped_and_called_a_bug(tmp_path):
    class BrokenFix(Rule):
        code = "FAL998"
        summary = "A fix that never parses"

        def visit_Call(self, node: ast.Call) -> None:
            _start, end = self.ctx.lines.node_range(node)
            self.report(node, "broken", _fix("broken", end, end, ")("))

    try:
        module = tmp_path / "m.py"
        module.write_text(SOURCE, encoding="utf-8")
        settings = Settings(select=(BrokenFix.code,))
        result = run([module], settings, Options(fix=True, use_cache=False), base=tmp_path)
    finally:
        REGISTRY.pop(BrokenFix.code, None)
    assert module.read_text(encoding="utf-8") == SOURCE
    [report] = result.files
    assert report.fixed == {}
    assert any("produced invalid code and was dropped" in problem for problem in report.problems)


def test_a_round_retried_fix_by_fix_reads_the_files_names_once(monkeypatch):
    """The names a text reads (to find imports a fix left unused) are found once per round,
    not once per attempt: on a large file each costs a walk of the whole tree."""
    text = "import os\n\nx = os.sep\ny = os.sep\nz = 2\n"
    first = _diagnostic(15, _fix("first", 15, 21, "'/'"))
    broken = _diagnostic(22, _fix("broken", 22, 22, "(\n"))
    second = _diagnostic(26, _fix("second", 26, 32, "'/'"))
    walked = []
    real = fixes.used_names
    monkeypatch.setattr(fixes, "used_names", lambda tree: walked.append(tree) or real(tree))

    def lint(current: str) -> list[Diagnostic]:
        return [first, broken, second] if current == text else []

    outcome = fix_text(text, lint, unsafe_fixes=False)
    assert outcome.text == "x = '/'\ny = '/'\nz = 2\n"
    assert outcome.fixed == {"FAL999": 2}
    assert len(walked) == 1
