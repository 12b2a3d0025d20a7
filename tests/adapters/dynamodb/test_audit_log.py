"""The audit trail on DynamoDB beyond its contract suite: a search's read budget gives
short pages rather than one unbounded read, and a lost head is told from an empty chain."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from carehub.adapters.dynamodb import audit
from carehub.adapters.dynamodb.table_client import DynamoTable
from carehub.adapters.dynamodb.unit_of_work import DynamoUnitOfWork
from carehub.audit.ports import AuditFilter
from tests.contract.test_audit_log import STAFF, record

NewUnit = Callable[[], DynamoUnitOfWork]
pytestmark = pytest.mark.aws


async def test_a_search_past_its_read_budget_returns_a_short_page_and_a_cursor(
    new_uow: NewUnit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "_READ_BUDGET", 3)
    async with new_uow() as uow:
        uow.audit(record(0, "rare.read", actor=STAFF))
        for minute in range(1, 5):
            uow.audit(record(minute, "common.read"))
        await uow.commit()
    # The patient's partition, newest first: four entries to read past before the match.
    criteria = AuditFilter(patient_id="p-1", action="rare.read")
    async with new_uow() as uow:
        first = await uow.audit_log.search(criteria, cursor=None, limit=10)
        assert (first.items, first.next_cursor is not None) == ([], True)
        rest = await uow.audit_log.search(criteria, cursor=first.next_cursor, limit=10)
    assert ([e.action for e in rest.items], rest.next_cursor) == (["rare.read"], None)


async def test_a_chain_whose_head_was_deleted_has_no_head(
    new_uow: NewUnit, table: DynamoTable
) -> None:
    async with new_uow() as uow:
        uow.audit(record(0))
        await uow.commit()
    await table.call(
        "delete",
        lambda client: client.delete_item(
            TableName=table.name, Key={"PK": {"S": audit.AUDIT_CHAIN}, "SK": {"S": "HEAD"}}
        ),
    )
    async with new_uow() as uow:
        assert await uow.audit_log.head() is None
        assert [e.seq for e in await uow.audit_log.scan(after_seq=0, limit=10)] == [1]
