"""HoldService over the memory adapters: a hold keeps a slot until it is booked, released
or expires, and nobody else can take the slot meanwhile."""

from __future__ import annotations

from datetime import timedelta

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.kernel.errors import Conflict, Forbidden
from carehub.scheduling.errors import HoldNotFound, SlotTaken
from carehub.scheduling.events import SLOT_FREED
from carehub.scheduling.holds import HoldService
from carehub.scheduling.model import Hold, HoldStatus, Status
from carehub.scheduling.service import AppointmentService, BookingRequest
from tests.support.clock import StillClock
from tests.support.memory_world import ADMIN, ANA, LUIS, NOW, event_types, last_audit
from tests.unit.scheduling.conftest import DR_PE, HOLD_MINUTES, STAFF_CO, TUESDAY_10

PAST_THE_HOLD = timedelta(minutes=HOLD_MINUTES, seconds=1)


async def hold_for_ana(holds: HoldService) -> Hold:
    return await holds.place(actor=ANA, doctor_id="dr-pe", patient_id="ana", start=TUESDAY_10)


def booking(patient: str, hold: Hold | None = None) -> BookingRequest:
    return BookingRequest(
        patient_id=patient,
        doctor_id="dr-pe",
        start=TUESDAY_10,
        hold_id=None if hold is None else hold.id,
    )


async def test_a_hold_keeps_the_slot_for_its_minutes(
    holds: HoldService, appointments: AppointmentService, store: MemoryStore
) -> None:
    hold = await hold_for_ana(holds)
    assert (hold.status, hold.expires_at, hold.end - hold.start) == (
        HoldStatus.ACTIVE,
        NOW + timedelta(minutes=HOLD_MINUTES),
        timedelta(minutes=30),
    )
    assert last_audit(store) == ("user-ana", "hold.create", "allowed", ("ana",))
    with pytest.raises(SlotTaken):
        await appointments.book(actor=LUIS, request=booking("luis"))
    with pytest.raises(SlotTaken):
        await holds.place(actor=LUIS, doctor_id="dr-pe", patient_id="luis", start=TUESDAY_10)


async def test_booking_with_the_hold_turns_it_into_the_appointment(
    holds: HoldService, appointments: AppointmentService, store: MemoryStore
) -> None:
    hold = await hold_for_ana(holds)
    booked = await appointments.book(actor=ANA, request=booking("ana", hold))
    assert booked.status is Status.PENDING
    assert store.holds[hold.id].status is HoldStatus.BOOKED
    assert [c.owner_id for c in store.slot_claims.values()] == [booked.id]
    with pytest.raises(Conflict):  # a hold is used once
        await appointments.book(
            actor=ANA,
            request=BookingRequest(
                patient_id="ana",
                doctor_id="dr-pe",
                start=TUESDAY_10,
                hold_id=hold.id,
                appointment_id="again",
            ),
        )


async def test_an_expired_hold_no_longer_books(
    holds: HoldService, appointments: AppointmentService, clock: StillClock
) -> None:
    hold = await hold_for_ana(holds)
    clock.advance(PAST_THE_HOLD)
    with pytest.raises(Conflict):
        await appointments.book(actor=ANA, request=booking("ana", hold))


async def test_someone_else_takes_the_slot_once_the_hold_expired(
    holds: HoldService, appointments: AppointmentService, clock: StillClock
) -> None:
    await hold_for_ana(holds)
    clock.advance(PAST_THE_HOLD)
    booked = await appointments.book(actor=LUIS, request=booking("luis"))
    assert booked.patient_id == "luis"


async def test_expiring_due_holds_frees_their_slots(
    holds: HoldService, store: MemoryStore, clock: StillClock
) -> None:
    hold = await hold_for_ana(holds)
    assert await holds.expire_due() == 0
    clock.advance(PAST_THE_HOLD)
    assert await holds.expire_due() == 1
    assert store.holds[hold.id].status is HoldStatus.EXPIRED
    assert store.slot_claims == {}
    assert event_types(store) == [SLOT_FREED]
    assert await holds.expire_due() == 0


async def test_releasing_gives_the_slot_back_once(holds: HoldService, store: MemoryStore) -> None:
    hold = await hold_for_ana(holds)
    released = await holds.release(actor=ANA, hold_id=hold.id)
    assert released.status is HoldStatus.RELEASED
    assert store.slot_claims == {}
    again = await holds.release(actor=ANA, hold_id=hold.id)
    assert again.status is HoldStatus.RELEASED
    assert event_types(store) == [SLOT_FREED]


async def test_a_hold_is_seen_by_its_patient_doctor_and_admins_only(holds: HoldService) -> None:
    hold = await hold_for_ana(holds)
    for actor in (ANA, DR_PE, ADMIN):
        assert (await holds.get(actor=actor, hold_id=hold.id)).id == hold.id
    for stranger in (LUIS, STAFF_CO):
        with pytest.raises(HoldNotFound):
            await holds.get(actor=stranger, hold_id=hold.id)
    with pytest.raises(HoldNotFound):
        await holds.release(actor=LUIS, hold_id=hold.id)


async def test_staff_hold_only_with_doctors_of_their_country(
    holds: HoldService, store: MemoryStore
) -> None:
    with pytest.raises(Forbidden):
        await holds.place(actor=STAFF_CO, doctor_id="dr-pe", patient_id="ana", start=TUESDAY_10)
    assert store.holds == {}
    assert store.slot_claims == {}


async def test_reading_a_hold_is_audited_and_a_refused_placing_too(
    holds: HoldService, store: MemoryStore
) -> None:
    hold = await hold_for_ana(holds)
    await holds.get(actor=ANA, hold_id=hold.id)
    assert last_audit(store) == ("user-ana", "hold.read", "allowed", ("ana",))
    with pytest.raises(SlotTaken):
        await holds.place(actor=LUIS, doctor_id="dr-pe", patient_id="luis", start=TUESDAY_10)
    assert last_audit(store) == ("user-luis", "hold.create", "failed", ())
