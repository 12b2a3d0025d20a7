"""Amazon CloudFront in front of the objects: deleted keys are invalidated by path.

Configured by a URL naming the distribution:

    cloudfront://E2QWRUHAPOMQZL

Credentials come from boto3's usual chain, never from the URL. Paths are the keys as the
distribution's origin sees them (`/<key>`, URL-quoted, so no key acts as a wildcard).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any
from urllib.parse import quote, urlsplit

import structlog

from carehub.adapters.aws.clients import LazyClient, connector
from carehub.adapters.aws.errors import AwsFailure
from carehub.adapters.blob.checks import checked_key

log = structlog.get_logger("carehub.cdn")

_DISTRIBUTION = re.compile(r"[A-Z0-9]{1,32}")
# CloudFront holds at most 3,000 paths in invalidations in progress per distribution.
MAX_PATHS = 3000


class InvalidationFailed(AwsFailure):
    """CloudFront could not be reached, or refused the invalidation."""


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
        # CloudFront is global; its API lives in us-east-1.
        connect = connect or connector("cloudfront", region="us-east-1", endpoint_url=endpoint_url)
        self._client = LazyClient(connect, service="CloudFront", failure=InvalidationFailed)

    async def invalidate(self, keys: Sequence[str]) -> str | None:
        """Ask CloudFront to drop `keys`; returns the invalidation id (None for no keys)."""
        if not keys:
            return None
        if len(keys) > MAX_PATHS:
            raise ValueError(f"CloudFront takes at most {MAX_PATHS} paths at once")
        paths = sorted({"/" + quote(self._key_prefix + checked_key(key)) for key in keys})
        reply = await self._client.call("invalidation", partial(self._create, paths=paths))
        invalidation_id: str = reply["Invalidation"]["Id"]
        log.info("cdn.invalidated", invalidation_id=invalidation_id, paths=len(paths))
        return invalidation_id

    async def close(self) -> None:
        """Close the client's connections; a later call makes a new client."""
        await self._client.close()

    def _create(self, cloudfront: Any, *, paths: list[str]) -> Any:
        return cloudfront.create_invalidation(
            DistributionId=self.distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(paths), "Items": paths},
                # CloudFront treats a repeated reference as a retry of the same request.
                "CallerReference": uuid.uuid4().hex,
            },
        )


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
