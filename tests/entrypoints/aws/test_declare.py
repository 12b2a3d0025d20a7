"""Functions that do not declare the broker at start (CAREHUB_BROKER_DECLARE=false): the
queues come from `carehub events declare`, run once, and the functions use them."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from carehub.entrypoints.aws import http
from carehub.entrypoints.cli.main import app
from tests.entrypoints.aws.conftest import LambdaWorld
from tests.entrypoints.aws.events import api_gateway_v2
from tests.support.moto import aws_client

pytestmark = pytest.mark.aws


def queues(world: LambdaWorld) -> list[str]:
    found = aws_client("sqs", world.endpoint).list_queues(QueueNamePrefix=world.prefix)
    return [url.rsplit("/", 1)[-1] for url in found.get("QueueUrls", [])]


def test_a_function_without_declaring_creates_no_queue_and_the_cli_declares_them(
    lambda_world: LambdaWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAREHUB_BROKER_DECLARE", "false")
    assert http.handler(api_gateway_v2("GET", "/health/ready"), None)["statusCode"] == 200
    assert queues(lambda_world) == []

    declared = CliRunner().invoke(app, ["events", "declare"])
    assert declared.exit_code == 0, declared.output
    assert f"{lambda_world.prefix}-analytics.fifo" in queues(lambda_world)
    assert f"{lambda_world.prefix}-analytics-dlq.fifo" in queues(lambda_world)
