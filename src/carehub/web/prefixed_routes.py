"""Routes tried first, and only, for the paths under their prefix.

FastAPI matches a request against each included router's routes in turn, at a few
microseconds a route (it sets and restores its routing context around each one), so a
path served late in the app's list pays for every route before it: `/fhir/R4/Patient/{id}`
came after 50 of them, about 150 µs of a 1 ms read. Placed first, `PrefixedRoutes` sends
the paths under its prefix straight to their own routers and costs every other path one
string comparison. The routers stay in the app's list where they were included, for the
OpenAPI document and whatever else walks the routes (neither looks inside this one).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

# Where `matches` leaves the route it found, for `handle` (FastAPI merges the scope that
# `matches` returns into the request's before it calls `handle`).
_CHOSEN = "carehub.prefixed_route"


class PrefixedRoutes(BaseRoute):
    """`routes` (included routers, or routes) for the paths under `prefix` only."""

    def __init__(self, prefix: str, routes: Sequence[BaseRoute]) -> None:
        self.prefix = prefix.rstrip("/")
        self.routes = list(routes)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = get_route_path(scope)
        if path != self.prefix and not path.startswith(self.prefix + "/"):
            return Match.NONE, {}
        partial: Scope | None = None
        for route in self.routes:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                return match, {**child_scope, _CHOSEN: route}
            if match is Match.PARTIAL and partial is None:  # the path, not the method: 405
                partial = {**child_scope, _CHOSEN: route}
        return (Match.NONE, {}) if partial is None else (Match.PARTIAL, partial)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: BaseRoute = scope[_CHOSEN]
        await route.handle(scope, receive, send)


def get_route_path(scope: Scope) -> str:
    """The path below the app's root path, as Starlette's own routes match it."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if not root or not path.startswith(root) or path == root:
        return "" if root and path == root else path
    return path[len(root) :] if path[len(root)] == "/" else path
