"""Countries, doctors, appointments, holds, the waitlist and slot claims in memory
(`carehub.scheduling.ports`), with the SQL store's uniqueness and conditional writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from carehub.adapters.memory.pages import page_of
from carehub.adapters.memory.store import MemoryStore
from carehub.countries.errors import CountryTaken
from carehub.countries.model import Country
from carehub.kernel.errors import FieldError, Invalid
from carehub.kernel.pagination import Page, cursor_position
from carehub.practitioners.errors import DoctorIdTaken
from carehub.practitioners.model import Doctor
from carehub.scheduling.claims import BusyInterval, ClaimKind, SlotClaim
from carehub.scheduling.errors import AppointmentIdTaken, SlotTaken
from carehub.scheduling.model import Appointment, Hold, HoldStatus, WaitlistEntry, WaitStatus
from carehub.scheduling.ports import AppointmentFilter


class MemoryCountries:
    """Country records; `get` and `get_by_code` are what scheduling reads."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def add(self, country: Country) -> None:
        if country.id in self._store.countries:
            raise CountryTaken()
        self._store.countries[country.id] = country

    async def get(self, country_id: str) -> Country | None:
        return self._store.countries.get(country_id)

    async def get_by_code(self, code: str) -> Country | None:
        return next((c for _, c in sorted(self._store.countries.items()) if c.code == code), None)

    async def replace(self, country: Country, *, expected_version: int) -> bool:
        current = self._store.countries.get(country.id)
        if current is None or current.version != expected_version:
            return False
        self._store.countries[country.id] = country
        return True

    async def list_all(self) -> list[Country]:
        return [c for _, c in sorted(self._store.countries.items())]


