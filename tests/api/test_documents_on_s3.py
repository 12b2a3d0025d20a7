"""Seed 004's flow against the S3 adapter: a carehub server whose object store is a bucket
on the moto server and whose CDN is a CloudFront distribution there. Uploads go by real
HTTP to moto's presigned POST form.

Moto does not enforce POST policies (size, type, expiry); real S3 does. The completion
checks do not rely on either, which the oversized upload below shows."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from carehub.config import Settings
from tests.api.documents_world import (
    PDF,
    complete,
    documents,
    files,
    photo,
    post_form,
    presign,
    uploaded,
    variants_made,
)
from tests.api.scheduling_world import add_patient
from tests.support.auth import ADMIN_EMAIL, ADMIN_PASSWORD, sign_in
from tests.support.clock import AdjustableClock
from tests.support.countries import create_shipped_countries
from tests.support.moto import aws_client
from tests.support.server import running_server
from tests.support.services import fresh_sqlite

pytestmark = pytest.mark.aws
MAX_BYTES = 256 * 1024


@dataclass
class S3Carehub:
    api: httpx.Client
    s3: Any
    cloudfront: Any
    bucket: str
    distribution_id: str

    def stored(self) -> set[str]:
        listed = self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", [])
        return {item["Key"].removeprefix("carehub/") for item in listed}


@pytest.fixture(scope="module")
def on_s3(
    moto_endpoint: str, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[S3Carehub]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto accepts any credentials
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        s3 = aws_client("s3", moto_endpoint)
        cloudfront = aws_client("cloudfront", moto_endpoint)
        bucket = f"carehub-files-{uuid.uuid4().hex[:12]}"
        s3.create_bucket(Bucket=bucket)
        distribution = cloudfront.create_distribution(DistributionConfig=_distribution(bucket))
        distribution_id = distribution["Distribution"]["Id"]
        queue = f"carehub-stored-{uuid.uuid4().hex[:12]}"
        sqs = aws_client("sqs", moto_endpoint)
        queue_url = sqs.create_queue(QueueName=queue)["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": queue_arn["Attributes"]["QueueArn"],
                        "Events": ["s3:ObjectCreated:*"],
                    }
                ]
            },
        )
        folder = tmp_path_factory.mktemp("s3-carehub")
        settings = Settings(
            database_url=fresh_sqlite(sqlite_template, folder),
            data_dir=folder,
            bootstrap_admin_email=ADMIN_EMAIL,
            bootstrap_admin_password=ADMIN_PASSWORD,
            storage_url=f"s3://{bucket}/carehub?region=us-east-1",
            cdn_url=f"cloudfront://{distribution_id}",
            storage_events_url=f"sqs://{queue}?region=us-east-1",
            aws_endpoint_url=moto_endpoint,
            upload_max_bytes=MAX_BYTES,
        )
        with running_server(settings, AdjustableClock()) as base_url:
            token = sign_in(base_url, ADMIN_EMAIL, ADMIN_PASSWORD)
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base_url, headers=headers, timeout=30) as api:
                create_shipped_countries(api)
                yield S3Carehub(api, s3, cloudfront, bucket, distribution_id)


def test_seed_004_flow_on_s3_with_cloudfront(on_s3: S3Carehub) -> None:
    api = on_s3.api
    patient = add_patient(api, "PE")
    form = presign(api, patient).json()
    assert form["uploadUrl"].startswith("http") and "policy" in form["fields"]
    assert post_form(form, photo()).status_code in (200, 204)

    file = complete(api, patient, form["key"]).json()
    assert file["status"] == "ready"
    listed = variants_made(api, patient, file["fileId"])
    assert listed["key"] in on_s3.stored()
    [linked] = files(api, patient, scope="optimized", presign=1)
    download = httpx.get(linked["downloadUrl"], timeout=30)
    assert download.status_code == 200
    assert Image.open(io.BytesIO(download.content)).size == (1600, 960)
    assert not Image.open(io.BytesIO(download.content)).getexif()
    assert documents(api, patient)["preop"]["hasFiles"] is True

    detached = api.post(
        f"/patients/{patient}/documents/detach",
        json={"category": "preop_pics", "key": listed["key"]},
    )
    assert detached.status_code == 200, detached.text
    assert documents(api, patient)["preop"]["hasFiles"] is False
    assert len(on_s3.stored() & set(listed["variants"].values())) == 3  # kept in the bucket

    deleted = api.post(
        f"/patients/{patient}/files/delete",
        json={"keys": [listed["key"]], "invalidate": True, "includeSiblings": True},
    )
    assert deleted.status_code == 200, deleted.text
    assert not on_s3.stored() & set(listed["variants"].values())
    invalidation = on_s3.cloudfront.get_invalidation(
        DistributionId=on_s3.distribution_id, Id=deleted.json()["invalidationId"]
    )["Invalidation"]
    paths = invalidation["InvalidationBatch"]["Paths"]["Items"]
    assert sorted(paths) == sorted(f"/carehub/{k}" for k in deleted.json()["deleted"])


def test_an_upload_is_completed_by_the_buckets_notification_alone(on_s3: S3Carehub) -> None:
    api = on_s3.api
    patient = add_patient(api, "PE")
    form = presign(api, patient, mime_type="application/pdf", docType="discharge").json()

    assert post_form(form, PDF, "application/pdf").status_code in (200, 204)

    deadline = time.monotonic() + 20
    while not (listed := files(api, patient)):
        assert time.monotonic() < deadline, "the object-created event completed nothing"
        time.sleep(0.1)
    assert [(f["key"], f["status"], f["size"]) for f in listed] == [
        (form["key"], "ready", len(PDF))
    ]
    assert complete(api, patient, form["key"]).status_code == 200  # the client's call too


def test_uploads_failing_their_checks_are_deleted_from_the_bucket(on_s3: S3Carehub) -> None:
    api = on_s3.api
    patient = add_patient(api, "PE")
    cases = [
        ("image/png", photo(64, 64), "type_mismatch"),
        ("image/jpeg", photo(64, 64) + b"\0" * MAX_BYTES, "too_large"),  # moto takes it
    ]
    for declared, content, reason in cases:
        form = presign(api, patient, mime_type=declared).json()
        assert post_form(form, content, declared).status_code in (200, 204)

        response = complete(api, patient, form["key"])

        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["message"] == reason
        assert form["key"] not in on_s3.stored()
    assert files(api, patient) == []


def test_a_lab_report_on_s3_is_listed_with_its_original(on_s3: S3Carehub) -> None:
    api = on_s3.api
    patient = add_patient(api, "PE")
    report = uploaded(api, patient, PDF, mime_type="application/pdf", doc_type="lab")

    [listed] = files(api, patient, presign=1)

    assert listed["key"] == report["key"]
    assert httpx.get(listed["downloadUrl"], timeout=30).content == PDF


def _distribution(bucket: str) -> dict[str, Any]:
    origin = f"{bucket}.s3.amazonaws.com"
    return {
        "CallerReference": uuid.uuid4().hex,
        "Comment": "carehub files",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "files", "DomainName": origin}]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "files",
            "ViewerProtocolPolicy": "redirect-to-https",
            "MinTTL": 0,
        },
    }
