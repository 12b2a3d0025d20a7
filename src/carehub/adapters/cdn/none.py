"""No CDN in front of the objects: nothing to invalidate."""

from __future__ import annotations

from collections.abc import Sequence


class NoCdn:
    """The CDN port when objects are served straight from their store."""

    async def invalidate(self, keys: Sequence[str]) -> str | None:
        """Nothing caches the objects, so nothing is asked to forget them."""
        return None
