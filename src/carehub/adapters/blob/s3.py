"""Objects in an S3 bucket (or anything speaking S3), under an optional key prefix.

Configured by a URL:

    s3://bucket/optional/prefix?region=eu-west-1&sse=AES256
    s3://bucket?sse=aws:kms&kms_key_id=alias/carehub-objects

- `region`: the bucket's region (default: boto3's own lookup).
- `sse`: encryption at rest of every object, `AES256` (the default) or `aws:kms`;
  `kms_key_id` picks the KMS key (default: the account's `aws/s3` key).

Credentials come from boto3's usual chain (environment, profile, task or instance role),
never from the URL. Upload forms are S3 POST policies binding the key, the content type,
the size range and the encryption; S3 refuses any other upload to them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import structlog
from botocore.config import Config

from carehub.adapters.aws.clients import LazyClient, connector
from carehub.adapters.aws.errors import AwsFailure
from carehub.adapters.blob.checks import checked_key, expiry_seconds
from carehub.documents.ports import ObjectMissing, ObjectTooLarge, StoredObject, UploadForm

log = structlog.get_logger("carehub.objects")

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_SSE = ("AES256", "aws:kms")
# As many HTTP connections as the default executor has threads, so no call waits for one.
_CONNECTIONS = 32
# DeleteObjects takes at most this many keys per request.
_DELETE_BATCH = 1000
_MISSING = {"404", "NoSuchKey", "NotFound"}


class ObjectStoreFailed(AwsFailure):
    """S3 could not be reached, or refused the request."""


class S3ObjectStore:
    """Objects at `prefix + key` in `bucket`, with one boto3 client made by `connect` on
    first use (not before: building a client reads configuration)."""

    def __init__(
        self,
        connect: Callable[[], Any],
        *,
        bucket: str,
        prefix: str = "",
        sse: str = "AES256",
        kms_key_id: str | None = None,
    ) -> None:
        if sse not in _SSE:
            raise ValueError(f"S3 encryption must be one of {list(_SSE)}")
        if kms_key_id is not None and sse != "aws:kms":
            raise ValueError("a KMS key id needs sse=aws:kms")
        prefix = prefix.strip("/")
        self._prefix = f"{checked_key(prefix)}/" if prefix else ""
        self._bucket = bucket
        self._client = LazyClient(connect, service="S3", failure=ObjectStoreFailed)
        self._encryption = {"ServerSideEncryption": sse}
        self._sse_fields = {"x-amz-server-side-encryption": sse}
        if kms_key_id is not None:
            self._encryption["SSEKMSKeyId"] = kms_key_id
            self._sse_fields["x-amz-server-side-encryption-aws-kms-key-id"] = kms_key_id

    async def presign_upload(
        self, *, key: str, content_type: str, max_bytes: int, expires_in: timedelta
    ) -> UploadForm:
        """An S3 POST form for at most `max_bytes` of `content_type` at `key`."""
        name = self._name(key)
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        seconds = expiry_seconds(expires_in)
        # Taken before signing, in whole seconds as the policy has it, so the form never
        # claims more time than its policy gives.
        expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)
        fields = {"Content-Type": content_type, **self._sse_fields}
        conditions: list[Any] = [
            {"Content-Type": content_type},
            ["content-length-range", 1, max_bytes],
            *({name: value} for name, value in self._sse_fields.items()),
        ]
        post = await self._call(
            "presign",
            lambda s3: s3.generate_presigned_post(
                Bucket=self._bucket,
                Key=name,
                Fields=fields,
                Conditions=conditions,
                ExpiresIn=seconds,
            ),
        )
        return UploadForm(url=post["url"], fields=dict(post["fields"]), expires_at=expires_at)

    async def presign_download(
        self, *, key: str, expires_in: timedelta, filename: str | None = None
    ) -> str:
        """A presigned GET of `key` until it expires, as `filename` when given."""
        params = {"Bucket": self._bucket, "Key": self._name(key)}
        if filename is not None:
            params["ResponseContentDisposition"] = content_disposition(filename)
        seconds = expiry_seconds(expires_in)
        url: str = await self._call(
            "presign",
            lambda s3: s3.generate_presigned_url("get_object", Params=params, ExpiresIn=seconds),
        )
        return url

    async def head(self, key: str) -> StoredObject | None:
        """The object's size, or None when nothing is stored at `key`."""
        name = self._name(key)
        try:
            reply = await self._call(
                "head", lambda s3: s3.head_object(Bucket=self._bucket, Key=name)
            )
        except ObjectMissing:
            return None
        return StoredObject(key=key, size=int(reply["ContentLength"]))

    async def read(self, key: str, *, max_bytes: int) -> bytes:
        """The whole object; ObjectMissing, or ObjectTooLarge above `max_bytes` (checked
        before the body is read)."""
        name = self._name(key)

        def get(s3: Any) -> bytes:
            reply = s3.get_object(Bucket=self._bucket, Key=name)
            body = reply["Body"]
            try:
                if int(reply["ContentLength"]) > max_bytes:
                    raise ObjectTooLarge()
                data: bytes = body.read(max_bytes + 1)
            finally:
                body.close()
            if len(data) > max_bytes:
                raise ObjectTooLarge()
            return data

        data: bytes = await self._call("read", get)
        return data

    async def write(self, key: str, data: bytes, *, content_type: str) -> None:
        """Store `data` at `key`, encrypted at rest."""
        name = self._name(key)
        await self._call(
            "write",
            lambda s3: s3.put_object(
                Bucket=self._bucket,
                Key=name,
                Body=data,
                ContentType=content_type,
                **self._encryption,
            ),
        )

    async def delete(self, keys: Sequence[str]) -> None:
        """Delete every key, a thousand per request; keys with nothing stored are fine."""
        names = [self._name(key) for key in keys]
        for start in range(0, len(names), _DELETE_BATCH):
            batch = [{"Key": name} for name in names[start : start + _DELETE_BATCH]]
            delete = {"Objects": batch, "Quiet": True}
            reply = await self._call("delete", partial(self._delete_batch, delete=delete))
            errors = reply.get("Errors") or []
            if errors:
                codes = sorted({str(e.get("Code", "")) for e in errors})
                raise ObjectStoreFailed(f"S3 kept {len(errors)} objects: {codes}")

    async def close(self) -> None:
        """Close the client's connections; a later call makes a new client."""
        await self._client.close()

    def _delete_batch(self, s3: Any, *, delete: dict[str, Any]) -> Any:
        return s3.delete_objects(Bucket=self._bucket, Delete=delete)

    def _name(self, key: str) -> str:
        return self._prefix + checked_key(key)

    async def _call(self, what: str, call: Callable[[Any], Any]) -> Any:
        try:
            return await self._client.call(what, call)
        except ObjectStoreFailed as exc:
            if exc.aws_code in _MISSING:
                raise ObjectMissing() from None
            raise


