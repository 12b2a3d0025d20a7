"""deploy/aws/template.yaml deploys the carehub this repository builds: its handlers are
carehub's, its environment is carehub's settings, its queues, topics and subscriptions are
the broker's, each function may do what its adapters call and nothing more, and its table
is the one `carehub db upgrade` creates."""

from __future__ import annotations

import importlib
import json
from types import SimpleNamespace
from typing import Any

import pytest

from carehub.adapters.aws.permissions import (
    BROKER_CONSUME,
    BROKER_PUBLISH,
    DYNAMODB_STORE,
    S3_STORAGE,
    AdapterPermissions,
)
from carehub.adapters.blob.s3 import s3_object_store_from_url
from carehub.adapters.broker.sns_sqs_layout import (
    Layout,
    dead_letter_attributes,
    subscription_attributes,
)
from carehub.adapters.dynamodb.table import TTL_ATTRIBUTE, table_definition
from carehub.bootstrap.domains import consumers
from carehub.bootstrap.event_types import EVENT_TYPES
from carehub.config import Settings
from carehub.events.model import ConsumerSpec
from carehub.kernel.actor import Role
from tests.deploy.sam_template import (
    COUNTRIES,
    listed,
    resolve,
    resources,
    role_statements,
    sample_values,
)
from tests.support.services import TEST_SECRET_KEY

# What each handler's process calls, by adapter (src/carehub/adapters/aws/permissions.py).
HANDLERS: dict[str, tuple[AdapterPermissions, ...]] = {
    "carehub.entrypoints.aws.http.handler": (DYNAMODB_STORE, S3_STORAGE),
    "carehub.entrypoints.aws.queue.handler": (DYNAMODB_STORE, BROKER_CONSUME),
    "carehub.entrypoints.aws.stream.handler": (DYNAMODB_STORE, BROKER_PUBLISH),
    "carehub.entrypoints.aws.uploads.handler": (DYNAMODB_STORE, S3_STORAGE),
    # Upload expiry deletes the objects of uploads never completed.
    "carehub.entrypoints.aws.schedule.handler": (DYNAMODB_STORE, S3_STORAGE),
}
# The variants consumer reads originals and writes variants; the export one writes files.
CONSUMER_ADAPTERS = {"image-variants": (S3_STORAGE,), "fhir-export": (S3_STORAGE,)}
# What every function needs of the platform rather than of carehub's adapters: its logs,
# X-Ray, and the data key DynamoDB and S3 use on its behalf.
EVERY_FUNCTION = {
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:GenerateDataKey",
}
# What Lambda's pollers need of the execution role, by handler.
POLLERS = {
    "carehub.entrypoints.aws.queue.handler": {"sqs:GetQueueAttributes"},
    "carehub.entrypoints.aws.stream.handler": {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    },
}
FUNCTIONS = resources("AWS::Lambda::Function")


def environment(function: str) -> dict[str, Any]:
    variables: dict[str, Any] = FUNCTIONS[function]["Properties"]["Environment"]["Variables"]
    return variables


def consumer_of(function: str) -> str | None:
    return environment(function).get("CAREHUB_CONSUMER")


def layout() -> Layout:
    return Layout(resolve(environment("Api")["CAREHUB_BROKER_PREFIX"]))


def carehub_consumers() -> list[ConsumerSpec]:
    """The consumers carehub runs with the sample countries (the handlers are not run)."""
    booking = SimpleNamespace(appointments=None, waitlist=None, notifier=None)
    files, record = SimpleNamespace(variants=None), SimpleNamespace(task_notices=None)
    exports = SimpleNamespace()
    every = consumers(None, booking, COUNTRIES, files, record, exports)  # type: ignore[arg-type]
    return [consumer.spec for consumer in every]


def named(kind: str, name: str) -> str:
    """The logical id of the `kind` resource whose resolved name is `name`."""
    key = {"AWS::SQS::Queue": "QueueName", "AWS::SNS::Topic": "TopicName"}[kind]
    found = [i for i, r in resources(kind).items() if resolve(r["Properties"][key]) == name]
    assert len(found) == 1, f"one {kind} named {name}, found {found}"
    return found[0]


@pytest.mark.parametrize(
    "handler", sorted({f["Properties"]["Handler"] for f in FUNCTIONS.values()})
)
def test_every_handler_is_a_callable_of_carehub(handler: str) -> None:
    assert handler in HANDLERS
    module, _, name = handler.rpartition(".")
    assert callable(getattr(importlib.import_module(module), name))


