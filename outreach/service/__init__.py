"""The imperative shell around the engine: content, a resident's message through the
engine into the store, the rows a turn writes.

The wall clock outside the engine is here, in one place: the engine is given the time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def utc_now() -> datetime:
    """Now, in UTC: what every turn, login and audit row is stamped with."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in UTC, for review dates and the content's checks."""
    return utc_now().date()
