"""The IAM actions each AWS-facing adapter needs, from the boto3 calls it makes.

A deployment grants a process the actions of the adapters it runs, and no others
(deploy/aws/template.yaml; tests/deploy checks it). A test reads each module's boto3
calls and fails when one is missing here, or listed here and no longer made.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AdapterPermissions:
    """One adapter's calls: the modules making them, for each boto3 method (on a client
    of `services`) the IAM action it needs, and the actions AWS checks besides (`implied`:
    those an action authorises per item, with no method of their own)."""

    name: str
    modules: tuple[str, ...]
    services: tuple[str, ...]
    calls: dict[str, str] = field(hash=False)
    implied: frozenset[str] = frozenset()

    @property
    def actions(self) -> frozenset[str]:
        return frozenset(self.calls.values()) | self.implied


_DYNAMODB = "carehub.adapters.dynamodb"

DYNAMODB_STORE = AdapterPermissions(
    "DynamoDB store",
    modules=(
        f"{_DYNAMODB}.table_client",
        f"{_DYNAMODB}.dead_letters",
        f"{_DYNAMODB}.idempotency",
        f"{_DYNAMODB}.outbox",
        f"{_DYNAMODB}.webhooks",
    ),
    services=("dynamodb",),
    calls={
        "get_item": "dynamodb:GetItem",
        "batch_get_item": "dynamodb:BatchGetItem",
        "query": "dynamodb:Query",
        "put_item": "dynamodb:PutItem",
        "update_item": "dynamodb:UpdateItem",
        "delete_item": "dynamodb:DeleteItem",
        "batch_write_item": "dynamodb:BatchWriteItem",
        "transact_write_items": "dynamodb:TransactWriteItems",
        "describe_table": "dynamodb:DescribeTable",  # the readiness check
    },
    # Each item of a transaction is authorised as its own action too: a unit of work puts,
    # updates, deletes (listed above) and checks conditions on items it leaves alone.
    implied=frozenset({"dynamodb:ConditionCheckItem"}),
)

# `carehub db upgrade` only: in AWS the template creates the table.
DYNAMODB_SCHEMA = AdapterPermissions(
    "DynamoDB table setup",
    modules=(f"{_DYNAMODB}.table",),
    services=("dynamodb",),
    calls={
        "describe_table": "dynamodb:DescribeTable",
        "create_table": "dynamodb:CreateTable",
        "update_table": "dynamodb:UpdateTable",
        "describe_time_to_live": "dynamodb:DescribeTimeToLive",
        "update_time_to_live": "dynamodb:UpdateTimeToLive",
    },
)

# Maintenance commands only (`carehub timeline rebuild` of every patient, `carehub search
# reindex`): no function of the template is granted a Scan.
DYNAMODB_MAINTENANCE = AdapterPermissions(
    "DynamoDB maintenance scans",
    modules=(f"{_DYNAMODB}.maintenance",),
    services=("dynamodb",),
    calls={"scan": "dynamodb:Scan"},
)

# The stream reader of carehub's own processes (beside a local emulator); in AWS, Lambda
# reads the stream for the relay function.
DYNAMODB_STREAM_READER = AdapterPermissions(
    "DynamoDB stream reader",
    modules=(f"{_DYNAMODB}.stream_reader",),
    services=("dynamodb", "dynamodbstreams"),
    calls={
        "describe_table": "dynamodb:DescribeTable",
        "describe_stream": "dynamodb:DescribeStream",
        "get_shard_iterator": "dynamodb:GetShardIterator",
        "get_records": "dynamodb:GetRecords",
    },
)

S3_STORAGE = AdapterPermissions(
    "S3 storage",
    modules=("carehub.adapters.blob.s3",),
    services=("s3",),
    calls={
        # A presigned form or URL carries the signer's authority: it needs the action
        # the browser then performs.
        "generate_presigned_post": "s3:PutObject",
        "generate_presigned_url": "s3:GetObject",
        "put_object": "s3:PutObject",
        "get_object": "s3:GetObject",
        "head_object": "s3:GetObject",
        "delete_objects": "s3:DeleteObject",
    },
)

# Object-created notifications through an SQS queue (self-hosted); in AWS the bucket
# notifies the uploads function itself.
S3_EVENTS = AdapterPermissions(
    "S3 notifications queue",
    modules=("carehub.adapters.blob.s3_events",),
    services=("sqs",),
    calls={
        "receive_message": "sqs:ReceiveMessage",
        "delete_message": "sqs:DeleteMessage",
        "get_queue_url": "sqs:GetQueueUrl",
    },
)

_BROKER = ("carehub.adapters.broker.sns_sqs",)

BROKER_PUBLISH = AdapterPermissions(
    "SNS/SQS broker, publishing",
    modules=_BROKER,
    services=("sns",),
    calls={
        # A family's topic ARN is asked of CreateTopic, which changes nothing when it exists.
        "create_topic": "sns:CreateTopic",
        "publish_batch": "sns:Publish",
    },
)

BROKER_CONSUME = AdapterPermissions(
    "SNS/SQS broker, consuming",
    modules=_BROKER,
    services=("sqs",),
    calls={
        "receive_message": "sqs:ReceiveMessage",
        "delete_message": "sqs:DeleteMessage",
        "change_message_visibility": "sqs:ChangeMessageVisibility",
        "get_queue_url": "sqs:GetQueueUrl",
    },
)

# `declare`: creating the topics, queues and subscriptions. In AWS the template does.
BROKER_DECLARE = AdapterPermissions(
    "SNS/SQS broker, declaring",
    modules=_BROKER,
    services=("sns", "sqs"),
    calls={
        "create_topic": "sns:CreateTopic",
        "list_subscriptions_by_topic": "sns:ListSubscriptionsByTopic",
        "get_subscription_attributes": "sns:GetSubscriptionAttributes",
        "set_subscription_attributes": "sns:SetSubscriptionAttributes",
        "subscribe": "sns:Subscribe",
        "create_queue": "sqs:CreateQueue",
        "get_queue_attributes": "sqs:GetQueueAttributes",
        "set_queue_attributes": "sqs:SetQueueAttributes",
    },
)

CLOUDFRONT_INVALIDATION = AdapterPermissions(
    "CloudFront invalidation",
    modules=("carehub.adapters.cdn.cloudfront",),
    services=("cloudfront",),
    calls={"create_invalidation": "cloudfront:CreateInvalidation"},
)

SNS_TEXT_MESSAGES = AdapterPermissions(
    "SNS text messages",
    modules=("carehub.adapters.sms.sns",),
    services=("sns",),
    calls={"publish": "sns:Publish"},
)

ADAPTERS = (
    DYNAMODB_STORE,
    DYNAMODB_SCHEMA,
    DYNAMODB_MAINTENANCE,
    DYNAMODB_STREAM_READER,
    S3_STORAGE,
    S3_EVENTS,
    BROKER_PUBLISH,
    BROKER_CONSUME,
    BROKER_DECLARE,
    CLOUDFRONT_INVALIDATION,
    SNS_TEXT_MESSAGES,
)
