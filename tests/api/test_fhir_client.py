"""A real FHIR client's round trip against a running carehub (fhirpy, over HTTP, on every
store): it creates patients, searches and pages through them, reads one, and books an
appointment, each as any FHIR server would be asked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound

from tests.api.conftest import ApiServer
from tests.api.scheduling_world import (
    WEEKDAY_SYNC_RULES,
    add_country,
    add_doctor,
    iso,
    local_slot,
)
from tests.support.fhir_checks import validated

ZONE = "America/Lima"


@pytest.fixture
def client(server: ApiServer, api: httpx.Client) -> SyncFHIRClient:
    add_country(api, "PE", timeZones=[ZONE], rules=WEEKDAY_SYNC_RULES)
    return SyncFHIRClient(
        f"{server.base_url}/fhir/R4", authorization=f"Bearer {server.admin_token}"
    )


def new_patient(client: SyncFHIRClient, n: int, **fields: Any) -> Any:
    patient = client.resource(
        "Patient",
        identifier=[{"system": "urn:pe:dni", "value": f"7{n:07d}"}],
        name=[{"family": "Mamani", "given": [f"Client{n}"]}],
        gender="female" if n % 2 else "male",
        birthDate="1988-08-08",
        managingOrganization={"reference": "Organization/PE"},
        **fields,
    )
    patient.save()
    return patient


def test_fhirpy_creates_searches_pages_reads_and_books(
    server: ApiServer, api: httpx.Client, client: SyncFHIRClient
) -> None:
    made = [new_patient(client, n) for n in range(7)]
    assert all(p.id for p in made)
    assert made[0]["meta"]["versionId"] == "1"

    found = client.resources("Patient").search(family="mamani").limit(3).fetch_all()
    assert sorted(p.id for p in found) == sorted(p.id for p in made)
    women = client.resources("Patient").search(family="mamani", gender="female").fetch_all()
    assert len(women) == 3
    one = client.resources("Patient").search(identifier="urn:pe:dni|70000004").get()
    assert one.id == made[4].id

    read = client.reference("Patient", made[2].id).to_resource()
    validated(read.serialize())
    assert read["name"][0]["given"] == ["Client2"]

    read["gender"] = "other"
    read.save()
    assert client.reference("Patient", made[2].id).to_resource()["meta"]["versionId"] == "2"

    with pytest.raises(ResourceNotFound):
        client.reference("Patient", "nobody").to_resource()

    doctor = add_doctor(api, "PE", timeZone=ZONE)["doctorId"]
    start = local_slot(server, "PE", ZONE)
    slots = (
        client.resources("Slot")
        .search(
            schedule=f"Schedule/{doctor}",
            start=[f"ge{iso(start)}", f"lt{iso(start + timedelta(hours=2))}"],
        )
        .fetch()
    )
    assert slots and slots[0]["status"] == "free"
    booking = client.resource(
        "Appointment",
        status="booked",
        slot=[{"reference": f"Slot/{slots[0].id}"}],
        participant=[
            {"actor": {"reference": f"Patient/{made[0].id}"}, "status": "accepted"},
            {"actor": {"reference": f"Practitioner/{doctor}"}, "status": "accepted"},
        ],
    )
    booking.save()
    assert booking.id and booking["status"] == "booked"
    twice = client.resource(
        "Appointment",
        status="booked",
        slot=[{"reference": f"Slot/{slots[0].id}"}],
        participant=[
            {"actor": {"reference": f"Patient/{made[1].id}"}},
            {"actor": {"reference": f"Practitioner/{doctor}"}},
        ],
    )
    with pytest.raises(OperationOutcome):
        twice.save()
    mine = client.resources("Appointment").search(patient=made[0].id).fetch_all()
    assert [a.id for a in mine] == [booking.id]
