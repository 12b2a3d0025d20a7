"""The folder store's own guarantees, over its routes on a real uvicorn server: signatures,
expiry, content type and size are enforced by carehub itself (S3 enforces its own), files
and folders are owner-only, and the signing key file is made once.

The ObjectStore contract (tests/contract/test_object_store.py) covers what every store does.
"""

from __future__ import annotations

import asyncio
import os
import stat
import threading
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import structlog
from structlog.testing import capture_logs

from carehub.adapters.blob import folder as folder_module
from carehub.adapters.blob import folder_http as folder_http_module
from carehub.adapters.blob.folder import FolderObjectStore, folder_secret
from carehub.documents.ports import UploadForm
from tests.support.clock import AdjustableClock
from tests.support.objects import folder_objects_app
from tests.support.server import serving

FIFTEEN_MINUTES = timedelta(minutes=15)
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x01\x02" * 700
# The largest file the test server's upload route takes (the request middleware's limit).
ROUTE_MAX = 256 * 1024


def new_key(extension: str = "jpg") -> str:
    return f"patients/{uuid.uuid4().hex}/originals/docs/lab/{uuid.uuid4()}-original.{extension}"


@dataclass
class Served:
    store: FolderObjectStore
    clock: AdjustableClock
    root: Path
    client: httpx.AsyncClient

    async def form(self, key: str, *, max_bytes: int = len(JPEG)) -> UploadForm:
        return await self.store.presign_upload(
            key=key, content_type="image/jpeg", max_bytes=max_bytes, expires_in=FIFTEEN_MINUTES
        )

    async def post(
        self,
        fields: dict[str, str],
        data: bytes = JPEG,
        content_type: str = "image/jpeg",
    ) -> httpx.Response:
        return await self.client.post(
            "/objects/upload", data=fields, files={"file": ("scan.jpg", data, content_type)}
        )

    def stored_files(self) -> list[Path]:
        """Every file under the root, temporary ones included."""
        return [p for p in self.root.rglob("*") if p.is_file()] if self.root.exists() else []


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    clock = AdjustableClock()
    root = tmp_path / "objects"
    store = FolderObjectStore(root, clock, b"s" * 32)
    with serving(folder_objects_app(store, max_upload_bytes=ROUTE_MAX)) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            yield Served(store, clock, root, client)


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


# --- uploads -------------------------------------------------------------------------------


async def test_an_upload_is_an_owner_only_file_in_owner_only_folders(served: Served) -> None:
    key = new_key()

    response = await served.post(dict((await served.form(key)).fields))

    assert response.status_code == 204
    [path] = served.stored_files()  # no temporary file left behind
    assert path == served.root.joinpath(*key.split("/"))
    assert path.read_bytes() == JPEG
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    folder = path.parent
    while folder != served.root.parent:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
        folder = folder.parent


async def test_an_expired_form_is_refused(served: Served) -> None:
    form = await served.form(new_key())
    served.clock.advance(FIFTEEN_MINUTES + timedelta(seconds=1))

    assert_problem(await served.post(dict(form.fields)), 403)
    assert served.stored_files() == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("signature", "0" * 64),
        ("key", new_key()),
        ("max-bytes", "99999999"),
        ("expires", "9999999999"),
        ("Content-Type", "text/html"),
    ],
)
async def test_a_form_with_a_changed_field_is_refused(
    served: Served, field: str, value: str
) -> None:
    fields = dict((await served.form(new_key())).fields)
    fields[field] = value

    assert_problem(await served.post(fields), 403)
    assert served.stored_files() == []


async def test_a_form_missing_or_adding_a_field_is_refused(served: Served) -> None:
    fields = dict((await served.form(new_key())).fields)

    assert_problem(await served.post({**fields, "acl": "public-read"}), 403)
    del fields["max-bytes"]
    assert_problem(await served.post(fields), 403)
    assert served.stored_files() == []


async def test_a_file_of_another_content_type_is_refused(served: Served) -> None:
    form = await served.form(new_key())

    response = await served.post(dict(form.fields), content_type="text/html")

    assert_problem(response, 422)
    assert served.stored_files() == []


