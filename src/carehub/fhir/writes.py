"""What a FHIR write asks: the version an `If-Match` names, the conditions an
`If-None-Exist` names, and the country a resource's `managingOrganization` names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from carehub.kernel.errors import FieldError, Invalid, PreconditionFailed, PreconditionRequired

IF_NONE_EXIST = "If-None-Exist"
_VERSION_TAG = re.compile(r'(?:W/)?"(\d{1,10})"')
_ORGANIZATION = re.compile(r"Organization/([A-Za-z0-9][A-Za-z0-9_-]{0,31})")
# A value of a condition: a reference, an instant, or a system and a code of 256 each.
_MAX_CONDITION = 520


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


def conditions_of_if_none_exist(header: str, names: tuple[str, ...]) -> dict[str, str]:
    """`If-None-Exist: a=1&b=2` as `{"a": "1", "b": "2"}`: each of `names` exactly once,
    with a value, and nothing else (422 naming the header otherwise). A condition left
    unread would match more than the client meant, and answer someone else's resource."""
    form = "&".join(f"{name}=..." for name in names)
    found: dict[str, str] = {}
    for name, value in parse_qsl(header, keep_blank_values=True):
        if name not in names:
            raise bad_condition(f"If-None-Exist takes {form} and nothing else")
        if name in found:
            raise bad_condition(f"If-None-Exist names {name} once")
        if not value or len(value) > _MAX_CONDITION:
            raise bad_condition(
                f"If-None-Exist's {name} needs a value of at most {_MAX_CONDITION} characters"
            )
        found[name] = value
    missing = [name for name in names if name not in found]
    if missing:
        raise bad_condition(f"If-None-Exist must be {form} (missing: {', '.join(missing)})")
    return found


def identifier_of_if_none_exist(header: str) -> tuple[str, str]:
    """`If-None-Exist: identifier=system|value`: the one search a conditional create takes."""
    value = conditions_of_if_none_exist(header, ("identifier",))["identifier"]
    system, bar, code = value.partition("|")
    if not (bar and system and code) or len(system) > 256 or len(code) > 256:
        raise bad_condition("If-None-Exist must be identifier=system|value")
    return system, code


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


def bad_condition(message: str) -> Invalid:
    """A refused `If-None-Exist`, naming the header."""
    return Invalid(message, errors=[FieldError("If-None-Exist", message)])
