"""A bundle's entries as an import handles them, and the ledger of their outcomes.

Every entry gets exactly one outcome. In a transaction the first failure raises at once
(naming the entry by its index and fullUrl, never by its content) and nothing more is
done; in a batch it is recorded and the other entries go on."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from carehub.fhir.import_report import EntryOutcome, EntryStatus, ImportReport
from carehub.fhir.references import if_none_exist
from carehub.fhir.schemas.bundle import BundleIn, EntryIn, read_entry
from carehub.fhir.schemas.resources import KEPT, read_resource
from carehub.kernel.errors import (
    CarehubError,
    Conflict,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    PreconditionFailed,
)

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
UNKNOWN_TYPE = "(unknown)"


@dataclass
class Entry:
    """One entry: where it is, what it asks, and its resource read by its type's model
    (None for a type carehub does not keep)."""

    index: int
    full_url: str | None
    resource_type: str
    resource_id: str | None  # the id inside the resource (literal references use it)
    put_id: str | None  # the id a PUT names: carehub's id for what it creates
    if_none_exist: tuple[str, str] | None  # the identifier a conditional create names
    resource: Any

    def where(self) -> str:
        """How errors name this entry: its index and fullUrl, never its content."""
        named = f" ({self.full_url})" if self.full_url else ""
        return f"entry {self.index}{named}"


class Ledger:
    """The outcome of every entry of one bundle."""

    def __init__(self, bundle_type: str, progress: Callable[[int], None] | None) -> None:
        self.bundle_type = bundle_type
        self.all_or_nothing = bundle_type == "transaction"
        self._outcomes: dict[int, EntryOutcome] = {}
        self._progress = progress

    def decided(self, entry: Entry) -> bool:
        return entry.index in self._outcomes

    def record(
        self,
        entry: Entry,
        status: EntryStatus,
        *,
        reason: str | None = None,
        location: str | None = None,
        not_kept: list[str] | tuple[str, ...] = (),
    ) -> None:
        """Record what became of `entry` (once: a later outcome replaces none)."""
        if entry.index in self._outcomes:
            return
        self._outcomes[entry.index] = EntryOutcome(
            index=entry.index,
            full_url=entry.full_url,
            resource_type=entry.resource_type,
            status=status,
            reason=reason,
            location=location,
            not_kept=tuple(not_kept),
        )
        if self._progress is not None:
            self._progress(1)

    def fail(self, entry: Entry, error: CarehubError, *, within: str = "resource") -> None:
        """A failed entry: the whole transaction fails with it; a batch records it."""
        if self.all_or_nothing:
            raise entry_error(entry.index, entry.where(), error, within)
        if entry.index in self._outcomes:
            return
        self._outcomes[entry.index] = EntryOutcome(
            index=entry.index,
            full_url=entry.full_url,
            resource_type=entry.resource_type,
            status=EntryStatus.FAILED,
            error=error,
        )
        if self._progress is not None:
            self._progress(1)

    def failed(self, entry: Entry) -> bool:
        outcome = self._outcomes.get(entry.index)
        return outcome is not None and outcome.status is EntryStatus.FAILED

    def report(self, count: int) -> ImportReport:
        return ImportReport(self.bundle_type, tuple(self._outcomes[i] for i in range(count)))


def read_entries(bundle: BundleIn, ledger: Ledger) -> list[Entry]:
    """Every entry of the bundle, its envelope and its resource read; an entry that is not
    valid fails (in a transaction: the whole bundle), one carehub does not keep is skipped."""
    entries = []
    for index, raw in enumerate(bundle.entry):
        resource_type = _resource_type(raw)
        placeholder = Entry(index, _full_url(raw), resource_type, None, None, None, None)
        try:
            envelope = read_entry(raw)
            entry = _entry(index, envelope, resource_type)
        except CarehubError as exc:
            entries.append(placeholder)
            ledger.fail(placeholder, exc, within="")
            continue
        entries.append(entry)
        if resource_type not in KEPT:
            ledger.record(
                entry, EntryStatus.SKIPPED, reason=f"carehub does not keep {resource_type}"
            )
            continue
        try:
            entry.resource = read_resource(resource_type, envelope.resource)
        except CarehubError as exc:
            ledger.fail(entry, exc)
    return entries


def depends_on(entry: Entry) -> Conflict:
    """The error of an entry that needs another one which was not taken in."""
    return Conflict(f"It depends on {entry.where()}, which was not taken in")


def entry_error(index: int, where: str, error: CarehubError, within: str) -> CarehubError:
    """`error` of one entry as the error of the whole bundle: the same kind, its detail
    naming the entry, its fields placed under `entry[index]`."""
    prefix = f"entry[{index}]" + (f".{within}" if within else "")
    errors = [FieldError(f"{prefix}.{e.field}", e.message) for e in error.errors]
    detail = f"The transaction failed at {where}: {error.detail}"
    for kind in (Invalid, NotFound, Conflict, Forbidden, PreconditionFailed):
        if isinstance(error, kind):
            return kind(detail, errors=errors)
    return Invalid(detail, errors=errors)


def _entry(index: int, envelope: EntryIn, resource_type: str) -> Entry:
    if resource_type == UNKNOWN_TYPE:
        raise Invalid(
            "The entry's resource has no type",
            errors=[FieldError("resource.resourceType", "must name a FHIR resource type")],
        )
    request = envelope.request
    put_id = None
    expected = resource_type
    if request.method == "PUT":
        found = request.url.partition("/")[2]
        put_id = found or None
        expected = f"{resource_type}/{put_id}"
    if request.url != expected or (put_id is not None and not _ID.fullmatch(put_id)):
        raise Invalid(
            "The entry's request does not match its resource",
            errors=[
                FieldError("request.url", f"must be {resource_type} (POST) or its type/id (PUT)")
            ],
        )
    resource_id = envelope.resource.get("id")
    if put_id is not None and resource_id not in (None, put_id):
        raise Invalid(
            "The entry's request names another id than its resource",
            errors=[FieldError("resource.id", "must be the id the PUT names")],
        )
    conditional = None
    if request.if_none_exist is not None:
        conditional = if_none_exist(request.if_none_exist)
        if conditional is None:
            raise Invalid(
                "The entry's condition cannot be checked",
                errors=[
                    FieldError("request.ifNoneExist", "carehub checks identifier=system|value")
                ],
            )
    return Entry(
        index=index,
        full_url=envelope.full_url,
        resource_type=resource_type,
        resource_id=resource_id if isinstance(resource_id, str) else None,
        put_id=put_id,
        if_none_exist=conditional,
        resource=None,
    )


def _resource_type(raw: Any) -> str:
    resource = raw.get("resource") if isinstance(raw, dict) else None
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    # Only a well-formed type name is ever repeated back (in counts and errors).
    if isinstance(kind, str) and kind.isascii() and kind.isalpha() and len(kind) <= 64:
        return kind
    return UNKNOWN_TYPE


def _full_url(raw: Any) -> str | None:
    url = raw.get("fullUrl") if isinstance(raw, dict) else None
    return url if isinstance(url, str) and len(url) <= 256 and url.isprintable() else None
