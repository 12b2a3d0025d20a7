"""`X-Carehub-Signature`: hex HMAC-SHA256 over "<timestamp>.<body>" with the secret."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from carehub.webhooks.model import signature

SECRET = "whsec_0123456789abcdef"
BODY = b'{"id":"evt-1","type":"patients.patient_registered.v1"}'
# Computed outside Python: printf '%s' '1700000000.<BODY>' | openssl dgst -sha256 -hmac <SECRET>
OPENSSL_VECTOR = "a93d397fa43bc85585a6aa3c9ef51de75564837ffd5c9782c6320092ee7930d8"


def test_matches_a_vector_computed_with_openssl() -> None:
    assert signature(SECRET, 1700000000, BODY) == OPENSSL_VECTOR


@given(
    secret=st.text(min_size=16, max_size=64),
    timestamp=st.integers(min_value=0, max_value=2**40),
    body=st.binary(max_size=512),
)
def test_is_what_a_receiver_computes_with_hmac(secret: str, timestamp: int, body: bytes) -> None:
    message = f"{timestamp}.".encode() + body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    assert signature(secret, timestamp, body) == expected


def test_covers_the_secret_the_timestamp_and_every_byte_of_the_body() -> None:
    original = signature(SECRET, 1700000000, BODY)
    assert signature(SECRET + "x", 1700000000, BODY) != original
    assert signature(SECRET, 1700000001, BODY) != original
    assert signature(SECRET, 1700000000, BODY.replace(b"evt-1", b"evt-2")) != original
    assert len(original) == 64 and int(original, 16) >= 0
