"""Identifiers: time-ordered UUIDv7 for generated ids (index locality)."""

from __future__ import annotations

import os
import threading
import time
import uuid

_RANDOM_BITS = 74  # rand_a (12 bits) and rand_b (62 bits) of RFC 9562
_lock = threading.Lock()
_last_ms = -1
_last_random = 0


def new_id() -> str:
    """Return a new UUIDv7 string (RFC 9562): a 48-bit ms timestamp, then 74 bits that are
    random at each new millisecond and counted up within one (RFC 9562's monotonic
    method), so ids made one after another in a process sort in that order."""
    global _last_ms, _last_random
    now_ms = time.time_ns() // 1_000_000
    with _lock:
        if now_ms > _last_ms:
            # The top bit stays clear, leaving room to count within the millisecond.
            ms, random = now_ms, int.from_bytes(os.urandom(10), "big") >> 7
        else:
            ms, random = _last_ms, _last_random + 1
            if random >> _RANDOM_BITS:  # the counter ran out: borrow the next millisecond
                ms, random = ms + 1, 0
        _last_ms, _last_random = ms, random
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= (random >> 62) << 64  # rand_a (12 bits)
    value |= 0b10 << 62  # RFC 4122 variant
    value |= random & ((1 << 62) - 1)  # rand_b (62 bits)
    return str(uuid.UUID(int=value))
