"""`make aws-local`: the README's walkthrough through the template's functions on a moto
server, each in a container process of its own, driven by the event shapes AWS sends them
(never through `carehub serve`): seed 001's country and patient, a Chilean booking
confirmed by its country's queue function after the stream function relays it, seed 004's
upload completed by the bucket's object-created event, and the registrations counted by
the analytics consumer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.bodies import SEED_001_PATIENT
from tests.api.test_scheduling_walkthrough import SEED_COUNTRY, SEED_DOCTOR
from tests.deploy.aws_local import Deployment, deployed

pytestmark = pytest.mark.aws
ADMIN = {"email": "admin@clinic.example", "password": "choose a long passphrase"}
CARBON_PIXEL = (  # a 1x1 JPEG
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b"
    "0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e3334"
    "32ffc0000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708"
    "090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114"
    "328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748"
    "494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2"
    "a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9"
    "eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9"
)


@pytest.fixture(scope="module")
def deployment(
    moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto accepts any credentials
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        folder = tmp_path_factory.mktemp("aws-local")
        with deployed(moto_endpoint, folder, stage=f"walk{uuid.uuid4().hex[:8]}") as made:
            yield made


def operator_commands(deployment: Deployment) -> None:
    """What an operator runs once against the deployed table (README, "Deploy to AWS"):
    the shipped countries, and the first admin."""
    environment = {
        **os.environ,
        **deployment.environment("Api"),
        "CAREHUB_AWS_ENDPOINT_URL": deployment.stack.endpoint,
    }
    carehub = str(Path(sys.executable).parent / "carehub")
    admin = ["users", "create-admin", "--email", ADMIN["email"], "--password", ADMIN["password"]]
    for command in (["countries", "load"], admin):
        subprocess.run([carehub, *command], env=environment, check=True, capture_output=True)


def expect(answer: tuple[int, Any], status: int) -> Any:
    code, body = answer
    assert code == status, body
    return body


def test_the_walkthrough_through_the_functions(deployment: Deployment) -> None:
    operator_commands(deployment)
    token = expect(deployment.request("POST", "/auth/login", body=ADMIN), 200)["accessToken"]

    def call(method: str, target: str, body: Any = None) -> tuple[int, Any]:
        return deployment.request(method, target, body=body, token=token)

    # Seed 001: its country and its patient.
    expect(call("POST", "/countries", {"countryId": "001", "name": "PERU", "code": "PE"}), 201)
    patient = json.loads(SEED_001_PATIENT)
    expect(call("POST", "/patients", patient), 201)
    assert expect(call("GET", "/patients/0315"), 200)["name"]["text"] == "Jorge Moros"

    # A Chilean booking: accepted pending, confirmed by the bookings-CL function once the
    # stream function has relayed its event.
    expect(call("POST", "/countries", SEED_COUNTRY), 201)
    doctor = SEED_DOCTOR
    expect(call("POST", "/doctors", doctor), 201)
    today = datetime.now(UTC).date()
    monday = today + timedelta(days=7 - today.weekday())
    booking = {
        "appointmentId": "appointment124",
        "patientId": "0315",
        "doctorId": "doctor001",
        "appointmentDate": f"{monday}T14:00:00Z",
        "countryId": "CL",
        "state": "scheduled",
    }
    assert expect(call("POST", "/appointments", booking), 202)["status"] == "pending"
    deployment.settle()
    assert expect(call("GET", "/appointments/appointment124"), 200)["status"] == "confirmed"
    # Country 002 has no queue of its own in this deployment: the shared one confirmed it.
    # The shipped Chile (id CL) is one of the template's Countries: its own function does.
    assert "Consumerbookings" in deployment.containers
    chilean = {**doctor, "doctorId": "doctor002", "countryId": "CL"}
    expect(call("POST", "/doctors", chilean), 201)
    second = {**booking, "appointmentId": "appointment125", "doctorId": "doctor002"}
    second |= {"appointmentDate": f"{monday}T15:00:00Z"}
    assert expect(call("POST", "/appointments", second), 202)["status"] == "pending"
    assert "BookingsCL" not in deployment.containers
    deployment.settle()
    assert expect(call("GET", "/appointments/appointment125"), 200)["status"] == "confirmed"
    assert "BookingsCL" in deployment.containers

    # Seed 004: an upload straight to the bucket, completed by its object-created event.
    ana = {"patientId": "20250819644", "name": "Ana Torres", "countryId": "PE"}
    expect(call("POST", "/patients", ana), 201)
    asked = {"filename": "test.jpg", "mimeType": "image/jpeg", "kind": "doc", "docType": "preop"}
    form = expect(call("POST", "/patients/20250819644/files/presign-upload", asked), 200)
    upload = httpx.post(
        form["uploadUrl"],
        data=form["fields"],
        files={"file": ("test.jpg", bytes.fromhex(CARBON_PIXEL), "image/jpeg")},
    )
    assert upload.status_code in (200, 204), upload.text
    s3 = deployment.stack.client("s3")
    bucket = deployment.stack.refs["FilesBucket"]
    stored = s3.list_objects_v2(Bucket=bucket)["Contents"]
    [key] = [item["Key"] for item in stored if item["Key"].endswith(form["key"])]
    deployment.object_created(key)
    files = expect(call("GET", "/patients/20250819644/files"), 200)["items"]
    assert [(f["status"], f["docType"]) for f in files] == [("ready", "preop")]

    # The registration reached the analytics function through the stream and its queue.
    deployment.settle()
    daily = expect(
        call(
            "GET",
            f"/analytics/daily?metric=patients_registered&countryId=PE&from={today}&to={today}",
        ),
        200,
    )
    assert [day["count"] for day in daily["days"]] == [1]  # Ana (seed 001's patient is in 001)
