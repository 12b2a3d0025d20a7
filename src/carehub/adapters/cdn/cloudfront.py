"""Amazon CloudFront in front of the objects: deleted keys are invalidated by path.

Configured by a URL naming the distribution:

    cloudfront://E2QWRUHAPOMQZL

Credentials come from boto3's usual chain, never from the URL. Paths are the keys as the
distribution's origin sees them (`/<key>`, URL-quoted, so no key acts as a wildcard).
"""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import boto3
import structlog
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from carehub.adapters.blob.checks import checked_key

log = structlog.get_logger("carehub.cdn")

_DISTRIBUTION = re.compile(r"[A-Z0-9]{1,32}")
# CloudFront holds at most 3,000 paths in invalidations in progress per distribution.
MAX_PATHS = 3000


class InvalidationFailed(Exception):
    """CloudFront could not be reached, or refused the invalidation."""

    def __init__(self, reason: str, *, aws_code: str | None = None) -> None:
        super().__init__(reason)
        self.aws_code = aws_code


class CloudFrontInvalidator:
    """Invalidates keys on one distribution, with one boto3 client made on first use."""

    def __init__(
        self,
        distribution_id: str,
        endpoint_url: str | None = None,
        *,
        connect: Callable[[], Any] | None = None,
        key_prefix: str = "",
    ) -> None:
        if not _DISTRIBUTION.fullmatch(distribution_id):
            raise ValueError("a CloudFront distribution id is upper-case letters and digits")
        self.distribution_id = distribution_id
        # Where the store keeps the keys in its bucket (the origin sees `prefix + key`).
        self._key_prefix = f"{checked_key(key_prefix.strip('/'))}/" if key_prefix.strip("/") else ""
        self._connect = connect or _connector(endpoint_url)
        self._client: Any = None
        # Calls run on threads, and the first few may race to make the client.
        self._lock = threading.Lock()

    async def invalidate(self, keys: Sequence[str]) -> str | None:
        """Ask CloudFront to drop `keys`; returns the invalidation id (None for no keys)."""
        if not keys:
            return None
        if len(keys) > MAX_PATHS:
            raise ValueError(f"CloudFront takes at most {MAX_PATHS} paths at once")
        paths = sorted({"/" + quote(self._key_prefix + checked_key(key)) for key in keys})
        try:
            reply = await asyncio.to_thread(self._create, paths)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "")) or None
            raise InvalidationFailed(
                f"CloudFront refused the invalidation: {code}", aws_code=code
            ) from None
        except BotoCoreError as exc:
            raise InvalidationFailed(f"CloudFront not reachable: {type(exc).__name__}") from None
        invalidation_id: str = reply["Invalidation"]["Id"]
        log.info("cdn.invalidated", invalidation_id=invalidation_id, paths=len(paths))
        return invalidation_id

    async def close(self) -> None:
        """Close the client's connections; a later call makes a new client."""
        await asyncio.to_thread(self._close)

    def _create(self, paths: list[str]) -> Any:
        return self._cloudfront().create_invalidation(
            DistributionId=self.distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(paths), "Items": paths},
                # CloudFront treats a repeated reference as a retry of the same request.
                "CallerReference": uuid.uuid4().hex,
            },
        )

    def _cloudfront(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()


def cloudfront_from_url(
    url: str, *, endpoint_url: str | None = None, key_prefix: str = ""
) -> CloudFrontInvalidator:
    """An invalidator for `cloudfront://DISTRIBUTION_ID`; `endpoint_url` points it at
    something other than AWS (a local emulator in tests), `key_prefix` is the object
    store's prefix in its bucket."""
    parts = urlsplit(url)
    if parts.scheme != "cloudfront":
        raise ValueError(f"CDN URL scheme must be cloudfront, not {parts.scheme!r}")
    if parts.path.strip("/") or parts.query or "@" in parts.netloc:
        raise ValueError("CDN URL is cloudfront://DISTRIBUTION_ID and nothing else")
    return CloudFrontInvalidator(parts.netloc, endpoint_url, key_prefix=key_prefix)


def _connector(endpoint_url: str | None) -> Callable[[], Any]:
    config = Config(retries={"mode": "standard"})

    def connect() -> Any:
        # CloudFront is global; its API lives in us-east-1.
        session = boto3.session.Session(region_name="us-east-1")
        return session.client("cloudfront", endpoint_url=endpoint_url, config=config)

    return connect
