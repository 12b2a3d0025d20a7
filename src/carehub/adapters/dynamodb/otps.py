"""One-time code challenges in the table: one item per email and purpose, which a new
challenge replaces (docs/dynamodb.md, "identity")."""

from __future__ import annotations

from datetime import datetime, timedelta

from carehub.adapters.dynamodb.items import Item, Key, as_int, record_data, record_item
from carehub.adapters.dynamodb.session import DynamoSession
from carehub.adapters.dynamodb.writes import Condition
from carehub.identity.model import OtpChallenge, OtpPurpose

_KIND = "otp-challenge"
# TTL removes a challenge a day after it lapsed; until then `open()` refuses it by its time.
_KEPT_AFTER_EXPIRY = timedelta(days=1)
_STILL_THERE = Condition("attribute_exists(PK)")


def _key(email: str, purpose: OtpPurpose) -> Key:
    return (f"OTP#{email}#{purpose.value}", "OTP")


class DynamoOtpRepository:
    """The one-time codes port over a DynamoDB session."""

    def __init__(self, session: DynamoSession) -> None:
        self._session = session

    async def put(self, challenge: OtpChallenge) -> None:
        self._session.writes.put(_item(challenge))

    async def get(self, email: str, purpose: OtpPurpose) -> OtpChallenge | None:
        item = await self._session.get(_key(email, purpose))
        return None if item is None else _challenge(item)

    async def replace(self, challenge: OtpChallenge) -> None:
        # Like SQL's UPDATE: a challenge that is gone stays gone.
        if await self._session.get(_key(challenge.email, challenge.purpose)) is None:
            return
        self._session.writes.put(_item(challenge), condition=_STILL_THERE)


def _item(challenge: OtpChallenge) -> Item:
    item = record_item(
        _key(challenge.email, challenge.purpose),
        kind=_KIND,
        data={
            "email": challenge.email,
            "purpose": challenge.purpose.value,
            "code_hash": challenge.code_hash,
            "expires_at": challenge.expires_at,
            "attempts": challenge.attempts,
            "consumed_at": None
            if challenge.consumed_at is None
            else challenge.consumed_at.isoformat(),
        },
    )
    item["expires_at"] = int((challenge.expires_at + _KEPT_AFTER_EXPIRY).timestamp())
    return item


def _challenge(item: Item) -> OtpChallenge:
    data = record_data(item)
    consumed = data["consumed_at"]
    return OtpChallenge(
        email=data["email"],
        purpose=OtpPurpose(data["purpose"]),
        code_hash=data["code_hash"],
        expires_at=datetime.fromisoformat(data["expires_at"]),
        attempts=as_int(data["attempts"]),
        consumed_at=None if consumed is None else datetime.fromisoformat(consumed),
    )
