"""Registering checks the caller, the event types, the secret and where the URL leads."""

from __future__ import annotations

import pytest

from carehub.kernel.actor import Actor, Role
from carehub.kernel.errors import Forbidden, Invalid
from carehub.webhooks.errors import UnknownEventType, UrlRefused
from tests.adapters.webhooks.conftest import (
    ADMIN,
    REGISTERED,
    SECRET,
    USER_CREATED,
    FakeResolver,
    WebhookWorld,
)

RESOLVER = FakeResolver(
    {
        "hooks.example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
        "rebinder.example.com": ["93.184.215.14", "169.254.169.254"],
        "intranet.example.com": ["10.1.2.3"],
    }
)


async def test_stores_the_subscription_with_sorted_unique_types(
    world: WebhookWorld,
) -> None:
    service = world.service(resolver=RESOLVER, allow_private=False)
    created = await service.register(
        actor=ADMIN,
        url="https://hooks.example.com/carehub",
        event_types=[USER_CREATED, REGISTERED, USER_CREATED],
        secret=SECRET,
    )
    assert created.event_types == (USER_CREATED, REGISTERED)
    assert created.created_by == ADMIN.id
    stored = await service.get(actor=ADMIN, subscription_id=created.id)
    assert stored == created


async def test_a_star_stands_for_every_type(world: WebhookWorld) -> None:
    service = world.service(resolver=RESOLVER)
    created = await service.register(
        actor=ADMIN, url="https://hooks.example.com/", event_types=[REGISTERED, "*"], secret=SECRET
    )
    assert created.event_types == ("*",)


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.STAFF, Role.PATIENT])
async def test_only_admins_manage_webhooks(world: WebhookWorld, role: Role) -> None:
    service = world.service(resolver=RESOLVER)
    someone = Actor(id="u-2", role=role, country_id="PE")
    with pytest.raises(Forbidden):
        await service.register(
            actor=someone, url="https://hooks.example.com/", event_types=["*"], secret=SECRET
        )
    with pytest.raises(Forbidden):
        await service.list_subscriptions(actor=someone, cursor=None, limit=10)


async def test_unknown_event_types_are_named(world: WebhookWorld) -> None:
    service = world.service(resolver=RESOLVER)
    with pytest.raises(UnknownEventType) as refused:
        await service.register(
            actor=ADMIN,
            url="https://hooks.example.com/",
            event_types=[REGISTERED, "patients.patient_exploded.v1"],
            secret=SECRET,
        )
    assert refused.value.errors[0].field == "eventTypes[1]"
    assert "patients.patient_exploded.v1" in refused.value.errors[0].message


@pytest.mark.parametrize(
    ("url", "allow_private", "reason"),
    [
        ("ftp://hooks.example.com/", True, "must start with http:// or https://"),
        ("http://169.254.169.254/latest/", True, "link-local address (169.254.169.254)"),
        ("http://rebinder.example.com/", True, "link-local address (169.254.169.254)"),
        ("http://127.0.0.1:8080/", False, "loopback address (127.0.0.1)"),
        ("http://intranet.example.com/", False, "private address (10.1.2.3)"),
        ("http://[::ffff:127.0.0.1]/", False, "loopback address"),
        ("http://unknown.example.com/", True, "host unknown.example.com does not resolve"),
        ("https://user:pw@hooks.example.com/", True, "must not contain credentials"),
    ],
)
async def test_urls_that_lead_nowhere_permitted_are_refused(
    world: WebhookWorld, url: str, allow_private: bool, reason: str
) -> None:
    service = world.service(resolver=RESOLVER, allow_private=allow_private)
    with pytest.raises(UrlRefused) as refused:
        await service.register(actor=ADMIN, url=url, event_types=["*"], secret=SECRET)
    assert refused.value.errors[0].field == "url"
    assert reason in refused.value.detail


async def test_private_addresses_are_accepted_when_allowed(world: WebhookWorld) -> None:
    service = world.service(resolver=RESOLVER, allow_private=True)
    for url in ("http://127.0.0.1:8080/", "http://intranet.example.com/"):
        await service.register(actor=ADMIN, url=url, event_types=["*"], secret=SECRET)


@pytest.mark.parametrize("secret", ["short", "x" * 257])
async def test_secrets_have_a_sane_length(world: WebhookWorld, secret: str) -> None:
    service = world.service(resolver=RESOLVER)
    with pytest.raises(Invalid) as refused:
        await service.register(
            actor=ADMIN, url="https://hooks.example.com/", event_types=["*"], secret=secret
        )
    assert refused.value.errors[0].field == "secret"
