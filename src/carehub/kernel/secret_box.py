"""The secret box port: secrets carehub must read back (token signing keys, webhook
secrets) are kept at rest sealed with the deployment's key, never in plain text."""

from __future__ import annotations

from typing import Protocol


class WrongSecretKey(Exception):
    """A sealed value that the configured key does not open: another key sealed it, or it
    was altered. Never answered as garbage."""


class SecretBox(Protocol):
    """Seals and opens short secrets with one key-encryption key.

    `seal` gives printable text that starts with a version prefix and differs on every call;
    `open` gives back the plain text or raises `WrongSecretKey`. `is_sealed` tells a sealed
    value from plain text stored before sealing existed, by that prefix, so such rows can
    be sealed where they lie.
    """

    def seal(self, plaintext: str) -> str: ...

    def open(self, sealed: str) -> str:
        """The plain text; raises WrongSecretKey when this key did not seal `sealed`."""
        ...

    def is_sealed(self, stored: str) -> bool: ...
