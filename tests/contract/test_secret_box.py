"""The SecretBox port: every adapter seals, opens, and refuses another key's values."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from carehub.adapters.memory.secret_box import MemorySecretBox
from carehub.adapters.secrets.aesgcm import PREFIX, AesGcmSecretBox
from carehub.kernel.secret_box import SecretBox, WrongSecretKey

SECRET = "whsec-a-webhook-secret-of-some-length"

BoxMaker = Callable[[str], SecretBox]
MAKERS: dict[str, BoxMaker] = {
    "memory": MemorySecretBox,
    "aesgcm": lambda name: AesGcmSecretBox(name.encode().ljust(32, b"-")),
}


@pytest.fixture(params=sorted(MAKERS))
def make_box(request: pytest.FixtureRequest) -> BoxMaker:
    """Makes a box of the adapter under test from a key name."""
    return MAKERS[request.param]


def test_a_sealed_secret_opens_to_itself_and_does_not_show_it(make_box: BoxMaker) -> None:
    box = make_box("one")

    sealed = box.seal(SECRET)

    assert SECRET not in sealed
    assert box.is_sealed(sealed)
    assert box.open(sealed) == SECRET


def test_sealing_twice_gives_two_values(make_box: BoxMaker) -> None:
    box = make_box("one")

    assert box.seal(SECRET) != box.seal(SECRET)


def test_plain_text_is_told_from_a_sealed_value(make_box: BoxMaker) -> None:
    box = make_box("one")

    assert not box.is_sealed(SECRET)
    assert not box.is_sealed("-----BEGIN PRIVATE KEY-----\n")
    with pytest.raises(WrongSecretKey):
        box.open(SECRET)


def test_another_key_does_not_open_a_sealed_value(make_box: BoxMaker) -> None:
    sealed = make_box("one").seal(SECRET)

    with pytest.raises(WrongSecretKey):
        make_box("two").open(sealed)


def test_an_altered_sealed_value_is_refused() -> None:
    box = AesGcmSecretBox(b"k" * 32)
    sealed = box.seal(SECRET)
    # One bit of the ciphertext changed (a changed base64 character may fall in padding bits).
    data = bytearray(base64.urlsafe_b64decode(sealed.removeprefix(PREFIX)))
    data[len(data) // 2] ^= 0x01
    flipped = PREFIX + base64.urlsafe_b64encode(bytes(data)).decode()

    with pytest.raises(WrongSecretKey):
        box.open(flipped)
