"""Someone with write access to the store, behind carehub's back: plain SQL on SQLite and
PostgreSQL (lifting the append-only triggers while they work), boto3 calls on DynamoDB."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import orjson
import psycopg
import pytest

from carehub.adapters.dynamodb.url import parse_dynamodb_url
from carehub.adapters.sql.sqlite import sqlite_path
from tests.api.conftest import ApiServer
from tests.support.moto import aws_client

SQLITE_GUARDS = {
    "audit_entries_no_update": "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON "
    "audit_entries BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END",
    "audit_entries_no_delete": "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON "
    "audit_entries BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END",
}


class StoredTrail(Protocol):
    def seqs(self) -> dict[int, list[int]]:
        """Every stored entry's seq, by shard."""
        ...

    def set_actor(self, shard: int, seq: int, actor_id: str) -> str:
        """Give an entry another actor; the one it had."""
        ...

    def remove(self, shard: int, seqs: Iterable[int]) -> None: ...

    def named(self) -> list[tuple[int, int]]:
        """(shard, seq) of the entries other shards' links name."""
        ...

    def assert_append_only(self) -> None:
        """What the store itself does against changing or replacing an entry."""
        ...

    def fullest(self) -> int:
        """The shard with the most entries."""
        ...


class _Fullest:
    def seqs(self) -> dict[int, list[int]]:
        raise NotImplementedError

    def fullest(self) -> int:
        found = self.seqs()
        return max(found, key=lambda shard: len(found[shard]))


class SqlTrail(_Fullest):
    """The audit tables, with the triggers lifted for each change (back afterwards)."""

    def __init__(self, server: ApiServer) -> None:
        self.sqlite = server.database_url.startswith("sqlite")
        if self.sqlite:
            self.conn: Any = sqlite3.connect(sqlite_path(server.database_url), isolation_level=None)
            self.error: type[Exception] = sqlite3.DatabaseError
        else:
            url = server.database_url.replace("postgresql+psycopg://", "postgresql://")
            self.conn = psycopg.connect(url, autocommit=True)
            self.error = psycopg.Error
        self.mark = "?" if self.sqlite else "%s"  # the driver's parameter marker

    def seqs(self) -> dict[int, list[int]]:
        found: dict[int, list[int]] = {}
        for shard, seq in self.conn.execute("SELECT shard, seq FROM audit_entries ORDER BY 1, 2"):
            found.setdefault(shard, []).append(seq)
        return found

    def set_actor(self, shard: int, seq: int, actor_id: str) -> str:
        where = f"WHERE shard = {self.mark} AND seq = {self.mark}"
        query = f"SELECT actor_id FROM audit_entries {where}"
        original: str = self.conn.execute(query, (shard, seq)).fetchone()[0]
        with self._unguarded():
            update = f"UPDATE audit_entries SET actor_id = {self.mark} {where}"
            self.conn.execute(update, (actor_id, shard, seq))
        return original

    def remove(self, shard: int, seqs: Iterable[int]) -> None:
        delete = f"DELETE FROM audit_entries WHERE shard = {self.mark} AND seq = {self.mark}"
        with self._unguarded():
            for seq in seqs:
                self.conn.execute(delete, (shard, seq))

    def named(self) -> list[tuple[int, int]]:
        rows = self.conn.execute("SELECT links FROM audit_entries WHERE links IS NOT NULL")
        return [(s, n) for (links,) in rows for s, n, _ in _json(links)]

    def assert_append_only(self) -> None:
        with pytest.raises(self.error, match="append-only"):
            self.conn.execute("UPDATE audit_entries SET actor_id = 'someone' WHERE seq = 1")
        with pytest.raises(self.error, match="append-only"):
            self.conn.execute("DELETE FROM audit_entries WHERE seq = 1")

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def _unguarded(self) -> Iterator[None]:
        if self.sqlite:
            for name in SQLITE_GUARDS:
                self.conn.execute(f"DROP TRIGGER IF EXISTS {name}")
        else:
            self.conn.execute("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only")
        try:
            yield
        finally:
            if self.sqlite:
                for statement in SQLITE_GUARDS.values():
                    self.conn.execute(
                        statement.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS")
                    )
            else:
                self.conn.execute(
                    "ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only"
                )


class DynamoTrail(_Fullest):
    """The entry items of the table (`AUDIT#{shard}` / `SEQ#{seq}`), through boto3."""

    def __init__(self, server: ApiServer) -> None:
        assert server.aws_endpoint is not None
        self.client = aws_client("dynamodb", server.aws_endpoint)
        self.table = parse_dynamodb_url(server.database_url).table

    def _items(self) -> list[dict[str, Any]]:
        """Every entry item: a Scan, as only tests and maintenance may."""
        pages = self.client.get_paginator("scan").paginate(
            TableName=self.table,
            FilterExpression="kind = :entry",
            ExpressionAttributeValues={":entry": {"S": "audit-entry"}},
        )
        return [item for page in pages for item in page["Items"]]

    def seqs(self) -> dict[int, list[int]]:
        found: dict[int, list[int]] = {}
        for shard, seq in sorted(map(_position, self._items())):
            found.setdefault(shard, []).append(seq)
        return found

    def set_actor(self, shard: int, seq: int, actor_id: str) -> str:
        key = _key(shard, seq)
        item = self.client.get_item(TableName=self.table, Key=key, ConsistentRead=True)["Item"]
        data = orjson.loads(item["data"]["S"])
        original: str = data["actor_id"]
        item["data"] = {"S": orjson.dumps({**data, "actor_id": actor_id}).decode()}
        self.client.put_item(TableName=self.table, Item=item)
        return original

    def remove(self, shard: int, seqs: Iterable[int]) -> None:
        for seq in seqs:
            self.client.delete_item(TableName=self.table, Key=_key(shard, seq))

    def named(self) -> list[tuple[int, int]]:
        links = [orjson.loads(i["data"]["S"]).get("links", []) for i in self._items()]
        return [(link["shard"], link["seq"]) for found in links for link in found]

    def assert_append_only(self) -> None:
        # No trigger here (an IAM policy denying the application UpdateItem and DeleteItem
        # on `AUDIT#` items is the equivalent): what the table guarantees is that carehub's
        # own writes of an entry never replace one, being conditional on its absence.
        shard = self.fullest()
        item = self.client.get_item(TableName=self.table, Key=_key(shard, 1))["Item"]
        with pytest.raises(self.client.exceptions.ConditionalCheckFailedException):
            self.client.put_item(
                TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(PK)"
            )

    def close(self) -> None:
        self.client.close()


@contextmanager
def stored_trail(server: ApiServer) -> Iterator[StoredTrail]:
    trail: SqlTrail | DynamoTrail = DynamoTrail(server) if server.on_dynamodb else SqlTrail(server)
    try:
        yield trail
    finally:
        trail.close()


def _key(shard: int, seq: int) -> dict[str, Any]:
    return {"PK": {"S": f"AUDIT#{shard}"}, "SK": {"S": f"SEQ#{seq:012d}"}}


def _position(item: dict[str, Any]) -> tuple[int, int]:
    shard = int(item["PK"]["S"].removeprefix("AUDIT#"))
    return shard, int(item["SK"]["S"].removeprefix("SEQ#"))


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str) else value
