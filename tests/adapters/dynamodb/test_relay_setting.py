"""`CAREHUB_OUTBOX_RELAY` chooses the relay a process runs: the poller, a reader of the
table's stream (with a local emulator), or none (in AWS, where a Lambda reads the stream)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from carehub.adapters.broker.memory import MemoryBroker
from carehub.adapters.dynamodb.url import parse_dynamodb_url
from carehub.analytics.model import Metric
from carehub.bootstrap import (
    Carehub,
    build,
    connect_dynamodb,
    dynamodb_event_stores,
    dynamodb_outbox_stream,
    dynamodb_units_of_work,
    event_backbone,
    secret_box,
)
from carehub.config import Settings
from carehub.entrypoints.background import Background
from carehub.kernel.actor import Actor
from carehub.kernel.clock import SystemClock
from carehub.kernel.ids import new_id
from tests.support.dynamodb import new_table
from tests.support.moto import aws_client
from tests.support.services import fresh_sqlite
from tests.support.waiting import until

SETTINGS_ONLY = "dynamodb://carehub?region=eu-west-1"  # nothing is called on it


def table_settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(database_url=SETTINGS_ONLY, data_dir=tmp_path, **values)  # type: ignore[arg-type]


@pytest.fixture
async def streaming(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> AsyncIterator[Carehub]:
    """carehub on a fresh table of the moto server, relaying from the table's stream."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto accepts any credentials
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    url = new_table(moto_endpoint)
    settings = Settings(
        database_url=url, aws_endpoint_url=moto_endpoint, data_dir=tmp_path, outbox_relay="stream"
    )
    carehub = await build(settings)
    try:
        yield carehub
    finally:
        await carehub.close()
        table = parse_dynamodb_url(url).table
        aws_client("dynamodb", moto_endpoint).delete_table(TableName=table)


@pytest.mark.aws
async def test_with_a_local_emulator_carehub_relays_what_the_stream_reports(
    streaming: Carehub, moto_endpoint: str
) -> None:
    # An event only the stream can report: no GSI1 keys, so the poller never lists it.
    event_id, patient_id = new_id(), new_id()
    item = {
        "PK": f"OUTBOX#{patient_id}",
        "SK": f"EVENT#{event_id}",
        "kind": "outbox-event",
        "event_id": event_id,
        "event_type": "patients.patient_registered.v1",
        "aggregate_id": patient_id,
        "actor_id": "test",
        "occurred_at": streaming.clock.now().isoformat(),
        "payload": json.dumps({"patientId": patient_id, "countryId": "PE"}),
    }
    table = parse_dynamodb_url(streaming.settings.resolved_database_url).table
    aws_client("dynamodb", moto_endpoint).put_item(
        TableName=table, Item={name: {"S": value} for name, value in item.items()}
    )
    background = Background(streaming, consumers=True)
    background.start()
    today = streaming.clock.now().date()

    async def counted() -> bool:
        days = await streaming.analytics.daily(
            actor=Actor.system("test"),
            metric=Metric.PATIENTS_REGISTERED,
            first=today,
            last=today,
            where={"countryId": "PE"},
        )
        return sum(count for _, count in days.days) == 1

    try:
        await until(counted, within=30)
        assert background.stopped_loops() == []
    finally:
        await background.stop(grace_seconds=5)


async def test_polling_is_the_default(sqlite_template: Path, tmp_path: Path) -> None:
    url = fresh_sqlite(sqlite_template, tmp_path)
    carehub = await build(Settings(database_url=url, data_dir=tmp_path))
    try:
        assert carehub.events.relay_loop == carehub.events.relay.run
        assert carehub.events.stream_relay is None  # SQL has no change stream
    finally:
        await carehub.close()


async def test_in_aws_no_process_relays_and_a_lambda_has_the_stream_relay(tmp_path: Path) -> None:
    settings = table_settings(tmp_path, outbox_relay="stream")
    clock = SystemClock()
    table = connect_dynamodb(settings)  # makes its client on first use: never here
    events = await event_backbone(
        settings,
        dynamodb_event_stores(table, clock, settings),
        clock,
        broker=MemoryBroker(),
        units_of_work=dynamodb_units_of_work(table, clock, secrets=secret_box(settings)),
        every_consumer=[],
        stream=dynamodb_outbox_stream(table, clock, settings),
    )
    assert events.relay_loop is None
    assert events.stream_relay is not None


async def test_the_stream_needs_a_table(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs a dynamodb:// database"):
        await build(Settings(data_dir=tmp_path, outbox_relay="stream"))
