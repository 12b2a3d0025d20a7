"""argon2id hashing for passwords and one-time codes."""

from __future__ import annotations

from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Argon2Hasher:
    """argon2-cffi's RFC 9106 low-memory profile (t=3, m=64 MiB, p=4) by default.

    The C library releases the GIL, so callers run it in a worker thread.
    """

    def __init__(self, *, time_cost: int = 3, memory_kib: int = 65_536) -> None:
        self._argon2 = Argon2(time_cost=time_cost, memory_cost=memory_kib, parallelism=4)

    def hash(self, secret: str) -> str:
        return self._argon2.hash(secret)

    def verify(self, hashed: str, secret: str) -> bool:
        try:
            return self._argon2.verify(hashed, secret)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, hashed: str) -> bool:
        return self._argon2.check_needs_rehash(hashed)
