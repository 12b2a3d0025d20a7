"""What a FHIR write asks: the version an `If-Match` names, the identifier an
`If-None-Exist` names, and the country a resource's `managingOrganization` names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from carehub.kernel.errors import FieldError, Invalid, PreconditionFailed, PreconditionRequired

_VERSION_TAG = re.compile(r'(?:W/)?"(\d{1,10})"')
_ORGANIZATION = re.compile(r"Organization/([A-Za-z0-9][A-Za-z0-9_-]{0,31})")


def version_of_if_match(header: str | None) -> int:
    """`If-Match: W/"3"` (FHIR's form) as version 3; 428 without it, 412 if unreadable."""
    if header is None or not header.strip():
        raise PreconditionRequired('Send If-Match with the version you last read (W/"<n>")')
    match = _VERSION_TAG.fullmatch(header.strip())
    if match is None:
        raise PreconditionFailed('If-Match must name one version, as W/"<n>"')
    return int(match.group(1))


def version_to_update(if_match: str | None, resource: Mapping[str, Any]) -> int:
    """The version an update was made from: `If-Match`, else the `meta.versionId` the
    client read and sent back (FHIR clients that never send If-Match still say which
    version they changed); 428 with neither, so no update is ever blind."""
    if if_match is not None and if_match.strip():
        return version_of_if_match(if_match)
    meta = resource.get("meta")
    version = meta.get("versionId") if isinstance(meta, dict) else None
    if isinstance(version, str) and version.isdigit() and len(version) <= 10:
        return int(version)
    return version_of_if_match(None)


def identifier_of_if_none_exist(header: str) -> tuple[str, str]:
    """`If-None-Exist: identifier=system|value`: the one search a conditional create takes."""
    pairs = parse_qsl(header, keep_blank_values=True)
    if len(pairs) != 1 or pairs[0][0] != "identifier":
        raise _bad_condition("If-None-Exist must be identifier=system|value")
    system, bar, value = pairs[0][1].partition("|")
    if not (bar and system and value) or len(system) > 256 or len(value) > 256:
        raise _bad_condition("If-None-Exist must be identifier=system|value")
    return system, value


def country_of(resource: Mapping[str, Any]) -> str | None:
    """The country a resource's `managingOrganization` (`Organization/<country>`) names."""
    organization = resource.get("managingOrganization")
    if organization is None:
        return None
    found = organization.get("reference") if isinstance(organization, dict) else None
    match = _ORGANIZATION.fullmatch(found) if isinstance(found, str) else None
    if match is None:
        raise Invalid(
            "managingOrganization must be Organization/<country id>",
            errors=[FieldError("managingOrganization", "must be Organization/<country id>")],
        )
    return match.group(1)


def _bad_condition(message: str) -> Invalid:
    return Invalid(message, errors=[FieldError("If-None-Exist", message)])
