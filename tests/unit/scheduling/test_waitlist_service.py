"""WaitlistService over the memory adapters: who waits first is offered a freed slot first,
as a hold in their name; a lapsed offer puts them back in line and passes the slot on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.kernel.actor import Actor
from carehub.kernel.errors import Invalid, NotFound
from carehub.scheduling.errors import WaitlistEntryNotFound
from carehub.scheduling.events import OFFER_MADE
from carehub.scheduling.holds import HoldService
from carehub.scheduling.model import HoldStatus, WaitlistEntry, WaitStatus
from carehub.scheduling.ports import SchedulingUnitOfWork
from carehub.scheduling.service import AppointmentService, BookingRequest
from carehub.scheduling.waitlist import WaitlistService
from tests.support.clock import StillClock
from tests.support.memory_world import ADMIN, ANA, LUIS, NOW, event_types, last_audit
from tests.unit.scheduling.conftest import OFFER_MINUTES, STAFF_CO, TUESDAY_10

SLOT_END = TUESDAY_10 + timedelta(minutes=30)
WEEK = timedelta(days=7)


async def join(
    waitlist: WaitlistService, actor: Actor, patient: str, **wanted: str
) -> WaitlistEntry:
    wanted = wanted or {"doctor_id": "dr-pe"}
    return await waitlist.join(
        actor=actor, patient_id=patient, earliest=NOW, latest=NOW + WEEK, **wanted
    )


async def offer(
    waitlist: WaitlistService,
    units: Callable[[], SchedulingUnitOfWork],
    start: datetime = TUESDAY_10,
    end: datetime = SLOT_END,
) -> WaitlistEntry | None:
    """The freed-slot consumer's step: offer in the caller's unit of work, then commit."""
    async with units() as uow:
        offered = await waitlist.offer_freed_slot(
            uow=uow, doctor_id="dr-pe", start=start, end=end, actor=Actor.system("waitlist")
        )
        await uow.commit()
    return offered


async def test_joining_needs_a_doctor_or_a_specialty_in_a_country(
    waitlist: WaitlistService,
) -> None:
    with pytest.raises(Invalid):
        await waitlist.join(actor=ANA, patient_id="ana", earliest=NOW, latest=NOW + WEEK)
    with pytest.raises(Invalid):
        await join(waitlist, ANA, "ana", specialty="Cardiology")  # in which country?


async def test_a_waiting_range_must_end_in_the_future(waitlist: WaitlistService) -> None:
    with pytest.raises(Invalid):
        await waitlist.join(
            actor=ANA,
            patient_id="ana",
            earliest=NOW - WEEK,
            latest=NOW - timedelta(days=1),
            doctor_id="dr-pe",
        )


async def test_patients_join_only_for_themselves(
    waitlist: WaitlistService, store: MemoryStore
) -> None:
    with pytest.raises(NotFound):
        await join(waitlist, ANA, "luis")
    assert store.waitlist == {}
    entry = await join(waitlist, ANA, "ana")
    assert (entry.status, entry.country_id) == (WaitStatus.WAITING, "PE")
    assert last_audit(store) == ("user-ana", "waitlist.join", "allowed", ("ana",))


async def test_the_first_to_wait_is_offered_the_freed_slot(
    waitlist: WaitlistService,
    units: Callable[[], SchedulingUnitOfWork],
    store: MemoryStore,
    clock: StillClock,
) -> None:
    first = await join(waitlist, ANA, "ana")
    clock.advance(timedelta(seconds=1))
    await join(waitlist, LUIS, "luis")
    offered = await offer(waitlist, units)
    assert offered is not None
    assert (offered.id, offered.status) == (first.id, WaitStatus.OFFERED)
    hold = store.holds[offered.offered_hold_id or ""]
    assert (hold.patient_id, hold.start, hold.waitlist_entry_id) == ("ana", TUESDAY_10, first.id)
    assert hold.expires_at == clock.now() + timedelta(minutes=OFFER_MINUTES)
    assert event_types(store) == [OFFER_MADE]
    assert last_audit(store) == ("system:waitlist", "waitlist.offer", "allowed", ("ana",))


async def test_a_lapsed_offer_goes_back_in_line_and_passes_the_slot_on(
    waitlist: WaitlistService,
    holds: HoldService,
    units: Callable[[], SchedulingUnitOfWork],
    store: MemoryStore,
    clock: StillClock,
) -> None:
    ana = await join(waitlist, ANA, "ana")
    clock.advance(timedelta(seconds=1))
    luis = await join(waitlist, LUIS, "luis")
    first = await offer(waitlist, units)
    assert first is not None
    await holds.release(actor=ANA, hold_id=first.offered_hold_id or "")
    assert store.waitlist[ana.id].status is WaitStatus.WAITING
    second = await offer(waitlist, units)
    assert second is not None
    assert second.id == luis.id


async def test_booking_the_offer_settles_the_entry(
    waitlist: WaitlistService,
    appointments: AppointmentService,
    units: Callable[[], SchedulingUnitOfWork],
    store: MemoryStore,
) -> None:
    entry = await join(waitlist, ANA, "ana")
    offered = await offer(waitlist, units)
    assert offered is not None
    request = BookingRequest(
        patient_id="ana", doctor_id="dr-pe", start=TUESDAY_10, hold_id=offered.offered_hold_id
    )
    await appointments.book(actor=ANA, request=request)
    assert store.waitlist[entry.id].status is WaitStatus.BOOKED
    assert store.holds[offered.offered_hold_id or ""].status is HoldStatus.BOOKED


async def test_a_specialty_wait_is_offered_any_doctor_of_it_in_the_country(
    waitlist: WaitlistService, units: Callable[[], SchedulingUnitOfWork]
) -> None:
    entry = await join(waitlist, ANA, "ana", country_id="PE", specialty="cardiology")
    offered = await offer(waitlist, units)
    assert offered is not None
    assert offered.id == entry.id


async def test_nothing_is_offered_outside_the_waiting_range_or_in_the_past(
    waitlist: WaitlistService, units: Callable[[], SchedulingUnitOfWork], store: MemoryStore
) -> None:
    await join(waitlist, ANA, "ana")
    late = NOW + WEEK + timedelta(days=1)
    assert await offer(waitlist, units, late, late + timedelta(minutes=30)) is None
    assert await offer(waitlist, units, NOW - timedelta(hours=1), NOW) is None
    assert store.holds == {}


async def test_no_offer_when_the_slot_was_taken_again(
    waitlist: WaitlistService,
    appointments: AppointmentService,
    units: Callable[[], SchedulingUnitOfWork],
) -> None:
    entry = await join(waitlist, ANA, "ana")
    request = BookingRequest(patient_id="luis", doctor_id="dr-pe", start=TUESDAY_10)
    await appointments.book(actor=ADMIN, request=request)
    assert await offer(waitlist, units) is None
    assert (await waitlist.get(actor=ANA, entry_id=entry.id)).status is WaitStatus.WAITING


async def test_leaving_cancels_the_entry_once(
    waitlist: WaitlistService, store: MemoryStore
) -> None:
    entry = await join(waitlist, ANA, "ana")
    left = await waitlist.leave(actor=ANA, entry_id=entry.id)
    assert left.status is WaitStatus.CANCELLED
    assert (await waitlist.leave(actor=ANA, entry_id=entry.id)).status is WaitStatus.CANCELLED
    assert [e.action for e in store.audit].count("waitlist.leave") == 1


async def test_entries_are_seen_by_their_patient_and_not_by_strangers(
    waitlist: WaitlistService,
) -> None:
    entry = await join(waitlist, ANA, "ana")
    with pytest.raises(WaitlistEntryNotFound):
        await waitlist.get(actor=LUIS, entry_id=entry.id)
    with pytest.raises(WaitlistEntryNotFound):
        await waitlist.leave(actor=STAFF_CO, entry_id=entry.id)
    page = await waitlist.for_patient(actor=ANA, patient_id="ana", cursor=None, limit=10)
    assert [e.id for e in page.items] == [entry.id]
    with pytest.raises(NotFound):
        await waitlist.for_patient(actor=LUIS, patient_id="ana", cursor=None, limit=10)


async def test_every_look_at_a_waitlist_is_audited_allowed_or_not(
    waitlist: WaitlistService, store: MemoryStore
) -> None:
    entry = await join(waitlist, ANA, "ana")
    await waitlist.get(actor=ANA, entry_id=entry.id)
    assert last_audit(store) == ("user-ana", "waitlist.read", "allowed", ("ana",))
    await waitlist.for_patient(actor=ANA, patient_id="ana", cursor=None, limit=10)
    assert last_audit(store) == ("user-ana", "waitlist.list", "allowed", ("ana",))
    with pytest.raises(NotFound):
        await waitlist.for_patient(actor=LUIS, patient_id="ana", cursor=None, limit=10)
    assert last_audit(store) == ("user-luis", "waitlist.list", "denied", ("ana",))
    with pytest.raises(NotFound):
        await waitlist.for_patient(actor=ADMIN, patient_id="nobody", cursor=None, limit=10)
    assert last_audit(store)[1:] == ("waitlist.list", "not_found", ())


async def test_a_refused_join_is_audited_without_naming_the_claimed_patient(
    waitlist: WaitlistService, store: MemoryStore
) -> None:
    with pytest.raises(NotFound):
        await join(waitlist, LUIS, "ana")
    assert last_audit(store) == ("user-luis", "waitlist.join", "failed", ())
