"""Closing a day: the interaction log of every day before today is rolled up into
``daily_activity``, one row per resident, day and what they did, and the events deleted.

Two reasons. Privacy: an event's time of day is needed only while the day lasts (the
metrics never show anything finer than a day, DOMAIN.md section 6), so it does not
outlive it. Speed: a resident who sends six messages in a day leaves one row, not six,
for the dashboard to read. The ``activity`` view (see :mod:`outreach.storage.migrations`) reads
closed days from here and today's events from the log, so every figure is up to date.

The department and the first day seen are taken as they are when the day closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlite_utils import Database

from outreach.storage import immediate
from outreach.storage.activity import ACTIVITY_OF_EVENTS, RESIDENT_DAYS_OF_EVENTS


@dataclass(frozen=True)
class Closed:
    events: int
    rows: int


def close_days(db: Database, today: date) -> Closed:
    """Roll up and delete every event before ``today`` (UTC), in one transaction. Cheap
    when there is nothing to close: a scan of today's events, all the log then holds."""
    cutoff = today.isoformat()
    if db.execute("SELECT 1 FROM events WHERE at < ? LIMIT 1", [cutoff]).fetchone() is None:
        return Closed(0, 0)
    rows = 0
    with immediate(db):
        # The view's queries, restricted to the closed days: the same grouping, one place.
        for select in (ACTIVITY_OF_EVENTS, RESIDENT_DAYS_OF_EVENTS):
            rows += db.execute(
                "INSERT INTO daily_activity (day, resident, kind, flow, node, programme,"
                " language, channel, department, first_seen_on, events, messages, segments)"
                f" SELECT {select.replace('GROUP BY', 'WHERE e.at < ? GROUP BY')}",
                [cutoff],
            ).rowcount
        events = db.execute("DELETE FROM events WHERE at < ?", [cutoff]).rowcount
    return Closed(events, rows)
