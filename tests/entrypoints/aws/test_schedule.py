"""Periodic jobs on Lambda, as EventBridge rules with a constant input invoke them."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from carehub.entrypoints.aws import schedule
from carehub.entrypoints.aws.container import CONTAINER
from tests.entrypoints.aws.api import LambdaApi
from tests.entrypoints.aws.conftest import LambdaWorld
from tests.entrypoints.aws.events import scheduled_event
from tests.support.clock import AdjustableClock

pytestmark = pytest.mark.aws
LIMA = ZoneInfo("America/Lima")


def a_weekday_slot(api: LambdaApi, doctor_id: str, patient_id: str) -> dict[str, str]:
    """A hold on the first weekday slot at 11:00 in Lima, a week or more ahead, that
    takes one (public holidays do not)."""
    day = datetime.now(LIMA).date() + timedelta(days=7)
    for _ in range(14):
        day += timedelta(days=1)
        if day.weekday() >= 5:
            continue
        start = datetime.combine(day, time(11, 0), tzinfo=LIMA).astimezone(UTC)
        body = {"doctorId": doctor_id, "patientId": patient_id, "start": start.isoformat()}
        response = api.request("POST", "/holds", body)
        if response["statusCode"] == 201:
            return body
    raise AssertionError("no weekday slot took a hold")


def test_hold_expiry_releases_an_expired_hold(lambda_world: LambdaWorld) -> None:
    clock = AdjustableClock()
    CONTAINER.clock = clock
    api = LambdaApi()
    patient_id = api.patient()
    doctor = {
        "doctorId": "dr-lambda",
        "name": "Dr. Test",
        "specialty": "Cardiology",
        "countryId": "PE",
        "weeklyAvailability": [
            {"day": d, "start": "09:00", "end": "17:00"}
            for d in ("monday", "tuesday", "wednesday", "thursday", "friday")
        ],
    }
    api.call("POST", "/doctors", doctor, status=201)
    held = a_weekday_slot(api, "dr-lambda", patient_id)
    other = api.patient(new_country=False)
    assert api.request("POST", "/holds", {**held, "patientId": other})["statusCode"] == 409

    assert schedule.handler({"job": "hold-expiry"}, None) == {"job": "hold-expiry", "done": 0}
    clock.advance(timedelta(hours=1))
    assert schedule.handler({"job": "hold-expiry"}, None) == {"job": "hold-expiry", "done": 1}

    assert api.request("POST", "/holds", {**held, "patientId": other})["statusCode"] == 201


@pytest.mark.parametrize("job", ["upload-expiry", "outbox-pruning", "webhook-deliveries"])
def test_every_other_job_runs_a_round(lambda_world: LambdaWorld, job: str) -> None:
    assert schedule.handler({"job": job}, None) == {"job": job, "done": 0}


def test_an_event_naming_no_job_is_refused(lambda_world: LambdaWorld) -> None:
    with pytest.raises(schedule.UnknownJob):
        schedule.handler(scheduled_event(), None)
    with pytest.raises(schedule.UnknownJob):
        schedule.handler({"job": "format-disk"}, None)
