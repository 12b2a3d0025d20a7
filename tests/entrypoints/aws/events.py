"""Lambda events as AWS documents them (the sample events of the Lambda developer guide),
with the parts a test chooses filled in."""

from __future__ import annotations

import base64
import json
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"
# What a client could put in `Host`: carehub must never build a link from it.
FORGED_HOST = "evil.example"


def api_gateway_v2(
    method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """An HTTP API request, payload format 2.0."""
    raw_body, encoded = _body(body)
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "cookies": [],
        "headers": _headers(headers, body),
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "api-id",
            "domainName": FORGED_HOST,
            "domainPrefix": "id",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "agent",
            },
            "requestId": "id",
            "routeKey": "$default",
            "stage": "$default",
            "time": "12/Mar/2020:19:03:58 +0000",
            "timeEpoch": 1583348638390,
        },
        "body": raw_body,
        "isBase64Encoded": encoded,
    }


def function_url(
    method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """A Function URL request (payload format 2.0, with the URL's own domain)."""
    event = api_gateway_v2(method, path, body=body, headers=headers)
    url_id = "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"
    event["requestContext"].update(
        {
            "apiId": url_id,
            "domainName": f"{url_id}.lambda-url.{REGION}.on.aws",
            "domainPrefix": url_id,
            "authorizer": {"iam": None},
        }
    )
    event["headers"]["host"] = f"{url_id}.lambda-url.{REGION}.on.aws"
    return event


def api_gateway_v1(
    method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """A REST API proxy request, payload format 1.0."""
    raw_body, encoded = _body(body)
    all_headers = _headers(headers, body)
    return {
        "version": "1.0",
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "id",
            "domainName": FORGED_HOST,
            "domainPrefix": "id",
            "extendedRequestId": "request-id",
            "httpMethod": method,
            "identity": {"sourceIp": "192.0.2.1", "userAgent": "user-agent"},
            "path": f"/prod{path}",
            "protocol": "HTTP/1.1",
            "requestId": "id=",
            "requestTime": "04/Mar/2020:19:15:17 +0000",
            "requestTimeEpoch": 1583349317135,
            "resourceId": None,
            "resourcePath": "/{proxy+}",
            "stage": "prod",
        },
        "body": raw_body,
        "isBase64Encoded": encoded,
    }


def sqs_batch(queue: str, bodies: list[tuple[str, str]]) -> dict[str, Any]:
    """An SQS batch from a FIFO queue: (message group, body) per record."""
    records = []
    for number, (group, body) in enumerate(bodies, start=1):
        records.append(
            {
                "messageId": f"059f36b4-87a3-44ab-83d2-{number:012d}",
                "receiptHandle": f"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a{number}",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1545082649183",
                    "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                    "ApproximateFirstReceiveTimestamp": "1545082649185",
                    "SequenceNumber": f"{18849496460467696128 + number}",
                    "MessageGroupId": group,
                    "MessageDeduplicationId": f"dedup-{number}",
                },
                "messageAttributes": {},
                "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}",
                "awsRegion": REGION,
            }
        )
    return {"Records": records}


def s3_object_created(bucket: str, key: str, size: int) -> dict[str, Any]:
    """S3's event for one object put (keys arrive URL-encoded)."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": "2019-09-03T19:37:27.192Z",
                "eventName": "ObjectCreated:Post",
                "userIdentity": {"principalId": "AWS:AIDAINPONIXQXHT3IKHL2"},
                "requestParameters": {"sourceIPAddress": "205.255.255.255"},
                "responseElements": {
                    "x-amz-request-id": "D82B88E5F771F645",
                    "x-amz-id-2": "vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0e",
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "uploads",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "A3I5XTEXAMAI3E"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": key,
                        "size": size,
                        "eTag": "b21b84d653bb07b05b1e6b33684dc11b",
                        "sequencer": "0C0F6F405D6ED209E1",
                    },
                },
            }
        ]
    }


def scheduled_event() -> dict[str, Any]:
    """An EventBridge scheduled event as a rule without an input sends it."""
    return {
        "version": "0",
        "account": ACCOUNT,
        "region": REGION,
        "detail": {},
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": "2019-03-01T01:23:45Z",
        "id": "cdc73f9d-aea9-11e3-9d5a-835b769c0d9c",
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/my-schedule"],
    }


def _headers(headers: dict[str, str] | None, body: Any) -> dict[str, str]:
    base = {
        "accept": "application/json",
        "host": FORGED_HOST,
        "user-agent": "curl/7.64.1",
        "x-forwarded-for": "192.0.2.1",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    if body is not None:
        base["content-type"] = "application/json"
    return {**base, **(headers or {})}


def _body(body: Any) -> tuple[str | None, bool]:
    if body is None:
        return None, False
    return base64.b64encode(json.dumps(body).encode()).decode(), True
