"""The audit trail in the table: the chain's entries (`AUDIT#0` / `SEQ#…`) with their head,
listed by patient (GSI1), action (GSI2) and actor (GSI3) for reading, and read back in
sequence order for verification (docs/dynamodb.md, "Audit chain")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson

from carehub.adapters.dynamodb.items import Item, as_int, to_wire
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.audit.model import EMPTY_CHAIN, AuditEntry, ChainHead
from carehub.audit.ports import AuditFilter
from carehub.kernel.pagination import Page, cursor_position, encode_cursor

# Until the audit domain shards its chain (docs/dynamodb.md, "Audit chain"), one chain.
AUDIT_CHAIN = "AUDIT#0"
HEAD_SK = "HEAD"
_SEQ = "SEQ#"
# A search page reads at most this many items looking for matches; past it the page comes
# back short, with a cursor, so a rare criterion never costs one unbounded read.
_READ_BUDGET = 1000
_QUERY_PAGE = 100


def _position(seq: int) -> str:
    return f"{seq:012d}"


def audit_items(entry: AuditEntry) -> list[Item]:
    """The items one entry is stored as: the entry itself, listed by its first patient,
    its action and its actor, and one link item per further patient it names."""
    data = orjson.dumps(entry).decode()
    patients = list(dict.fromkeys(entry.patient_ids))
    position = _position(entry.seq)
    item: Item = {
        "PK": AUDIT_CHAIN,
        "SK": f"{_SEQ}{position}",
        "kind": "audit-entry",
        "data": data,
        "GSI2PK": f"AUDIT_ACTION#{entry.action}",
        "GSI2SK": position,
        "GSI3PK": f"AUDIT_ACTOR#{entry.actor_id}",
        "GSI3SK": position,
    }
    if patients:
        item.update(GSI1PK=f"AUDIT_PATIENT#{patients[0]}", GSI1SK=position)
    links: list[Item] = [
        {
            "PK": f"AUDIT_LINK#{position}",
            "SK": f"PATIENT#{patient}",
            "kind": "audit-link",
            "data": data,  # the entry whole, so a patient's page needs no second read
            "GSI1PK": f"AUDIT_PATIENT#{patient}",
            "GSI1SK": position,
        }
        for patient in patients[1:]
    ]
    return [item, *links]


class DynamoAuditLog:
    """The audit domain's reading port over a DynamoDB session."""

    def __init__(self, session: DynamoSession) -> None:
        self._session = session

    async def search(
        self, criteria: AuditFilter, *, cursor: str | None, limit: int
    ) -> Page[AuditEntry]:
        """Newest first from the partition of the most selective criterion given (patient,
        actor, action; the chain itself when none is), the others checked on the items."""
        before = None if cursor is None else cursor_position(cursor, "before", int)
        params = _partition_query(criteria, before)
        wanted = _matcher(criteria)
        found: list[AuditEntry] = []
        read = 0
        last_read: int | None = None
        while len(found) <= limit and read < _READ_BUDGET:
            params["Limit"] = min(_QUERY_PAGE, _READ_BUDGET - read)
            items, last = await self._session.query(**params)
            read += len(items)
            for item in items:
                entry = _entry(item)
                last_read = entry.seq
                if wanted(entry):
                    found.append(entry)
                    if len(found) > limit:
                        break
            if last is None or len(found) > limit:
                break
            params["ExclusiveStartKey"] = last
        else:
            # The budget ran out: a short page whose cursor resumes after what was read.
            if len(found) <= limit and last_read is not None:
                return Page(found, encode_cursor({"before": last_read}))
        page = found[:limit]
        more = len(found) > limit
        return Page(page, encode_cursor({"before": page[-1].seq}) if more else None)

    async def scan(self, *, after_seq: int, limit: int) -> list[AuditEntry]:
        return await self._chain_after(after_seq, limit)

    async def _chain_after(self, after_seq: int, limit: int) -> list[AuditEntry]:
        """The chain's entries after a position, in sequence order (a Query, never a Scan)."""
        params: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND SK BETWEEN :first AND :last",
            "ExpressionAttributeValues": to_wire(
                {
                    ":pk": AUDIT_CHAIN,
                    ":first": f"{_SEQ}{_position(after_seq + 1)}",
                    ":last": f"{_SEQ}~",
                }
            ),
            "ConsistentRead": True,
        }
        found: list[AuditEntry] = []
        while len(found) < limit:
            params["Limit"] = limit - len(found)
            items, last = await self._session.query(**params)
            found += [_entry(item) for item in items]
            if last is None:
                break
            params["ExclusiveStartKey"] = last
        return found

    async def head(self) -> ChainHead | None:
        stored = await self._session.get((AUDIT_CHAIN, HEAD_SK))
        if stored is not None:
            return ChainHead(as_int(stored["seq"]), str(stored["hash"]))
        # No head: an empty chain, unless entries exist and the head was lost.
        return None if await self._chain_after(0, 1) else EMPTY_CHAIN


def _partition_query(criteria: AuditFilter, before: int | None) -> dict[str, Any]:
    """The Query over the partition that serves the criteria, newest first."""
    if criteria.patient_id is not None:
        index, partition = "GSI1", f"AUDIT_PATIENT#{criteria.patient_id}"
    elif criteria.actor_id is not None:
        index, partition = "GSI3", f"AUDIT_ACTOR#{criteria.actor_id}"
    elif criteria.action is not None:
        index, partition = "GSI2", f"AUDIT_ACTION#{criteria.action}"
    else:  # the chain itself, in sequence order (ConsistentRead: it is the table)
        last = f"{_SEQ}~" if before is None else f"{_SEQ}{_position(before - 1)}"
        return {
            "KeyConditionExpression": "PK = :pk AND SK BETWEEN :first AND :last",
            "ExpressionAttributeValues": to_wire(
                {":pk": AUDIT_CHAIN, ":first": f"{_SEQ}{_position(1)}", ":last": last}
            ),
            "ConsistentRead": True,
            "ScanIndexForward": False,
        }
    params: dict[str, Any] = {
        "IndexName": index,
        "ExpressionAttributeNames": {"#pk": f"{index}PK", "#sk": f"{index}SK"},
        "ScanIndexForward": False,
    }
    if before is None:
        params["KeyConditionExpression"] = "#pk = :pk"
        params["ExpressionAttributeNames"] = {"#pk": f"{index}PK"}
        params["ExpressionAttributeValues"] = to_wire({":pk": partition})
    else:
        params["KeyConditionExpression"] = "#pk = :pk AND #sk < :before"
        params["ExpressionAttributeValues"] = to_wire(
            {":pk": partition, ":before": _position(before)}
        )
    return params


def _matcher(criteria: AuditFilter) -> Callable[[AuditEntry], bool]:
    def wanted(entry: AuditEntry) -> bool:
        return (
            (criteria.patient_id is None or criteria.patient_id in entry.patient_ids)
            and (criteria.actor_id is None or entry.actor_id == criteria.actor_id)
            and (criteria.action is None or entry.action == criteria.action)
            and (criteria.since is None or entry.at >= criteria.since)
            and (criteria.until is None or entry.at < criteria.until)
        )

    return wanted


def _entry(item: Item) -> AuditEntry:
    data: dict[str, Any] = orjson.loads(item["data"])
    data["at"] = datetime.fromisoformat(data["at"])
    data["patient_ids"] = tuple(data["patient_ids"])
    data["seq"] = int(data["seq"])
    return AuditEntry(**data)
