"""Slow hashing off the event loop, one hash at a time for every identity use case."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from carehub.identity.ports import PasswordHasher

_T = TypeVar("_T")


class HashSlot:
    """The password hasher, run in a thread behind one slot. argon2id takes 64 MiB and more
    than a core per hash (4 lanes): one at a time keeps memory bounded and costs no
    throughput on small machines, so the accounts, sessions and codes use cases of a
    process share one slot."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self._hasher = hasher
        self._slot = asyncio.Semaphore(1)

    async def hash(self, secret: str) -> str:
        return await self._run(self._hasher.hash, secret)

    async def verify(self, hashed: str, secret: str) -> bool:
        return await self._run(self._hasher.verify, hashed, secret)

    async def _run(self, work: Callable[..., _T], *args: str) -> _T:
        async with self._slot:
            return await asyncio.to_thread(work, *args)
