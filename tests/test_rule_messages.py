"""Messages and fix titles are declared on the rule (STYLE.md): `message`/`messages` templates
and `fix_title`/`fix_titles`, read by the report sites, so a rule's wording is found in one place.

Covers the model, ORM, security, SQL, JSON and Pydantic families (FAL205, FAL206, FAL3xx, FAL4xx,
FAL5xx).
"""

from __future__ import annotations

import string

import pytest

from fastapi_lint.rules import all_rules
from fastapi_lint.rules.base import FixAvailability

FAMILIES = ("FAL205", "FAL206", "FAL3", "FAL4", "FAL5")
RULES = [rule for rule in all_rules() if rule.code.startswith(FAMILIES)]


def templates(rule, single: str, several: str) -> list[str]:
    found = [getattr(rule, single)] if single in rule.__dict__ else []
    return found + list(rule.__dict__.get(several, {}).values())


def test_the_families_are_all_there():
    assert len(RULES) == 14


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_messages_are_declared_on_the_rule(rule):
    messages = templates(rule, "message", "messages")
    assert messages, f"{rule.code} declares no message"
    for template in messages:
        list(string.Formatter().parse(template))  # a valid template
        assert not template.endswith("."), "messages are fragments without a full stop"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_fix_titles_are_declared_on_a_rule_that_fixes(rule):
    titles = templates(rule, "fix_title", "fix_titles")
    assert bool(titles) == (rule.fix_availability != FixAvailability.NONE)
