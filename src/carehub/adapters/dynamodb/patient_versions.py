"""Every kept version of every patient record in the table (docs/dynamodb.md, "patients";
`carehub.patients.ports.PatientVersions`): an item per version in the record's own
partition, written in the unit's transaction beside the record's write, on
`attribute_not_exists`, so a version is never overwritten and is kept only if the record's
change commits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from carehub.adapters.dynamodb.items import Item, to_wire
from carehub.adapters.dynamodb.pages import query_items
from carehub.adapters.dynamodb.patient_items import (
    patient_from_item,
    version_item,
    version_key,
    versions_range,
)
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.adapters.dynamodb.writes import NEW_ITEM
from carehub.adapters.version_cursor import below_version, versions_below
from carehub.kernel.pagination import Page
from carehub.patients.model import Patient


class DynamoPatientVersions:
    def __init__(self, session: DynamoSession) -> None:
        self._session = session

    async def add(self, patient: Patient) -> None:
        await self.add_many([patient])

    async def add_many(self, patients: Sequence[Patient]) -> None:
        # No read first: the record's own write decides whether its version is new.
        for patient in patients:
            self._session.writes.put(version_item(patient), condition=NEW_ITEM)

    async def get(self, patient_id: str, version: int) -> Patient | None:
        item = await self._session.get(version_key(patient_id, version))
        return None if item is None else patient_from_item(item)

    async def history(self, patient_id: str, *, cursor: str | None, limit: int) -> Page[Patient]:
        """One consistent Query of the record's partition, newest first, from below the
        cursor's version; the unit's own (new) versions are laid over it by key."""
        below = below_version(cursor)
        partition, _ = version_key(patient_id, 1)
        low, high = versions_range(below)
        params: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND SK BETWEEN :low AND :high",
            "ExpressionAttributeValues": to_wire({":pk": partition, ":low": low, ":high": high}),
            "ConsistentRead": True,
            "ScanIndexForward": False,
        }
        stored, _ = await query_items(self._session, params, limit + 1)
        found: dict[str, Item] = {item["SK"]: item for item in stored}
        for write in self._session.writes.writes():
            pk, sk = write.key
            if pk == partition and low <= sk <= high and write.image is not None:
                found[sk] = write.image
        newest = [found[sk] for sk in sorted(found, reverse=True)][: limit + 1]
        items = [patient_from_item(item) for item in newest[:limit]]
        more = len(newest) > limit
        return Page(items, versions_below(items[-1].version) if more else None)
