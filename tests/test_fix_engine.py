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
from harness import FIXTURES, fix_copy, fixture_files

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


def _same_tree_as_parsing(monkeypatch) -> list:
    """Check each tree the fix engine makes without parsing against the parser's; return the
    list of the trees made so."""
    made = []
    real = fixes._without_statements

    def checked(text, tree, deletions, removed):
        result = real(text, tree, deletions, removed)
        if result is not None:
            expected = ast.parse(fixes.apply_edits(text, deletions))
            assert ast.dump(result, include_attributes=True) == ast.dump(
                expected, include_attributes=True
            )
            made.append(result)
        return result

    monkeypatch.setattr(fixes, "_without_statements", checked)
    return made


def _dropping(text: str, *spans: tuple[str, str]) -> list[Fix]:
    """Fixes replacing the first occurrence of each `old` with `new`."""
    return [_fix("drop", text.index(old), text.index(old) + len(old), new) for old, new in spans]


MOVED_CASES = {  # name: (text, [(old, new)], an import line the fixes leave unused)
    "module imports": (
        "import os\nimport time\n\n\nasync def f(x=[]):\n    time.sleep(0.1)\n    return x\n\n\n"
        "class C:\n    @property\n    def p(self, a: 'int' = 1) -> list[int]:\n"
        "        return [i for i in range(a) if i]  # c\n",
        [("time.sleep(0.1)", "x.sort()")],
        "import time\n",
    ),
    "opens a block": (
        "def f():\n    import json\n\n    value = json.dumps(1)\n    return (\n"
        "        value,\n    )\n\n\nprint(f())\n",
        [("json.dumps(1)", "'1'")],
        "import json\n",
    ),
    "wrapped import and two blocks": (
        "from collections import (\n    OrderedDict,\n)\nimport sys\n\n\ndef g():\n"
        "    import re\n    x = 1\n    return re.escape(x), OrderedDict()\n\n\n"
        "match sys.argv:\n    case [a, *rest]:\n        pass\n",
        [("re.escape(x)", "x"), ("OrderedDict()", "{}")],
        "import re\n",
    ),
    "last line without a newline": (
        "x = 1\nif x:\n    pass\nimport json\ny = json.a",
        [("json.a", "x")],
        "import json\n",
    ),
}


@pytest.mark.parametrize("name", MOVED_CASES)
def test_a_tree_moved_by_the_lines_an_import_removal_deletes_is_the_parsed_one(name, monkeypatch):
    text, spans, unused = MOVED_CASES[name]
    made = _same_tree_as_parsing(monkeypatch)
    result = fixes._applied(text, _dropping(text, *spans), frozenset())
    assert result is not None
    assert unused in text and unused not in result[0]
    assert made == [result[1]]


def test_an_import_rewritten_not_removed_is_parsed(monkeypatch):
    made = _same_tree_as_parsing(monkeypatch)
    text = "from os import path, sep\n\nx = path.join('a')\ny = sep\n"
    fixed = fixes.apply_fixes(text, _dropping(text, ("path.join('a')", "'a'")))
    assert fixed == "from os import sep\n\nx = 'a'\ny = sep\n"
    assert made == []


def test_a_round_removing_import_lines_parses_the_file_once(monkeypatch):
    """Deleting the lines of imports a fix left unused moves the nodes below them: the round's
    result is not parsed a second time (on a file of 4,000 functions a parse is 0.15 s)."""
    text = MOVED_CASES["module imports"][0]
    parsed = []
    real = fixes.parse
    monkeypatch.setattr(fixes, "parse", lambda source: parsed.append(source) or real(source))
    fixed = fixes.apply_fixes(text, _dropping(text, ("time.sleep(0.1)", "x.sort()")))
    assert fixed is not None and "import time" not in fixed
    assert len(parsed) == 2  # the text, then the text the fix made; not the pruned one


def test_every_fixture_fixed_gets_the_trees_the_parser_gives(monkeypatch, tmp_path):
    made = _same_tree_as_parsing(monkeypatch)
    for path in fixture_files():
        fix_copy(path, tmp_path / path.relative_to(FIXTURES).as_posix().replace("/", "_"))
    assert made  # some fixture's fix left an import unused
