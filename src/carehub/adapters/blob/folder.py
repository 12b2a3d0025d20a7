"""The embedded object store: files in a local folder, behind URLs carehub signs itself.

Each object is the file `root/<key>` (folders 0700, files 0600), written whole or not at
all: a temporary file in the same folder, renamed into place. Presigned URLs are paths on
carehub's own server, answered by `carehub.adapters.blob.folder_http`:

- an upload form posts to `<prefix>/upload` with the fields `key`, `Content-Type`,
  `expires` (unix seconds), `max-bytes` and `signature`, then the `file` part;
- a download is `<prefix>/<key>?expires=...&signature=...` (plus `filename=...`).

Signatures are HMAC-SHA256 over a JSON array of the purpose and every bound value, so no two
different forms or links share a signed string. Expiry is judged by the injected clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import re
import stat
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import quote, urlencode

import structlog

from carehub.adapters.blob.checks import UnsafeKey, checked_key, expiry_seconds
from carehub.adapters.files.key_file import owner_only_key
from carehub.adapters.files.private import make_private_folder
from carehub.documents.content import ALLOWED
from carehub.documents.ports import ObjectMissing, ObjectTooLarge, StoredObject, UploadForm
from carehub.kernel.clock import Clock

log = structlog.get_logger("carehub.objects")

SECRET_BYTES = 32
UPLOAD_FIELDS = ("key", "Content-Type", "expires", "max-bytes", "signature")
_CHUNK = 1024 * 1024
_DIGITS = re.compile(r"[0-9]{1,12}")
_MEDIA_TYPES = {t.extension: t.mime_type for t in ALLOWED.values()}

__all__ = [
    "BadSignature",
    "Download",
    "EmptyUpload",
    "FolderObjectStore",
    "LinkExpired",
    "LinkRefused",
    "UnsafeKey",
    "UploadRefused",
    "UploadTooLarge",
    "WrongContentType",
    "folder_secret",
]


class LinkRefused(Exception):
    """An upload form or download link this store will not honour."""


class BadSignature(LinkRefused):
    """The form or link is not one this store signed, as presented."""


class LinkExpired(LinkRefused):
    """The form or link was signed, but its time is up."""


class UploadRefused(Exception):
    """A signed upload whose file breaks what was signed."""


class WrongContentType(UploadRefused):
    """The file part declares another content type than the form was signed for."""


class UploadTooLarge(UploadRefused):
    """The file is larger than the form was signed for."""


class EmptyUpload(UploadRefused):
    """The file is empty (S3 refuses those too: its size range starts at 1)."""


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class Download:
    """A verified download: the file to stream, as what, and under which name."""

    path: Path
    media_type: str
    filename: str | None


class FolderObjectStore:
    """Objects as owner-only files under `root`; URLs are paths under `route_prefix` on
    carehub's own server, signed with `secret` (see `folder_secret`)."""

    def __init__(
        self, root: Path, clock: Clock, secret: bytes, *, route_prefix: str = "/objects"
    ) -> None:
        if len(secret) < SECRET_BYTES:
            raise ValueError(f"the folder store's secret must be at least {SECRET_BYTES} bytes")
        if not route_prefix.startswith("/"):
            raise ValueError("the folder store's route prefix must start with '/'")
        self._root = root
        self._clock = clock
        self._secret = secret
        self.route_prefix = route_prefix.rstrip("/")

    # --- presigning -------------------------------------------------------------------------

    async def presign_upload(
        self, *, key: str, content_type: str, max_bytes: int, expires_in: timedelta
    ) -> UploadForm:
        """A form that uploads at most `max_bytes` of `content_type` to `key`."""
        checked_key(key)
        if not content_type or any(ord(c) < 0x20 or ord(c) > 0x7E for c in content_type):
            raise ValueError("content type must be printable ASCII")
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        expires = self._expires(expires_in)
        signature = self._sign("upload", key, content_type, max_bytes, expires)
        fields = {
            "key": key,
            "Content-Type": content_type,
            "expires": str(expires),
            "max-bytes": str(max_bytes),
            "signature": signature,
        }
        return UploadForm(
            url=f"{self.route_prefix}/upload",
            fields=fields,
            expires_at=datetime.fromtimestamp(expires, UTC),
        )

    async def presign_download(
        self, *, key: str, expires_in: timedelta, filename: str | None = None
    ) -> str:
        """A path that reads `key` until it expires, as `filename` when given."""
        checked_key(key)
        expires = self._expires(expires_in)
        query = {"expires": str(expires)}
        if filename is not None:
            query["filename"] = filename
        query["signature"] = self._sign("download", key, expires, filename)
        return f"{self.route_prefix}/{quote(key)}?{urlencode(query, quote_via=quote)}"

    # --- what the HTTP routes call ----------------------------------------------------------

    async def accept_upload(
        self, fields: Mapping[str, str], file: Readable, *, part_content_type: str | None
    ) -> StoredObject:
        """Store the file of a signed form, streamed in chunks; LinkRefused, UploadRefused or
        UnsafeKey when the form or the file is not what was signed (nothing is stored)."""
        missing = [name for name in UPLOAD_FIELDS if name not in fields]
        if missing:
            raise BadSignature(f"the form lacks the signed fields {missing}")
        if set(fields) - set(UPLOAD_FIELDS):
            raise BadSignature("the form has fields it was not signed with")
        key, content_type = fields["key"], fields["Content-Type"]
        expires, max_bytes = _integer(fields["expires"]), _integer(fields["max-bytes"])
        self._verify(fields["signature"], "upload", key, content_type, max_bytes, expires)
        self._check_expiry(expires)
        checked_key(key)
        if part_content_type is not None and not _same_type(part_content_type, content_type):
            raise WrongContentType("the file is not of the content type the form was signed for")
        size = await asyncio.to_thread(self._put, key, lambda out: _copy(file, out, max_bytes))
        log.info("objects.uploaded", key=key, size=size)
        return StoredObject(key=key, size=size)

    def open_download(self, key: str, query: Mapping[str, str]) -> Download:
        """The file a signed link reads; UnsafeKey, LinkRefused, or ObjectMissing."""
        checked_key(key)
        if "expires" not in query or "signature" not in query:
            raise BadSignature("the link is not signed")
        expires = _integer(query["expires"])
        filename = query.get("filename")
        self._verify(query["signature"], "download", key, expires, filename)
        self._check_expiry(expires)
        path = self._path(key)
        if not path.is_file():
            raise ObjectMissing()
        return Download(path=path, media_type=media_type(key), filename=filename)

    # --- the port ---------------------------------------------------------------------------

    async def head(self, key: str) -> StoredObject | None:
        """The object's size, or None when nothing is stored at `key`."""
        path = self._path(key)
        try:
            status = await asyncio.to_thread(path.stat)
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not stat.S_ISREG(status.st_mode):
            return None
        return StoredObject(key=key, size=status.st_size)

    async def read(self, key: str, *, max_bytes: int) -> bytes:
        """The whole object; ObjectMissing, or ObjectTooLarge above `max_bytes`."""
        path = self._path(key)
        return await asyncio.to_thread(_read_file, path, max_bytes)

    async def write(self, key: str, data: bytes, *, content_type: str) -> None:
        """Store `data` at `key`, replacing what was there (the type follows the key's
        extension when served)."""
        self._path(key)
        await asyncio.to_thread(self._put, key, lambda out: _write_all(out, data))

    async def delete(self, keys: Sequence[str]) -> None:
        """Delete every key (missing ones too), then the folders they leave empty."""
        paths = [self._path(key) for key in keys]
        await asyncio.to_thread(self._delete_files, paths)

    async def close(self) -> None:
        """Nothing to release: every call opens and closes its own files."""

    # --- files ------------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self._root.joinpath(*checked_key(key).split("/"))

    def _put(self, key: str, fill: Callable[[BinaryIO], int]) -> int:
        """Fill a temporary file next to the key's path, then rename it into place."""
        path = self._path(key)
        for attempt in range(3):
            self._make_folders(path.parent)
            try:
                fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
                break
            except FileNotFoundError:
                # A delete removed the folder it had just emptied: make it again.
                if attempt == 2:
                    raise
        try:
            with os.fdopen(fd, "wb") as out:
                size = fill(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        return size

    def _make_folders(self, folder: Path) -> None:
        make_private_folder(folder)

    def _delete_files(self, paths: list[Path]) -> None:
        for path in paths:
            if path.is_dir():
                continue  # a folder of other keys, not an object
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                path.unlink()
            parent = path.parent
            while parent != self._root and self._root in parent.parents:
                try:
                    parent.rmdir()
                except OSError:
                    break  # not empty (or gone): the folders above are not empty either
                parent = parent.parent

    # --- signing ----------------------------------------------------------------------------

    def _expires(self, expires_in: timedelta) -> int:
        return int(self._clock.now().timestamp()) + expiry_seconds(expires_in)

    def _check_expiry(self, expires: int) -> None:
        if self._clock.now().timestamp() >= expires:
            raise LinkExpired("the link has expired")

    def _sign(self, *bound: str | int | None) -> str:
        message = json.dumps(bound, ensure_ascii=False, separators=(",", ":")).encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def _verify(self, signature: str, *bound: str | int | None) -> None:
        expected = self._sign(*bound).encode()
        if not hmac.compare_digest(expected, signature.encode("utf-8", "replace")):
            raise BadSignature("the signature does not match")


def media_type(key: str) -> str:
    """What a key's extension says it holds, among the types carehub keeps; octet-stream
    for anything else (never text/html or the like, which a browser would run)."""
    name = key.rsplit("/", 1)[-1]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return _MEDIA_TYPES.get(extension, "application/octet-stream")


def folder_secret(path: Path) -> bytes:
    """The folder store's signing key, kept in `path` (mode 0600) and made on first use."""
    return owner_only_key(path, SECRET_BYTES, what="the object store's secret")


def _read_file(path: Path, max_bytes: int) -> bytes:
    try:
        with path.open("rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise ObjectMissing()
            data = file.read(max_bytes + 1)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        raise ObjectMissing() from None
    if len(data) > max_bytes:
        raise ObjectTooLarge()
    return data


def _write_all(out: BinaryIO, data: bytes) -> int:
    out.write(data)
    return len(data)


def _copy(source: Readable, out: BinaryIO, max_bytes: int) -> int:
    size = 0
    while chunk := source.read(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise UploadTooLarge(f"the file is larger than the {max_bytes} bytes signed for")
        out.write(chunk)
    if size == 0:
        raise EmptyUpload("the file is empty")
    return size


def _integer(value: str) -> int:
    if not _DIGITS.fullmatch(value):
        raise BadSignature("the form or link has a malformed number")
    return int(value)


def _same_type(declared: str, signed: str) -> bool:
    return declared.split(";", 1)[0].strip().lower() == signed.split(";", 1)[0].strip().lower()
