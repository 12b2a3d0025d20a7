"""HTTP routes for webhook subscriptions and their deliveries (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from starlette.responses import Response

from carehub.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT
from carehub.web.actor import REQUIRE_TOKEN, CurrentActor
from carehub.web.dependencies import use_case
from carehub.web.problems import error_responses
from carehub.webhooks.schemas import (
    DeliveryPage,
    DeliveryRead,
    WebhookCreate,
    WebhookPage,
    WebhookRead,
)
from carehub.webhooks.service import WebhookService

router = APIRouter(
    prefix="/webhooks",
    tags=["webhooks"],
    dependencies=REQUIRE_TOKEN,
    responses=error_responses(401, 403),
)
SubscriptionId = Annotated[str, Path(max_length=64)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=512)]
Webhooks = Annotated[WebhookService, Depends(use_case(WebhookService))]


def _json(model: WebhookRead | WebhookPage | DeliveryPage, status: int = 200) -> Response:
    return Response(model.model_dump_json(by_alias=True), status, media_type="application/json")


@router.post("", status_code=201, response_model=WebhookRead, responses=error_responses(422))
async def register_webhook(
    actor: CurrentActor, webhooks: Webhooks, body: WebhookCreate
) -> Response:
    """Subscribe a URL to event types; deliveries are signed with the secret."""
    subscription = await webhooks.register(
        actor=actor, url=body.url, event_types=body.event_types, secret=body.secret
    )
    response = _json(WebhookRead.of(subscription), 201)
    response.headers["Location"] = f"/webhooks/{subscription.id}"
    return response


@router.get("", response_model=WebhookPage, responses=error_responses(422))
async def list_webhooks(
    actor: CurrentActor, webhooks: Webhooks, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response:
    """List webhook subscriptions, ordered by id."""
    page = await webhooks.list_subscriptions(actor=actor, cursor=cursor, limit=limit)
    items = [WebhookRead.of(s) for s in page.items]
    return _json(WebhookPage(items=items, next_cursor=page.next_cursor))


@router.get("/{subscription_id}", response_model=WebhookRead, responses=error_responses(404, 422))
async def read_webhook(
    actor: CurrentActor, webhooks: Webhooks, subscription_id: SubscriptionId
) -> Response:
    """One webhook subscription (its secret is never shown)."""
    subscription = await webhooks.get(actor=actor, subscription_id=subscription_id)
    return _json(WebhookRead.of(subscription))


@router.post(
    "/{subscription_id}/resume", response_model=WebhookRead, responses=error_responses(404, 422)
)
async def resume_webhook(
    actor: CurrentActor, webhooks: Webhooks, subscription_id: SubscriptionId
) -> Response:
    """Resume a paused subscription: its failure count restarts and waiting deliveries go out."""
    subscription = await webhooks.resume(actor=actor, subscription_id=subscription_id)
    return _json(WebhookRead.of(subscription))


@router.delete("/{subscription_id}", status_code=204, responses=error_responses(404, 422))
async def delete_webhook(
    actor: CurrentActor, webhooks: Webhooks, subscription_id: SubscriptionId
) -> Response:
    """Delete a subscription with its deliveries and their history."""
    await webhooks.remove(actor=actor, subscription_id=subscription_id)
    return Response(status_code=204)


@router.get(
    "/{subscription_id}/deliveries",
    response_model=DeliveryPage,
    responses=error_responses(404, 422),
)
async def list_deliveries(
    actor: CurrentActor,
    webhooks: Webhooks,
    subscription_id: SubscriptionId,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """A subscription's deliveries, newest first, each with every attempt (status, latency,
    error)."""
    page = await webhooks.deliveries(
        actor=actor, subscription_id=subscription_id, cursor=cursor, limit=limit
    )
    items = [DeliveryRead.of(record) for record in page.items]
    return _json(DeliveryPage(items=items, next_cursor=page.next_cursor))