def s3_object_store_from_url(url: str, *, endpoint_url: str | None = None) -> S3ObjectStore:
    """An object store for `s3://bucket/prefix?region=...&sse=...`; `endpoint_url` points it
    at something other than AWS (MinIO, or a local emulator in tests)."""
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise ValueError(f"object storage URL scheme must be s3, not {parts.scheme!r}")
    if "@" in parts.netloc:
        # Never echo it: it would be a secret.
        raise ValueError("S3 credentials come from boto3's chain, never from the URL")
    if not _BUCKET.fullmatch(parts.netloc):
        raise ValueError("S3 URL needs a valid bucket name: s3://bucket/prefix")
    options = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = set(options) - {"region", "sse", "kms_key_id"}
    if unknown:
        raise ValueError(f"S3 URL has unknown options: {sorted(unknown)}")
    if not all(options.values()):
        raise ValueError("S3 URL has empty options")
    region = options.get("region")
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"} if endpoint_url else {},
        max_pool_connections=_CONNECTIONS,
    )
    connect = connector("s3", region=region, endpoint_url=endpoint_url, config=config)
    return S3ObjectStore(
        connect,
        bucket=parts.netloc,
        prefix=parts.path,
        sse=options.get("sse", "AES256"),
        kms_key_id=options.get("kms_key_id"),
    )


def content_disposition(filename: str) -> str:
    """`attachment` as `filename`: an ASCII fallback, and the exact name per RFC 6266."""
    fallback = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
