"""The template's data resources, made on the moto server from the template alone, are
what carehub expects: its table, and a booking event for Chile published to the scheduling
topic reaches the Chilean booking queue and no other country's."""

from __future__ import annotations

import json
import uuid

import pytest

from carehub.adapters.dynamodb.table import table_definition
from tests.deploy.stack_on_moto import Stack, create_stack

pytestmark = pytest.mark.aws


@pytest.fixture(scope="module")
def stack(moto_endpoint: str) -> Stack:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto accepts any credentials
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        made = create_stack(moto_endpoint, f"stack{uuid.uuid4().hex[:8]}")
    return made


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def test_the_table_is_carehubs(stack: Stack) -> None:
    name = stack.refs["Table"]
    described = stack.client("dynamodb").describe_table(TableName=name)["Table"]
    expected = table_definition(name)
    assert described["KeySchema"] == expected["KeySchema"]
    indexes = {index["IndexName"]: index for index in described["GlobalSecondaryIndexes"]}
    for index in expected["GlobalSecondaryIndexes"]:
        assert indexes[index["IndexName"]]["KeySchema"] == index["KeySchema"]
    assert described["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"


def test_a_booking_event_reaches_its_countrys_queue_only(stack: Stack) -> None:
    scheduling = stack.refs["EventsTopicscheduling"]
    stack.client("sns").publish(
        TopicArn=scheduling,
        Message=json.dumps({"type": "scheduling.appointment_status_changed.v1"}),
        MessageGroupId="appointment-1",
        MessageDeduplicationId="event-1",
        MessageAttributes={
            "event_type": {
                "DataType": "String",
                "StringValue": "scheduling.appointment_status_changed.v1",
            },
            "country_id": {"DataType": "String", "StringValue": "CL"},
        },
    )
    sqs = stack.client("sqs")

    def waiting(queue: str) -> int:
        attributes = sqs.get_queue_attributes(
            QueueUrl=stack.refs[queue], AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    assert waiting("BookingsQueueCL") == 1
    assert (waiting("BookingsQueuePE"), waiting("Queuebookings")) == (0, 0)
    redrive = sqs.get_queue_attributes(
        QueueUrl=stack.refs["BookingsQueueCL"], AttributeNames=["RedrivePolicy"]
    )["Attributes"]["RedrivePolicy"]
    assert (
        json.loads(redrive)["deadLetterTargetArn"]
        == (stack.attributes["BookingsDeadLetterQueueCL"]["Arn"])
    )
