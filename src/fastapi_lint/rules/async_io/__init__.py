"""FAL2xx: async all the way — no blocking calls, every coroutine awaited, async drivers.

One module per rule (`blocking_calls` FAL201, `unawaited_calls` FAL202, `sync_sessions`
FAL203, `engine_urls` FAL204); what they share about calls inside `async def` is in `calls`.
Importing the package registers the rules.
"""

from fastapi_lint.rules.async_io import (  # noqa: F401  (importing registers the rules)
    blocking_calls,
    engine_urls,
    sync_sessions,
    unawaited_calls,
)
