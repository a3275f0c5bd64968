"""Which functions the route rules check: route handlers outside test files (by default)."""

from __future__ import annotations

from pathlib import PurePath

from fastapi_lint.rules.base import FileContext, Option, Rule
from fastapi_lint.semantic.routes import Route

TEST_FILES_OPTION = Option(
    "check-test-files",
    bool,
    False,
    "Also check routes declared in test files (tests/, test_*.py, *_test.py, conftest.py)",
)


def application_route(rule: Rule, func) -> Route | None:
    """The route `func` handles, unless it is test scaffolding and the rule skips those."""
    route = rule.ctx.route(func)
    if route is not None and not rule.option("check-test-files") and _in_test_file(rule.ctx):
        return None
    return route


def _in_test_file(ctx: FileContext) -> bool:
    return ctx.memo(in_test_file, lambda: in_test_file(ctx))  # asked per route: once per file


def in_test_file(ctx: FileContext) -> bool:
    """Test modules by the conventions of pytest and unittest, judged inside the import root
    (a project that itself lives under some `tests/` folder is not all tests)."""
    parts = ctx.module.split(".") if ctx.module else []
    stem = PurePath(ctx.location).stem
    names = [*parts[:-1], stem]
    return (
        any(part in ("tests", "test") for part in names[:-1])
        or stem.startswith("test_")
        or stem.endswith("_test")
        or stem == "conftest"
    )
