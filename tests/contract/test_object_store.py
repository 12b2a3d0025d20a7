"""One contract for every ObjectStore: the local folder (its routes served by a real uvicorn
server) and S3 on the moto server (a fresh bucket per test, keys under a prefix).

Every upload is a real multipart POST of the presigned form, and every download a real GET
of the presigned URL. Keys that could leave a store's root are refused with UnsafeKey (a
ValueError) by every method that takes a key, before anything is touched.

What moto does not enforce (POST policies, URL expiry and signatures) is not tested here:
the folder's own tests cover its signatures, and S3's tests check what the policy binds.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin

import httpx
import pytest

from carehub.adapters.blob.checks import UnsafeKey
from carehub.adapters.blob.folder import FolderObjectStore
from carehub.adapters.blob.s3 import s3_object_store_from_url
from carehub.documents.ports import ObjectMissing, ObjectStore, ObjectTooLarge, UploadForm
from tests.support.clock import AdjustableClock
from tests.support.moto import aws_client
from tests.support.objects import folder_objects_app
from tests.support.server import serving

FIFTEEN_MINUTES = timedelta(minutes=15)
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8  # 2,052 bytes, every byte value
UNSAFE_KEYS = [
    "",
    "../x",
    "patients/../../etc/passwd",
    "/etc/passwd",
    "a//b",
    "a/./b",
    "a/",
    "a\\..\\b",
    "a/b\x00.jpg",
    "a/b\n.jpg",
]


def new_key(extension: str = "jpg") -> str:
    return f"patients/{uuid.uuid4().hex}/originals/docs/preop/{uuid.uuid4()}-original.{extension}"


@dataclass
class Harness:
    store: ObjectStore
    # Where the store's relative URLs live (the folder's server); S3's are absolute.
    base_url: str

    def absolute(self, url: str) -> str:
        return urljoin(self.base_url, url)

    async def upload(
        self, form: UploadForm, data: bytes, *, content_type: str = "image/jpeg"
    ) -> httpx.Response:
        async with httpx.AsyncClient(timeout=30) as client:
            return await client.post(
                self.absolute(form.url),
                data=dict(form.fields),
                files={"file": ("photo.jpg", data, content_type)},
            )

    async def download(self, url: str, **headers: str) -> httpx.Response:
        async with httpx.AsyncClient(timeout=30) as client:
            return await client.get(self.absolute(url), headers=headers)

    async def presign_and_upload(self, key: str, data: bytes) -> httpx.Response:
        form = await self.store.presign_upload(
            key=key, content_type="image/jpeg", max_bytes=len(data), expires_in=FIFTEEN_MINUTES
        )
        return await self.upload(form, data)


@pytest.fixture(params=["folder", pytest.param("s3", marks=pytest.mark.aws)])
async def harness(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Harness]:
    if request.param == "folder":
        store = FolderObjectStore(tmp_path / "objects", AdjustableClock(), b"k" * 32)
        with serving(folder_objects_app(store)) as base_url:
            yield Harness(store, base_url)
        return
    endpoint: str = request.getfixturevalue("moto_endpoint")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto accepts any credentials
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bucket = f"carehub-{uuid.uuid4().hex[:12]}"
    aws_client("s3", endpoint).create_bucket(Bucket=bucket)
    s3 = s3_object_store_from_url(f"s3://{bucket}/clinic?region=us-east-1", endpoint_url=endpoint)
    try:
        yield Harness(s3, "")
    finally:
        await s3.close()


# --- uploads and downloads over HTTP -------------------------------------------------------


async def test_an_uploaded_form_is_stored_whole_and_downloadable(harness: Harness) -> None:
    key = new_key()

    response = await harness.presign_and_upload(key, JPEG)

    assert response.status_code == 204, response.text
    stored = await harness.store.head(key)
    assert stored is not None
    assert (stored.key, stored.size) == (key, len(JPEG))
    assert await harness.store.read(key, max_bytes=len(JPEG)) == JPEG
    url = await harness.store.presign_download(key=key, expires_in=FIFTEEN_MINUTES)
    downloaded = await harness.download(url)
    assert downloaded.status_code == 200
    assert downloaded.content == JPEG
    assert downloaded.headers["content-type"] == "image/jpeg"


async def test_a_download_serves_a_range(harness: Harness) -> None:
    key = new_key()
    await harness.store.write(key, JPEG, content_type="image/jpeg")
    url = await harness.store.presign_download(key=key, expires_in=FIFTEEN_MINUTES)

    response = await harness.download(url, Range="bytes=10-19")

    assert response.status_code == 206
    assert response.content == JPEG[10:20]
    assert response.headers["content-range"] == f"bytes 10-19/{len(JPEG)}"


async def test_a_download_with_a_filename_is_an_attachment_of_that_name(
    harness: Harness,
) -> None:
    key = new_key("pdf")
    await harness.store.write(key, b"%PDF-1.7 report", content_type="application/pdf")
    filename = "informe preop ñ.pdf"
    url = await harness.store.presign_download(
        key=key, expires_in=FIFTEEN_MINUTES, filename=filename
    )

    response = await harness.download(url)

    assert response.status_code == 200
    assert response.content == b"%PDF-1.7 report"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote(filename, safe='')}".lower() in disposition.lower()


async def test_a_download_of_nothing_stored_is_not_found(harness: Harness) -> None:
    url = await harness.store.presign_download(key=new_key(), expires_in=FIFTEEN_MINUTES)

    assert (await harness.download(url)).status_code == 404


async def test_a_form_is_for_one_key_and_type_and_expires_when_asked(harness: Harness) -> None:
    key = new_key("png")
    before = datetime.now(UTC)

    form = await harness.store.presign_upload(
        key=key, content_type="image/png", max_bytes=100, expires_in=FIFTEEN_MINUTES
    )

    assert form.fields["key"].endswith(key)
    assert form.fields["Content-Type"] == "image/png"
    assert "file" not in form.fields  # the file goes last, after every field
    assert before + FIFTEEN_MINUTES - timedelta(seconds=2) <= form.expires_at
    assert form.expires_at <= datetime.now(UTC) + FIFTEEN_MINUTES


@pytest.mark.parametrize("expires_in", [timedelta(0), timedelta(seconds=-5), timedelta(days=8)])
async def test_links_must_expire_within_a_week(harness: Harness, expires_in: timedelta) -> None:
    key = new_key()
    with pytest.raises(ValueError, match="expire"):
        await harness.store.presign_upload(
            key=key, content_type="image/jpeg", max_bytes=10, expires_in=expires_in
        )
    with pytest.raises(ValueError, match="expire"):
        await harness.store.presign_download(key=key, expires_in=expires_in)


# --- the port ------------------------------------------------------------------------------


async def test_write_then_read_round_trips_bytes_and_replaces(harness: Harness) -> None:
    key = new_key()
    await harness.store.write(key, JPEG, content_type="image/jpeg")
    assert await harness.store.read(key, max_bytes=10_000) == JPEG

    await harness.store.write(key, b"\x00\xff" * 3, content_type="image/jpeg")

    assert await harness.store.read(key, max_bytes=10_000) == b"\x00\xff" * 3
    stored = await harness.store.head(key)
    assert stored is not None
    assert stored.size == 6


async def test_delete_removes_every_key_and_ignores_missing_ones(harness: Harness) -> None:
    kept, *gone = [new_key() for _ in range(4)]
    for key in [kept, *gone[:2]]:
        await harness.store.write(key, JPEG, content_type="image/jpeg")

    await harness.store.delete(gone)  # gone[2] was never written
    await harness.store.delete(gone)  # nor, now, is anything else

    for key in gone:
        assert await harness.store.head(key) is None
        with pytest.raises(ObjectMissing):
            await harness.store.read(key, max_bytes=10_000)
    assert await harness.store.read(kept, max_bytes=10_000) == JPEG
    await harness.store.delete([])


async def test_a_missing_key_has_no_head_and_cannot_be_read(harness: Harness) -> None:
    key = new_key()

    assert await harness.store.head(key) is None
    with pytest.raises(ObjectMissing):
        await harness.store.read(key, max_bytes=10)


async def test_read_refuses_objects_larger_than_asked(harness: Harness) -> None:
    key = new_key()
    await harness.store.write(key, JPEG, content_type="image/jpeg")

    with pytest.raises(ObjectTooLarge):
        await harness.store.read(key, max_bytes=len(JPEG) - 1)
    assert await harness.store.read(key, max_bytes=len(JPEG)) == JPEG


async def test_concurrent_writes_and_reads_all_land(harness: Harness) -> None:
    objects = {new_key(): f"object {i} ".encode() * (i + 1) for i in range(20)}

    await asyncio.gather(
        *(harness.store.write(k, v, content_type="image/jpeg") for k, v in objects.items())
    )
    read = await asyncio.gather(*(harness.store.read(k, max_bytes=1000) for k in objects))

    assert read == list(objects.values())


def _calls(store: ObjectStore, key: str) -> list[Callable[[], Awaitable[Any]]]:
    return [
        lambda: store.presign_upload(
            key=key, content_type="image/jpeg", max_bytes=10, expires_in=FIFTEEN_MINUTES
        ),
        lambda: store.presign_download(key=key, expires_in=FIFTEEN_MINUTES),
        lambda: store.head(key),
        lambda: store.read(key, max_bytes=10),
        lambda: store.write(key, b"x", content_type="image/jpeg"),
        lambda: store.delete([new_key(), key]),
    ]


@pytest.mark.parametrize("key", UNSAFE_KEYS)
async def test_every_method_refuses_keys_that_could_escape(harness: Harness, key: str) -> None:
    for call in _calls(harness.store, key):
        with pytest.raises(UnsafeKey) as refused:
            await call()
        assert isinstance(refused.value, ValueError)
        if key:
            assert key not in str(refused.value)