def test_every_consumer_has_a_function_and_nothing_else_does() -> None:
    names = [consumer_of(f) for f in FUNCTIONS if consumer_of(f) is not None]
    assert sorted(names) == sorted(spec.name for spec in carehub_consumers())
    for function in FUNCTIONS:
        queue_handler = FUNCTIONS[function]["Properties"]["Handler"].endswith(".queue.handler")
        assert queue_handler == (consumer_of(function) is not None), function


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_environment_is_carehub_settings(function: str, monkeypatch: pytest.MonkeyPatch) -> None:
    variables = environment(function)
    fields = {f"CAREHUB_{name.upper()}" for name in Settings.model_fields}
    assert set(variables) <= fields
    assert resolve(variables["CAREHUB_SECRET_KEY"]).startswith("{{resolve:secretsmanager:")
    for name, value in variables.items():
        monkeypatch.setenv(name, str(resolve(value)))
    monkeypatch.setenv("CAREHUB_SECRET_KEY", TEST_SECRET_KEY)  # Secrets Manager's, in AWS
    settings = Settings()
    assert settings.outbox_relay == "stream"  # the relay function reads the stream
    s3_object_store_from_url(settings.storage_url)
    bucket = resolve(resources("AWS::S3::Bucket")["FilesBucket"]["Properties"]["BucketName"])
    assert settings.storage_url.startswith(f"s3://{bucket}/files?")
    assert settings.database_url == f"dynamodb://Table?region={sample_values()['AWS::Region']}"
    assert settings.event_visibility_timeout_seconds == int(
        sample_values()["QueueVisibilityTimeout"]
    )


def test_the_user_pool_groups_are_carehubs_roles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREHUB_OIDC_GROUP_ROLES", environment("Api")["CAREHUB_OIDC_GROUP_ROLES"])
    mapping = Settings().oidc_group_roles
    groups = [
        group["Properties"]
        for group in resources("AWS::Cognito::UserPoolGroup").values()
        if group["Properties"]["UserPoolId"] == {"Ref": "UserPool"}
    ]
    assert sorted(mapping) == sorted(group["GroupName"] for group in groups)
    people = {role.value for role in Role} - {Role.SYSTEM.value}  # system: operators only
    assert sorted(mapping.values()) == sorted(people)
    issuer = resolve(environment("Api")["CAREHUB_OIDC_ISSUER"])
    assert issuer == f"https://cognito-idp.{sample_values()['AWS::Region']}.amazonaws.com/UserPool"
    assert environment("Api")["CAREHUB_OIDC_AUDIENCE"] == {"Ref": "UserPoolClient"}


def test_topics_are_the_brokers() -> None:
    families = {event_type.split(".", 1)[0] for event_type in EVENT_TYPES}
    for family in families:
        topic = resources()[named("AWS::SNS::Topic", layout().topic(family))]
        assert topic["Properties"]["FifoTopic"] is True


@pytest.mark.parametrize("spec", carehub_consumers(), ids=lambda spec: spec.name)
def test_each_consumer_reads_the_brokers_queue(spec: ConsumerSpec) -> None:
    queue_id = named("AWS::SQS::Queue", layout().queue(spec.name))
    queue = resources()[queue_id]["Properties"]
    assert queue["FifoQueue"] is True
    # As the broker's declare() would set them: the settings' visibility, its default
    # redrive (sqs:// without max_receive_count: 10), its dead letters' retention.
    visibility = resolve(environment("Api")["CAREHUB_EVENT_VISIBILITY_TIMEOUT_SECONDS"])
    assert resolve(queue["VisibilityTimeout"]) == visibility
    redrive = queue["RedrivePolicy"]
    assert "max_receive_count" not in resolve(environment("Api")["CAREHUB_BROKER_URL"])
    assert redrive["maxReceiveCount"] == 10
    dead_letters = named("AWS::SQS::Queue", layout().dead_letter_queue(spec.name))
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": [dead_letters, "Arn"]}
    retention = resources()[dead_letters]["Properties"]["MessageRetentionPeriod"]
    assert str(retention) == dead_letter_attributes()["MessageRetentionPeriod"]
    mappings = [
        m["Properties"]
        for m in resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    ]
    assert len(mappings) == 1
    function = mappings[0]["FunctionName"]["Ref"]
    assert consumer_of(function) == spec.name
    assert mappings[0]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


