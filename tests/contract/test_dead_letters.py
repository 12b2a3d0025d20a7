"""The DeadLetters port, and the processed-message record of the consumer unit of work, on
every backend: effects happen once, failures retry and then park, and parked messages
can be replayed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from carehub.events.errors import LetterAlreadyReplayed, ReplayFailed
from carehub.events.model import Consumer, ConsumerSpec, DeadLetter, RetryPolicy
from carehub.events.ports import Delivery
from carehub.events.runner import apply_once
from carehub.events.service import DeadLetterService
from carehub.kernel.actor import Actor
from carehub.kernel.events import EventMessage
from carehub.patients.model import Patient
from tests.contract.every_database import every_database  # noqa: F401 (the databases)
from tests.support.event_world import (
    ANALYTICS,
    EventWorld,
    consume_until,
    event_world,
    registered_today,
)

REGISTERED = frozenset({"patients.patient_registered.v1"})
FAST_RETRIES = {"event_max_attempts": 3}


class Poisoned:
    """Counts registrations, but fails on every event of the patients it is told to."""

    def __init__(self) -> None:
        self.poison: set[str] = set()
        self.applied: list[str] = []
        self.consumer = Consumer(ConsumerSpec("picky", REGISTERED), self.apply)

    async def apply(self, message: EventMessage, uow: object) -> None:
        if message.aggregate_id in self.poison:
            raise ValueError(f"cannot handle {message.event_type}")
        self.applied.append(message.aggregate_id)


def fast(world: EventWorld) -> None:
    for runner in world.events.runners:
        runner._retry = RetryPolicy(max_attempts=3, base_seconds=0.05, cap_seconds=0.1)


ADMIN = Actor.system("ops")


async def parked_letter(
    world: EventWorld, picky: Poisoned
) -> tuple[Patient, DeadLetterService, DeadLetter]:
    """A registration `picky` fails on until it was parked, and the service that replays it."""
    fast(world)
    patient = await world.register()
    picky.poison.add(patient.id)
    [row] = await world.events.outbox.unpublished(0, 10)
    [runner] = world.events.runners
    for attempt in (1, 2, 3):
        await runner.handle_one(Delivery(row.message, attempt, str(attempt)))
    service = DeadLetterService(
        world.dead_letters, {"picky": picky.consumer}, world.new_uow, world.clock
    )
    [letter] = (await service.list(actor=ADMIN)).items
    return patient, service, letter


async def test_a_poison_message_is_parked_and_the_messages_behind_it_flow(
    database_url: str, tmp_path: Path
) -> None:
    picky = Poisoned()
    async with event_world(database_url, tmp_path, [picky.consumer], **FAST_RETRIES) as world:
        fast(world)
        poison = await world.register()
        picky.poison.add(poison.id)
        others = [await world.register() for _ in range(4)]

        async def parked() -> bool:
            page = await world.dead_letters.page(
                consumer=None, include_replayed=False, cursor=None, limit=10
            )
            return bool(page.items) and len(picky.applied) == 4

        await consume_until(world, parked)
        assert sorted(picky.applied) == sorted(p.id for p in others)
        page = await world.dead_letters.page(
            consumer=None, include_replayed=False, cursor=None, limit=10
        )
        [letter] = page.items
        assert letter.consumer == "picky"
        assert letter.message.aggregate_id == poison.id
        assert letter.attempts == 3
        assert letter.last_error == "ValueError: cannot handle patients.patient_registered.v1"


class ForgetfulSubscription:
    """A subscription whose first acknowledgement is lost, as when a consumer crashes
    between committing its effect and acknowledging the message."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.lost = 0
        self.acked = 0

    async def receive(self, max_messages: int, wait_seconds: float) -> list[Delivery]:
        return await self.inner.receive(max_messages, wait_seconds)  # type: ignore[attr-defined,no-any-return]

    async def ack(self, delivery: Delivery) -> None:
        if not self.lost:
            self.lost += 1
            raise ConnectionError("crashed before the ack")
        await self.inner.ack(delivery)  # type: ignore[attr-defined]
        self.acked += 1

    async def retry_later(self, delivery: Delivery, delay_seconds: float) -> None:
        await self.inner.retry_later(delivery, delay_seconds)  # type: ignore[attr-defined]


