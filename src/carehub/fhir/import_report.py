"""What an import did, entry by entry and counted per resource type: imported, already
present, linked (an Organization or Location: carehub's organizations are its countries),
skipped with a reason, or failed with its error. The batch-response of `POST /fhir/R4` is
made from the entries, in their order (a failed one's error as `carehub.fhir.outcome`'s
OperationOutcome); the CLI prints the counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from carehub.kernel.errors import CarehubError


class EntryStatus(StrEnum):
    """What became of one entry."""

    IMPORTED = "imported"  # a carehub record (or a part of one) was written from it
    PRESENT = "already present"  # carehub holds it already: nothing was written
    LINKED = "linked"  # matched to a carehub record it stands for (a country)
    SKIPPED = "skipped"  # carehub does not keep it (the reason says why)
    FAILED = "failed"  # an error (batch only: a transaction fails as a whole)


@dataclass(frozen=True)
class EntryOutcome:
    """One entry's outcome. `location` names the carehub record it became or matched
    (`Patient/<id>`, `Practitioner/<doctor id>`); `reason` says why it was skipped or what
    it was linked to, in words that hold no health data."""

    index: int
    full_url: str | None
    resource_type: str
    status: EntryStatus
    reason: str | None = None
    location: str | None = None
    error: CarehubError | None = None
    not_kept: tuple[str, ...] = ()


@dataclass
class TypeCounts:
    """One resource type's outcomes."""

    imported: int = 0
    present: int = 0
    linked: int = 0
    failed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # by reason

    def add(self, outcome: EntryOutcome) -> None:
        if outcome.status is EntryStatus.IMPORTED:
            self.imported += 1
        elif outcome.status is EntryStatus.PRESENT:
            self.present += 1
        elif outcome.status is EntryStatus.LINKED:
            self.linked += 1
        elif outcome.status is EntryStatus.FAILED:
            self.failed += 1
        else:
            self.skipped[outcome.reason or "skipped"] += 1

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


@dataclass(frozen=True)
class ImportReport:
    """The outcome of one bundle (`transaction` or `batch`), entry by entry, in order."""

    bundle_type: str
    entries: tuple[EntryOutcome, ...]

    def counts(self) -> dict[str, TypeCounts]:
        """The outcomes counted per resource type."""
        return count_outcomes(self.entries)


def count_outcomes(outcomes: Iterable[EntryOutcome]) -> dict[str, TypeCounts]:
    """Outcomes (of one bundle or of many) counted per resource type, types in name order."""
    counts: dict[str, TypeCounts] = {}
    for outcome in outcomes:
        counts.setdefault(outcome.resource_type, TypeCounts()).add(outcome)
    return dict(sorted(counts.items()))
