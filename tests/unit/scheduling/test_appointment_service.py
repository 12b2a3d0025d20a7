"""AppointmentService over the memory adapters: booking, double-booking refusals, the
lifecycle and who may move it, and the audit entry every attempt leaves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.kernel.actor import Actor
from carehub.kernel.errors import Conflict, Forbidden, Invalid, NotFound, PreconditionFailed
from carehub.scheduling.errors import AppointmentNotFound, SlotTaken
from carehub.scheduling.events import OFFER_MADE, SLOT_FREED, STATUS_CHANGED
from carehub.scheduling.model import Action, Appointment, IllegalTransition, Status
from carehub.scheduling.ports import AppointmentFilter, SchedulingUnitOfWork
from carehub.scheduling.service import AppointmentService, BookingRequest
from tests.support.clock import StillClock
from tests.support.memory_world import ADMIN, ANA, LUIS, event_types, last_audit
from tests.unit.scheduling.conftest import DR_PE, STAFF_CO, STAFF_PE, TUESDAY_10

HALF_HOUR = timedelta(minutes=30)


def request(
    patient: str = "ana", doctor: str = "dr-pe", start: datetime = TUESDAY_10, **fields: object
) -> BookingRequest:
    return BookingRequest(patient_id=patient, doctor_id=doctor, start=start, **fields)  # type: ignore[arg-type]


async def book(service: AppointmentService, actor: Actor = ADMIN, **fields: object) -> Appointment:
    return await service.book(actor=actor, request=request(**fields))  # type: ignore[arg-type]


# --- booking -------------------------------------------------------------------------------


async def test_a_queued_country_books_pending_for_one_slot(
    appointments: AppointmentService, store: MemoryStore
) -> None:
    booked = await book(appointments, ANA)
    assert (booked.status, booked.mode, booked.country_id) == (Status.PENDING, "async", "PE")
    assert booked.end - booked.start == HALF_HOUR  # Peru's slot length
    assert [t.to_status for t in booked.history] == [Status.REQUESTED, Status.PENDING]
    assert store.appointments[booked.id] == booked
    assert event_types(store) == [STATUS_CHANGED]
    assert last_audit(store) == ("user-ana", "appointment.create", "allowed", ("ana",))


async def test_a_synchronous_country_confirms_at_once(appointments: AppointmentService) -> None:
    booked = await book(appointments, patient="carla", doctor="dr-co")
    assert booked.status is Status.CONFIRMED
    assert booked.end - booked.start == timedelta(minutes=20)  # Colombia's slot length


async def test_the_country_queue_confirms_a_pending_booking(
    appointments: AppointmentService, units: Callable[[], SchedulingUnitOfWork]
) -> None:
    booked = await book(appointments)
    async with units() as uow:
        await appointments.process_request(uow=uow, appointment_id=booked.id, actor=ADMIN)
        await uow.commit()
    confirmed = await appointments.get(actor=ADMIN, appointment_id=booked.id)
    assert (confirmed.status, confirmed.version) == (Status.CONFIRMED, 2)


async def test_an_overlapping_booking_of_the_doctor_is_refused_and_audited(
    appointments: AppointmentService, store: MemoryStore
) -> None:
    await book(appointments, patient="ana")
    with pytest.raises(SlotTaken) as refused:
        await book(appointments, LUIS, patient="luis", start=TUESDAY_10 + timedelta(minutes=15))
    assert refused.value.party == "doctor"
    assert len(store.appointments) == 1
    assert len(store.slot_claims) == 1
    assert last_audit(store) == ("user-luis", "appointment.create", "failed", ())


async def test_a_patient_cannot_see_two_doctors_at_once(appointments: AppointmentService) -> None:
    await book(appointments, patient="ana", doctor="dr-pe")
    with pytest.raises(SlotTaken) as refused:
        await book(appointments, patient="ana", doctor="dr-pe-2")
    assert refused.value.party == "patient"


async def test_back_to_back_bookings_are_both_kept(appointments: AppointmentService) -> None:
    first = await book(appointments, patient="ana")
    second = await book(appointments, patient="luis", start=first.end)
    assert second.start == first.end


async def test_a_time_outside_the_doctors_hours_breaks_the_rules(
    appointments: AppointmentService, store: MemoryStore
) -> None:
    with pytest.raises(Invalid) as refused:
        await book(appointments, start=TUESDAY_10 + timedelta(hours=10))  # 20:00 in Lima
    assert refused.value.errors
    assert {e.field for e in refused.value.errors} == {"start"}
    assert store.appointments == {}
    assert store.slot_claims == {}


async def test_a_country_that_is_not_the_doctors_is_refused(
    appointments: AppointmentService,
) -> None:
    with pytest.raises(Invalid) as refused:
        await book(appointments, country_id="CO")
    assert "countryId" in [e.field for e in refused.value.errors]


async def test_patients_book_only_for_themselves(
    appointments: AppointmentService, store: MemoryStore
) -> None:
    with pytest.raises(NotFound):
        await book(appointments, ANA, patient="luis")
    assert store.appointments == {}
    assert last_audit(store) == ("user-ana", "appointment.create", "failed", ())


async def test_staff_book_only_with_doctors_of_their_country(
    appointments: AppointmentService, store: MemoryStore
) -> None:
    with pytest.raises(Forbidden):
        await book(appointments, STAFF_CO, patient="ana", doctor="dr-pe")
    assert last_audit(store)[1:3] == ("appointment.create", "denied")
    assert (await book(appointments, STAFF_PE)).doctor_id == "dr-pe"


async def test_a_callers_appointment_id_is_used_once(appointments: AppointmentService) -> None:
    await book(appointments, appointment_id="a-1")
    with pytest.raises(Conflict):
        await book(appointments, appointment_id="a-1", patient="luis", start=TUESDAY_10 + HALF_HOUR)


# --- reading and finding -------------------------------------------------------------------


async def test_an_appointment_out_of_scope_looks_missing(
    appointments: AppointmentService, store: MemoryStore
) -> None:
    booked = await book(appointments, patient="ana")
    with pytest.raises(AppointmentNotFound):
        await appointments.get(actor=LUIS, appointment_id=booked.id)
    assert last_audit(store) == ("user-luis", "appointment.read", "denied", ("ana",))
    assert (await appointments.get(actor=DR_PE, appointment_id=booked.id)).id == booked.id


async def test_search_is_narrowed_to_what_the_actor_may_see(
    appointments: AppointmentService,
) -> None:
    await book(appointments, patient="ana")
    await book(appointments, patient="luis", start=TUESDAY_10 + HALF_HOUR)
    await book(appointments, patient="carla", doctor="dr-co")

    async def patients_seen(actor: Actor, criteria: AppointmentFilter) -> list[str]:
        page = await appointments.search(actor=actor, criteria=criteria, cursor=None, limit=10)
        return [a.patient_id for a in page.items]

    assert await patients_seen(ANA, AppointmentFilter()) == ["ana"]
    assert await patients_seen(ANA, AppointmentFilter(patient_id="luis")) == []
    assert await patients_seen(STAFF_PE, AppointmentFilter()) == ["ana", "luis"]
    assert await patients_seen(STAFF_PE, AppointmentFilter(country_id="CO")) == []
    assert await patients_seen(ADMIN, AppointmentFilter(country_id="CO")) == ["carla"]


async def test_search_pages_by_start_time(appointments: AppointmentService) -> None:
    for n, patient in enumerate(("ana", "luis")):
        await book(appointments, patient=patient, start=TUESDAY_10 + n * HALF_HOUR)
    first = await appointments.search(
        actor=ADMIN, criteria=AppointmentFilter(doctor_id="dr-pe"), cursor=None, limit=1
    )
    assert [a.patient_id for a in first.items] == ["ana"]
    rest = await appointments.search(
        actor=ADMIN,
        criteria=AppointmentFilter(doctor_id="dr-pe"),
        cursor=first.next_cursor,
        limit=1,
    )
    assert ([a.patient_id for a in rest.items], rest.next_cursor) == (["luis"], None)


# --- the lifecycle -------------------------------------------------------------------------


async def test_a_confirmed_visit_is_checked_in_then_completed(
    appointments: AppointmentService,
) -> None:
    booked = await book(appointments, patient="carla", doctor="dr-co")
    checked_in = await appointments.act(
        actor=ADMIN, appointment_id=booked.id, action=Action.CHECK_IN
    )
    done = await appointments.act(actor=ADMIN, appointment_id=booked.id, action=Action.COMPLETE)
    assert (checked_in.status, done.status, done.version) == (
        Status.CHECKED_IN,
        Status.COMPLETED,
        3,
    )


async def test_an_illegal_move_names_the_allowed_ones(
    appointments: AppointmentService, store: MemoryStore
) -> None:
    booked = await book(appointments)  # pending
    with pytest.raises(IllegalTransition) as refused:
        await appointments.act(actor=DR_PE, appointment_id=booked.id, action=Action.COMPLETE)
    assert set(refused.value.allowed) == {"confirm", "cancel", "reschedule"}
    assert store.appointments[booked.id].status is Status.PENDING
    assert last_audit(store) == ("user-dr-pe", "appointment.complete", "failed", ("ana",))


async def test_a_move_from_a_version_read_before_another_is_refused(
    appointments: AppointmentService, store: MemoryStore
) -> None:
    booked = await book(appointments, patient="carla", doctor="dr-co")  # confirmed: version 1
    with pytest.raises(PreconditionFailed):
        await appointments.act(
            actor=ADMIN, appointment_id=booked.id, action=Action.CHECK_IN, if_version=7
        )
    assert store.appointments[booked.id].status is Status.CONFIRMED
    assert last_audit(store)[1:3] == ("appointment.check_in", "failed")
    moved = await appointments.act(
        actor=ADMIN, appointment_id=booked.id, action=Action.CHECK_IN, if_version=booked.version
    )
    assert (moved.status, moved.version) == (Status.CHECKED_IN, booked.version + 1)


async def test_patients_may_not_check_themselves_in(
    appointments: AppointmentService, store: MemoryStore
) -> None:
    booked = await book(appointments, ANA)
    await appointments.act(actor=ADMIN, appointment_id=booked.id, action=Action.CONFIRM)
    with pytest.raises(Forbidden):
        await appointments.act(actor=ANA, appointment_id=booked.id, action=Action.CHECK_IN)
    assert last_audit(store) == ("user-ana", "appointment.check_in", "denied", ("ana",))
    assert store.appointments[booked.id].status is Status.CONFIRMED


async def test_cancelling_frees_the_time_for_another_patient(
    appointments: AppointmentService, store: MemoryStore
) -> None:
    booked = await book(appointments, patient="ana")
    cancelled = await appointments.act(
        actor=ANA, appointment_id=booked.id, action=Action.CANCEL, reason="travelling"
    )
    assert (cancelled.status, cancelled.status_reason) == (Status.CANCELLED, "travelling")
    assert event_types(store)[-2:] == [SLOT_FREED, STATUS_CHANGED]
    assert (await book(appointments, patient="luis")).start == booked.start


async def test_inside_the_cancellation_window_only_an_admin_override_cancels(
    appointments: AppointmentService, store: MemoryStore, clock: StillClock
) -> None:
    booked = await book(appointments, patient="ana")
    clock.set(booked.start - timedelta(hours=2))
    with pytest.raises(Conflict):
        await appointments.act(actor=ANA, appointment_id=booked.id, action=Action.CANCEL)
    with pytest.raises(Forbidden):
        await appointments.act(
            actor=STAFF_PE, appointment_id=booked.id, action=Action.CANCEL, override_window=True
        )
    cancelled = await appointments.act(
        actor=ADMIN, appointment_id=booked.id, action=Action.CANCEL, override_window=True
    )
    assert cancelled.status is Status.CANCELLED
    assert last_audit(store) == ("admin-1", "appointment.cancel_override", "allowed", ("ana",))


async def test_rescheduling_claims_the_new_time_and_frees_the_old(
    appointments: AppointmentService, store: MemoryStore
) -> None:
    booked = await book(appointments, patient="ana")
    moved = await appointments.reschedule(
        actor=ANA, appointment_id=booked.id, start=booked.start + timedelta(hours=1), end=None
    )
    assert (moved.start - booked.start, moved.end - moved.start) == (timedelta(hours=1), HALF_HOUR)
    assert (moved.status, moved.version) == (Status.CONFIRMED, 2)
    assert [c.start for c in store.slot_claims.values()] == [moved.start]
    assert (await book(appointments, patient="luis")).start == booked.start


async def test_rescheduling_onto_a_taken_time_keeps_the_old_one(
    appointments: AppointmentService, store: MemoryStore
) -> None:
    mine = await book(appointments, patient="ana")
    theirs = await book(appointments, patient="luis", start=TUESDAY_10 + HALF_HOUR)
    with pytest.raises(SlotTaken):
        await appointments.reschedule(
            actor=ANA, appointment_id=mine.id, start=theirs.start, end=None
        )
    assert store.appointments[mine.id].start == mine.start
    assert last_audit(store) == ("user-ana", "appointment.reschedule", "failed", ("ana",))
    assert OFFER_MADE not in event_types(store)
