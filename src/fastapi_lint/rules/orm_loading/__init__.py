"""FAL205, FAL206, FAL306: how ORM instances load — lazy loads in async code, attributes expired
by a commit, and a query per row of a query.

They share one reading of each function (semantic.loads): which names hold instances a session
loaded, from which `select(...)`, with which loader options; and the project index's
relationship facts (semantic.relationships) and session factories (semantic.expiry).
"""

from fastapi_lint.rules.orm_loading.expired_attribute import ExpiredAttributeAfterCommit
from fastapi_lint.rules.orm_loading.lazy_load import LazyLoadInAsync
from fastapi_lint.rules.orm_loading.n_plus_one import NPlusOneQuery

__all__ = ["ExpiredAttributeAfterCommit", "LazyLoadInAsync", "NPlusOneQuery"]
