"""A kick-off's parameters: what carehub serves is taken, anything else refused as the Bulk
Data IG asks (400, naming the parameter)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from carehub.fhir.export.errors import BadExportRequest
from carehub.fhir.export.request import PATIENT_TYPES, SERVED_TYPES, ExportRequest, Level


def test_every_type_served_by_default() -> None:
    assert ExportRequest.of(Level.SYSTEM).types == SERVED_TYPES
    assert ExportRequest.of(Level.GROUP, group="PE").types == SERVED_TYPES
    assert ExportRequest.of(Level.PATIENT).types == PATIENT_TYPES


def test_types_asked_come_in_carehubs_order_each_once() -> None:
    request = ExportRequest.of(Level.SYSTEM, types="Location, Patient,Patient")
    assert request.types == ("Patient", "Location")
    assert request.reads_patients
    assert not ExportRequest.of(Level.SYSTEM, types="Organization").reads_patients


def test_since_is_an_instant_in_utc() -> None:
    request = ExportRequest.of(Level.SYSTEM, since="2031-03-10T07:00:00.123456789-05:00")
    assert request.since == datetime(2031, 3, 10, 12, 0, 0, 123456, tzinfo=UTC)
    assert not request.changed(datetime(2031, 3, 10, 12, 0, 0, 123456, tzinfo=UTC))
    assert request.changed(datetime(2031, 3, 10, 12, 0, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("level", "fields", "parameter"),
    [
        (Level.SYSTEM, {"types": "Observation"}, "_type"),
        (Level.SYSTEM, {"types": "Patient,"}, "_type"),
        (Level.SYSTEM, {"types": "patient"}, "_type"),
        (Level.PATIENT, {"types": "Practitioner"}, "_type"),
        (Level.SYSTEM, {"types": "Patient," * 100}, "_type"),
        (Level.SYSTEM, {"since": "2031-03-10"}, "_since"),
        (Level.SYSTEM, {"since": "2031-03-10T12:00:00"}, "_since"),
        (Level.SYSTEM, {"since": "2031-02-30T12:00:00Z"}, "_since"),
        (Level.SYSTEM, {"output_format": "application/fhir+json"}, "_outputFormat"),
    ],
)
def test_what_is_not_served_is_refused_with_400(
    level: Level, fields: dict[str, str], parameter: str
) -> None:
    with pytest.raises(BadExportRequest) as refused:
        ExportRequest.of(level, **fields)
    assert refused.value.kind == "bad-request"
    assert [e.field for e in refused.value.errors] == [parameter]


@pytest.mark.parametrize(
    "output_format", ["application/fhir+ndjson", "application/ndjson", "ndjson"]
)
def test_ndjson_is_the_output_format(output_format: str) -> None:
    assert ExportRequest.of(Level.SYSTEM, output_format=output_format).types == SERVED_TYPES
