"""Messages taken off a consumer's real queue (published through the broker) and handed to
the queue function as Lambda's SQS event source hands them over."""

from __future__ import annotations

from typing import Any

from tests.entrypoints.aws.conftest import LambdaWorld
from tests.support.moto import aws_client


def queue_url(world: LambdaWorld, consumer: str) -> str:
    sqs = aws_client("sqs", world.endpoint)
    return str(sqs.get_queue_url(QueueName=f"{world.prefix}-{consumer}.fifo")["QueueUrl"])


def send_raw(world: LambdaWorld, consumer: str, body: str, group: str) -> None:
    """A message nobody published as an event (a poison message)."""
    aws_client("sqs", world.endpoint).send_message(
        QueueUrl=queue_url(world, consumer),
        MessageBody=body,
        MessageGroupId=group,
        MessageDeduplicationId=f"raw-{group}-{len(body)}",
    )


def received_batch(world: LambdaWorld, consumer: str, expected: int) -> dict[str, Any]:
    """Up to `expected` messages of the queue, in Lambda's SQS event shape."""
    sqs = aws_client("sqs", world.endpoint)
    url = queue_url(world, consumer)
    messages: list[dict[str, Any]] = []
    for _ in range(10):
        reply = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            MessageSystemAttributeNames=["All"],
        )
        messages += reply.get("Messages", [])
        if len(messages) >= expected:
            break
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": arn["QueueArn"],
                "awsRegion": "us-east-1",
            }
            for message in messages
        ]
    }
