"""FAL3xx: models and data — defaults shared or evaluated once at import, JSON columns changed in
place."""

from fastapi_lint.rules.models.evaluated_default import CallEvaluatedFieldDefault
from fastapi_lint.rules.models.json_mutation import UntrackedJsonMutation
from fastapi_lint.rules.models.mutable_argument import MutableDefaultArgument
from fastapi_lint.rules.models.mutable_column import MutableColumnDefault
from fastapi_lint.rules.models.mutable_field import MutableFieldDefault

__all__ = [
    "CallEvaluatedFieldDefault",
    "MutableColumnDefault",
    "MutableDefaultArgument",
    "MutableFieldDefault",
    "UntrackedJsonMutation",
]
