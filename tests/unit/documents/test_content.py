"""`sniff` and `matches` over bytes real encoders wrote, and over what must not pass."""

from __future__ import annotations

import io

import pillow_heif
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from carehub.documents.content import ALLOWED, SNIFF_BYTES, matches, sniff

HEIF_ENCODES = bool(pillow_heif.libheif_info()["HEIF"])
MINIMAL_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
DICOM = bytes(128) + b"DICM" + b"\x02\x00\x00\x00UL\x04\x00\xc8\x00\x00\x00"


def encoded(fmt: str, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (32, 16), "red").save(out, fmt)
    return out.getvalue()


def iso_box(brand: bytes) -> bytes:
    """The start of an ISO media file (HEIF, AVIF, MP4) with `brand` as its major brand."""
    return b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x00\x00mif1" + b"\x00" * 40


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (encoded("JPEG"), "image/jpeg"),
        (encoded("JPEG", "L"), "image/jpeg"),
        (encoded("PNG"), "image/png"),
        (encoded("PNG", "P"), "image/png"),
        (encoded("WEBP"), "image/webp"),
        (MINIMAL_PDF, "application/pdf"),
        (DICOM, "application/dicom"),
        (iso_box(b"heic"), "image/heic"),
        (iso_box(b"heix"), "image/heic"),
        (iso_box(b"mif1"), "image/heif"),
    ],
    ids=["jpeg", "jpeg-grey", "png", "png-palette", "webp", "pdf", "dicom", "heic", "heix", "mif1"],
)
def test_each_allowed_type_is_detected(data: bytes, expected: str) -> None:
    assert sniff(data[:SNIFF_BYTES]) == expected
    assert matches(expected, sniff(data))


def test_every_allowed_type_has_a_test_above() -> None:
    assert set(ALLOWED) == {
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/heic",
        "image/heif",
        "application/pdf",
        "application/dicom",
    }


@pytest.mark.skipif(not HEIF_ENCODES, reason="this libheif build has no HEVC encoder")
def test_a_heic_written_by_libheif_is_detected() -> None:
    pillow_heif.register_heif_opener()

    detected = sniff(encoded("HEIF")[:SNIFF_BYTES])

    assert detected == "image/heic"
    assert matches("image/heif", detected)


def test_heic_and_heif_match_each_other() -> None:
    assert matches("image/heif", "image/heic")
    assert matches("image/heic", "image/heif")
    assert not matches("image/jpeg", "image/heic")
    assert not matches("image/heic", "image/png")


def test_content_declared_as_another_type_does_not_match() -> None:
    assert not matches("image/jpeg", sniff(encoded("PNG")))
    assert not matches("application/pdf", sniff(encoded("JPEG")))
    assert not matches("image/png", None)


def test_a_jpeg_carrying_a_pdf_trailer_is_still_a_jpeg() -> None:
    # A polyglot: viewers show the JPEG; a PDF reader looks for the trailer at the end.
    assert sniff(encoded("JPEG") + MINIMAL_PDF) == "image/jpeg"
    assert not matches("application/pdf", sniff(encoded("JPEG") + MINIMAL_PDF))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, this is plain text\n",
        b"<!DOCTYPE html><html><body>hi</body></html>",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\0" * 40,  # ZIP (and DOCX, XLSX)
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\0" * 40,  # Windows executable
        b"GIF89a\x01\x00\x01\x00",
        b"II*\x00\x08\x00\x00\x00",  # TIFF
        b"RIFF\x24\x00\x00\x00WAVEfmt ",  # RIFF, but audio
        iso_box(b"avif"),  # ISO media, but AVIF
        iso_box(b"isom"),  # ISO media, but MP4 video
        bytes(128) + b"DIC",  # a preamble cut before the DICOM marker
        b"\xff\xd8",  # two bytes of a JPEG signature
    ],
    ids=[
        "empty",
        "text",
        "html",
        "svg-xml",
        "svg",
        "zip",
        "exe",
        "gif",
        "tiff",
        "wav",
        "avif",
        "mp4",
        "dicom-cut",
        "jpeg-cut",
    ],
)
def test_other_content_is_not_detected(data: bytes) -> None:
    assert sniff(data) is None


_SIGNATURE_STARTS = {0xFF, 0x89, ord("R"), ord("%")}


@given(st.binary(max_size=SNIFF_BYTES + 16))
def test_bytes_without_a_known_signature_are_not_detected(data: bytes) -> None:
    known = (
        (data and data[0] in _SIGNATURE_STARTS) or data[4:8] == b"ftyp" or data[128:132] == b"DICM"
    )
    if not known:
        assert sniff(data) is None


@given(st.binary(min_size=SNIFF_BYTES, max_size=SNIFF_BYTES))
def test_a_detected_type_is_always_an_allowed_one(data: bytes) -> None:
    for head in (data, b"\xff\xd8\xff" + data, data[:4] + b"ftypheic" + data[12:]):
        detected = sniff(head)
        assert detected is None or detected in ALLOWED
