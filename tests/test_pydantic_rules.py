"""The Pydantic rules: their docs tell the real default, their fixes run on Pydantic v2."""

from __future__ import annotations

import pytest

from fastapi_lint.config import Settings
from fastapi_lint.rules import rule_by_code_or_name

PYDANTIC_RULES = ("FAL501", "FAL502")


@pytest.mark.parametrize("code", PYDANTIC_RULES)
def test_docs_state_the_real_default_pydantic_version(code):
    documentation = rule_by_code_or_name(code).documentation()
    assert f'by default ("{Settings().pydantic_version}")' in documentation
