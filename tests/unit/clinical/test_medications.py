"""MedicationService over the memory adapters: doctors and admins start, stop and complete
medications; a code already active is a warning, never a refusal."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from carehub.adapters.memory.store import MemoryStore
from carehub.clinical.errors import (
    ChangedMeanwhile,
    PatientInactive,
    PrescriberRequired,
    PrescribersOnly,
    ReadOnlyRecord,
    TransitionRefused,
)
from carehub.clinical.medications import CodeSystem, MedicationCode, MedicationStatus, Route
from carehub.clinical.service.medications import (
    ACTIVE,
    MedicationDraft,
    MedicationService,
    RecordedMedication,
)
from carehub.kernel.actor import Actor
from carehub.kernel.errors import Invalid
from tests.support.clock import StillClock
from tests.support.memory_world import ADMIN, ANA, NOW, audited, event_types, last_audit
from tests.unit.clinical.conftest import DOCTOR, STAFF_PE

METFORMIN = MedicationCode(CodeSystem.RXNORM, "860975")
TODAY = NOW.date()


def draft(**fields: object) -> MedicationDraft:
    values: dict[str, object] = {
        "name": "Metformin 500 mg",
        "start": TODAY,
        "code": METFORMIN,
        "dose": Decimal("500"),
        "dose_unit": "mg",
        "route": Route.ORAL,
        "frequency": "twice a day",
    }
    return MedicationDraft(**{**values, **fields})  # type: ignore[arg-type]


async def test_a_doctor_starts_a_medication_prescribed_by_them(
    medications: MedicationService, store: MemoryStore
) -> None:
    started = await medications.start(actor=DOCTOR, patient_id="ana", draft=draft())
    medication = started.medication
    assert (medication.prescriber_id, medication.status) == ("dr-1", MedicationStatus.ACTIVE)
    assert started.same_code_active == []
    assert event_types(store) == ["clinical.medication_started.v1"]
    assert last_audit(store) == ("user-dr", "medication.start", "allowed", ("ana",))


async def test_the_same_active_code_is_a_warning_not_a_refusal(
    medications: MedicationService,
) -> None:
    first = (await medications.start(actor=DOCTOR, patient_id="ana", draft=draft())).medication
    other = draft(code=MedicationCode(CodeSystem.RXNORM, "197361"), name="Amlodipine")
    assert (
        await medications.start(actor=DOCTOR, patient_id="ana", draft=other)
    ).same_code_active == []
    second = await medications.start(actor=DOCTOR, patient_id="ana", draft=draft())
    assert second.same_code_active == [first.id]
    uncoded = await medications.start(actor=DOCTOR, patient_id="ana", draft=draft(code=None))
    assert uncoded.same_code_active == []
    # Another patient's, or a stopped one, does not count.
    await medications.stop(actor=DOCTOR, patient_id="ana", medication_id=first.id, reason="Nausea")
    third = await medications.start(actor=DOCTOR, patient_id="ana", draft=draft())
    assert third.same_code_active == [second.medication.id]
    assert (
        await medications.start(actor=ADMIN, patient_id="luis", draft=draft(prescriber_id="dr-9"))
    ).same_code_active == []
    active = await medications.list_for_patient(actor=ANA, patient_id="ana", statuses=ACTIVE)
    assert first.id not in [m.id for m in active.items] and len(active.items) == 4


async def test_only_doctors_and_admins_prescribe_and_admins_name_the_prescriber(
    medications: MedicationService, store: MemoryStore
) -> None:
    with pytest.raises(PrescribersOnly):
        await medications.start(actor=STAFF_PE, patient_id="ana", draft=draft())
    assert last_audit(store) == ("staff-pe", "medication.start", "denied", ("ana",))
    with pytest.raises(ReadOnlyRecord):
        await medications.start(actor=ANA, patient_id="ana", draft=draft())
    with pytest.raises(PrescriberRequired):
        await medications.start(actor=ADMIN, patient_id="ana", draft=draft())
    assert last_audit(store) == ("admin-1", "medication.start", "failed", ("ana",))
    started = await medications.start(
        actor=ADMIN, patient_id="ana", draft=draft(prescriber_id="dr-7")
    )
    assert started.medication.prescriber_id == "dr-7"


async def test_a_medication_is_stopped_with_a_reason_or_completed_once(
    medications: MedicationService, clock: StillClock, store: MemoryStore
) -> None:
    stopped_one = (
        await medications.start(actor=DOCTOR, patient_id="ana", draft=draft())
    ).medication
    done_one = (
        await medications.start(
            actor=DOCTOR, patient_id="ana", draft=draft(end=TODAY + timedelta(days=30))
        )
    ).medication
    clock.advance(timedelta(days=2))
    with pytest.raises(Invalid):
        await medications.stop(
            actor=DOCTOR, patient_id="ana", medication_id=stopped_one.id, reason=""
        )
    stopped = await medications.stop(
        actor=DOCTOR, patient_id="ana", medication_id=stopped_one.id, reason="Nausea", if_version=1
    )
    assert (stopped.status, stopped.stop_reason, stopped.end) == (
        MedicationStatus.STOPPED,
        "Nausea",
        TODAY + timedelta(days=2),
    )
    completed = await medications.complete(actor=ADMIN, patient_id="ana", medication_id=done_one.id)
    assert (completed.status, completed.end) == (
        MedicationStatus.COMPLETED,
        TODAY + timedelta(days=2),
    )
    for run in (
        medications.complete(actor=DOCTOR, patient_id="ana", medication_id=stopped_one.id),
        medications.stop(actor=DOCTOR, patient_id="ana", medication_id=done_one.id, reason="x"),
    ):
        with pytest.raises(TransitionRefused):
            await run
    assert last_audit(store) == ("user-dr", "medication.stop", "failed", ("ana",))
    history = await medications.history(actor=ANA, patient_id="ana", item_id=stopped_one.id)
    assert [(r.action, r.reason) for r in history] == [("started", None), ("stopped", "Nausea")]
    assert event_types(store)[-2:] == [
        "clinical.medication_stopped.v1",
        "clinical.medication_completed.v1",
    ]


async def test_a_stale_version_is_refused_and_staff_never_stop_one(
    medications: MedicationService,
) -> None:
    medication = (await medications.start(actor=DOCTOR, patient_id="ana", draft=draft())).medication
    with pytest.raises(ChangedMeanwhile):
        await medications.complete(
            actor=DOCTOR, patient_id="ana", medication_id=medication.id, if_version=2
        )
    with pytest.raises(PrescribersOnly):
        await medications.stop(
            actor=STAFF_PE, patient_id="ana", medication_id=medication.id, reason="x"
        )


async def test_a_course_cannot_end_before_it_starts(medications: MedicationService) -> None:
    with pytest.raises(Invalid):
        await medications.start(actor=DOCTOR, patient_id="ana", draft=draft(end=date(2020, 1, 1)))


IMPORTER = Actor.system("fhir-import")


async def test_an_import_records_a_patients_medications_as_they_stand_in_one_unit(
    medications: MedicationService, store: MemoryStore
) -> None:
    """Started, then stopped or completed at once: the revisions, events and audit entries
    the native use cases leave, all committed together."""
    earlier = TODAY - timedelta(days=400)
    recorded = await medications.record_many(
        actor=IMPORTER,
        patient_id="ana",
        medications=[
            RecordedMedication(draft(prescriber_id="dr-9")),
            RecordedMedication(
                draft(start=earlier, prescriber_id="dr-9"), MedicationStatus.STOPPED, "Recorded"
            ),
            RecordedMedication(
                draft(start=earlier, end=earlier + timedelta(days=10), prescriber_id="dr-9"),
                MedicationStatus.COMPLETED,
            ),
        ],
    )
    assert [(m.status, m.version, m.prescriber_id) for m in recorded] == [
        (MedicationStatus.ACTIVE, 1, "dr-9"),
        (MedicationStatus.STOPPED, 2, "dr-9"),
        (MedicationStatus.COMPLETED, 2, "dr-9"),
    ]
    assert recorded[1].stop_reason == "Recorded"
    assert recorded[2].end == earlier + timedelta(days=10)  # its course ran as planned
    page = await medications.list_for_patient(actor=ADMIN, patient_id="ana", statuses=None)
    assert {m.id for m in page.items} == {m.id for m in recorded}
    history = await medications.history(actor=ADMIN, patient_id="ana", item_id=recorded[1].id)
    assert [(r.action, r.reason) for r in history] == [("started", None), ("stopped", "Recorded")]
    assert event_types(store) == [
        "clinical.medication_started.v1",
        "clinical.medication_started.v1",
        "clinical.medication_stopped.v1",
        "clinical.medication_started.v1",
        "clinical.medication_completed.v1",
    ]
    importer = [a for a in audited(store) if a[0] == IMPORTER.id]
    assert [action for _, action, _, _ in importer] == [
        "medication.start",
        "medication.start",
        "medication.stop",
        "medication.start",
        "medication.complete",
    ]


async def test_an_import_records_all_of_a_patients_medications_or_none(
    medications: MedicationService, store: MemoryStore
) -> None:
    unexplained = RecordedMedication(draft(prescriber_id="dr-9"), MedicationStatus.STOPPED)
    with pytest.raises(Invalid):  # a stopped one needs its reason
        await medications.record_many(
            actor=IMPORTER,
            patient_id="ana",
            medications=[RecordedMedication(draft(prescriber_id="dr-9")), unexplained],
        )
    assert store.outbox == []
    assert last_audit(store) == (IMPORTER.id, "medication.start", "failed", ("ana",))
    with pytest.raises(PatientInactive):
        await medications.record_many(
            actor=IMPORTER, patient_id="gone", medications=[RecordedMedication(draft())]
        )
    with pytest.raises(PrescribersOnly):
        await medications.record_many(
            actor=STAFF_PE, patient_id="ana", medications=[RecordedMedication(draft())]
        )
    page = await medications.list_for_patient(actor=ADMIN, patient_id="ana", statuses=None)
    assert page.items == []
