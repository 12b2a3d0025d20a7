"""The dates and times carehub accepts at all: the years 1900 to 2200.

Far inside Python's own limits (years 1 and 9999), so that no offset, slot length or
window added to an accepted time can overflow. Narrower rules (a booking horizon, an age
limit) are checked by the domains on top of this one.
"""

from __future__ import annotations

from datetime import date, datetime

FIRST_YEAR = 1900
LAST_YEAR = 2200
RANGE_TEXT = f"within the years {FIRST_YEAR} to {LAST_YEAR}"
# A booking, hold or waitlist entry reaches at most this far ahead (the longest horizon a
# country may set).
MAX_DAYS_AHEAD = 730


def in_range(value: date | datetime) -> bool:
    """Whether the date (or the time, as written with its offset) lies in the years
    FIRST_YEAR to LAST_YEAR."""
    return FIRST_YEAR <= value.year <= LAST_YEAR
