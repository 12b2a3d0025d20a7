"""ASGI middleware that counts every request against its client address's budget."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from carehub.kernel.request_rate import RequestRate, RequestsThrottled
from carehub.web.dependencies import UseCases
from carehub.web.problems import STATUS_BY_KIND, problem_response


class AddressThrottleMiddleware:
    """Answers 429 with `Retry-After` once an address has used up its requests this minute.

    It runs before routing, so every request counts, whether it names a route, carries a
    valid token or not; the principal's own budget is counted once its token is checked
    (`carehub.web.actor`). The address is the one the server gives the request.
    """

    def __init__(self, app: ASGIApp, *, use_cases: UseCases) -> None:
        self.app = app
        self.use_cases = use_cases

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client") if scope["type"] == "http" else None
        if client:
            try:
                await self.use_cases.get(RequestRate).charge_address(client[0])
            except RequestsThrottled as refused:
                response = problem_response(
                    Request(scope),
                    status=STATUS_BY_KIND[refused.kind],
                    kind=refused.kind,
                    title=refused.title,
                    detail=refused.detail,
                    headers={"Retry-After": str(refused.retry_after)},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
