"""The S3 store on a moto server: what its forms and links bind, encryption at rest, where
keys land, its one client, its batches and its failures.

Moto does not check POST policies, URL signatures or expiry (real S3 does), so these tests
read what the policy and the URL say rather than relying on moto to refuse anything.
The ObjectStore contract (tests/contract/test_object_store.py) covers what every store does.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from carehub.adapters.blob.s3 import (
    ObjectStoreFailed,
    S3ObjectStore,
    content_disposition,
    s3_object_store_from_url,
)
from tests.support.moto import aws_client

pytestmark = pytest.mark.aws

FIFTEEN_MINUTES = timedelta(minutes=15)


def new_key() -> str:
    return f"patients/{uuid.uuid4().hex}/originals/docs/lab/{uuid.uuid4()}-original.pdf"


@pytest.fixture
def endpoint(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto accepts any credentials
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return moto_endpoint


@pytest.fixture
def bucket(endpoint: str) -> str:
    name = f"carehub-{uuid.uuid4().hex[:12]}"
    aws_client("s3", endpoint).create_bucket(Bucket=name)
    return name


@pytest.fixture
async def store(endpoint: str, bucket: str) -> AsyncIterator[S3ObjectStore]:
    s3 = s3_object_store_from_url(f"s3://{bucket}/clinic/a?region=us-east-1", endpoint_url=endpoint)
    try:
        yield s3
    finally:
        await s3.close()


def policy_of(fields: dict[str, str]) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.b64decode(fields["policy"]))
    return decoded


async def test_the_upload_policy_binds_key_type_size_and_encryption(
    store: S3ObjectStore, bucket: str
) -> None:
    key = new_key()
    before = datetime.now(UTC)

    form = await store.presign_upload(
        key=key, content_type="application/pdf", max_bytes=25_000_000, expires_in=FIFTEEN_MINUTES
    )

    policy = policy_of(dict(form.fields))
    conditions = policy["conditions"]
    assert {"bucket": bucket} in conditions
    assert {"key": f"clinic/a/{key}"} in conditions
    assert {"Content-Type": "application/pdf"} in conditions
    assert ["content-length-range", 1, 25_000_000] in conditions
    assert {"x-amz-server-side-encryption": "AES256"} in conditions
    expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert before + FIFTEEN_MINUTES - timedelta(seconds=2) <= expiration
    assert expiration <= datetime.now(UTC) + FIFTEEN_MINUTES + timedelta(seconds=2)
    assert form.expires_at <= expiration
    assert form.fields["x-amz-server-side-encryption"] == "AES256"
    assert list(form.fields)[-1] == "x-amz-signature"
    assert urlsplit(form.url).path == f"/{bucket}"


async def test_a_kms_store_binds_and_writes_its_key(endpoint: str, bucket: str) -> None:
    s3 = s3_object_store_from_url(
        f"s3://{bucket}?sse=aws:kms&kms_key_id=alias/carehub", endpoint_url=endpoint
    )
    key = new_key()

    form = await s3.presign_upload(
        key=key, content_type="application/pdf", max_bytes=10, expires_in=FIFTEEN_MINUTES
    )
    await s3.write(key, b"%PDF-1.7", content_type="application/pdf")
    await s3.close()

    conditions = policy_of(dict(form.fields))["conditions"]
    assert {"x-amz-server-side-encryption": "aws:kms"} in conditions
    assert {"x-amz-server-side-encryption-aws-kms-key-id": "alias/carehub"} in conditions
    head = aws_client("s3", endpoint).head_object(Bucket=bucket, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"].endswith("alias/carehub")


async def test_objects_written_are_encrypted_at_rest_under_the_prefix(
    store: S3ObjectStore, endpoint: str, bucket: str
) -> None:
    key = new_key()

    await store.write(key, b"%PDF-1.7", content_type="application/pdf")

    s3 = aws_client("s3", endpoint)
    head = s3.head_object(Bucket=bucket, Key=f"clinic/a/{key}")
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentType"] == "application/pdf"
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [o["Key"] for o in listed] == [f"clinic/a/{key}"]


async def test_a_form_upload_lands_under_the_prefix_with_its_type(
    store: S3ObjectStore, endpoint: str, bucket: str
) -> None:
    key = new_key()
    form = await store.presign_upload(
        key=key, content_type="application/pdf", max_bytes=100, expires_in=FIFTEEN_MINUTES
    )

    async with httpx.AsyncClient() as client:
        response = await client.post(
            form.url,
            data=dict(form.fields),
            files={"file": ("r.pdf", b"%PDF-1.7", "application/pdf")},
        )

    assert response.status_code == 204
    head = aws_client("s3", endpoint).head_object(Bucket=bucket, Key=f"clinic/a/{key}")
    assert head["ContentType"] == "application/pdf"
    # Moto ignores the form's x-amz-server-side-encryption field (S3 applies it, and the
    # policy test above shows the form cannot go without it), so it is not asserted here.


async def test_the_download_url_expires_and_names_the_file(store: S3ObjectStore) -> None:
    key = new_key()

    url = await store.presign_download(
        key=key, expires_in=FIFTEEN_MINUTES, filename='résumé "final".pdf'
    )

    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    assert query["X-Amz-Expires"] == "900"
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert parts.path.endswith(f"/clinic/a/{key}")
    assert query["response-content-disposition"] == content_disposition('résumé "final".pdf')


def test_content_disposition_gives_an_ascii_fallback_and_the_exact_name() -> None:
    assert content_disposition('résumé "final".pdf') == (
        'attachment; filename="r_sum_ _final_.pdf"; '
        "filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf"
    )


class Recording:
    """Makes moto clients, counting them and noting every DeleteObjects request."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.clients = 0
        self.deletes: list[dict[str, Any]] = []

    def __call__(self) -> Any:
        self.clients += 1
        client = aws_client("s3", self.endpoint)
        client.meta.events.register("provide-client-params.s3.DeleteObjects", self._record)
        return client

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.deletes.append(params["Delete"])


