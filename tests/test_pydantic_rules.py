"""The Pydantic rules: their docs tell the real default, their fixes run on Pydantic v2."""

from __future__ import annotations

import re
import warnings

import pydantic
import pydantic.v1
import pytest

from fastapi_lint.config import Settings
from fastapi_lint.rules import rule_by_code_or_name
from harness import FIXTURES

PYDANTIC_RULES = ("FAL501", "FAL502", "FAL503")


@pytest.mark.parametrize("code", PYDANTIC_RULES)
def test_docs_state_the_real_default_pydantic_version(code):
    documentation = rule_by_code_or_name(code).documentation()
    assert f'by default ("{Settings().pydantic_version}")' in documentation


# -- FAL503: the fixed validators behave on Pydantic v2 as the originals did on v1 -----------
FAL503 = FIXTURES / "FAL503"
EXECUTED = sorted(path for path in FAL503.glob("*.fixed.py") if "SAMPLES" in path.read_text())
V1_IMPORTS = (
    (r"^from pydantic import ", "from pydantic.v1 import "),
    (r"^import pydantic as ", "import pydantic.v1 as "),
)


def _module(source: str, name: str) -> dict:
    namespace: dict = {"__name__": name}
    exec(compile(source, name, "exec"), namespace)  # the fixture's own code, no user code
    return namespace


def _outcome(model, data: dict, v1: bool) -> tuple:
    errors = pydantic.v1.ValidationError if v1 else pydantic.ValidationError
    try:
        made = model(**data)
    except errors as error:
        return (
            "invalid",
            sorted(str(item["loc"][0]) if item["loc"] else "__root__" for item in error.errors()),
        )
    return ("valid", made.dict() if v1 else made.model_dump())


@pytest.mark.parametrize("fixed", EXECUTED, ids=lambda path: path.name)
def test_fixed_validators_behave_on_v2_as_the_originals_on_v1(fixed):
    original = fixed.with_name(fixed.name.replace(".fixed.py", ".py")).read_text()
    for pattern, v1 in V1_IMPORTS:
        original = re.sub(pattern, v1, original, flags=re.M)
    before = _module(original, "v1_original")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # no v1 API left after the fix
        after = _module(fixed.read_text(), "v2_fixed")
    assert after["SAMPLES"]
    for model, samples in after["SAMPLES"].items():
        for data in samples:
            expected = _outcome(before[model], data, v1=True)
            assert _outcome(after[model], data, v1=False) == expected, (model, data)
