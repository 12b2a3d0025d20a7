"""`dynamodb://TABLE?region=REGION`: which table, in which region."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

# DynamoDB's own rule for table names.
_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")
_FORM = "a DynamoDB URL is dynamodb://TABLE?region=REGION"


@dataclass(frozen=True)
class DynamoTarget:
    """The table a `dynamodb://` URL names; `region` None: boto3's usual configuration."""

    table: str
    region: str | None = None


def is_dynamodb_url(url: str) -> bool:
    return url.startswith("dynamodb://")


def parse_dynamodb_url(url: str) -> DynamoTarget:
    """The table and region of `url`; ValueError (naming the expected form) otherwise."""
    parts = urlsplit(url)
    if parts.scheme != "dynamodb" or parts.path not in ("", "/") or parts.fragment:
        raise ValueError(_FORM)
    if not _TABLE_NAME.fullmatch(parts.netloc):
        raise ValueError(f"{_FORM}; TABLE is 3 to 255 letters, digits, '_', '-' or '.'")
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = sorted(set(options) - {"region"})
    if unknown:
        raise ValueError(f"{_FORM}; unknown option {unknown[0]!r}")
    region = options.get("region")
    if region == "":
        raise ValueError(f"{_FORM}; region is empty")
    return DynamoTarget(parts.netloc, region)
