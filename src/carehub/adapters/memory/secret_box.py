"""A stand-in secret box for unit tests: values are hidden and tied to a key name, not
encrypted."""

from __future__ import annotations

from carehub.kernel.secret_box import WrongSecretKey

PREFIX = "memory-sealed:"


class MemorySecretBox:
    """The `SecretBox` port without cryptography: hex of the reversed text, with the key's
    name, so a test still sees plain text vanish and a wrong key refused."""

    def __init__(self, key_name: str = "test") -> None:
        self._key_name = key_name
        self._count = 0

    def seal(self, plaintext: str) -> str:
        self._count += 1  # sealing the same text twice gives two values, like AES-GCM
        hidden = plaintext[::-1].encode().hex()
        return f"{PREFIX}{self._key_name}:{self._count}:{hidden}"

    def open(self, sealed: str) -> str:
        if not self.is_sealed(sealed):
            raise WrongSecretKey("not a sealed value")
        key_name, _, hidden = sealed.removeprefix(PREFIX).split(":", 2)
        if key_name != self._key_name:
            raise WrongSecretKey("the secret key does not open this value")
        return bytes.fromhex(hidden).decode()[::-1]

    def is_sealed(self, stored: str) -> bool:
        return stored.startswith(PREFIX)