async def test_an_empty_file_or_no_file_is_refused(served: Served) -> None:
    fields = dict((await served.form(new_key())).fields)

    assert_problem(await served.post(fields, data=b""), 422)
    assert_problem(await served.client.post("/objects/upload", data=fields), 422)
    assert_problem(await served.client.post("/objects/upload", json=fields), 422)
    assert served.stored_files() == []


async def test_a_file_larger_than_signed_is_refused_and_nothing_is_stored(
    served: Served,
) -> None:
    form = await served.form(new_key(), max_bytes=len(JPEG) - 1)

    assert_problem(await served.post(dict(form.fields)), 413)
    assert served.stored_files() == []


def multipart(fields: dict[str, str], data: bytes, chunk: int) -> tuple[str, AsyncIterator[bytes]]:
    """A multipart body sent in chunks, so httpx sends it chunked (no Content-Length)."""
    boundary = uuid.uuid4().hex
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="scan.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    body = head + data + f"\r\n--{boundary}--\r\n".encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), chunk):
            yield body[start : start + chunk]

    return f"multipart/form-data; boundary={boundary}", chunks()


async def test_a_chunked_upload_larger_than_signed_is_refused(served: Served) -> None:
    form = await served.form(new_key(), max_bytes=1000)
    content_type, body = multipart(dict(form.fields), b"\xff" * 5000, chunk=700)

    response = await served.client.post(
        "/objects/upload", content=body, headers={"Content-Type": content_type}
    )

    assert "content-length" not in response.request.headers
    assert_problem(response, 413)
    assert served.stored_files() == []


async def test_a_chunked_upload_can_be_stored(served: Served) -> None:
    key = new_key()
    form = await served.form(key)
    content_type, body = multipart(dict(form.fields), JPEG, chunk=500)

    response = await served.client.post(
        "/objects/upload", content=body, headers={"Content-Type": content_type}
    )

    assert response.status_code == 204
    assert await served.store.read(key, max_bytes=len(JPEG)) == JPEG


async def test_a_body_above_the_route_limit_is_refused_while_streaming(served: Served) -> None:
    # Signed for more than the route takes: the request middleware stops it mid-body.
    form = await served.form(new_key(), max_bytes=4 * ROUTE_MAX)
    content_type, body = multipart(dict(form.fields), b"\xff" * (2 * ROUTE_MAX), 64 * 1024)

    response = await served.client.post(
        "/objects/upload", content=body, headers={"Content-Type": content_type}
    )

    assert_problem(response, 413)
    assert served.stored_files() == []


async def test_a_body_declared_above_the_route_limit_is_refused_before_reading(
    served: Served,
) -> None:
    # Only the headers go: the answer must come without the server waiting for the body.
    url = httpx.URL(str(served.client.base_url))
    reader, writer = await asyncio.open_connection(url.host, url.port)
    writer.write(
        b"POST /objects/upload HTTP/1.1\r\nHost: carehub\r\n"
        b"Content-Type: multipart/form-data; boundary=x\r\n"
        + f"Content-Length: {2 * ROUTE_MAX}\r\n\r\n".encode()
    )
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ")
    assert b"connection: close" in head.lower()
    assert b'"status":413' in body
    assert served.stored_files() == []


# --- downloads -----------------------------------------------------------------------------


async def test_a_download_is_private_and_never_sniffed(served: Served) -> None:
    key = new_key()
    await served.store.write(key, JPEG, content_type="image/jpeg")

    response = await served.client.get(
        await served.store.presign_download(key=key, expires_in=FIFTEEN_MINUTES)
    )

    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-disposition" not in response.headers


async def test_a_type_carehub_does_not_keep_is_never_shown_inline(served: Served) -> None:
    key = f"patients/{uuid.uuid4().hex}/page.html"
    await served.store.write(key, b"<script>alert(1)</script>", content_type="text/html")

    response = await served.client.get(
        await served.store.presign_download(key=key, expires_in=FIFTEEN_MINUTES)
    )

    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"] == "attachment"


