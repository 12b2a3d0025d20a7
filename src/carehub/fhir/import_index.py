"""The entries of one bundle as references find them: by fullUrl, by type and id, and by
identifier. What is not in the bundle is looked up in carehub by the caller."""

from __future__ import annotations

import re
from collections.abc import Collection

from carehub.fhir.import_entries import Entry
from carehub.fhir.references import ById, ByIdentifier, InBundle, Target
from carehub.kernel.errors import FieldError, Invalid

_ABSOLUTE = re.compile(r".+/(?P<type>[A-Z][A-Za-z]{1,63})/(?P<id>[A-Za-z0-9\-.]{1,64})")


class BundleIndex:
    """Where each entry of a bundle can be found."""

    def __init__(self, entries: list[Entry]) -> None:
        self._by_url: dict[str, Entry] = {}
        self._by_id: dict[tuple[str, str], Entry] = {}
        self._by_identifier: dict[tuple[str, str, str], Entry] = {}
        for entry in entries:
            if entry.full_url is not None:
                self._by_url.setdefault(entry.full_url, entry)
            if entry.resource_id is not None:
                self._by_id.setdefault((entry.resource_type, entry.resource_id), entry)
            for system, value in _identifiers(entry):
                self._by_identifier.setdefault((entry.resource_type, system, value), entry)

    def find(self, target: Target, types: Collection[str], field: str) -> Entry | None:
        """The entry `target` points at, if it is in the bundle; Invalid naming `field` when
        it points at an entry of another type than `types`."""
        found = None
        if isinstance(target, InBundle):
            found = self._by_url.get(target.full_url)
        elif isinstance(target, ById):
            found = self._by_id.get((target.resource_type, target.resource_id))
        elif isinstance(target, ByIdentifier):
            kinds = types if target.resource_type is None else [target.resource_type]
            found = next(
                (
                    entry
                    for kind in kinds
                    if (entry := self._by_identifier.get((kind, target.system, target.value)))
                ),
                None,
            )
        if found is not None and found.resource_type not in types:
            raise wrong_type(field, types)
        return found


def outside_bundle(target: Target) -> Target:
    """Where to look in carehub for what is not in the bundle: an absolute URL naming a
    type and an id is looked up by them."""
    if isinstance(target, InBundle) and (absolute := _ABSOLUTE.fullmatch(target.full_url)):
        return ById(absolute["type"], absolute["id"])
    return target


def wrong_type(field: str, types: Collection[str]) -> Invalid:
    allowed = " or ".join(sorted(types))
    return Invalid(
        "A reference points at the wrong type",
        errors=[FieldError(field, f"must point at a {allowed}")],
    )


def unresolved(field: str, what: str) -> Invalid:
    return Invalid(
        "A reference points at nothing carehub holds",
        errors=[FieldError(field, f"names no {what} in the bundle or in carehub")],
    )


def _identifiers(entry: Entry) -> list[tuple[str, str]]:
    found = list(getattr(entry.resource, "identifier", ()) or ())
    pairs = [(i.system, i.value) for i in found if i.system and i.value]
    if entry.if_none_exist is not None:
        pairs.append(entry.if_none_exist)
    return pairs
