"""What every object store refuses, whatever the domain already checked: keys that could
leave the store's root, and links that never expire."""

from __future__ import annotations

from datetime import timedelta

# S3's own limit, in UTF-8 bytes; the folder store keeps to it too.
MAX_KEY_BYTES = 1024
# SigV4 presigned URLs live at most a week; every store keeps to that.
MAX_EXPIRY = timedelta(days=7)


class UnsafeKey(ValueError):
    """A key that could leave the store's root or means different things to different
    stores: empty, absolute, with `.`/`..` or empty segments, backslashes or control
    characters. The message says why, never the key."""


def checked_key(key: str) -> str:
    """`key` itself when it is a plain relative path of non-empty segments; else UnsafeKey."""
    if not key:
        raise UnsafeKey("object key is empty")
    try:
        encoded = key.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsafeKey("object key is not valid Unicode") from None
    if len(encoded) > MAX_KEY_BYTES:
        raise UnsafeKey(f"object key is longer than {MAX_KEY_BYTES} bytes")
    if "\\" in key:
        raise UnsafeKey("object key contains a backslash")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in key):
        raise UnsafeKey("object key contains a control character")
    if key.startswith("/"):
        raise UnsafeKey("object key is absolute")
    # An empty segment is `//` or a trailing `/`; `.` and `..` would be resolved by a
    # filesystem (and by some HTTP clients) but not by S3.
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise UnsafeKey("object key has an empty, '.' or '..' segment")
    return key


def expiry_seconds(expires_in: timedelta) -> int:
    """`expires_in` in whole seconds; ValueError unless it is between 1 s and a week."""
    seconds = int(expires_in.total_seconds())
    if seconds < 1 or expires_in > MAX_EXPIRY:
        raise ValueError("a presigned link must expire within 1 second to 7 days")
    return seconds
