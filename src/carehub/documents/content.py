"""Which file types carehub keeps, and how their first bytes prove what they are."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileType:
    mime_type: str
    extension: str
    image: bool


# The allow-list: anything else is refused at presign time and again at completion.
ALLOWED: dict[str, FileType] = {
    t.mime_type: t
    for t in (
        FileType("image/jpeg", "jpg", image=True),
        FileType("image/png", "png", image=True),
        FileType("image/webp", "webp", image=True),
        FileType("image/heic", "heic", image=True),
        FileType("image/heif", "heif", image=True),
        FileType("application/pdf", "pdf", image=False),
        FileType("application/dicom", "dcm", image=False),
    )
}
# How many leading bytes `sniff` needs (DICOM's marker follows a 128-byte preamble).
SNIFF_BYTES = 132

_HEIF_BRANDS = {
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"heim": "image/heic",
    b"heis": "image/heic",
    b"hevc": "image/heic",
    b"hevx": "image/heic",
    b"mif1": "image/heif",
    b"msf1": "image/heif",
}


def sniff(head: bytes) -> str | None:
    """The allowed type the leading bytes prove, or None when they prove none."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return _HEIF_BRANDS[head[8:12]]
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if len(head) >= SNIFF_BYTES and head[128:132] == b"DICM":
        return "application/dicom"
    return None


def matches(declared: str, detected: str | None) -> bool:
    """Whether content detected as `detected` may be stored as `declared` (HEIC and HEIF
    share one container, and cameras label either way)."""
    if detected is None:
        return False
    heif = {"image/heic", "image/heif"}
    return detected == declared or (detected in heif and declared in heif)
