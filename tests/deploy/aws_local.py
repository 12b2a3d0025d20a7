"""deploy/aws/template.yaml run on a moto server: its data resources made from the template
(`stack_on_moto`), each of its functions in a container process of its own
(`lambda_container`) with the environment the template gives it, and its event sources
played as Lambda plays them: the SQS queues' event source mappings, the table's stream,
the bucket's object-created notifications and the EventBridge rules.

What moto does not run is named where it is left out: the user pool (the functions run
without `CAREHUB_OIDC_*`, signing in with carehub's own accounts) and the HTTP API (requests
reach the API function as the API Gateway events it would send)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.deploy.sam_template import REGION, resources, translated
from tests.deploy.stack_on_moto import NotMade, Stack, create_stack
from tests.entrypoints.aws.events import api_gateway_v2, s3_object_created

ROOT = Path(__file__).parents[2]
_SECRET = "{{resolve:secretsmanager:"


class FunctionError(RuntimeError):
    """A handler raised (Lambda's function error)."""


@dataclass
class Container:
    """One function's container process."""

    name: str
    process: subprocess.Popen[str]

    def invoke(self, event: dict[str, Any]) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(event) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise FunctionError(f"{self.name}'s container ended")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise FunctionError(f"{self.name} raised {answer['error']}")
        return answer["result"]

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@dataclass
class Deployment:
    """The template's functions and event sources over a stack on moto."""

    stack: Stack
    folder: Path
    secrets: dict[str, str]
    containers: dict[str, Container] = field(default_factory=dict)
    stream_positions: dict[str, str] = field(default_factory=dict)

    # ---------------------------------------------------------------- functions
    def environment(self, function: str) -> dict[str, str]:
        """The function's variables as the template sets them, resolved against the
        stack; a variable naming a resource moto does not hold is left out."""
        variables = resources("AWS::Lambda::Function")[function]["Properties"]["Environment"]
        found: dict[str, str] = {}
        for name, value in variables["Variables"].items():
            try:
                resolved = self.stack.resolve(value)
            except NotMade:
                continue
            if resolved is None:  # AWS::NoValue
                continue
            found[name] = self._secret(str(resolved))
        found["CAREHUB_DATA_DIR"] = str(self.folder / function)  # the container's /tmp
        return found

    def _secret(self, value: str) -> str:
        """A `{{resolve:secretsmanager:NAME}}` reference replaced by the secret, as
        CloudFormation does when it deploys."""
        if not value.startswith(_SECRET):
            return value
        return self.secrets[value.removeprefix(_SECRET).removesuffix("}}")]

    def container(self, function: str) -> Container:
        if function not in self.containers:
            handler = resources("AWS::Lambda::Function")[function]["Properties"]["Handler"]
            environment = {
                **{k: v for k, v in os.environ.items() if not k.startswith("CAREHUB_")},
                **self.environment(function),
                "CAREHUB_AWS_ENDPOINT_URL": self.stack.endpoint,
                "AWS_ACCESS_KEY_ID": "testing",  # moto accepts any credentials
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_LAMBDA_FUNCTION_NAME": function,
            }
            log = (self.folder / f"{function}.log").open("a")
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.deploy.lambda_container", handler],
                cwd=ROOT,
                env=environment,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
            self.containers[function] = Container(function, process)
        return self.containers[function]

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        return self.container(function).invoke(event)

    # ---------------------------------------------------------------- the HTTP API
    def request(
        self, method: str, target: str, *, body: Any = None, token: str | None = None
    ) -> tuple[int, Any]:
        """One request to the API function, as the HTTP API sends it; its status and body."""
        path, _, query = target.partition("?")
        headers = {"authorization": f"Bearer {token}"} if token else {}
        event = api_gateway_v2(method, path, body=body, headers=headers)
        event["rawQueryString"] = query
        answer = self.invoke("Api", event)
        text = answer.get("body") or ""
        if answer.get("isBase64Encoded"):
            text = base64.b64decode(text).decode()
        return int(answer["statusCode"]), json.loads(text) if text else None

    # ---------------------------------------------------------------- event sources
    def settle(self, rounds: int = 20) -> None:
        """Play the stream and the queues until nothing is left to deliver."""
        for _ in range(rounds):
            moved = self._play_stream() + self._play_queues()
            if not moved:
                return
        raise AssertionError(f"events still moving after {rounds} rounds")

    def _play_stream(self) -> int:
        played = 0
        for mapping in resources("AWS::Lambda::EventSourceMapping").values():
            properties = mapping["Properties"]
            source = self.stack.resolve(properties["EventSourceArn"])
            if ":dynamodb:" not in source:
                continue
            records = self._stream_records(source)
            if records:
                function = properties["FunctionName"]["Ref"]
                answer = self.invoke(function, {"Records": records})
                assert not answer.get("batchItemFailures"), answer
                played += len(records)
        return played

    def _stream_records(self, arn: str) -> list[dict[str, Any]]:
        streams = self.stack.client("dynamodbstreams")
        records: list[dict[str, Any]] = []
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            shard_id = shard["ShardId"]
            after = self.stream_positions.get(shard_id)
            where = (
                {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
                if after
                else {"ShardIteratorType": "TRIM_HORIZON"}
            )
            iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, **where)
            found = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
            if found:
                self.stream_positions[shard_id] = found[-1]["dynamodb"]["SequenceNumber"]
            records += [_stream_record(record, arn) for record in found]
        return records

    def _play_queues(self) -> int:
        played = 0
        sqs = self.stack.client("sqs")
        for mapping in resources("AWS::Lambda::EventSourceMapping").values():
            properties = mapping["Properties"]
            source = self.stack.resolve(properties["EventSourceArn"])
            if ":sqs:" not in source:
                continue
            url = self.stack.queue_url(source)
            received = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=properties.get("BatchSize", 10),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not received:
                continue
            function = properties["FunctionName"]["Ref"]
            answer = self.invoke(function, {"Records": [_sqs_record(m, source) for m in received]})
            failed = {item["itemIdentifier"] for item in answer.get("batchItemFailures", [])}
            for message in received:
                if message["MessageId"] not in failed:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            played += len(received)
        return played

    def object_created(self, key: str) -> None:
        """The bucket's notification for a new object, sent where the template points it."""
        bucket = resources("AWS::S3::Bucket")["FilesBucket"]["Properties"]
        bucket_name = self.stack.refs["FilesBucket"]
        size = self.stack.client("s3").head_object(Bucket=bucket_name, Key=key)["ContentLength"]
        for target in bucket["NotificationConfiguration"]["LambdaConfigurations"]:
            rules = target.get("Filter", {}).get("S3Key", {}).get("Rules", [])
            prefixes = [rule["Value"] for rule in rules if rule["Name"] == "prefix"]
            if all(key.startswith(prefix) for prefix in prefixes):
                function = target["Function"]["Fn::GetAtt"][0]
                self.invoke(function, s3_object_created(bucket_name, key, size))

    def scheduled(self, rule: str) -> None:
        """What an EventBridge rule of the template sends its target."""
        for target in resources("AWS::Events::Rule")[rule]["Properties"]["Targets"]:
            self.invoke(target["Arn"]["Fn::GetAtt"][0], json.loads(target["Input"]))

    def stop(self) -> None:
        for container in self.containers.values():
            container.stop()


def _stream_record(record: dict[str, Any], arn: str) -> dict[str, Any]:
    """A stream record as the event source mapping hands it (times in epoch seconds)."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if created is not None:
        change["ApproximateCreationDateTime"] = int(created.timestamp())
    return {**record, "dynamodb": change, "eventSourceARN": arn}


def _sqs_record(message: dict[str, Any], source: str) -> dict[str, Any]:
    """A received message as the SQS event source mapping hands it to the function."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "dataType": value["DataType"],
                "stringListValues": [],
                "binaryListValues": [],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": source,
        "awsRegion": REGION,
    }


@contextmanager
def deployed(endpoint: str, folder: Path, stage: str = "local") -> Iterator[Deployment]:
    """The template deployed on the moto server at `endpoint`: its secret made as the
    README's first step makes it, its resources, and its functions' containers."""
    assert translated()["Resources"], "the template translates"
    stack = create_stack(endpoint, stage)
    secret_name = stack.resolve({"Ref": "SecretKeyName"})
    secret = base64.b64encode(os.urandom(32)).decode()  # `openssl rand -base64 32`
    stack.client("secretsmanager").create_secret(Name=secret_name, SecretString=secret)
    deployment = Deployment(stack, folder, {secret_name: secret})
    try:
        yield deployment
    finally:
        deployment.stop()
