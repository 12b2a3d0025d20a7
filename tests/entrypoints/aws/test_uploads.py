"""Uploads completed on Lambda by S3's object-created events, straight and through SQS."""

from __future__ import annotations

import json
from typing import Any

import pytest

from carehub.entrypoints.aws import uploads
from tests.api.documents_world import JPEG, photo, post_form
from tests.entrypoints.aws.api import LambdaApi
from tests.entrypoints.aws.conftest import LambdaWorld
from tests.entrypoints.aws.events import s3_object_created, sqs_batch

pytestmark = pytest.mark.aws


def uploaded(api: LambdaApi, patient_id: str) -> str:
    """An upload presigned through the API function and posted to the bucket; its key."""
    body = {"filename": "scan.jpg", "mimeType": JPEG, "kind": "doc", "docType": "preop"}
    form = api.call("POST", f"/patients/{patient_id}/files/presign-upload", body)
    assert post_form(form, photo()).status_code in (200, 204)
    return str(form["key"])


def status_of(api: LambdaApi, patient_id: str, key: str) -> str | None:
    listed: list[dict[str, Any]] = api.call("GET", f"/patients/{patient_id}/files")["items"]
    return next((f["status"] for f in listed if f["key"] == key), None)


def test_an_s3_event_marks_the_upload_ready(lambda_world: LambdaWorld) -> None:
    api = LambdaApi()
    patient_id = api.patient()
    key = uploaded(api, patient_id)
    assert status_of(api, patient_id, key) != "ready"

    event = s3_object_created(lambda_world.bucket, f"carehub/{key}", size=len(photo()))
    assert uploads.handler(event, None) == {}

    assert status_of(api, patient_id, key) == "ready"


def test_s3_events_through_sqs_complete_uploads_and_skip_what_is_not_one(
    lambda_world: LambdaWorld,
) -> None:
    api = LambdaApi()
    patient_id = api.patient()
    key = uploaded(api, patient_id)
    event = s3_object_created(lambda_world.bucket, f"carehub/{key}", size=len(photo()))
    batch = sqs_batch("uploads", [("", json.dumps(event)), ("", "not an S3 event")])
    for record in batch["Records"]:
        del record["attributes"]["MessageGroupId"]  # S3 notifies standard queues only

    # The unreadable body will never read better: it is dropped, not retried.
    assert uploads.handler(batch, None) == {"batchItemFailures": []}
    assert status_of(api, patient_id, key) == "ready"
