"""boto3's errors as carehub failures: the AWS error code or the kind of failure, and
nothing of AWS's message, which may quote keys, phone numbers or request details."""

from __future__ import annotations

from typing import TypeVar

from botocore.exceptions import BotoCoreError, ClientError


class AwsFailure(Exception):
    """An AWS service could not be reached, or refused the request."""

    def __init__(self, reason: str, *, aws_code: str | None = None) -> None:
        super().__init__(reason)
        # The AWS error code (e.g. "AccessDenied"); None when there was no reply from AWS.
        self.aws_code = aws_code


Failure = TypeVar("Failure", bound=AwsFailure)


def aws_error_code(exc: ClientError) -> str | None:
    """The error code of AWS's refusal (e.g. "NoSuchKey"); None when its reply has none."""
    return str(exc.response.get("Error", {}).get("Code", "")) or None


def aws_failure(
    exc: ClientError | BotoCoreError, failure: type[Failure], *, service: str, what: str
) -> Failure:
    """`failure` for `exc`, saying that `service` refused `what` (with AWS's code) or could
    not be reached (with the kind of boto3 error)."""
    if isinstance(exc, ClientError):
        code = aws_error_code(exc)
        return failure(f"{service} refused the {what}: {code}", aws_code=code)
    # boto3's own messages quote the request's parameters: only the kind of error is kept.
    return failure(f"{service} not reachable: {type(exc).__name__}")
