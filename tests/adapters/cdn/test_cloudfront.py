"""The CDN port: no CDN, and CloudFront invalidations on a moto distribution."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import pytest

from carehub.adapters.blob.checks import UnsafeKey
from carehub.adapters.cdn.cloudfront import (
    CloudFrontInvalidator,
    InvalidationFailed,
    cloudfront_from_url,
)
from carehub.adapters.cdn.none import NoCdn
from tests.support.moto import aws_client

KEYS = [
    f"patients/{uuid.uuid4().hex}/originals/docs/preop/{uuid.uuid4()}-original.jpg",
    f"patients/{uuid.uuid4().hex}/thumb/docs/preop/{uuid.uuid4()}-q80-320w.jpg",
    "odd/name with space*and?query.jpg",
]


async def test_without_a_cdn_there_is_nothing_to_invalidate() -> None:
    assert await NoCdn().invalidate(KEYS) is None


@pytest.fixture
def cloudfront(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto accepts any credentials
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return aws_client("cloudfront", moto_endpoint)


@pytest.fixture
def distribution_id(cloudfront: Any) -> str:
    reply = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": uuid.uuid4().hex,
            "Comment": "carehub objects",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "objects",
                        "DomainName": "carehub-objects.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "objects",
                "ViewerProtocolPolicy": "https-only",
            },
        }
    )
    distribution: str = reply["Distribution"]["Id"]
    return distribution


@pytest.fixture
async def invalidator(
    moto_endpoint: str, distribution_id: str
) -> AsyncIterator[CloudFrontInvalidator]:
    cdn = cloudfront_from_url(f"cloudfront://{distribution_id}", endpoint_url=moto_endpoint)
    try:
        yield cdn
    finally:
        await cdn.close()


@pytest.mark.aws
async def test_an_invalidation_names_every_key_as_a_quoted_path(
    invalidator: CloudFrontInvalidator, cloudfront: Any, distribution_id: str
) -> None:
    invalidation_id = await invalidator.invalidate(KEYS)

    assert invalidation_id is not None
    reply = cloudfront.get_invalidation(DistributionId=distribution_id, Id=invalidation_id)
    paths = reply["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]
    assert sorted(paths) == sorted("/" + quote(key) for key in KEYS)
    assert "/odd/name%20with%20space%2Aand%3Fquery.jpg" in paths  # no wildcard, no query


@pytest.mark.aws
async def test_paths_carry_the_stores_prefix_in_its_bucket(
    moto_endpoint: str, cloudfront: Any, distribution_id: str
) -> None:
    cdn = cloudfront_from_url(
        f"cloudfront://{distribution_id}", endpoint_url=moto_endpoint, key_prefix="/carehub/"
    )
    try:
        invalidation_id = await cdn.invalidate(KEYS[:1])
    finally:
        await cdn.close()

    assert invalidation_id is not None
    reply = cloudfront.get_invalidation(DistributionId=distribution_id, Id=invalidation_id)
    paths = reply["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]
    assert paths == ["/carehub/" + quote(KEYS[0])]


@pytest.mark.aws
async def test_each_call_is_its_own_invalidation(
    invalidator: CloudFrontInvalidator, cloudfront: Any, distribution_id: str
) -> None:
    # The same keys twice: a reused caller reference would make CloudFront see one request.
    first = await invalidator.invalidate(KEYS[:1])
    second = await invalidator.invalidate(KEYS[:1])

    assert first != second
    listed = cloudfront.list_invalidations(DistributionId=distribution_id)
    ids = {item["Id"] for item in listed["InvalidationList"]["Items"]}
    assert {first, second} <= ids
    references = {
        cloudfront.get_invalidation(DistributionId=distribution_id, Id=i)["Invalidation"][
            "InvalidationBatch"
        ]["CallerReference"]
        for i in (first, second)
    }
    assert len(references) == 2


@pytest.mark.aws
async def test_no_keys_asks_nothing(
    invalidator: CloudFrontInvalidator, cloudfront: Any, distribution_id: str
) -> None:
    assert await invalidator.invalidate([]) is None

    listed = cloudfront.list_invalidations(DistributionId=distribution_id)
    assert listed["InvalidationList"].get("Items", []) == []


@pytest.mark.aws
async def test_an_unknown_distribution_fails_with_its_aws_code(
    moto_endpoint: str, cloudfront: Any
) -> None:
    cdn = CloudFrontInvalidator("E0000000000000", moto_endpoint)

    with pytest.raises(InvalidationFailed) as failed:
        await cdn.invalidate(KEYS[:1])
    await cdn.close()

    assert failed.value.aws_code == "NoSuchDistribution"
    assert "patients" not in str(failed.value)


@pytest.mark.parametrize("key", ["../x", "/etc/passwd", "a//b", "a\\b"])
async def test_keys_that_could_escape_are_refused(key: str) -> None:
    with pytest.raises(UnsafeKey):
        await CloudFrontInvalidator("E0000000000000").invalidate([KEYS[0], key])


@pytest.mark.parametrize(
    "url",
    [
        "s3://E123",
        "cloudfront://",
        "cloudfront://e123",
        "cloudfront://E123/x",
        "cloudfront://E1?a=b",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"CDN URL|distribution id"):
        cloudfront_from_url(url)
