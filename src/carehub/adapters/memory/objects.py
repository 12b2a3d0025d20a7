"""Object storage in memory (`carehub.documents.ports.ObjectStore`), for unit tests.

Its URLs are `memory:` URLs that nothing serves: a test puts an "upload" in place with
`write`, as a client's POST to the presigned form would.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from urllib.parse import urlencode

from carehub.documents.ports import ObjectMissing, ObjectTooLarge, StoredObject, UploadForm
from carehub.kernel.clock import Clock


class MemoryObjectStore:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.objects: dict[str, bytes] = {}
        self.content_types: dict[str, str] = {}

    async def presign_upload(
        self, *, key: str, content_type: str, max_bytes: int, expires_in: timedelta
    ) -> UploadForm:
        fields = {"key": key, "Content-Type": content_type, "max-bytes": str(max_bytes)}
        return UploadForm("memory:upload", fields, self._clock.now() + expires_in)

    async def presign_download(
        self, *, key: str, expires_in: timedelta, filename: str | None = None
    ) -> str:
        expires = int((self._clock.now() + expires_in).timestamp())
        query = {"expires": str(expires), **({"filename": filename} if filename else {})}
        return f"memory:{key}?{urlencode(query)}"

    async def head(self, key: str) -> StoredObject | None:
        data = self.objects.get(key)
        return None if data is None else StoredObject(key, len(data))

    async def read(self, key: str, *, max_bytes: int) -> bytes:
        data = self.objects.get(key)
        if data is None:
            raise ObjectMissing(key)
        if len(data) > max_bytes:
            raise ObjectTooLarge(key)
        return data

    async def write(self, key: str, data: bytes, *, content_type: str) -> None:
        self.objects[key] = data
        self.content_types[key] = content_type

    async def delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.objects.pop(key, None)
            self.content_types.pop(key, None)

    async def close(self) -> None:
        return None
