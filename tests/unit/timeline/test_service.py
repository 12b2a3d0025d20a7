"""The timeline consumer and use cases over the in-memory adapters: an event is recorded
once however often it comes, reads go through the access gate and are audited, and a
rebuild from the journal gives back the live projection."""

from __future__ import annotations

from datetime import timedelta

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.adapters.memory.unit_of_work import MemoryUnitOfWork
from carehub.kernel.actor import Actor, Role
from carehub.kernel.errors import Forbidden, Invalid
from carehub.kernel.events import EventMessage
from carehub.timeline.errors import PatientNotVisible
from carehub.timeline.handlers import record_event
from carehub.timeline.model import EntryType, TimelineEntry
from carehub.timeline.service import TimelineService
from tests.support.clock import StillClock
from tests.support.memory_world import ADMIN, ANA, NOW, add_patient, audited

STAFF_PE = Actor(id="staff-pe", role=Role.STAFF, country_id="PE")
STAFF_CO = Actor(id="staff-co", role=Role.STAFF, country_id="CO")
DOCTOR = Actor(id="user-dr", role=Role.DOCTOR, country_id="PE", practitioner_id="dr-1")
OTHER_DOCTOR = Actor(id="user-dr2", role=Role.DOCTOR, country_id="PE", practitioner_id="dr-2")
OPERATOR = Actor.system("cli")


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore()
    add_patient(store, "ana", "PE", NOW)
    add_patient(store, "luis", "PE", NOW)
    store.care.add(("dr-1", "ana"))
    return store


@pytest.fixture
def timeline(store: MemoryStore, clock: StillClock) -> TimelineService:
    return TimelineService(lambda: MemoryUnitOfWork(store, clock), clock)


def registered(patient: str, minutes: int = 0) -> EventMessage:
    return EventMessage(
        event_id=f"reg-{patient}",
        event_type="patients.patient_registered.v1",
        aggregate_id=patient,
        occurred_at=NOW + timedelta(minutes=minutes),
        actor_id="admin-1",
        payload={"patientId": patient, "countryId": "PE"},
    )


def appointment(patient: str, n: int, action: str = "confirm") -> EventMessage:
    return EventMessage(
        event_id=f"ap-{patient}-{n}",
        event_type="scheduling.appointment_status_changed.v1",
        aggregate_id=f"ap-{n}",
        occurred_at=NOW + timedelta(minutes=10 + n),
        actor_id="staff-pe",
        payload={
            "appointmentId": f"ap-{n}",
            "countryId": "PE",
            "doctorId": "dr-1",
            "patientId": patient,
            "status": "confirmed",
            "action": action,
            "version": n,
        },
    )


async def feed(store: MemoryStore, clock: StillClock, *messages: EventMessage) -> None:
    for message in messages:
        async with MemoryUnitOfWork(store, clock) as uow:
            await record_event(message, uow)
            await uow.commit()


async def test_an_event_recorded_twice_is_one_entry_and_one_journaled_event(
    store: MemoryStore, clock: StillClock, timeline: TimelineService
) -> None:
    await feed(store, clock, registered("ana"), registered("ana"))
    async with MemoryUnitOfWork(store, clock) as uow:
        await record_event(registered("ana"), uow)  # twice in one unit as well
        await record_event(registered("ana"), uow)
        await uow.commit()
    page = await timeline.page(actor=ADMIN, patient_id="ana")
    assert [e.event_id for e in page.items] == ["reg-ana"]
    assert list(store.timeline_journal) == ["reg-ana"]


async def test_an_event_about_no_patient_writes_nothing(
    store: MemoryStore, clock: StillClock
) -> None:
    freed = EventMessage("ev-1", "scheduling.slot_freed.v1", "dr-1", NOW, "x", {"doctorId": "dr-1"})
    await feed(store, clock, freed)
    assert store.timeline_entries == {} and store.timeline_journal == {}


