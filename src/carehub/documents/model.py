"""Patient files and documents: categories, object keys, versions, stamps (pure Python).

A file is one uploaded object and the variants derived from it. It belongs to a patient,
a kind (what part of the record it hangs off: a document, a note, a medication, a task;
for the last three, the id of that item too) and a category (seed 004's seven document
types). Its object keys never carry health data:

    patients/{storageKey}/{scope}/{kind}s/{category}/{fileId}-{variant}.{ext}

`storageKey` is a random id given to the patient the first time they get a file, so a key
seen outside carehub (a CDN log, a bucket listing) says nothing about whose file it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from carehub.documents.errors import InvalidKey


class Category(StrEnum):
    """Seed 004's document types (its `docType`)."""

    PREOP = "preop"
    LAB = "lab"
    RADIOLOGY = "radiology"
    INTRAOP = "intraop"
    OT_NOTES = "ot_notes"
    POSTOP = "postop"
    DISCHARGE = "discharge"


# Seed 004's document record names some categories by their list ("preop_pics"); its
# `detach` route sends those names, so they are accepted wherever a category is.
CATEGORY_ALIASES: dict[str, Category] = {
    "preop_pics": Category.PREOP,
    "intraop_pics": Category.INTRAOP,
    "postop_pics": Category.POSTOP,
    "lab_reports": Category.LAB,
    "radiology_reports": Category.RADIOLOGY,
    "discharge_summary": Category.DISCHARGE,
}

# Verification stamps exist for reports a doctor signs off.
STAMPABLE = frozenset({Category.LAB, Category.RADIOLOGY})
PREOP_IMAGE_LIMIT = 3


def category_named(name: str) -> Category | None:
    """The category a docType or one of seed 004's list names means; None if neither."""
    try:
        return Category(name)
    except ValueError:
        return CATEGORY_ALIASES.get(name)


class Kind(StrEnum):
    """Which part of the record a file is attached to."""

    DOC = "doc"
    NOTE = "note"
    MED = "med"
    TASK = "task"

    @property
    def takes_item(self) -> bool:
        """Whether a file of this kind attaches to an item of the clinical record (its
        `item_id`): every kind but doc."""
        return self is not Kind.DOC


class Scope(StrEnum):
    """A file's variants: the upload itself, and the two images derived from it."""

    ORIGINALS = "originals"
    OPTIMIZED = "optimized"
    THUMB = "thumb"


@dataclass(frozen=True)
class VariantSpec:
    """How a derived image is made: at most `max_width` pixels wide, JPEG `quality`."""

    scope: Scope
    max_width: int
    quality: int

    @property
    def label(self) -> str:
        """The key's variant part, as in seed 004's `...-q80-1600w.jpg`."""
        return f"q{self.quality}-{self.max_width}w"


DERIVED = (VariantSpec(Scope.OPTIMIZED, 1600, 80), VariantSpec(Scope.THUMB, 320, 80))
ORIGINAL_LABEL = "original"
DERIVED_EXTENSION = "jpg"


class FileStatus(StrEnum):
    # Presigned; waiting for the upload and its confirmation.
    PENDING = "pending"
    # Checked and part of the record.
    READY = "ready"
    # Failed its checks (too large, not what it claimed, unreadable); the object is gone.
    REJECTED = "rejected"
    # Never confirmed before its upload URL expired; the object (if any) is gone.
    ABANDONED = "abandoned"
    # Its original was deleted.
    DELETED = "deleted"


_STORAGE_KEY = r"[0-9a-f]{32}"
_FILE_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_KEY = re.compile(
    rf"patients/(?P<storage_key>{_STORAGE_KEY})/(?P<scope>originals|optimized|thumb)"
    rf"/(?P<kind>docs|notes|meds|tasks)/(?P<category>[a-z_]{{3,12}})"
    rf"/(?P<file_id>{_FILE_ID})-(?P<variant>original|q\d{{1,3}}-\d{{2,5}}w)"
    rf"\.(?P<ext>[a-z0-9]{{2,5}})"
)
STORAGE_KEY = re.compile(_STORAGE_KEY)


