"""`Idempotency-Key` on POST: replay the first response, refuse a changed body."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import Response

from carehub.kernel.actor import Actor
from carehub.kernel.errors import Conflict, FieldError, Invalid
from carehub.kernel.idempotency import IdempotencyClaim, IdempotencyKeyRaced, IdempotencyStore
from carehub.web.dependencies import use_case

_KEY = re.compile(r"[\x21-\x7e]{1,255}")
REPLAYED_HEADER = "Idempotent-Replayed"

Idempotency = Annotated[IdempotencyStore, Depends(use_case(IdempotencyStore))]
"""The store that remembers each `Idempotency-Key` and its first response."""


def fingerprint(request: Request, body: bytes) -> str:
    """What makes two requests "the same": method, path and body bytes."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.url.path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


async def idempotent(
    request: Request,
    *,
    store: IdempotencyStore,
    actor: Actor,
    key: str | None,
    run: Callable[[IdempotencyClaim | None], Awaitable[Response]],
    rebuild: Callable[[str], Awaitable[Response]],
) -> Response:
    """Run a POST at most once per key.

    `run` performs the request, storing the claim in its own transaction; `rebuild`
    renders the created resource again when the first response was never recorded.
    """
    if key is None:
        return await run(None)
    if not _KEY.fullmatch(key):
        raise Invalid(
            "Idempotency-Key must be 1-255 visible ASCII characters",
            errors=[FieldError("Idempotency-Key", "1-255 visible ASCII characters")],
        )
    scope = f"{actor.id}:{request.method}:{request.url.path}"
    claim = IdempotencyClaim(
        scope=scope, key=key, fingerprint=fingerprint(request, await request.body())
    )
    replay = await _replay(request, store, claim, rebuild)
    if replay is not None:
        return replay
    try:
        response = await run(claim)
    except IdempotencyKeyRaced:
        replay = await _replay(request, store, claim, rebuild)
        if replay is None:
            raise
        return replay
    await store.record_response(scope, key, response.status_code, bytes(response.body))
    return response


async def _replay(
    request: Request,
    store: IdempotencyStore,
    claim: IdempotencyClaim,
    rebuild: Callable[[str], Awaitable[Response]],
) -> Response | None:
    outcome = await store.find(claim.scope, claim.key)
    if outcome is None:
        return None
    if outcome.fingerprint != claim.fingerprint:
        raise Invalid(
            "This Idempotency-Key was used with a different request body",
            errors=[FieldError("Idempotency-Key", "already used for a different request")],
        )
    if outcome.status is not None and outcome.body is not None:
        response = Response(outcome.body, status_code=outcome.status, media_type="application/json")
        if outcome.resource_id is not None:
            response.headers["Location"] = f"{request.url.path.rstrip('/')}/{outcome.resource_id}"
    elif outcome.resource_id is not None:
        response = await rebuild(outcome.resource_id)
    else:
        raise Conflict("The first request with this Idempotency-Key is still in progress")
    response.headers[REPLAYED_HEADER] = "true"
    return response
