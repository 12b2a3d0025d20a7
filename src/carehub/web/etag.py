"""Entity tags for optimistic locking: the ETag is the record's version."""

from __future__ import annotations

import re

from carehub.kernel.errors import PreconditionFailed, PreconditionRequired

_TAG = re.compile(r'(?:W/)?"v(\d{1,12})"')


def etag_for(version: int) -> str:
    return f'"v{version}"'


def version_from_if_match(header: str | None) -> int:
    """The version a client claims to have seen; 428 without one, 412 if unreadable."""
    if header is None or not header.strip():
        raise PreconditionRequired("Send If-Match with the ETag you last read")
    if header.strip() == "*":
        raise PreconditionRequired(
            "If-Match: * does not protect against lost updates; send the ETag"
        )
    match = _TAG.fullmatch(header.strip())
    if match is None:
        raise PreconditionFailed("If-Match does not name a version of this resource")
    return int(match.group(1))