async def test_deletes_go_a_thousand_keys_at_a_time_on_one_client(
    endpoint: str, bucket: str
) -> None:
    connect = Recording(endpoint)
    s3 = S3ObjectStore(connect, bucket=bucket)
    keys = [new_key() for _ in range(2500)]
    await s3.write(keys[1500], b"x", content_type="application/pdf")

    await s3.delete(keys)

    assert [len(d["Objects"]) for d in connect.deletes] == [1000, 1000, 500]
    assert all(d["Quiet"] is True for d in connect.deletes)
    assert [o["Key"] for d in connect.deletes for o in d["Objects"]] == keys
    assert await s3.head(keys[1500]) is None
    assert connect.clients == 1
    await s3.close()
    await s3.head(keys[0])
    assert connect.clients == 2
    await s3.close()


async def test_failures_name_the_aws_code_but_never_the_key(endpoint: str) -> None:
    s3 = s3_object_store_from_url("s3://no-such-bucket-here", endpoint_url=endpoint)
    key = new_key()

    with pytest.raises(ObjectStoreFailed) as failed:
        await s3.write(key, b"x", content_type="application/pdf")
    await s3.close()

    assert failed.value.aws_code == "NoSuchBucket"
    assert key not in str(failed.value)
    assert "patients" not in str(failed.value)


async def test_an_unreachable_s3_is_a_clear_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    s3 = s3_object_store_from_url("s3://bucket-x", endpoint_url="http://127.0.0.1:9")

    with pytest.raises(ObjectStoreFailed, match="not reachable"):
        await s3.head(new_key())
    await s3.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///tmp/x", "scheme must be s3"),
        ("s3://AKIA:secret@bucket", "never from the URL"),
        ("s3://Bad_Bucket", "bucket name"),
        ("s3://bucket?colour=red", "unknown options"),
        ("s3://bucket?region=", "empty options"),
        ("s3://bucket?sse=none", "encryption must be"),
        ("s3://bucket?kms_key_id=k", "needs sse=aws:kms"),
        ("s3://bucket/a/../b", "segment"),
    ],
)
def test_bad_urls_are_refused_without_echoing_secrets(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as refused:
        s3_object_store_from_url(url)

    assert "secret" not in str(refused.value)