async def test_a_crash_between_the_effect_and_the_ack_does_not_repeat_the_effect(
    database_url: str, tmp_path: Path
) -> None:
    # The lost ack brings the message back after the visibility timeout.
    async with event_world(
        database_url, tmp_path, [ANALYTICS], event_visibility_timeout_seconds=1
    ) as world:
        [runner] = world.events.runners
        forgetful = ForgetfulSubscription(runner._subscription)
        runner._subscription = forgetful
        await world.register()
        await consume_until(world, lambda: forgetful.acked == 1)
        assert forgetful.lost == 1
        assert await world.events.outbox.backlog() == 0
        assert await registered_today(world) == 1


async def test_the_same_message_delivered_twice_is_applied_once(
    database_url: str, tmp_path: Path
) -> None:
    async with event_world(database_url, tmp_path, [ANALYTICS]) as world:
        await world.register()
        [row] = await world.events.outbox.unpublished(0, 10)
        applied = [await apply_once(ANALYTICS, row.message, world.new_uow) for _ in range(2)]
        assert await registered_today(world) == 1
        assert applied == [True, False]


async def test_a_parked_message_can_be_replayed_once_its_consumer_is_fixed(
    database_url: str, tmp_path: Path
) -> None:
    picky = Poisoned()
    async with event_world(database_url, tmp_path, [picky.consumer], **FAST_RETRIES) as world:
        patient, service, letter = await parked_letter(world, picky)

        picky.poison.clear()  # the consumer was fixed
        replayed = await service.replay(actor=ADMIN, letter_id=letter.letter_id)
        assert replayed.replayed_at is not None
        assert picky.applied == [patient.id]
        assert (await service.list(actor=ADMIN)).items == []
        assert len((await service.list(actor=ADMIN, include_replayed=True)).items) == 1


async def test_a_replayed_letter_is_not_replayed_again_even_side_by_side(
    database_url: str, tmp_path: Path
) -> None:
    picky = Poisoned()
    async with event_world(database_url, tmp_path, [picky.consumer], **FAST_RETRIES) as world:
        patient, service, letter = await parked_letter(world, picky)
        picky.poison.clear()

        outcomes = await asyncio.gather(
            *(service.replay(actor=ADMIN, letter_id=letter.letter_id) for _ in range(3)),
            return_exceptions=True,
        )
        again = await asyncio.gather(
            service.replay(actor=ADMIN, letter_id=letter.letter_id), return_exceptions=True
        )

        assert sum(isinstance(o, DeadLetter) for o in outcomes) == 1, outcomes
        assert all(
            isinstance(o, LetterAlreadyReplayed)
            for o in outcomes + again
            if not isinstance(o, DeadLetter)
        )
        assert isinstance(again[0], LetterAlreadyReplayed)
        # Its consumer has nothing to write, so only the claim keeps it from applying twice.
        assert picky.applied == [patient.id]


async def test_a_replay_that_fails_again_can_be_retried(database_url: str, tmp_path: Path) -> None:
    picky = Poisoned()
    async with event_world(database_url, tmp_path, [picky.consumer], **FAST_RETRIES) as world:
        patient, service, letter = await parked_letter(world, picky)

        with pytest.raises(ReplayFailed):
            await service.replay(actor=ADMIN, letter_id=letter.letter_id)
        [parked] = (await service.list(actor=ADMIN)).items
        assert parked.replayed_at is None and parked.attempts == 4
        picky.poison.clear()
        replayed = await service.replay(actor=ADMIN, letter_id=letter.letter_id)
        assert replayed.replayed_at is not None
        assert picky.applied == [patient.id]
