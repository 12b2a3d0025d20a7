"""Patient files' items (docs/dynamodb.md, "documents"): keys, the file record with the
index keys it is listed under, and what a write lost at commit raises."""

from __future__ import annotations

from typing import Any

from carehub.adapters.dynamodb.items import Item, Key, record_data, record_item, to_wire, utc_text
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.adapters.sql.files import file_from_row, file_row
from carehub.documents.model import FileStatus, PatientFile
from carehub.documents.ports import PreopSlotTaken, VersionTaken
from carehub.kernel.errors import Conflict
from carehub.kernel.races import LostRace

PENDING_FILES = "PENDING_FILES"


def file_key(file_id: str) -> Key:
    return (f"FILE#{file_id}", "FILE")


def storage_key_key(patient_id: str) -> Key:
    return (f"PATIENT#{patient_id}", "STORAGE_KEY")


def version_guard(document_id: str, version: int) -> Key:
    return (f"DOCUMENT#{document_id}#REV#{version}", "GUARD")


def preop_slots(patient_id: str) -> str:
    """The partition of a patient's preop slot guards: one consistent Query reads them all."""
    return f"PREOP#{patient_id}"


def preop_guard(patient_id: str, slot: int) -> Key:
    return (preop_slots(patient_id), f"SLOT#{slot}")


def ready_files(patient_id: str) -> str:
    return f"PATIENT#{patient_id}#FILES"


def document_versions(document_id: str) -> str:
    return f"DOCUMENT#{document_id}"


def file_item(file: PatientFile) -> Item:
    """The file's record, listed among the patient's files once ready, under its document
    by version, and among the pending uploads by expiry while pending (sparse indexes)."""
    ready = file.status is FileStatus.READY
    pending = file.status is FileStatus.PENDING
    item = record_item(
        file_key(file.id),
        kind="patient-file",
        data=file_row(file),
        indexes={
            "GSI1PK": ready_files(file.patient_id) if ready else None,
            "GSI1SK": file.id if ready else None,
            "GSI2PK": document_versions(file.document_id),
            "GSI2SK": f"{file.version:06d}",
            "GSI3PK": PENDING_FILES if pending else None,
            "GSI3SK": f"{utc_text(file.upload_expires_at)}#{file.id}" if pending else None,
        },
    )
    item["revision"] = file.revision
    return item


def patient_file(item: Item) -> PatientFile:
    data = record_data(item)
    # Items written before files named the clinical item they attach to have no item_id.
    data.setdefault("item_id", None)
    return file_from_row(data)


def guard_item(key: Key, **fields: Any) -> Item:
    return {"PK": key[0], "SK": key[1], "kind": "guard", **fields}


async def partition_items(session: DynamoSession, pk: str, sk_prefix: str) -> list[Item]:
    """Every item of one table partition whose sort key starts with `sk_prefix`, read
    consistently, in sort-key order (partitions kept small: a file's stamps, a patient's
    preop slots)."""
    params: dict[str, Any] = {
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
        "ExpressionAttributeValues": to_wire({":pk": pk, ":prefix": sk_prefix}),
        "ConsistentRead": True,
    }
    found: list[Item] = []
    while True:
        items, last = await session.query(**params)
        found += items
        if last is None:
            return found
        params["ExclusiveStartKey"] = last


# What a write lost at commit raises. SQL answers these races at statement time, where the
# use case turns them into a retry or a clear answer; at commit the unit cannot retry, so
# each is a Conflict (409, which the documents routes declare) and still the port's error.
# The file and slot races are LostRaces: completing an upload runs again and reads anew.


class FileChangedMeanwhile(LostRace):
    def __init__(self) -> None:
        super().__init__("The file changed while this request ran; try again")


class PreopSlotRaced(LostRace, PreopSlotTaken):
    def __init__(self) -> None:
        super().__init__("Another preop image took that slot at the same time; try again")


class VersionRaced(Conflict, VersionTaken):
    def __init__(self) -> None:
        super().__init__("Another version of this document was started at the same time")


class StorageKeyRaced(Conflict):
    def __init__(self) -> None:
        super().__init__("Another file of this patient was started at the same time; try again")
