"""Codes, names, docs and fixtures stay in step; each rule's docs examples are checked."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from fastapi_lint.config import Settings
from fastapi_lint.engine import Linter
from fastapi_lint.rules import all_rules
from fastapi_lint.semantic.index import ProjectIndex
from harness import FIXTURES

SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "Use instead:", "## Fix safety")
RULES = all_rules()
LINT_RULES = [rule for rule in RULES if not rule.code.startswith("FAL00")]


def test_codes_and_names_are_unique_and_well_formed():
    codes = [rule.code for rule in RULES]
    names = [rule.name for rule in RULES]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
    for rule in RULES:
        assert re.fullmatch(r"FAL[0-9]{3}", rule.code)
        assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)*", rule.name)
        assert rule.summary and not rule.summary.endswith(".")


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_rule_has_every_doc_section(rule):
    doc = rule.documentation()
    for section in SECTIONS:
        assert section in doc, f"{rule.code} docs lack {section!r}"


@pytest.mark.parametrize("rule", LINT_RULES, ids=lambda rule: rule.code)
def test_rule_has_fixtures(rule):
    folder = FIXTURES / rule.code
    assert folder.is_dir()
    assert list(folder.glob("**/*.py")), f"{rule.code} has no fixture files"


def _blocks(doc: str) -> tuple[str, str]:
    example = doc.split("## Example", 1)[1]
    bad = re.search(r"```python\n(.*?)```", example, re.S).group(1)
    good = re.search(r"```python\n(.*?)```", example.split("Use instead:", 1)[1], re.S).group(1)
    return bad, good


@pytest.mark.parametrize("rule", LINT_RULES, ids=lambda rule: rule.code)
def test_doc_example_reports_and_use_instead_does_not(rule):
    bad, good = _blocks(rule.documentation())
    settings = Settings(select=(rule.code,), pydantic_version=2)  # docs speak of a v2 project

    def codes(text: str) -> list[str]:
        result = Linter(settings, _index(text)).lint("doc.py", text, "doc", "")
        return [d.code for d in result.diagnostics]

    assert rule.code in codes(bad), f"the Example of {rule.code} does not report it"
    assert codes(good) == [], f"the 'Use instead' of {rule.code} reports something"


def _index(text: str) -> ProjectIndex:
    import ast

    from fastapi_lint.semantic.facts import extract

    index = ProjectIndex()
    index.add(extract(ast.parse(text), "doc", ""), ["doc"])
    return index


def test_the_settings_module_loads_no_rule_until_asked():
    code = (
        "import sys, fastapi_lint.config as config\n"
        "loaded = ('fastapi_lint.rules', 'packaging')\n"
        "print(sorted(m for m in sys.modules if m.startswith(loaded)))\n"
        "config.validate_codes(['FAL301'], 'x')\n"
        "print('fastapi_lint.rules' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split("\n")[:2] == ["[]", "True"], done.stderr
