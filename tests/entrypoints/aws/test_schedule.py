"""Periodic jobs on Lambda, as EventBridge rules with a constant input invoke them."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from carehub.entrypoints.aws import schedule
from carehub.entrypoints.aws.container import CONTAINER
from tests.entrypoints.aws.api import LambdaApi, booked_weekday, doctor_body
from tests.entrypoints.aws.conftest import LambdaWorld
from tests.entrypoints.aws.events import scheduled_event
from tests.support.clock import AdjustableClock

pytestmark = pytest.mark.aws
LIMA = ZoneInfo("America/Lima")


def test_hold_expiry_releases_an_expired_hold(lambda_world: LambdaWorld) -> None:
    clock = AdjustableClock()
    CONTAINER.clock = clock
    api = LambdaApi()
    patient_id = api.patient()
    api.call("POST", "/doctors", doctor_body("dr-lambda", "PE"), status=201)
    held = booked_weekday(api, "dr-lambda", patient_id, LIMA, path="/holds")["request"]
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
