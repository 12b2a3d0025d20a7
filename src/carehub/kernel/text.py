"""Text normalisation for search keys: case- and accent-insensitive matching."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, strip accents and collapse spaces: "  José  ÁLVAREZ" -> "jose alvarez"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip()


def tokens(text: str) -> list[str]:
    """Folded words of a text, split on spaces, hyphens and apostrophes."""
    return [t for t in re.split(r"[\s\-'’.,]+", fold(text)) if t]


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix`.

    Turns a prefix match into an index range: key >= prefix AND key < bound.
    """
    return prefix + "\U0010ffff"
