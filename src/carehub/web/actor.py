"""Authentication for HTTP routes: deny by default, one dependency per router."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from carehub.kernel.actor import Actor, Authenticator
from carehub.kernel.errors import Unauthenticated

_bearer = HTTPBearer(auto_error=False, description="An access token from `POST /auth/login`.")


async def authenticated(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """The caller's actor; 401 without a valid bearer token. Routers depend on this."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("A bearer token is required")
    authenticator: Authenticator = request.app.state.carehub.identity
    actor = await authenticator.authenticate(
        credentials.credentials,
        request_id=request.scope.get("state", {}).get("request_id"),
        client=request.client.host if request.client else None,
    )
    request.state.actor = actor
    return actor


def actor_of(request: Request) -> Actor:
    """The actor `authenticated` established for this request."""
    actor = getattr(request.state, "actor", None)
    if not isinstance(actor, Actor):
        raise Unauthenticated("A bearer token is required")
    return actor


REQUIRE_TOKEN = [Depends(authenticated)]
