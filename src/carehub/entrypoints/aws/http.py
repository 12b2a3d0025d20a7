"""The HTTP API on Lambda: API Gateway's HTTP API (payload 2.0), its REST API (1.0) and
Function URLs, through Mangum.

The app and its wiring are made on the first invocation and serve every later one. The
app's lifespan is entered once then and never left: Mangum would run it (and close the
wiring) around every invocation, so it is switched off there. The background loops do not
run here; the relay, consumers and jobs are functions of their own. Absolute links come from
`CAREHUB_PUBLIC_URL`, never from the request's `Host`.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from mangum import Mangum

from carehub.entrypoints.aws.container import CONTAINER
from carehub.entrypoints.http.app import create_app

_adapter: Mangum | None = None
# Held for the container's life: were it collected, its generator would be finalized, and
# leaving the lifespan closes the wiring every handler shares.
_lifespan: AbstractAsyncContextManager[object] | None = None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Serve one API Gateway or Function URL request."""
    return _serving()(event, context)


def _serving() -> Mangum:
    global _adapter, _lifespan
    if _adapter is None:
        settings = CONTAINER.settings
        app = create_app(settings, carehub=CONTAINER.carehub, background_loops=False)
        # Entered for the container's life: Lambda freezes or ends it without notice.
        lifespan = app.router.lifespan_context(app)
        CONTAINER.loop.run_until_complete(lifespan.__aenter__())
        _adapter, _lifespan = Mangum(app, lifespan="off"), lifespan
    return _adapter


def reset() -> None:
    """Leave the app's lifespan and forget the app (before a test's next container)."""
    global _adapter, _lifespan
    if _lifespan is not None:
        CONTAINER.loop.run_until_complete(_lifespan.__aexit__(None, None, None))
    _adapter, _lifespan = None, None
