"""The acting principal of an HTTP request."""

from __future__ import annotations

from fastapi import Request

from carehub.kernel.actor import Actor


def actor_of(request: Request) -> Actor:
    """Who is calling. Until sign-in exists every caller is the same anonymous principal."""
    state = request.scope.get("state", {})
    client = request.client.host if request.client else None
    return Actor(id="anonymous", request_id=state.get("request_id"), client_address=client)
