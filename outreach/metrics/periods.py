"""The periods a viewer may ask for: whole weeks and months, never more bars than a page
can hold. Free date ranges would let a viewer publish thousands of overlapping cells
around the same residents and average their noise away (docs/metrics.md)."""

from __future__ import annotations

from datetime import date, timedelta

PERIODS = ("day", "week", "month")


#: The most bars a chart, or period columns a table, may have: long ranges get weeks or
#: months instead (see :func:`bounded`).
MAX_BARS = 120


def whole_periods(since: date, until: date, period: str) -> tuple[date, date]:
    """The range as a viewer may have it: one whole week (Monday to Sunday) when it lies
    within one and its bars are days, otherwise whole calendar months. Free date ranges
    let a viewer publish thousands of overlapping cells around the same residents and
    average their noise away (docs/metrics.md); weeks and months leave a few."""
    monday = since - timedelta(days=since.weekday())
    if period != "month" and until - monday < timedelta(days=7):
        return monday, monday + timedelta(days=6)
    first = since.replace(day=1)
    after = (until.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first, after - timedelta(days=1)


def bars(since: date, until: date, period: str) -> int:
    """How many days, weeks or months a range of whole periods covers."""
    if period == "day":
        return (until - since).days + 1
    if period == "week":
        first = since - timedelta(days=since.weekday())
        return (until - first).days // 7 + 1
    return (until.year - since.year) * 12 + until.month - since.month + 1


def bounded(since: date, until: date, period: str) -> tuple[date, date, str] | None:
    """The range in whole periods, with the finest period (from ``period`` on) that
    keeps it within :data:`MAX_BARS`; None if even months are too many."""
    for coarser in PERIODS[PERIODS.index(period) :]:
        first, last = whole_periods(since, until, coarser)
        if bars(first, last, coarser) <= MAX_BARS:
            return first, last, coarser
    return None
