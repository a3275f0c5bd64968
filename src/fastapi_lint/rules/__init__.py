"""The rule registry: every rule family module registers its rules on import."""

from __future__ import annotations

from fastapi_lint.rules.base import REGISTRY, Rule


def all_rules() -> list[type[Rule]]:
    from fastapi_lint.rules import (  # noqa: F401  (importing registers the rules)
        async_io,
        models,
        orm_loading,
        pydantic_v2,
        pydantic_validators,
        routes,
        security,
        tool,
    )

    return [REGISTRY[code] for code in sorted(REGISTRY)]


def rule_by_code_or_name(key: str) -> type[Rule] | None:
    for rule in all_rules():
        if key.upper() == rule.code or key.lower() == rule.name:
            return rule
    return None