async def test_the_timeline_is_newest_first_and_filtered(
    store: MemoryStore, clock: StillClock, timeline: TimelineService
) -> None:
    await feed(store, clock, registered("ana"), appointment("ana", 1), appointment("ana", 2))
    page = await timeline.page(actor=ADMIN, patient_id="ana", limit=2)
    assert [e.event_id for e in page.items] == ["ap-ana-2", "ap-ana-1"]
    assert page.next_cursor is not None
    rest = await timeline.page(actor=ADMIN, patient_id="ana", cursor=page.next_cursor)
    assert [e.summary for e in rest.items] == ["Patient registered"]
    only = await timeline.page(actor=ADMIN, patient_id="ana", types={EntryType.PATIENT})
    assert [e.event_id for e in only.items] == ["reg-ana"]
    late = await timeline.page(actor=ADMIN, patient_id="ana", start=NOW + timedelta(minutes=12))
    assert [e.event_id for e in late.items] == ["ap-ana-2"]


@pytest.mark.parametrize("actor", [ADMIN, STAFF_PE, DOCTOR, ANA], ids=lambda a: a.id)
async def test_who_may_see_the_patient_reads_the_timeline_audited(
    store: MemoryStore, clock: StillClock, timeline: TimelineService, actor: Actor
) -> None:
    await feed(store, clock, registered("ana"))
    page = await timeline.page(actor=actor, patient_id="ana")
    assert len(page.items) == 1
    assert audited(store)[-1] == (actor.id, "timeline.read", "allowed", ("ana",))


@pytest.mark.parametrize(
    ("actor", "patient"),
    [(STAFF_CO, "ana"), (OTHER_DOCTOR, "ana"), (ANA, "luis")],
    ids=["staff-of-another-country", "doctor-without-care", "another-patient"],
)
async def test_who_may_not_see_the_patient_is_told_it_does_not_exist(
    store: MemoryStore, timeline: TimelineService, actor: Actor, patient: str
) -> None:
    with pytest.raises(PatientNotVisible):
        await timeline.page(actor=actor, patient_id=patient)
    assert audited(store)[-1] == (actor.id, "timeline.read", "denied", (patient,))
    with pytest.raises(PatientNotVisible):
        await timeline.page(actor=actor, patient_id="nobody")
    assert audited(store)[-1] == (actor.id, "timeline.read", "not_found", ())


async def test_bad_ranges_and_limits_are_invalid(timeline: TimelineService) -> None:
    with pytest.raises(Invalid) as raised:
        await timeline.page(actor=ADMIN, patient_id="ana", start=NOW, end=NOW - timedelta(1))
    assert raised.value.errors[0].field == "to"
    with pytest.raises(Invalid):
        await timeline.page(actor=ADMIN, patient_id="ana", limit=0)
    page = await timeline.page(actor=ADMIN, patient_id="ana", start=NOW, end=NOW)
    assert page.items == []


async def everything(timeline: TimelineService, patient: str) -> list[TimelineEntry]:
    page = await timeline.page(actor=ADMIN, patient_id=patient, limit=200)
    return page.items


async def test_a_rebuild_from_the_journal_gives_back_the_live_timeline(
    store: MemoryStore, clock: StillClock, timeline: TimelineService
) -> None:
    events = [registered("ana"), registered("luis", 1)]
    events += [appointment("ana", n) for n in range(1, 8)]
    await feed(store, clock, *events)
    live = {p: await everything(timeline, p) for p in ("ana", "luis")}
    # A projection gone wrong: an entry lost, one changed.
    lost = next(iter(store.timeline_entries))
    del store.timeline_entries[lost]
    seen: list[tuple[int, int | None]] = []
    rebuilt = await timeline.rebuild(
        actor=OPERATOR, patient_id=None, progress=lambda done, total: seen.append((done, total))
    )
    assert rebuilt == len(events)
    assert {p: await everything(timeline, p) for p in ("ana", "luis")} == live
    assert seen[-1] == (len(events), len(events) - 1)
    assert ("system:cli", "timeline.rebuild", "allowed", ()) in audited(store)


async def test_a_rebuild_of_one_patient_leaves_the_others(
    store: MemoryStore, clock: StillClock, timeline: TimelineService
) -> None:
    await feed(store, clock, registered("ana"), registered("luis"), appointment("ana", 1))
    store.timeline_entries.clear()
    assert await timeline.rebuild(actor=OPERATOR, patient_id="ana") == 2
    assert len(await everything(timeline, "ana")) == 2
    assert await everything(timeline, "luis") == []


async def test_only_operators_rebuild(timeline: TimelineService) -> None:
    with pytest.raises(Forbidden):
        await timeline.rebuild(actor=STAFF_PE, patient_id=None)
