"""The FHIR importer: the use cases it reads and writes through and, on a store whose
transactions can hold a whole bundle (SQL), the one unit of work a transaction Bundle's
writes are joined to, so they commit all or none."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from carehub.bootstrap.store import AnyUnitOfWork, import_batch_size, on_dynamodb
from carehub.clinical.service.medications import MedicationService
from carehub.config import Settings
from carehub.countries.service import CountryService
from carehub.fhir.importer import FhirImporter, ImportUseCases, OneUnit
from carehub.kernel.clock import Clock
from carehub.kernel.unit_of_work import JoinedUnitOfWork
from carehub.patients.service import PatientService
from carehub.practitioners.service import DoctorService


def fhir_importer(
    settings: Settings,
    uow: Callable[[], AnyUnitOfWork],
    clock: Clock,
    use_cases: ImportUseCases,
) -> FhirImporter:
    """The importer over the deployment's use cases; DynamoDB's transactions hold 100
    items, so there each use case commits its own unit."""
    return FhirImporter(
        patients=use_cases.patients,
        countries=use_cases.countries,
        doctors=use_cases.doctors,
        medications=use_cases.medications,
        clock=clock,
        patients_per_unit=import_batch_size(settings),
        one_unit=None if on_dynamodb(settings) else _one_unit(uow, clock),
    )


def _one_unit(uow: Callable[[], AnyUnitOfWork], clock: Clock) -> OneUnit:
    @asynccontextmanager
    async def one_unit() -> AsyncIterator[ImportUseCases]:
        async with uow() as outer:
            # Each use case opens and commits its units as usual; joined, they are parts
            # of `outer`, which commits them (rows, events, audit records) together.
            def joined() -> Any:
                return JoinedUnitOfWork(outer)

            yield ImportUseCases(
                patients=PatientService(joined, clock),
                countries=CountryService(joined, clock),
                doctors=DoctorService(joined, clock),
                medications=MedicationService(joined, clock),
            )
            await outer.commit()

    return one_unit
