"""The routes render with `patient_json` and orjson; `PatientRead` documents the same JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime

import orjson
import pytest

from carehub.patients.api import WIRE_JSON
from carehub.patients.model import (
    HumanName,
    Patient,
    PatientDetails,
)
from carehub.patients.schemas import PatientRead, patient_json
from tests.unit.web.renderer_cases import FULL_PATIENT

FULL = FULL_PATIENT


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
