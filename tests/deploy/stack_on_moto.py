"""deploy/aws/template.yaml's data resources made on a moto server, from the translated
template itself (no second, hand-kept list): the KMS key, the table, the topics, the queues
with their dead-letter queues, the subscriptions with their filters, and the bucket.

What moto cannot run (functions, roles, alarms, the user pool, the HTTP API) is left out;
the functions' handlers, environments and event sources are read from the same template by
whoever drives them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from tests.deploy.sam_template import REGION, resources, sample_values, translated

_SUB = re.compile(r"\$\{([A-Za-z0-9:._-]+)\}")


class NotMade(LookupError):
    """A value names a resource moto does not hold (a function, the user pool...)."""


@dataclass
class Stack:
    """What was made: each resource's `Ref` and attributes, by logical id."""

    endpoint: str
    parameters: dict[str, Any] = field(default_factory=dict)  # over the sample values
    refs: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        """`value` with its intrinsic functions worked out against this stack."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1 or not next(iter(value)).startswith(("Ref", "Fn::")):
            return {key: self.resolve(item) for key, item in value.items()}
        ((function, argument),) = value.items()
        if function == "Ref":
            return self._ref(argument)
        if function == "Fn::GetAtt":
            logical, attribute = argument
            if logical not in self.attributes:
                raise NotMade(logical)
            return self.attributes[logical][attribute]
        if function == "Fn::If":
            condition, when_true, when_false = argument
            holds = self._holds(translated()["Conditions"][condition])
            return self.resolve(when_true if holds else when_false)
        if function == "Fn::Join":
            separator, items = argument
            return separator.join(str(item) for item in self.resolve(items))
        if function == "Fn::Sub":
            text, names = (argument, {}) if isinstance(argument, str) else argument
            return _SUB.sub(lambda m: str(self._named(m.group(1), names)), text)
        raise ValueError(f"{function} is not worked out here")

    def _ref(self, name: str) -> Any:
        if name in self.refs:
            return self.refs[name]
        if name == "AWS::NoValue":
            return None
        values = {**sample_values(), **self.parameters}
        if name in values:
            return values[name]
        raise NotMade(name)

    def _holds(self, condition: dict[str, Any]) -> bool:
        ((function, argument),) = condition.items()
        if function == "Fn::Not":
            return not self._holds(argument[0])
        if function == "Fn::Equals":
            left, right = (self.resolve(side) for side in argument)
            return bool(left == right)
        raise ValueError(f"{function} is not worked out here")

    def queue_url(self, arn: str) -> str:
        """The URL of the queue with this ARN."""
        for logical, attributes in self.attributes.items():
            if attributes.get("Arn") == arn:
                return str(self.refs[logical])
        raise NotMade(arn)

    def _named(self, name: str, names: dict[str, Any]) -> Any:
        if name in names:
            return self.resolve(names[name])
        if "." in name and not name.startswith("AWS::"):
            return self.resolve({"Fn::GetAtt": name.split(".", 1)})
        return self.resolve({"Ref": name})

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint)


def create_stack(endpoint: str, stage: str) -> Stack:
    """Make the template's data resources for `stage` (its resources' names: one moto
    server holds several) on the moto server at `endpoint`, each after those it names."""
    stack = Stack(endpoint, {"Stage": stage, "SecretKeyName": f"carehub/{stage}/secret-key"})
    for kind, make in _MAKERS:
        # Dead-letter queues before the queues whose redrive policy names them.
        found = sorted(resources(kind).items(), key=lambda item: "RedrivePolicy" in str(item))
        for logical, resource in found:
            properties = resource.get("Properties", {})
            # Only what moto can hold is worked out: a bucket's notification names a function.
            wanted = {name: stack.resolve(properties[name]) for name in _USED[kind] & {*properties}}
            make(stack, logical, wanted)
    return stack


def _key(stack: Stack, logical: str, properties: dict[str, Any]) -> None:
    key = stack.client("kms").create_key(Description=properties["Description"])["KeyMetadata"]
    stack.refs[logical] = key["KeyId"]
    stack.attributes[logical] = {"Arn": key["Arn"], "KeyId": key["KeyId"]}


def _table(stack: Stack, logical: str, properties: dict[str, Any]) -> None:
    dynamodb = stack.client("dynamodb")
    name = properties.get("TableName", f"carehub-{stack.parameters['Stage']}")
    stream = properties["StreamSpecification"]["StreamViewType"]
    created = dynamodb.create_table(
        TableName=name,
        BillingMode=properties["BillingMode"],
        KeySchema=properties["KeySchema"],
        AttributeDefinitions=properties["AttributeDefinitions"],
        GlobalSecondaryIndexes=properties["GlobalSecondaryIndexes"],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": stream},
        SSESpecification=_table_encryption(properties["SSESpecification"]),
    )["TableDescription"]
    ttl = properties["TimeToLiveSpecification"]
    dynamodb.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": ttl["Enabled"], "AttributeName": ttl["AttributeName"]},
    )
    stack.refs[logical] = name
    stack.attributes[logical] = {
        "Arn": created["TableArn"],
        "StreamArn": created["LatestStreamArn"],
    }


def _table_encryption(spec: dict[str, Any]) -> dict[str, Any]:
    encryption = {"Enabled": spec["SSEEnabled"], "SSEType": spec.get("SSEType", "KMS")}
    if "KMSMasterKeyId" in spec:
        encryption["KMSMasterKeyId"] = spec["KMSMasterKeyId"]
    return encryption


def _topic(stack: Stack, logical: str, properties: dict[str, Any]) -> None:
    attributes = {"FifoTopic": "true"} if properties.get("FifoTopic") else {}
    arn = stack.client("sns").create_topic(Name=properties["TopicName"], Attributes=attributes)
    stack.refs[logical] = arn["TopicArn"]
    stack.attributes[logical] = {"TopicArn": arn["TopicArn"]}


def _queue(stack: Stack, logical: str, properties: dict[str, Any]) -> None:
    sqs = stack.client("sqs")
    attributes = {
        name: json.dumps(value)
        if isinstance(value, dict)
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
        for name, value in properties.items()
        if name != "QueueName"
    }
    url = sqs.create_queue(QueueName=properties["QueueName"], Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    stack.refs[logical] = url
    stack.attributes[logical] = {"Arn": arn["QueueArn"], "QueueName": properties["QueueName"]}


def _subscription(stack: Stack, logical: str, properties: dict[str, Any]) -> None:
    if properties["Protocol"] != "sqs":
        return  # the alarms' mail: nobody reads it here
    attributes = {
        "RawMessageDelivery": str(properties.get("RawMessageDelivery", False)).lower(),
        "FilterPolicyScope": properties.get("FilterPolicyScope", "MessageAttributes"),
        "FilterPolicy": json.dumps(properties["FilterPolicy"]),
    }
    arn = stack.client("sns").subscribe(
        TopicArn=properties["TopicArn"],
        Protocol="sqs",
        Endpoint=properties["Endpoint"],
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    stack.refs[logical] = arn


def _bucket(stack: Stack, logical: str, properties: dict[str, Any]) -> None:
    s3 = stack.client("s3")
    name = properties["BucketName"]
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(
        Bucket=name,
        VersioningConfiguration={"Status": properties["VersioningConfiguration"]["Status"]},
    )
    rules = [
        {
            "AllowedMethods": rule["AllowedMethods"],
            "AllowedOrigins": rule["AllowedOrigins"],
            "AllowedHeaders": rule.get("AllowedHeaders", []),
            "ExposeHeaders": rule.get("ExposedHeaders", []),
            "MaxAgeSeconds": rule.get("MaxAge", 0),
        }
        for rule in properties["CorsConfiguration"]["CorsRules"]
    ]
    s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
    stack.refs[logical] = name
    stack.attributes[logical] = {"Arn": f"arn:aws:s3:::{name}", "DomainName": name}


# The properties each kind is made from.
_USED: dict[str, set[str]] = {
    "AWS::KMS::Key": {"Description"},
    "AWS::DynamoDB::Table": {
        "TableName",
        "BillingMode",
        "KeySchema",
        "AttributeDefinitions",
        "GlobalSecondaryIndexes",
        "StreamSpecification",
        "SSESpecification",
        "TimeToLiveSpecification",
    },
    "AWS::SNS::Topic": {"TopicName", "FifoTopic"},
    "AWS::SQS::Queue": {
        "QueueName",
        "FifoQueue",
        "VisibilityTimeout",
        "MessageRetentionPeriod",
        "RedrivePolicy",
    },
    "AWS::SNS::Subscription": {
        "TopicArn",
        "Protocol",
        "Endpoint",
        "RawMessageDelivery",
        "FilterPolicyScope",
        "FilterPolicy",
    },
    "AWS::S3::Bucket": {"BucketName", "VersioningConfiguration", "CorsConfiguration"},
}
# In the order they are made: a resource only names those made before it.
_MAKERS: list[tuple[str, Callable[[Stack, str, dict[str, Any]], None]]] = [
    ("AWS::KMS::Key", _key),
    ("AWS::DynamoDB::Table", _table),
    ("AWS::SNS::Topic", _topic),
    ("AWS::SQS::Queue", _queue),
    ("AWS::SNS::Subscription", _subscription),
    ("AWS::S3::Bucket", _bucket),
]
