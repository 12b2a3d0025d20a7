"""A patient file as a DocumentReference: what kind of document it is, whose, and where
to download it.

The content is the signed download URL the caller passes in (it expires; a client reads
the resource again for a new one). carehub serves files from the object store through
such URLs, never through the API, so there is no Binary: it would mean passing every
file's bytes through the API. Versions of one document share its identifier
(`urn:carehub:document`); the newest is `current`, earlier ones `superseded`.
"""

from __future__ import annotations

from typing import Any

from carehub.documents.model import Category, FileStatus, Kind, PatientFile
from carehub.fhir import terminology
from carehub.fhir.wire import (
    CAREHUB_SYSTEM,
    coding,
    concept,
    instant,
    meta,
    reference,
    user_reference,
)

DOCUMENT_SYSTEM = f"{CAREHUB_SYSTEM}:document"
CATEGORY_SYSTEM = f"{CAREHUB_SYSTEM}:document-category"
# The LOINC document type of a category, where one says the same; the others are text.
_TYPES: dict[Category, tuple[str | None, str]] = {
    Category.PREOP: (None, "Preoperative document"),
    Category.LAB: ("11502-2", "Laboratory report"),
    Category.RADIOLOGY: ("18748-4", "Diagnostic imaging study"),
    Category.INTRAOP: (None, "Intraoperative document"),
    Category.OT_NOTES: ("11504-8", "Surgical operation note"),
    Category.POSTOP: (None, "Postoperative document"),
    Category.DISCHARGE: ("18842-5", "Discharge summary"),
}
# The record item a file of that kind is attached to, as the resource it is served as.
_ITEM_TYPES = {Kind.NOTE: "DocumentReference", Kind.MED: "MedicationStatement", Kind.TASK: "Task"}
# A resource a file is attached to -> the kind of file, for files taken in.
ITEM_KINDS = {resource_type: kind for kind, resource_type in _ITEM_TYPES.items()}
# Files that failed their checks, were never uploaded or were deleted are no document of
# the record; a file still uploading is one in the making.
_VOID = frozenset({FileStatus.REJECTED, FileStatus.ABANDONED, FileStatus.DELETED})
_DOC_STATUS = {FileStatus.READY: "final", FileStatus.PENDING: "preliminary"}


def document_reference_resource(file: PatientFile, content_url: str) -> dict[str, Any]:
    """The file as a DocumentReference whose attachment is at `content_url`."""
    label = _TYPES[file.category][1]
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": file.id,
        "meta": meta(file.revision, file.completed_at or file.created_at),
        "identifier": [{"system": DOCUMENT_SYSTEM, "value": file.document_id}],
        "status": _status(file),
        "type": _type(file.category),
        "category": [{"coding": [coding(CATEGORY_SYSTEM, file.category.value, label)]}],
        "subject": reference("Patient", file.patient_id),
        "date": instant(file.completed_at or file.created_at),
        "author": [user_reference(file.created_by)],
        "content": [{"attachment": _attachment(file, content_url)}],
    }
    if file.status in _DOC_STATUS:
        resource["docStatus"] = _DOC_STATUS[file.status]
    if file.item_id is not None and file.kind in _ITEM_TYPES:
        resource["context"] = {"related": [reference(_ITEM_TYPES[file.kind], file.item_id)]}
    return resource


def _status(file: PatientFile) -> str:
    if file.status in _VOID:
        return "entered-in-error"
    return "current" if file.current else "superseded"


def _type(category: Category) -> dict[str, Any]:
    loinc, label = _TYPES[category]
    return concept(terminology.LOINC, loinc, label)


def _attachment(file: PatientFile, url: str) -> dict[str, Any]:
    attachment: dict[str, Any] = {
        "contentType": file.mime_type,
        "url": url,
        "title": file.filename,
        "creation": instant(file.created_at),
    }
    if file.size is not None:
        attachment["size"] = file.size
    return attachment
