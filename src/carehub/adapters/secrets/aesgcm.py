"""Secrets sealed with AES-256-GCM under the deployment's key-encryption key.

A sealed value is `sealed:v1:` and the URL-safe base64 of a random 96-bit nonce followed by
the ciphertext and its tag. The version leaves room for another scheme (a KMS data key on
AWS) beside this one; the tag makes a wrong key or an altered value fail loudly.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from carehub.kernel.secret_box import WrongSecretKey

KEY_BYTES = 32
PREFIX = "sealed:v1:"
_NONCE_BYTES = 12


class AesGcmSecretBox:
    """The `SecretBox` port over AES-256-GCM."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"the secret key must be {KEY_BYTES} bytes")
        self._aead = AESGCM(key)

    def seal(self, plaintext: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, plaintext.encode(), PREFIX.encode())
        return PREFIX + base64.urlsafe_b64encode(sealed).decode()

    def open(self, sealed: str) -> str:
        if not self.is_sealed(sealed):
            raise WrongSecretKey("not a sealed value")
        try:
            data = base64.urlsafe_b64decode(sealed.removeprefix(PREFIX))
            nonce, ciphertext = data[:_NONCE_BYTES], data[_NONCE_BYTES:]
            return self._aead.decrypt(nonce, ciphertext, PREFIX.encode()).decode()
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise WrongSecretKey("the secret key does not open this value") from exc

    def is_sealed(self, stored: str) -> bool:
        return stored.startswith(PREFIX)
