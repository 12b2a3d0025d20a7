"""Realistic domain objects for the renderer tests: each with its optional fields set, and bare."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from carehub.countries.model import Country
from carehub.countries.rules import BookingMode, NotificationText, SchedulingRules
from carehub.documents.model import Category, FileStatus, Kind, PatientFile, Scope, Stamp
from carehub.documents.ports import UploadForm
from carehub.documents.service import CategoryFiles, Deletion
from carehub.documents.uploads import PresignedUpload
from carehub.kernel.calendar import DateOverride, TimeWindow, WeeklyWindow
from carehub.patients.model import (
    Address,
    CodedEntry,
    HumanName,
    Identifier,
    Patient,
    PatientDetails,
    Sex,
)
from carehub.practitioners.model import Doctor
from carehub.scheduling.availability import DoctorSlots
from carehub.scheduling.model import (
    Appointment,
    Hold,
    HoldStatus,
    Status,
    Transition,
    WaitlistEntry,
    WaitStatus,
)
from carehub.scheduling.slots import SlotRun

# Microseconds on purpose: the renderers and pydantic must write them the same way.
NOW = datetime(2031, 3, 10, 13, 0, 0, 120_000, tzinfo=UTC)
SLOT = timedelta(minutes=30)
LIMA = "America/Lima"


# Every optional field set (the patients' own renderer test uses it too).
FULL_PATIENT = PatientDetails(
    name=HumanName.from_parts(("José", "María"), "Núñez"),
    birth_date=date(1980, 2, 29),
    sex=Sex.FEMALE,
    email="jose@example.org",
    phone="+51 1 555 0100",
    address=Address(lines=("Calle 1",), city="Lima", postal_code="15001", country="PE"),
    identifiers=(Identifier("urn:pe:dni", "12345678"),),
    conditions=(CodedEntry(code="44054006", system="http://snomed.info/sct", display="DM2"),),
    allergies=(CodedEntry(display="Penicillin"),),
)


def patient(*, full: bool) -> Patient:
    details = FULL_PATIENT if full else PatientDetails(name=HumanName.from_text("Ana"))
    return Patient(
        id="p-1", mrn="00000017", country_id="PE", details=details, created_at=NOW, updated_at=NOW
    )


def country(*, full: bool) -> Country:
    rules = SchedulingRules(
        slot_minutes=30,
        min_lead_minutes=60,
        horizon_days=90,
        business_hours=(WeeklyWindow(0, TimeWindow(480, 1200)),)
        + ((WeeklyWindow(5, TimeWindow(480, 780)),) if full else ()),
        cancellation_window_hours=24,
        booking_mode=BookingMode.ASYNC if full else BookingMode.SYNC,
    )
    texts = {"es": {"confirmed": NotificationText("Cita {appointmentId}", "A las {localTime}")}}
    return Country(
        id="002" if full else "PE",
        code="PE",
        name="Perú",
        time_zones=(LIMA,),
        locale="es-PE",
        rules=rules,
        texts=texts if full else {},
        closed_dates=(date(2031, 7, 28),) if full else (),
        created_at=NOW,
        updated_at=NOW,
    )


def doctor(*, full: bool) -> Doctor:
    bare = Doctor(
        id="d-1",
        country_id="PE",
        name="Dra. Rosa Huamán",
        specialty="Cardiología",
        time_zone=LIMA,
        weekly=(),
        created_at=NOW,
        updated_at=NOW,
    )
    if not full:
        return bare
    return replace(
        bare,
        weekly=(WeeklyWindow(0, TimeWindow(480, 720)), WeeklyWindow(2, TimeWindow(840, 1440))),
        overrides=(
            DateOverride(date(2031, 3, 11), (TimeWindow(540, 600),)),
            DateOverride(date(2031, 3, 12)),
        ),
        slot_minutes=20,
        license="CMP-12345",
        email="rosa@clinic.example",
        phone="+51 1 555 0101",
    )


def appointment(*, full: bool) -> Appointment:
    history: tuple[Transition, ...] = ()
    if full:
        history = (
            Transition(NOW, "user-1", "book", None, Status.REQUESTED),
            Transition(NOW, "user-2", "confirm", Status.REQUESTED, Status.CONFIRMED, "checked"),
        )
    return Appointment(
        id="a-1",
        country_id="PE",
        doctor_id="d-1",
        patient_id="p-1",
        start=NOW,
        end=NOW + SLOT,
        time_zone=LIMA,
        status=Status.CONFIRMED if full else Status.REQUESTED,
        mode="async" if full else "sync",
        claim_id="c-1" if full else None,
        history=history,
        created_at=NOW,
        updated_at=NOW,
    )


def hold(*, full: bool) -> Hold:
    return Hold(
        id="h-1",
        country_id="PE",
        doctor_id="d-1",
        patient_id="p-1",
        start=NOW,
        end=NOW + SLOT,
        expires_at=NOW + timedelta(minutes=10),
        status=HoldStatus.ACTIVE,
        waitlist_entry_id="w-1" if full else None,
        created_by="user-1",
        created_at=NOW,
    )


def waitlist_entry(*, full: bool) -> WaitlistEntry:
    return WaitlistEntry(
        id="w-1",
        patient_id="p-1",
        country_id="PE",
        doctor_id="d-1" if full else None,
        specialty_key="cardiologia" if full else None,
        earliest=NOW,
        latest=NOW + timedelta(days=7),
        status=WaitStatus.OFFERED if full else WaitStatus.WAITING,
        offered_hold_id="h-1" if full else None,
        created_at=NOW,
        updated_at=NOW,
    )


def doctor_slots(*, full: bool) -> DoctorSlots:
    runs = [SlotRun(NOW, 3, SLOT), SlotRun(NOW + timedelta(days=1), 1, SLOT)] if full else []
    return DoctorSlots(doctor=doctor(full=full), slot_minutes=30, runs=runs)


def patient_file(*, full: bool, category: Category = Category.LAB) -> PatientFile:
    bare = PatientFile(
        id="f-1",
        patient_id="p-1",
        storage_key="0123456789abcdef0123456789abcdef",
        document_id="doc-1",
        version=1,
        kind=Kind.DOC,
        category=category,
        filename="report.pdf",
        mime_type="application/pdf",
        extension="pdf",
        status=FileStatus.PENDING,
        created_at=NOW,
        created_by="user-1",
        upload_expires_at=NOW + timedelta(minutes=15),
    )
    if not full:
        return bare
    return replace(
        bare,
        mime_type="image/jpeg",
        extension="jpg",
        status=FileStatus.READY,
        kind=Kind.NOTE,
        item_id="note-1",
        size=123_456,
        sha256="ab" * 32,
        width=800,
        height=600,
        completed_at=NOW + timedelta(minutes=1),
        derived=frozenset({Scope.OPTIMIZED, Scope.THUMB}),
    )


def stamp(*, full: bool) -> Stamp:
    bare = Stamp(id="s-1", file_id="f-1", stamped_by="user-2", stamped_at=NOW, note=None)
    if not full:
        return bare
    return replace(
        bare,
        note="Values in range",
        removed_by="user-1",
        removed_at=NOW + timedelta(hours=1),
        removal_reason="Wrong patient",
    )


def stamps() -> list[Stamp]:
    """An active stamp after a removed one, as a file's history shows them."""
    return [stamp(full=True), replace(stamp(full=False), id="s-2")]


def category_files(*, full: bool) -> CategoryFiles:
    if not full:
        return CategoryFiles(category=Category.PREOP, files=[], stamps={})
    return CategoryFiles(
        category=Category.LAB, files=[patient_file(full=True)], stamps={"f-1": stamps()}
    )


def deletion(*, full: bool) -> Deletion:
    if full:
        return Deletion(deleted=["k-1", "k-2"], invalidation_id="inv-1")
    return Deletion(deleted=[], invalidation_id=None)


def presigned(*, full: bool) -> PresignedUpload:
    fields = {"key": "patients/p-1/k", "policy": "e30=", "signature": "00"} if full else {}
    form = UploadForm(url="/objects/upload", fields=fields, expires_at=NOW + SLOT)
    return PresignedUpload(file=patient_file(full=False), form=form)