@pytest.mark.parametrize("spec", carehub_consumers(), ids=lambda spec: spec.name)
def test_subscriptions_filter_as_the_broker_does(spec: ConsumerSpec) -> None:
    queue = {"Fn::GetAtt": [named("AWS::SQS::Queue", layout().queue(spec.name)), "Arn"]}
    found = {
        r["Properties"]["TopicArn"]["Ref"]: r["Properties"]
        for r in resources("AWS::SNS::Subscription").values()
        if r["Properties"].get("Endpoint") == queue
    }
    assert set(found) == {named("AWS::SNS::Topic", layout().topic(f)) for f in spec.families}
    for family in spec.families:
        subscription = found[named("AWS::SNS::Topic", layout().topic(family))]
        wanted = subscription_attributes(spec, family)
        assert subscription["Protocol"] == "sqs"
        assert str(subscription["RawMessageDelivery"]).lower() == wanted["RawMessageDelivery"]
        assert subscription["FilterPolicyScope"] == wanted["FilterPolicyScope"]
        policy = _sorted(resolve(subscription["FilterPolicy"]))
        assert policy == _sorted(json.loads(wanted["FilterPolicy"]))


def _sorted(value: Any) -> Any:
    """A filter policy with its lists in order (their order means nothing to SNS)."""
    if isinstance(value, dict):
        return {key: _sorted(item) for key, item in value.items()}
    if isinstance(value, list):
        return sorted((_sorted(item) for item in value), key=json.dumps)
    return value


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_each_function_may_do_what_its_adapters_call_and_no_more(function: str) -> None:
    properties = FUNCTIONS[function]["Properties"]
    handler = properties["Handler"]
    adapters = HANDLERS[handler] + CONSUMER_ADAPTERS.get(consumer_of(function) or "", ())
    needed = (
        set().union(*(a.actions for a in adapters)) | EVERY_FUNCTION | POLLERS.get(handler, set())
    )
    statements = role_statements(properties["Role"]["Fn::GetAtt"][0])
    granted = {action for s in statements for action in listed(s["Action"])}
    assert granted == needed
    for statement in statements:
        assert statement["Effect"] == "Allow" and "NotAction" not in statement
        assert not any("*" in action for action in listed(statement["Action"]))


STREAM_READS = POLLERS["carehub.entrypoints.aws.stream.handler"]


def expected_resource(function: str, actions: list[str]) -> Any:
    """What a statement of `function` granting `actions` (of one service) may name."""
    values = sample_values()
    region, account = values["AWS::Region"], values["AWS::AccountId"]
    service = actions[0].split(":")[0]
    if service == "logs":
        name = "/aws/lambda/" + resolve(FUNCTIONS[function]["Properties"]["FunctionName"])
        groups = resources("AWS::Logs::LogGroup").items()
        return [f"{i}.Arn" for i, g in groups if resolve(g["Properties"]["LogGroupName"]) == name]
    if service == "dynamodb" and set(actions) <= STREAM_READS:
        return "Table.StreamArn"
    if service == "sqs":
        return f"{named('AWS::SQS::Queue', layout().queue(consumer_of(function) or ''))}.Arn"
    bucket = resolve(resources("AWS::S3::Bucket")["FilesBucket"]["Properties"]["BucketName"])
    return {
        "xray": "*",  # X-Ray has no resource-level permissions: the one "*" AWS requires
        "kms": "DataKey.Arn",
        "dynamodb": ["Table.Arn", "Table.Arn/index/*"],
        "s3": f"arn:aws:s3:::{bucket}/files/*",
        "sns": f"arn:aws:sns:{region}:{account}:{layout().prefix}-events-*",
    }[service]


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_each_function_reaches_only_its_own_resources(function: str) -> None:
    role = FUNCTIONS[function]["Properties"]["Role"]["Fn::GetAtt"][0]
    for statement in role_statements(role):
        actions = listed(statement["Action"])
        assert len({action.split(":")[0] for action in actions}) == 1, "one service a statement"
        resource = resolve(statement["Resource"])
        wanted = expected_resource(function, actions)
        assert listed(resource) == listed(wanted), statement


def test_the_table_is_the_one_carehub_creates() -> None:
    table = resources("AWS::DynamoDB::Table")["Table"]["Properties"]
    wanted = table_definition("Table")
    assert table["KeySchema"] == wanted["KeySchema"]
    by_name = sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"])
    assert by_name == sorted(wanted["AttributeDefinitions"], key=lambda a: a["AttributeName"])
    assert table["GlobalSecondaryIndexes"] == wanted["GlobalSecondaryIndexes"]
    assert table["BillingMode"] == wanted["BillingMode"]
    stream = wanted["StreamSpecification"]
    assert stream["StreamEnabled"] is True
    assert table["StreamSpecification"] == {"StreamViewType": stream["StreamViewType"]}
    assert table["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": {"Ref": "DataKey"},
    }
