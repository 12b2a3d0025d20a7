"""What the use cases of every kind of item share: the gate in front of the patient's
record, reading an item, its history and the patient's list of them, and writing one new
item or one change of an item with its revision, its events and its audit entry.

Every attempt is audited as `<resource>.<verb>` (`note.amend`, `medication.list`): an
allowed one commits with the change, a refused one at once. An item of another patient, or
of a patient out of reach, looks exactly like one that does not exist.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from carehub.clinical import access
from carehub.clinical.errors import (
    ChangedMeanwhile,
    ItemNotFound,
    PatientInactive,
    PatientNotFound,
)
from carehub.clinical.model import ItemKind, RecordItem, Revision, required_reason
from carehub.clinical.ports import ClinicalUnitOfWork, ItemRepository
from carehub.kernel.access_gate import AccessGate
from carehub.kernel.actor import Actor
from carehub.kernel.audit import Outcome
from carehub.kernel.clock import Clock
from carehub.kernel.errors import PreconditionFailed
from carehub.kernel.events import DomainEvent
from carehub.kernel.idempotency import IdempotencyClaim
from carehub.kernel.pagination import Page, check_limit
from carehub.kernel.patient_directory import PatientContact

T = TypeVar("T", bound=RecordItem)

# How often a change that may be applied to a newer version (a checklist's check) is tried
# when other writers keep storing theirs first; the pause keeps racers out of step.
ATTEMPTS = 8
_PAUSE = 0.01

Check = Callable[[Actor, T], None]
Events = Callable[[T | None, T, datetime], Sequence[DomainEvent]]


@dataclass(frozen=True)
class Concept(Generic[T]):
    """One kind of item as the use cases handle it."""

    kind: ItemKind
    resource: str  # its resource type in the audit trail, and its actions' prefix
    items: Callable[[ClinicalUnitOfWork], ItemRepository[T]]
    missing: Callable[[str], ItemNotFound]


@dataclass(frozen=True)
class Change(Generic[T]):
    """One change of a stored item: what it does, and why when the rules ask."""

    verb: str  # the audit action's suffix: amend, stop, check, ...
    action: str  # the revision's action: amended, stopped, checked, ...
    # The item after the change; the very same object when it changes nothing (then
    # nothing is stored and no event recorded, but the access is still audited).
    apply: Callable[[ClinicalUnitOfWork, T, datetime], Awaitable[T]]
    events: Events[T]
    reason: str | None = None  # when given, required: present, not blank, bounded
    check: Check[T] | None = None  # who may make it, beyond writing the kind at all


class _Lost(Exception):
    """Another writer stored its change first; this unit is rolled back and runs again."""


class ItemRecord(Generic[T]):
    """The shared use cases of one kind of item; each kind's service adds its own."""

    def __init__(
        self, uow_factory: Callable[[], ClinicalUnitOfWork], clock: Clock, concept: Concept[T]
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._concept = concept
        self._gate = AccessGate(clock, concept.resource)

    async def get(self, *, actor: Actor, patient_id: str, item_id: str) -> T:
        """One item of the patient's record."""
        action = self._action("read")
        async with self._uow() as uow:
            item = await self._load(uow, actor, patient_id, item_id, action)
            uow.audit(self._gate.allowed(actor, action, item))
            await uow.commit()
        return item

    async def history(self, *, actor: Actor, patient_id: str, item_id: str) -> list[Revision[T]]:
        """Every version of the item, oldest first, each with who changed it, when and why."""
        action = self._action("history")
        async with self._uow() as uow:
            item = await self._load(uow, actor, patient_id, item_id, action)
            revisions = await self._concept.items(uow).history(item_id)
            uow.audit(self._gate.allowed(actor, action, item))
            await uow.commit()
        return revisions

    async def get_by_id(self, *, actor: Actor, item_id: str) -> T:
        """One item found by its id alone (a FHIR read names no patient): the same gate
        and audit entry as `get`."""
        action = self._action("read")
        async with self._uow() as uow:
            item = await self._reveal(uow, actor, item_id, action)
            uow.audit(self._gate.allowed(actor, action, item))
            await uow.commit()
        return item

    async def history_by_id(self, *, actor: Actor, item_id: str) -> list[Revision[T]]:
        """Every version of an item found by its id alone, oldest first, as `history`."""
        action = self._action("history")
        async with self._uow() as uow:
            item = await self._reveal(uow, actor, item_id, action)
            revisions = await self._concept.items(uow).history(item_id)
            uow.audit(self._gate.allowed(actor, action, item))
            await uow.commit()
        return revisions

    async def list_for_patient(
        self,
        *,
        actor: Actor,
        patient_id: str,
        statuses: Collection[str] | None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[T]:
        """The patient's items of this kind, newest first; only `statuses` unless None."""
        check_limit(limit)
        action = self._action("list")
        async with self._uow() as uow:
            await self._patient(uow, actor, patient_id, action)
            page = await self._concept.items(uow).for_patient(
                patient_id, statuses=statuses, cursor=cursor, limit=limit
            )
            uow.audit(self._gate.record(actor, action, patient_id, None))
            await uow.commit()
        return page

    async def _create(
        self,
        *,
        actor: Actor,
        patient_id: str,
        build: Callable[[ClinicalUnitOfWork, datetime], Awaitable[T]],
        events: Events[T],
        verb: str = "create",
        action: str = "written",
        idempotency: IdempotencyClaim | None = None,
    ) -> T:
        """Store a new item `build` makes for a patient the actor may write for."""
        audited = self._action(verb)
        now = self._clock.now()
        async with self._uow() as uow:
            patient = await self._patient(uow, actor, patient_id, audited)
            async with self._gate.checking(uow, actor, audited, patient_id=patient_id):
                access.check_can_write(actor, self._concept.kind)
                if not patient.active:
                    raise PatientInactive(patient_id)
                item = await build(uow, now)
            await self._concept.items(uow).add(Revision(now, actor.id, action, item))
            for event in events(None, item, now):  # the first names what a key created
                uow.record(event)
            uow.audit(self._gate.allowed(actor, audited, item))
            if idempotency is not None:
                uow.claim_idempotency(idempotency)
            await uow.commit()
        return item

    async def _change(
        self,
        change: Change[T],
        *,
        actor: Actor,
        patient_id: str,
        item_id: str,
        if_version: int | None,
        retry: bool = False,
    ) -> T:
        """Apply `change` to the stored item if it is still the version the client saw
        (`if_version`; 412 otherwise). Without one and with `retry`, a change another
        writer stored first is read and the change applied to it, a few times."""
        attempts = ATTEMPTS if retry and if_version is None else 1
        for attempt in range(1, attempts + 1):
            try:
                return await self._change_once(
                    change, actor, patient_id, item_id, if_version, last=attempt == attempts
                )
            except _Lost:
                await asyncio.sleep(random.uniform(0, _PAUSE * attempt))
        raise AssertionError("the last attempt raises rather than losing")  # pragma: no cover

    async def _change_once(
        self,
        change: Change[T],
        actor: Actor,
        patient_id: str,
        item_id: str,
        if_version: int | None,
        *,
        last: bool,
    ) -> T:
        audited = self._action(change.verb)
        now = self._clock.now()
        async with self._uow() as uow:
            current = await self._load(uow, actor, patient_id, item_id, audited)
            async with self._gate.checking(
                uow, actor, audited, patient_id=patient_id, resource_id=item_id
            ):
                access.check_can_write(actor, self._concept.kind)
                if change.check is not None:
                    change.check(actor, current)
                if if_version is not None and current.version != if_version:
                    raise ChangedMeanwhile()
                reason = None if change.reason is None else required_reason(change.reason)
                changed = await change.apply(uow, current, now)
                stored = changed is current or await self._concept.items(uow).replace(
                    Revision(now, actor.id, change.action, changed, reason)
                )
                if not stored and last:
                    raise ChangedMeanwhile()
            if not stored:
                raise _Lost()
            if changed is not current:
                for event in change.events(current, changed, now):
                    uow.record(event)
            uow.audit(self._gate.allowed(actor, audited, changed))
            try:
                await uow.commit()
            except PreconditionFailed as exc:
                # A store whose writes are conditions checked at commit (DynamoDB) finds
                # there that another writer got in first.
                if not last:
                    raise _Lost() from exc
                lost = exc
            else:
                return changed
        # Nothing of that unit was written: its refusal is audited in a unit of its own.
        async with self._uow() as uow:
            await self._gate.refuse(uow, actor, audited, patient_id, Outcome.FAILED, item_id)
        raise lost

    async def _patient(
        self, uow: ClinicalUnitOfWork, actor: Actor, patient_id: str, action: str
    ) -> PatientContact:
        return await self._gate.patient(
            uow, uow.patient_directory, actor, action, patient_id, PatientNotFound
        )

    async def _load(
        self, uow: ClinicalUnitOfWork, actor: Actor, patient_id: str, item_id: str, action: str
    ) -> T:
        """The item if it is one of the patient's and the actor may see the patient;
        otherwise the refusal is audited and the item reported missing."""
        await self._patient(uow, actor, patient_id, action)
        item = await self._concept.items(uow).get(item_id)
        if item is None or item.patient_id != patient_id:
            await self._gate.hide(
                uow, actor, action, self._concept.missing(item_id), resource_id=item_id
            )
        return item

    async def _reveal(self, uow: ClinicalUnitOfWork, actor: Actor, item_id: str, action: str) -> T:
        """The item if the actor may see its patient; otherwise the refusal is audited and
        the item reported missing (its patient is never named to the caller)."""

        async def may_see(item: T) -> bool:
            return await self._gate.sees(actor, uow.patient_directory, item.patient_id)

        return await self._gate.reveal(
            uow,
            actor,
            action,
            await self._concept.items(uow).get(item_id),
            resource_id=item_id,
            missing=self._concept.missing(item_id),
            may_see=may_see,
        )

    def _action(self, verb: str) -> str:
        return f"{self._concept.resource}.{verb}"
