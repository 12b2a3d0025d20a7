"""A transaction or batch Bundle as carehub takes it in: its type and its entries, each a
POST or a PUT of one resource. Each entry is read on its own (`read_entry`), so a batch can
answer for every entry; the resource inside is read by its own type's model."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from carehub.fhir.schemas.elements import (
    ELEMENT_ELEMENTS,
    RESOURCE_ELEMENTS,
    RESOURCE_PRIMITIVES,
    BackboneElement,
    Resource,
    String1024,
    Uri,
)
from carehub.fhir.schemas.errors import read_model

MAX_ENTRIES = 20_000


def _unsupported(value: Any) -> Any:
    raise PydanticCustomError(
        "unsupported_condition", "carehub does not take in conditional updates (If-Match...)"
    )


# A condition on an update carehub cannot check: refused rather than ignored.
Unsupported = Annotated[Any, BeforeValidator(_unsupported)]


class BundleIn(Resource):
    """A FHIR R4 Bundle of type transaction or batch; its entries are read one by one."""

    NOT_KEPT = RESOURCE_ELEMENTS | {
        "identifier",
        "timestamp",
        "total",
        "link",
        "signature",
    }
    PRIMITIVES = RESOURCE_PRIMITIVES | {"type", "timestamp", "total"}

    resource_type: Literal["Bundle"]
    type: Literal["transaction", "batch"]
    entry: tuple[dict[str, Any], ...] = Field((), max_length=MAX_ENTRIES)


class RequestIn(BackboneElement):
    NOT_KEPT = ELEMENT_ELEMENTS
    PRIMITIVES = frozenset(
        {"method", "url", "ifNoneMatch", "ifModifiedSince", "ifMatch", "ifNoneExist"}
    )

    method: Literal["POST", "PUT"]
    url: String1024
    if_none_exist: String1024 | None = None
    if_match: Unsupported = None
    if_none_match: Unsupported = None
    if_modified_since: Unsupported = None


class EntryIn(BackboneElement):
    NOT_KEPT = ELEMENT_ELEMENTS | {"link", "search", "response"}
    PRIMITIVES = frozenset({"fullUrl"})

    full_url: Uri | None = None
    resource: dict[str, Any]
    request: RequestIn


def read_bundle(bundle: Any) -> BundleIn:
    """The Bundle's envelope, validated; Invalid naming every element in error otherwise."""
    found: BundleIn = read_model(BundleIn, bundle, "Bundle")
    return found


def read_entry(entry: Any) -> EntryIn:
    """One entry's envelope (the resource inside is read by its own type)."""
    found: EntryIn = read_model(EntryIn, entry, "Bundle entry")
    return found
