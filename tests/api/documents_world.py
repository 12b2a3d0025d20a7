"""Builders the documents API tests share: real image and PDF bytes, and the client's side
of seed 004's upload (presign, a real multipart POST to the presigned form, complete)."""

from __future__ import annotations

import io
import time
from typing import Any

import httpx
from PIL import Image

JPEG = "image/jpeg"
GPS = {1: "S", 2: (12.0, 7.0, 30.0), 3: "W", 4: (77.0, 2.0, 10.0)}  # Lima, as EXIF GPS
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def photo(width: int = 2000, height: int = 1200, *, colour: str = "teal") -> bytes:
    """A JPEG with camera EXIF: GPS position, make and orientation 1."""
    image = Image.new("RGB", (width, height), colour)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 1  # Orientation
    exif[0x8825] = GPS  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def png(width: int = 64, height: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (255, 0, 0, 128)).save(out, "PNG")
    return out.getvalue()


def presign(
    client: httpx.Client,
    patient_id: str,
    *,
    filename: str = "test.jpg",
    mime_type: str = JPEG,
    kind: str = "doc",
    doc_type: str = "preop",
    **extra: Any,
) -> httpx.Response:
    body = {"filename": filename, "mimeType": mime_type, "kind": kind, "docType": doc_type}
    return client.post(f"/patients/{patient_id}/files/presign-upload", json={**body, **extra})


def post_form(form: dict[str, Any], data: bytes, content_type: str = JPEG) -> httpx.Response:
    """Upload as a browser would: the signed fields, then the file, to the form's URL."""
    return httpx.post(
        form["uploadUrl"],
        data=form["fields"],
        files={"file": ("upload", data, content_type)},
        timeout=60,
    )


def complete(client: httpx.Client, patient_id: str, key: str) -> httpx.Response:
    return client.post(f"/patients/{patient_id}/files/complete", json={"key": key})


def uploaded(
    client: httpx.Client,
    patient_id: str,
    data: bytes,
    *,
    mime_type: str = JPEG,
    **presign_fields: Any,
) -> dict[str, Any]:
    """Presign, upload and complete one file; returns the completed file."""
    response = presign(client, patient_id, mime_type=mime_type, **presign_fields)
    assert response.status_code == 200, response.text
    form = response.json()
    stored = post_form(form, data, mime_type)
    assert stored.status_code in (200, 201, 204), stored.text
    done = complete(client, patient_id, form["key"])
    assert done.status_code == 200, done.text
    file: dict[str, Any] = done.json()
    return file


def files(client: httpx.Client, patient_id: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"/patients/{patient_id}/files", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def documents(client: httpx.Client, patient_id: str) -> dict[str, dict[str, Any]]:
    """The documents view, by category."""
    response = client.get(f"/patients/{patient_id}/documents")
    assert response.status_code == 200, response.text
    return {c["category"]: c for c in response.json()["categories"]}


def variants_made(
    client: httpx.Client, patient_id: str, file_id: str, within: float = 20
) -> dict[str, Any]:
    """Wait for the worker to derive a file's variants; returns the listed file."""
    deadline = time.monotonic() + within
    while True:
        found = next(
            f for f in files(client, patient_id, scope="optimized") if f["fileId"] == file_id
        )
        if found["variants"]["optimized"] and found["variants"]["thumb"]:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError("variants were not derived")
        time.sleep(0.05)
