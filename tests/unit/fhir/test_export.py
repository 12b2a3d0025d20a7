"""The bulk export's use cases over the memory adapters: a job runs step after step (each
event making the next step due) to its manifest, a repeated event runs no step twice, files
split at their line limit, a cancellation stops it, and only the admin who asked sees it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import orjson
import pytest

from carehub.adapters.memory.objects import MemoryObjectStore
from carehub.adapters.memory.store import MemoryStore
from carehub.adapters.memory.unit_of_work import MemoryUnitOfWork
from carehub.clinical.service.medications import MedicationDraft, MedicationService
from carehub.countries.service import CountryService
from carehub.fhir.export.content import Budget, Exporter
from carehub.fhir.export.errors import ExportForbidden, ExportNotFound
from carehub.fhir.export.events import ExportRequested
from carehub.fhir.export.handlers import EXPORT_STEP_EVENTS, RunExportStep
from carehub.fhir.export.job import FILE_LIFETIME, ExportJob
from carehub.fhir.export.request import ExportRequest, Level
from carehub.fhir.export.service import FhirExportService
from carehub.kernel.actor import Actor, Role
from carehub.patients.service import PatientService
from carehub.practitioners.service import DoctorService
from carehub.scheduling.service import AppointmentService
from tests.support.clock import StillClock
from tests.support.fhir_checks import validated
from tests.support.memory_world import ADMIN, NOW, add_country, add_doctor, add_patient

PE_PATIENTS = ["pe-1", "pe-2", "pe-3", "pe-4", "pe-5"]
OTHER_ADMIN = Actor(id="admin-2", role=Role.ADMIN)
DOCTOR = Actor(id="user-dr", role=Role.DOCTOR, country_id="PE", practitioner_id="dr-pe")


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore()
    pe, co = add_country(store, "PE", NOW), add_country(store, "CO", NOW)
    add_doctor(store, "dr-pe", pe, NOW)
    add_doctor(store, "dr-co", co, NOW)
    for patient_id in PE_PATIENTS:
        add_patient(store, patient_id, "PE", NOW)
    add_patient(store, "co-1", "CO", NOW)
    return store


@pytest.fixture
def objects(clock: StillClock) -> MemoryObjectStore:
    return MemoryObjectStore(clock)


@pytest.fixture
def exports(store: MemoryStore, clock: StillClock, objects: MemoryObjectStore) -> FhirExportService:
    def units() -> MemoryUnitOfWork:
        return MemoryUnitOfWork(store, clock)

    countries = CountryService(units, clock)
    exporter = Exporter(
        patients=PatientService(units, clock),
        medications=MedicationService(units, clock),
        appointments=AppointmentService(units, clock),
        doctors=DoctorService(units, clock),
        countries=countries,
        budget=Budget(patients=2, page=2),  # two patients a step: three steps for PE
    )
    return FhirExportService(units, clock, objects=objects, exporter=exporter, countries=countries)


async def deliver_export_events(
    store: MemoryStore, clock: StillClock, exports: FhirExportService, handled: set[str]
) -> None:
    """Apply each export event of the outbox not yet handled, as the consumer would, until
    no new one is recorded."""
    consumer = RunExportStep(exports)
    while pending := [
        e for e in store.outbox if e.event_type in EXPORT_STEP_EVENTS and e.event_id not in handled
    ]:
        for event in pending:
            handled.add(event.event_id)
            async with MemoryUnitOfWork(store, clock) as uow:
                await consumer(event.to_message(), uow)
                await uow.commit()


def group(types: str | None = None) -> ExportRequest:
    return ExportRequest.of(Level.GROUP, group="PE", types=types)


def lines(objects: MemoryObjectStore, job: ExportJob, name: str) -> list[dict[str, object]]:
    data = objects.objects[f"fhir-exports/{job.id}/{name}"]
    assert data.endswith(b"\n")
    return [orjson.loads(line) for line in data.splitlines()]


async def test_an_export_runs_step_after_step_to_its_manifest(
    store: MemoryStore, clock: StillClock, exports: FhirExportService, objects: MemoryObjectStore
) -> None:
    await MedicationService(lambda: MemoryUnitOfWork(store, clock), clock).start(
        actor=ADMIN,
        patient_id="pe-2",
        draft=MedicationDraft(name="Metformin", prescriber_id="dr-pe"),
    )
    job = await exports.start(actor=ADMIN, request=group(), request_url="https://x/$export")
    await deliver_export_events(store, clock, exports, set())

    done = await exports.status(actor=ADMIN, job_id=job.id)
    assert done.completed_at == NOW and done.position.steps == 3
    assert [e.event_type for e in store.outbox if e.aggregate_id == job.id] == [
        "fhir.export_requested.v1",
        "fhir.export_step_written.v1",
        "fhir.export_step_written.v1",
        "fhir.export_completed.v1",
    ]
    files = {o.name: o.count for o in done.outputs}
    assert files == {
        "Organization-1.ndjson": 1,
        "Location-1.ndjson": 1,
        "Practitioner-1.ndjson": 1,
        "PractitionerRole-1.ndjson": 1,
        "Patient-1.ndjson": 2,
        "MedicationStatement-1.ndjson": 1,
        "Patient-2.ndjson": 2,
        "Patient-3.ndjson": 1,
    }
    patients = [
        r["id"]
        for n in ("Patient-1", "Patient-2", "Patient-3")
        for r in lines(objects, done, f"{n}.ndjson")
    ]
    assert patients == PE_PATIENTS
    for output in done.outputs:
        for resource in lines(objects, done, output.name):
            validated(resource)
    # Read as the admin who asked: every page of patients is in their audit trail.
    listed = [e.patient_ids for e in store.audit if e.action == "patient.list"]
    assert [p for ids in listed for p in ids] == PE_PATIENTS
    assert all(e.actor_id == ADMIN.id for e in store.audit)


async def test_a_step_repeated_runs_nothing_twice(
    store: MemoryStore, clock: StillClock, exports: FhirExportService
) -> None:
    job = await exports.start(actor=ADMIN, request=group("Patient"), request_url="u")
    requested = next(e for e in store.outbox if e.event_type == ExportRequested.event_type)
    consumer = RunExportStep(exports)
    # The first step ran and saved its state, but its unit (its next event) was lost.
    async with MemoryUnitOfWork(store, clock) as uow:
        await consumer(requested.to_message(), uow)
    reads = len(store.audit)
    # Delivered again: the step is not read again, its event is recorded once more.
    async with MemoryUnitOfWork(store, clock) as uow:
        await consumer(requested.to_message(), uow)
        await uow.commit()
    assert len(store.audit) == reads
    assert [e.event_type for e in store.outbox][-1] == "fhir.export_step_written.v1"
    await deliver_export_events(store, clock, exports, {requested.event_id})
    finished = await exports.status(actor=ADMIN, job_id=job.id)
    assert [o.name for o in finished.outputs] == [f"Patient-{n}.ndjson" for n in (1, 2, 3)]
    # Every event delivered once more reads nothing (the consumer's processed records, not
    # modelled here, keep the events they record again from committing).
    reads = len(store.audit)
    await deliver_export_events(store, clock, exports, set())
    assert store.audit[reads:] == []
    assert (await exports.status(actor=ADMIN, job_id=job.id)).outputs == finished.outputs


async def test_files_split_at_their_line_limit(
    store: MemoryStore,
    clock: StillClock,
    exports: FhirExportService,
    objects: MemoryObjectStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("carehub.fhir.export.service.MAX_LINES_PER_FILE", 1)
    job = await exports.start(actor=ADMIN, request=group("Patient"), request_url="u")
    await deliver_export_events(store, clock, exports, set())
    done = await exports.status(actor=ADMIN, job_id=job.id)
    assert [(o.name, o.count) for o in done.outputs] == [
        (f"Patient-{n}.ndjson", 1) for n in range(1, 6)
    ]


async def test_since_and_types_narrow_an_export(
    store: MemoryStore, clock: StillClock, exports: FhirExportService, objects: MemoryObjectStore
) -> None:
    store.patients["pe-4"] = replace(store.patients["pe-4"], updated_at=NOW + timedelta(hours=1))
    request = ExportRequest.of(
        Level.SYSTEM, types="Patient,Practitioner", since="2031-03-10T12:30:00Z"
    )
    job = await exports.start(actor=ADMIN, request=request, request_url="u")
    await deliver_export_events(store, clock, exports, set())
    done = await exports.status(actor=ADMIN, job_id=job.id)
    assert [(o.resource_type, o.count) for o in done.outputs] == [("Patient", 1)]
    assert [r["id"] for r in lines(objects, done, "Patient-1.ndjson")] == ["pe-4"]


async def test_a_cancelled_export_stops_and_leaves_no_file(
    store: MemoryStore, clock: StillClock, exports: FhirExportService, objects: MemoryObjectStore
) -> None:
    job = await exports.start(actor=ADMIN, request=group(), request_url="u")
    requested = next(e for e in store.outbox if e.aggregate_id == job.id)
    async with MemoryUnitOfWork(store, clock) as uow:
        await RunExportStep(exports)(requested.to_message(), uow)
        await uow.commit()
    await exports.cancel(actor=ADMIN, job_id=job.id)
    assert list(objects.objects) == [f"fhir-exports/{job.id}/cancelled"]
    await deliver_export_events(store, clock, exports, {requested.event_id})
    assert list(objects.objects) == [f"fhir-exports/{job.id}/cancelled"]
    assert store.outbox[-1].event_type == "fhir.export_step_written.v1"  # nothing after it
    with pytest.raises(ExportNotFound):
        await exports.status(actor=ADMIN, job_id=job.id)


async def test_only_the_admin_who_asked_sees_an_export(
    store: MemoryStore, clock: StillClock, exports: FhirExportService
) -> None:
    job = await exports.start(actor=ADMIN, request=group(), request_url="u")
    with pytest.raises(ExportNotFound):
        await exports.status(actor=OTHER_ADMIN, job_id=job.id)
    with pytest.raises(ExportForbidden):
        await exports.status(actor=DOCTOR, job_id=job.id)
    with pytest.raises(ExportForbidden):
        await exports.start(actor=DOCTOR, request=group(), request_url="u")
    with pytest.raises(ExportNotFound):
        await exports.cancel(actor=ADMIN, job_id="../../etc")
    refused = [(e.actor_id, e.action, e.outcome) for e in store.audit if e.outcome != "allowed"]
    assert refused == [
        (OTHER_ADMIN.id, "fhir_export.read", "denied"),
        (DOCTOR.id, "fhir_export.read", "denied"),
        (DOCTOR.id, "fhir_export.start", "denied"),
        (ADMIN.id, "fhir_export.cancel", "not_found"),
    ]


async def test_an_expired_export_is_deleted_when_polled(
    store: MemoryStore, clock: StillClock, exports: FhirExportService, objects: MemoryObjectStore
) -> None:
    job = await exports.start(actor=ADMIN, request=group("Patient"), request_url="u")
    await deliver_export_events(store, clock, exports, set())
    assert len(await exports.links(await exports.status(actor=ADMIN, job_id=job.id))) == 3
    clock.advance(FILE_LIFETIME)
    with pytest.raises(ExportNotFound):
        await exports.status(actor=ADMIN, job_id=job.id)
    assert objects.objects == {}
