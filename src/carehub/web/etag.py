"""Entity tags: the ETag is the record's version (optimistic locking with If-Match), or a
hash of the body for computed answers; If-None-Match turns an unchanged read into a 304."""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Any

from fastapi import Header
from starlette.responses import Response

from carehub.kernel.errors import PreconditionFailed, PreconditionRequired

_TAG = re.compile(r'(?:W/)?"v(\d{1,12})"')
# entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE (RFC 9110 §8.8.3); commas may sit inside one,
# so a list is read member by member, not split on commas.
_ETAGC = r"[!#-~\x80-\xff]*"
_CURRENT = re.compile(rf'(?:W/)?"({_ETAGC})"')
_MEMBER = re.compile(rf'[ \t]*(?:(?:W/)?"({_ETAGC})")?[ \t]*(?:,|\Z)')
MAX_IF_NONE_MATCH = 2048

IfNoneMatch = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        max_length=MAX_IF_NONE_MATCH,
        description="ETags you hold (a list, `*`, weak forms): 304 without a body when one "
        "is current. The read is audited either way.",
    ),
]
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: If-None-Match names the current ETag (no body)"}
}


def etag_for(version: int) -> str:
    return f'"v{version}"'


def etag_of_body(body: bytes) -> str:
    """A strong ETag for a computed answer: it changes whenever a byte of the body does."""
    return f'"h{hashlib.sha256(body).hexdigest()[:32]}"'


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


def none_match_names(header: str | None, etag: str) -> bool:
    """Whether If-None-Match names `etag`: `*` (the resource exists), or any tag of the
    list, compared weakly (RFC 9110 §13.1.2: `W/"a"` matches `"a"`)."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    current = _CURRENT.fullmatch(etag)
    listed = _listed(header)
    return current is not None and listed is not None and current.group(1) in listed


def _listed(header: str) -> list[str] | None:
    """The tags of an If-None-Match list, or None when it is not one (then nothing
    matches and the full answer goes out: never a 304 on a guess)."""
    tags: list[str] = []
    at = 0
    while at < len(header):
        member = _MEMBER.match(header, at)
        if member is None or member.end() == at:
            return None
        if member.group(1) is not None:
            tags.append(member.group(1))
        at = member.end()
    return tags


def conditional(response: Response, if_none_match: str | None, *, current: bool = True) -> Response:
    """`response`, or 304 with its ETag and no body when the client already holds it.

    The route has already read (and audited) the record: a 304 also tells the caller the
    record is unchanged, so it is an access like a 200. `current=False` when the tag no
    longer pins every byte of the body (it then always answers in full).
    """
    etag = response.headers.get("ETag")
    if etag is None or not current or not none_match_names(if_none_match, etag):
        return response
    return Response(status_code=304, headers={"ETag": etag})


def with_body_etag(response: Response) -> Response:
    """`response` with a strong ETag computed from its body."""
    response.headers["ETag"] = etag_of_body(bytes(response.body))
    return response
