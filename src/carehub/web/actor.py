"""Authentication for HTTP routes: deny by default, one dependency per router."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from carehub.kernel.actor import Actor, Authenticator
from carehub.kernel.errors import Unauthenticated
from carehub.kernel.request_rate import RequestRate
from carehub.web.dependencies import use_cases_of


class BearerActor(HTTPBearer):
    """The caller's actor from `Authorization: Bearer <token>`; 401 without a valid one,
    429 once the caller has used up its requests for the minute.

    It is the `HTTPBearer` security scheme itself (so the OpenAPI document and the docs'
    Authorize button know it) rather than a dependency on one: every request runs it,
    and each level of FastAPI dependencies costs a read a noticeable share of its time.
    """

    async def __call__(self, request: Request) -> Actor:  # type: ignore[override]
        scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
        if not token or scheme.lower() != "bearer":
            raise Unauthenticated("A bearer token is required")
        use_cases = use_cases_of(request)
        actor = await use_cases.get(Authenticator).authenticate(
            token,
            request_id=request.scope.get("state", {}).get("request_id"),
            client=request.client.host if request.client else None,
        )
        # Counted before the route runs, so a refused read costs as much as an answered one.
        await use_cases.get(RequestRate).charge_principal(actor.id)
        request.state.actor = actor
        return actor


authenticated = BearerActor(
    scheme_name="HTTPBearer",
    auto_error=False,
    description="An access token from `POST /auth/login`.",
)


async def current_actor(request: Request) -> Actor:
    """The actor `authenticated` established for this request (the token is checked once)."""
    actor = getattr(request.state, "actor", None)
    if not isinstance(actor, Actor):
        raise Unauthenticated("A bearer token is required")
    return actor


REQUIRE_TOKEN = [Depends(authenticated)]
CurrentActor = Annotated[Actor, Depends(current_actor)]
"""A route's caller, on routers that require a token (`REQUIRE_TOKEN`)."""
