"""FAL1xx: routes — Endpoint → Service → Model, declared responses, background tasks.

One module per rule (`database_access` FAL101, `response_models` FAL102, `background_tasks`
FAL103); which functions are application route handlers is in `handlers`. Importing the
package registers the rules.
"""

from fastapi_lint.rules.routes import (  # noqa: F401  (importing registers the rules)
    background_tasks,
    database_access,
    response_models,
)