async def test_an_expired_download_is_refused(served: Served) -> None:
    key = new_key()
    await served.store.write(key, JPEG, content_type="image/jpeg")
    url = await served.store.presign_download(key=key, expires_in=FIFTEEN_MINUTES)
    assert (await served.client.get(url)).status_code == 200

    served.clock.advance(FIFTEEN_MINUTES)

    assert_problem(await served.client.get(url), 403)


async def test_a_changed_download_link_is_refused(served: Served) -> None:
    key, other = new_key(), new_key()
    for k in (key, other):
        await served.store.write(k, JPEG, content_type="image/jpeg")
    url = await served.store.presign_download(key=key, expires_in=FIFTEEN_MINUTES, filename="a")
    path, query = urlsplit(url).path, dict(parse_qsl(urlsplit(url).query))

    for changed in (
        {**query, "signature": "f" * 64},
        {**query, "expires": str(int(query["expires"]) + 3600)},
        {**query, "filename": "b.html"},
        {k: v for k, v in query.items() if k != "filename"},
        {k: v for k, v in query.items() if k != "signature"},
    ):
        assert_problem(await served.client.get(path, params=changed), 403)
    other_path = path.replace(key, other)
    assert_problem(await served.client.get(other_path, params=query), 403)


async def test_an_escaping_download_path_is_refused(served: Served) -> None:
    response = await served.client.get("/objects/a%2F%2Fb", params={"expires": "1"})

    assert_problem(response, 422)


async def test_the_routes_answer_404_without_a_folder_store(tmp_path: Path) -> None:
    app = folder_objects_app(None)
    app.state.carehub = SimpleNamespace(objects=object())
    with serving(app) as base_url:
        async with httpx.AsyncClient(base_url=base_url) as client:
            assert_problem(await client.get("/objects/a/b.jpg?expires=1&signature=x"), 404)
            assert_problem(await client.post("/objects/upload", data={"key": "a"}), 404)


# --- the signing key -----------------------------------------------------------------------


def test_the_secret_is_made_once_owner_only_and_then_kept(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "objects.key"

    first = folder_secret(path)

    assert len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert folder_secret(path) == first
    assert sorted(p.name for p in path.parent.iterdir()) == ["objects.key"]


def test_processes_racing_to_make_the_secret_all_get_the_same(tmp_path: Path) -> None:
    path = tmp_path / "objects.key"
    barrier = threading.Barrier(8)
    got: list[bytes] = []

    def make() -> None:
        barrier.wait()
        got.append(folder_secret(path))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(got) == 8
    assert set(got) == {path.read_bytes()}


def test_a_secret_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "objects.key"
    folder_secret(path)
    os.chmod(path, 0o644)

    with pytest.raises(ValueError, match="owner only"):
        folder_secret(path)


def test_a_short_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        FolderObjectStore(tmp_path, AdjustableClock(), b"short")


# --- logs ----------------------------------------------------------------------------------


async def test_logs_name_the_key_but_never_signatures_or_tracebacks(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Uncached loggers, so capture_logs sees them whatever ran before.
    for module in (folder_module, folder_http_module):
        monkeypatch.setattr(module, "log", structlog.get_logger("carehub.objects"))
    key = new_key()
    form = await served.form(key)
    signature = form.fields["signature"]

    with capture_logs() as logs:
        assert (await served.post(dict(form.fields))).status_code == 204
        refused = await served.post({**form.fields, "signature": "0" * 64})
    assert refused.status_code == 403

    assert not any("exc_info" in entry or "exception" in entry for entry in logs)
    assert [entry for entry in logs if entry["event"].startswith("objects.")] == [
        {"event": "objects.uploaded", "key": key, "size": len(JPEG), "log_level": "info"},
        {"event": "objects.upload_refused", "reason": "BadSignature", "log_level": "info"},
    ]
    assert signature not in refused.text
    assert key not in refused.text