@dataclass(frozen=True)
class ObjectKey:
    """A parsed object key; `str()` gives it back."""

    storage_key: str
    scope: Scope
    kind: Kind
    category: Category
    file_id: str
    variant: str
    extension: str

    def __str__(self) -> str:
        return (
            f"patients/{self.storage_key}/{self.scope.value}/{self.kind.value}s"
            f"/{self.category.value}/{self.file_id}-{self.variant}.{self.extension}"
        )

    @property
    def prefix(self) -> str:
        return patient_prefix(self.storage_key)

    @classmethod
    def parse(cls, key: str) -> ObjectKey:
        """Parse a key carehub made; anything else (traversal, absolute, foreign shapes) is
        InvalidKey."""
        match = _KEY.fullmatch(key)
        if match is None:
            raise InvalidKey("not an object key carehub issued")
        category = category_named(match["category"])
        if category is None or category.value != match["category"]:
            raise InvalidKey("not an object key carehub issued")
        return cls(
            storage_key=match["storage_key"],
            scope=Scope(match["scope"]),
            kind=Kind(match["kind"].removesuffix("s")),
            category=category,
            file_id=match["file_id"],
            variant=match["variant"],
            extension=match["ext"],
        )

    def sibling(self, scope: Scope) -> ObjectKey:
        """The key of the same file's `scope` variant."""
        if scope is Scope.ORIGINALS:
            raise ValueError("the original's extension is the file's own")
        spec = next(s for s in DERIVED if s.scope is scope)
        return replace(self, scope=scope, variant=spec.label, extension=DERIVED_EXTENSION)


def patient_prefix(storage_key: str) -> str:
    """Every object of one patient lives under this prefix."""
    return f"patients/{storage_key}/"


@dataclass(frozen=True)
class Stamp:
    """A doctor's verification of a lab or radiology document. Never edited: an admin may
    remove it (with a reason), and the removed stamp stays in the history."""

    id: str
    file_id: str
    stamped_by: str
    stamped_at: datetime
    note: str | None
    removed_by: str | None = None
    removed_at: datetime | None = None
    removal_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.removed_at is None


@dataclass(frozen=True)
class PatientFile:
    """One uploaded file of a patient (one version of a document) and its variants.

    Versions of a document share `document_id`; the newest ready one is current, the
    others stay listed with `superseded_by` set. `preop_slot` (1-3) is held by a current,
    attached preop image: the store keeps slots unique per patient, which is what caps
    preop images at three.
    """

    id: str
    patient_id: str
    storage_key: str
    document_id: str
    version: int
    kind: Kind
    category: Category
    filename: str
    mime_type: str
    extension: str
    status: FileStatus
    created_at: datetime
    created_by: str
    upload_expires_at: datetime
    # The note, medication or task a file of that kind is attached to (None for a doc).
    item_id: str | None = None
    replace_oldest: bool = False
    replaces: str | None = None
    attached: bool = True
    size: int | None = None
    sha256: str | None = None
    width: int | None = None
    height: int | None = None
    completed_at: datetime | None = None
    rejection: str | None = None
    # Scopes whose derived objects exist (originals always does once ready).
    derived: frozenset[Scope] = field(default_factory=frozenset)
    preop_slot: int | None = None
    superseded_by: str | None = None
    # Bumped by every stored change (optimistic concurrency).
    revision: int = 1

    @property
    def is_image(self) -> bool:
        return self.mime_type.startswith("image/")

    @property
    def counts_as_preop_image(self) -> bool:
        """A preop image of the document record. The cap of three is the record's: an
        image attached to a note, medication or task never takes one of its slots."""
        return self.kind is Kind.DOC and self.category is Category.PREOP and self.is_image

    @property
    def current(self) -> bool:
        return self.superseded_by is None

    @property
    def original_key(self) -> ObjectKey:
        return ObjectKey(
            storage_key=self.storage_key,
            scope=Scope.ORIGINALS,
            kind=self.kind,
            category=self.category,
            file_id=self.id,
            variant=ORIGINAL_LABEL,
            extension=self.extension,
        )

    def key(self, scope: Scope) -> ObjectKey:
        """The key of a variant (which may not exist yet: see `derived`)."""
        original = self.original_key
        return original if scope is Scope.ORIGINALS else original.sibling(scope)

    def shown_key(self, scope: Scope) -> ObjectKey:
        """The key to show for `scope`: that variant when it exists, else the original
        (documents and images not yet derived have only their original)."""
        if scope is Scope.ORIGINALS or scope not in self.derived:
            return self.original_key
        return self.key(scope)

    def all_keys(self) -> list[ObjectKey]:
        """The original and every derived variant that may exist."""
        keys = [self.original_key]
        if self.is_image:
            keys += [self.key(spec.scope) for spec in DERIVED]
        return keys