class MemoryDoctors:
    """Doctor records; `get` and `list_by_country` are what scheduling reads."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def add(self, doctor: Doctor) -> None:
        if doctor.id in self._store.doctors:
            raise DoctorIdTaken(doctor.id)
        self._store.doctors[doctor.id] = doctor

    async def get(self, doctor_id: str) -> Doctor | None:
        return self._store.doctors.get(doctor_id)

    async def replace(self, doctor: Doctor, *, expected_version: int) -> bool:
        current = self._store.doctors.get(doctor.id)
        if current is None or current.version != expected_version:
            return False
        self._store.doctors[doctor.id] = doctor
        return True

    async def list_by_country(
        self, country_id: str, *, specialty_key: str | None, cursor: str | None, limit: int
    ) -> Page[Doctor]:
        after = "" if cursor is None else cursor_position(cursor, "id", str)
        found = [
            d
            for key, d in sorted(self._store.doctors.items())
            if key > after
            and d.active
            and d.country_id == country_id
            and specialty_key in (None, d.specialty_key)
        ]
        return page_of(found, limit, lambda d: {"id": d.id})

    async def find_by_license(self, license: str) -> Doctor | None:
        held = (d for _, d in sorted(self._store.doctors.items()) if d.license == license)
        return next(held, None)


class MemoryAppointments:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def add(self, appointment: Appointment) -> None:
        if appointment.id in self._store.appointments:
            raise AppointmentIdTaken(appointment.id)
        self._store.appointments[appointment.id] = appointment

    async def get(self, appointment_id: str) -> Appointment | None:
        return self._store.appointments.get(appointment_id)

    async def replace(self, appointment: Appointment, *, expected_version: int) -> bool:
        current = self._store.appointments.get(appointment.id)
        if current is None or current.version != expected_version:
            return False
        self._store.appointments[appointment.id] = appointment
        return True

    async def search(
        self, criteria: AppointmentFilter, *, cursor: str | None, limit: int
    ) -> Page[Appointment]:
        found = sorted(
            (a for a in self._store.appointments.values() if _matches(a, criteria)),
            key=lambda a: (a.start, a.id),
        )
        if cursor is not None:
            position = _position(cursor)
            found = [a for a in found if (a.start, a.id) > position]
        page = page_of(found, limit, lambda a: {"s": a.start.isoformat(), "id": a.id})
        # Without history, as SQL's search reads them: `get` reads the whole appointment.
        return Page([replace(a, history=()) for a in page.items], page.next_cursor)


class MemoryHolds:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def add(self, hold: Hold) -> None:
        if hold.id in self._store.holds:
            raise ValueError(f"hold {hold.id} exists")  # SQL's primary key refuses it too
        self._store.holds[hold.id] = hold

    async def get(self, hold_id: str) -> Hold | None:
        return self._store.holds.get(hold_id)

    async def replace(self, hold: Hold, *, expected_status: str) -> bool:
        current = self._store.holds.get(hold.id)
        if current is None or current.status != expected_status:
            return False
        self._store.holds[hold.id] = replace(current, status=hold.status)
        return True

    async def due(self, *, now: datetime, limit: int) -> list[Hold]:
        due = [
            h
            for h in self._store.holds.values()
            if h.status is HoldStatus.ACTIVE and h.expires_at <= now
        ]
        return sorted(due, key=lambda h: h.expires_at)[:limit]

    async def lapsed_offers(
        self, *, doctor_id: str, start: datetime, end: datetime
    ) -> frozenset[str]:
        return frozenset(
            h.waitlist_entry_id
            for h in self._store.holds.values()
            if h.waitlist_entry_id is not None
            and (h.doctor_id, h.start, h.end) == (doctor_id, start, end)
            and h.status in (HoldStatus.EXPIRED, HoldStatus.RELEASED)
        )


class MemoryWaitlist:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def add(self, entry: WaitlistEntry) -> None:
        if entry.id in self._store.waitlist:
            raise ValueError(f"waitlist entry {entry.id} exists")
        self._store.waitlist[entry.id] = entry

    async def get(self, entry_id: str) -> WaitlistEntry | None:
        return self._store.waitlist.get(entry_id)

    async def replace(self, entry: WaitlistEntry, *, expected_status: str) -> bool:
        current = self._store.waitlist.get(entry.id)
        if current is None or current.status != expected_status:
            return False
        self._store.waitlist[entry.id] = replace(
            current,
            status=entry.status,
            offered_hold_id=entry.offered_hold_id,
            updated_at=entry.updated_at,
        )
        return True

    async def first_waiting(
        self,
        *,
        doctor_id: str,
        country_id: str,
        specialty_key: str,
        start: datetime,
        end: datetime,
        skip: frozenset[str] = frozenset(),
    ) -> WaitlistEntry | None:
        def wants(e: WaitlistEntry) -> bool:
            if e.doctor_id is not None:
                return e.doctor_id == doctor_id
            return (e.country_id, e.specialty_key) == (country_id, specialty_key)

        candidates = sorted(
            (
                e
                for e in self._store.waitlist.values()
                if e.status is WaitStatus.WAITING
                and e.id not in skip
                and wants(e)
                and e.fits(start, end)
            ),
            key=lambda e: (e.created_at, e.id),
        )
        return next(iter(candidates), None)

    async def for_patient(
        self, patient_id: str, *, cursor: str | None, limit: int
    ) -> Page[WaitlistEntry]:
        after = "" if cursor is None else cursor_position(cursor, "id", str)
        found = [
            e
            for key, e in sorted(self._store.waitlist.items())
            if key > after and e.patient_id == patient_id
        ]
        return page_of(found, limit, lambda e: {"id": e.id})


class MemorySlotClaims:
    """Refuses overlapping claims as SQL's exclusion constraint and triggers do: same
    doctor (or same patient), overlapping [start, end), another owner."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def claim(self, claim: SlotClaim, *, now: datetime) -> None:
        if claim.id in self._store.slot_claims:
            raise ValueError(f"slot claim {claim.id} exists")  # SQL's primary key
        # Expired holds in the way give way, but only if the claim then gets in.
        kept = {
            key: c
            for key, c in self._store.slot_claims.items()
            if not (_expired_hold(c, now) and _in_the_way(c, claim))
        }
        for c in kept.values():
            if c.owner_id != claim.owner_id and _overlaps(c, claim.start, claim.end):
                if c.doctor_id == claim.doctor_id:
                    raise SlotTaken("doctor")
                if claim.patient_id is not None and c.patient_id == claim.patient_id:
                    raise SlotTaken("patient")
        kept[claim.id] = claim
        self._store.slot_claims = kept

    async def release(self, claim_id: str) -> bool:
        return self._store.slot_claims.pop(claim_id, None) is not None

    async def release_owner(self, owner_id: str) -> int:
        owned = [key for key, c in self._store.slot_claims.items() if c.owner_id == owner_id]
        for key in owned:
            del self._store.slot_claims[key]
        return len(owned)

    async def busy(
        self, *, doctor_id: str, start: datetime, end: datetime, now: datetime
    ) -> list[BusyInterval]:
        return self._live(lambda c: c.doctor_id == doctor_id, start, end, now)

    async def patient_busy(
        self, *, patient_id: str, start: datetime, end: datetime, now: datetime
    ) -> list[BusyInterval]:
        return self._live(lambda c: c.patient_id == patient_id, start, end, now)

    async def expired_holds(self, *, now: datetime, limit: int) -> list[SlotClaim]:
        expired = [c for c in self._store.slot_claims.values() if _expired_hold(c, now)]
        return sorted(expired, key=lambda c: (c.expires_at, c.id))[:limit]

    def _live(
        self, party: Callable[[SlotClaim], bool], start: datetime, end: datetime, now: datetime
    ) -> list[BusyInterval]:
        found = [
            c
            for c in self._store.slot_claims.values()
            if party(c)
            and _overlaps(c, start, end)
            and (c.expires_at is None or c.expires_at > now)
        ]
        return [BusyInterval(c.start, c.end, c.owner_id) for c in sorted(found, key=_by_start)]


def _matches(a: Appointment, c: AppointmentFilter) -> bool:
    return (
        c.country_id in (None, a.country_id)
        and c.doctor_id in (None, a.doctor_id)
        and c.patient_id in (None, a.patient_id)
        and c.status in (None, a.status)
        and (c.start_from is None or a.start >= c.start_from)
        and (c.start_to is None or a.start < c.start_to)
    )


def _position(cursor: str) -> tuple[datetime, str]:
    start = cursor_position(cursor, "s", str)
    appointment_id = cursor_position(cursor, "id", str)
    try:
        at = datetime.fromisoformat(start)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise Invalid(
            "cursor is not valid", errors=[FieldError("cursor", "not a cursor we issued")]
        )
    return at, appointment_id


def _overlaps(c: SlotClaim, start: datetime, end: datetime) -> bool:
    return c.start < end and c.end > start


def _expired_hold(c: SlotClaim, now: datetime) -> bool:
    return c.kind is ClaimKind.HOLD and c.expires_at is not None and c.expires_at <= now


def _in_the_way(c: SlotClaim, claim: SlotClaim) -> bool:
    same_party = c.doctor_id == claim.doctor_id or (
        claim.patient_id is not None and c.patient_id == claim.patient_id
    )
    return same_party and _overlaps(c, claim.start, claim.end)


def _by_start(c: SlotClaim) -> datetime:
    return c.start
