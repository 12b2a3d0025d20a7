"""What a FHIR reference points at, as an import resolves it: an entry of the same bundle
(its `fullUrl`, `urn:uuid:...` in Synthea), a resource carehub stores (`Patient/123`), one
found by identifier (`Practitioner?identifier=system|value`, or a logical reference's
`identifier`), or a resource contained in the one that refers (`#med1`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from carehub.fhir.schemas.datatypes import Reference
from carehub.kernel.errors import FieldError, Invalid

_LITERAL = re.compile(r"(?:.*/)?(?P<type>[A-Z][A-Za-z]{1,63})/(?P<id>[A-Za-z0-9\-.]{1,64})")
_CONDITIONAL = re.compile(r"(?P<type>[A-Z][A-Za-z]{1,63})\?identifier=(?P<token>[^&]+)")


@dataclass(frozen=True)
class InBundle:
    """An entry of the bundle, by its fullUrl."""

    full_url: str


@dataclass(frozen=True)
class ById:
    """A resource of a type by its id (a relative or absolute literal reference)."""

    resource_type: str
    resource_id: str


@dataclass(frozen=True)
class ByIdentifier:
    """The resource of a type that holds an identifier (`None` type: whatever the element
    allows)."""

    resource_type: str | None
    system: str
    value: str


@dataclass(frozen=True)
class Contained:
    """A resource contained in the one that refers to it."""

    local_id: str


Target = InBundle | ById | ByIdentifier | Contained


def target_of(reference: Reference, field: str) -> Target:
    """What `reference` points at; Invalid naming `field` when it points nowhere carehub
    can follow."""
    text = reference.reference
    if text is None:
        identifier = reference.identifier
        if identifier is not None and identifier.system and identifier.value:
            return ByIdentifier(None, identifier.system, identifier.value)
        raise _unfollowable(field, "needs a reference or an identifier with a system and a value")
    if text.startswith("#"):
        return Contained(text[1:])
    if text.startswith(("urn:uuid:", "urn:oid:")):
        return InBundle(text)
    if conditional := _CONDITIONAL.fullmatch(text):
        token = identifier_token(conditional["token"])
        if token is None:
            raise _unfollowable(field, "a conditional reference needs identifier=system|value")
        return ByIdentifier(conditional["type"], *token)
    if literal := _LITERAL.fullmatch(text):
        if "://" in text:
            return InBundle(text)  # an absolute URL: an entry's fullUrl, or nothing here
        return ById(literal["type"], literal["id"])
    raise _unfollowable(field, "is not a reference carehub can follow")


def identifier_token(token: str) -> tuple[str, str] | None:
    """`system|value` (URL-encoded or not) as (system, value); None unless both are there."""
    system, bar, value = unquote(token).partition("|")
    if not bar or not system or not value:
        return None
    return system, value


def if_none_exist(criteria: str) -> tuple[str, str] | None:
    """The identifier a conditional create's `ifNoneExist` names (`identifier=system|value`);
    None when it names something else, which carehub cannot look records up by."""
    name, equals, token = criteria.partition("=")
    if name != "identifier" or not equals or "&" in token:
        return None
    return identifier_token(token)


def _unfollowable(field: str, message: str) -> Invalid:
    return Invalid("A reference cannot be followed", errors=[FieldError(field, message)])
