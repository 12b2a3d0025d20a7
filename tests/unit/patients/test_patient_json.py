"""The routes render with `patient_json` and orjson; `PatientRead` documents the same JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime

import orjson
import pytest

from carehub.patients.api import WIRE_JSON
from carehub.patients.model import (
    Address,
    CodedEntry,
    HumanName,
    Identifier,
    Patient,
    PatientDetails,
    Sex,
)
from carehub.patients.schemas import PatientRead, patient_json

FULL = PatientDetails(
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


@pytest.mark.parametrize(
    "details", [FULL, PatientDetails(name=HumanName.from_text("Ana"))], ids=["full", "bare"]
)
@pytest.mark.parametrize("micro", [0, 120_000])
def test_patient_json_is_what_patient_read_dumps(details: PatientDetails, micro: int) -> None:
    at = datetime(2024, 6, 1, 10, 20, 30, micro, tzinfo=UTC)
    patient = Patient(
        id="p-1", mrn="00000017", country_id="PE", details=details, created_at=at, updated_at=at
    )
    body = patient_json(patient, date(2024, 6, 1))
    expected = PatientRead.model_validate(body).model_dump_json(by_alias=True)
    assert orjson.dumps(body, option=WIRE_JSON).decode() == expected
    assert list(orjson.loads(expected)) == [f.alias for f in PatientRead.model_fields.values()]
