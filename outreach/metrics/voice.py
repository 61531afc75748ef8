"""The voice line's figures (issue #17): residents who called, calls, minutes and
completed calls, per language and per the last flow a call reached; call backs and the
missed calls not called back; published exactly as every other figure is
(docs/metrics.md), and so protected however many queries are combined.

How each is protected:

- **Calls** (the ``calls`` table) carry their caller's keyed pseudonym (m023), the one
  the interaction log holds. A cell's residents are its callers: a cell of fewer than k
  callers is hidden, complementary suppression hides what totals would give away, and
  every figure is perturbed by its callers' record keys (:mod:`.cellkey`). Calls and
  minutes are sums: their noise comes in steps of the most one caller gave in a day, so
  ten calls of one caller are one caller, hidden, and a caller who calls a lot cannot be
  worked out by difference either. Completed calls are counted over the callers of a
  completed call. A call with no caller named (before m023; after its caller's BORRAR;
  a call back that nobody answered) counts as a caller of its own, by its keyed call id.
- **Call backs** (``callback_hours``, ``callback_refusals``) hold no id at all. Each
  counted call back or refused missed call is a record of its own, keyed by its bucket
  (hour or day, outcome or reason) and its place in it, as the BORRAR counts are
  (:meth:`.cellkey.CellKeys.anonymous_count`): the same call backs always give the same
  noise, and a difference of two cells is off by two independent draws. Hidden under k
  with complementary suppression, like any table. They know no language, channel, flow
  or department, so they split only by period, and a page filtered by language or
  department does not show them (a figure that ignored the filter would mislead); the
  voice channel is all of them.

Periods are the dashboard's whole months or one whole week (:mod:`.periods`), so the
pairs of cells an attacker can difference are as few as for messages
(tests/metrics/test_voice_attacks.py plays the attacks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlite_utils import Database

from .cellkey import CellKeys
from .queries import ALL, Measure, Query, Request, publish_cells
from .scan import Amounts, Cells
from .sections import Section
from .suppression import Published

#: Translatable titles are marked with this no-op, so Babel's extractor finds them; the
#: dashboard translates them when it renders.
_: Callable[[str], str] = lambda text: text  # noqa: E731

#: The channel a call's turns are logged under (outreach.service.voice).
VOICE_CHANNEL = "voice"

#: Who made a call: the caller's keyed pseudonym, else the call's own keyed id.
CALLER = "coalesce(c.resident, 'call:' || c.id)"
#: What a call's figures are split and filtered by, as SQL over ``calls c`` joined to
#: the caller's ``residents r`` row (for the department they chose to give).
CALL_DIMENSIONS = {
    "language": "coalesce(c.language, 'unknown')",
    "channel": f"'{VOICE_CHANNEL}'",
    "department": "coalesce(r.department, 'unknown')",
    "day": "c.day",
    "week": "date(c.day, 'weekday 0', '-6 days')",
    "month": "substr(c.day, 1, 7)",
    "flow": "coalesce(c.flow, '-')",
}
#: Twilio bills a call by the minute, each call rounded up: what cost is estimated from.
BILLED_MINUTES = "(coalesce(c.seconds, 0) + 59) / 60"
#: The periods a call back can be split by, from the hour or day it is counted in.
_PERIODS = {
    "day": "substr({at}, 1, 10)",
    "week": "date(substr({at}, 1, 10), 'weekday 0', '-6 days')",
    "month": "substr({at}, 1, 7)",
}

CALLERS = Measure(("call",))
CALLS = Measure(("call",), value="calls")
MINUTES = Measure(("call",), value="minutes")
CALLBACKS = Measure(("callback",))


@dataclass(frozen=True)
class VoiceHeadline:
    """The voice page's figures that are not tables: each one the total of a table the
    page shows (the same published figure, not a second one)."""

    callers: int | None
    calls: int | None
    completed: int | None
    minutes: int | None
    #: False when a filter (language, department) leaves call backs out: they know none.
    callbacks_shown: bool
    callbacks_placed: int | None
    missed_calls_refused: int | None

    def cost(self, price: float | None) -> float | None:
        """The estimated cost of the minutes at ``price`` per minute (None: hidden or no
        price set)."""
        if price is None or self.minutes is None:
            return None
        return round(self.minutes * price, 2)


def voice(
    db: Database, query: Query, k: int, noise: CellKeys | None = None
) -> tuple[VoiceHeadline, list[Section]]:
    """The voice page: calls by language and by last flow, completed calls, call backs.
    ``noise``: the deployment's cell keys (None only in tests of the counting)."""
    by_language = _calls(db, query, "language", (CALLERS, CALLS, MINUTES), k, noise)
    callers, calls, minutes = by_language
    [completed] = _calls(db, query, "language", (CALLS,), k, noise, completed_only=True)
    calls_flow, minutes_flow = _calls(db, query, "flow", (CALLS, MINUTES), k, noise)
    sections = [
        Section("voice_callers", _("Residents who called, by language"), _("residents"),
                callers, rows_by="language"),
        Section("voice_calls", _("Calls, by language"), _("calls"), calls,
                _("Calls to the voice line and call backs, answered or not."),
                rows_by="language"),
        Section("voice_minutes", _("Minutes of calls, by language"), _("minutes"), minutes,
                _("Each call rounded up to the whole minute, as Twilio bills it."),
                rows_by="language"),
        Section("voice_completed", _("Completed calls, by language"), _("calls"), completed,
                _("Calls answered and ended normally; busy, unanswered and failed calls are "
                  "not."), rows_by="language"),
        Section("voice_calls_by_flow", _("Calls, by the last flow reached"), _("calls"),
                calls_flow, _("The flow each call was in when it ended."), rows_by="flow"),
        Section("voice_minutes_by_flow", _("Minutes of calls, by the last flow reached"),
                _("minutes"), minutes_flow, rows_by="flow"),
    ]  # fmt: skip
    shown = all(name == "channel" and value == VOICE_CHANNEL for name, value in query.filters)
    placed = refused = None
    if shown:
        callbacks = _callbacks(db, query, k, noise)
        refusals = _refusals(db, query, k, noise)
        # A row that is missing counted nothing: zero, not hidden.
        placed = callbacks.row_totals.get("callback_placed", 0)
        refused = refusals.total
        sections += [
            Section("callbacks", _("Call backs, by outcome"), _("call backs"), callbacks,
                    _("Placed: called back. Failed: Twilio refused the call. Uncertain: "
                      "dropped, not tried twice, because it may have been placed.")),
            Section("callback_refusals", _("Missed calls not called back, by reason"),
                    _("missed calls"), refusals,
                    _("A limit, a country not allowed, a caller with no number, or a call "
                      "back that waited too long.")),
        ]  # fmt: skip
    headline = VoiceHeadline(
        callers.total, calls.total, completed.total, minutes.total, shown, placed, refused
    )
    return headline, sections


def _calls(
    db: Database,
    query: Query,
    rows: str,
    measures: tuple[Measure, ...],
    k: int,
    noise: CellKeys | None,
    completed_only: bool = False,
) -> list[Published]:
    """Tables of calls, ``rows`` by the query's split, from one pass over the calls of
    the range: the callers behind each cell, and its calls and billed minutes."""
    column = CALL_DIMENSIONS.get(query.split, "'all'")
    where = ["c.day >= ?", "c.day <= ?"]
    params = [query.since.isoformat(), query.until.isoformat()]
    for name, value in query.filters:
        if name == "channel":
            if value != VOICE_CHANNEL:
                where.append("0")  # every call is on the voice channel
            continue
        where.append(f"{CALL_DIMENSIONS[name]} = ?")
        params.append(value)
    if completed_only:
        where.append("c.completed = 1")
    # One row per caller, day and cell: the sums of a caller's day are the steps of a
    # sum's noise, as a resident's day is for messages.
    sql = (
        f"SELECT {CALLER}, {CALL_DIMENSIONS[rows]}, {column}, count(*), sum({BILLED_MINUTES}) "
        f"FROM calls c LEFT JOIN residents r ON r.id = c.resident "
        f"WHERE {' AND '.join(where)} GROUP BY 1, c.day, 2, 3"
    )
    wanted = [m.value for m in measures if m.value]
    residents: Cells = {}
    amounts: Amounts = {}
    for caller, row, col, calls, minutes in db.execute(sql, params):
        cell = (str(row), str(col))
        residents.setdefault(cell, set()).add(str(caller))
        found = {"calls": int(calls), "minutes": int(minutes or 0)}
        sums = amounts.setdefault(cell, [0] * (2 * len(wanted)))
        for n, value in enumerate(wanted):
            sums[n] += found[str(value)]
            sums[len(wanted) + n] = max(sums[len(wanted) + n], found[str(value)])
    return publish_cells(residents, amounts, Request(query, measures, rows, k, noise=noise))


def _callbacks(db: Database, query: Query, k: int, noise: CellKeys | None) -> Published:
    """Call backs by outcome (placed, failed, uncertain), split by period only. Those
    queued are not a row: they are the others (and the expired refusals) again, and a
    table's rows must add up to its total for the suppression to hold."""
    return _anonymous(
        db, query, "callback_hours", "hour", "outcome", "callback_", k, noise, ("queued",)
    )


def _refusals(db: Database, query: Query, k: int, noise: CellKeys | None) -> Published:
    """Missed calls not called back, by reason, split by period only."""
    return _anonymous(db, query, "callback_refusals", "day", "reason", "refused_", k, noise)


def _anonymous(
    db: Database,
    query: Query,
    table: str,
    at: str,
    kind: str,
    prefix: str,
    k: int,
    noise: CellKeys | None,
    leave_out: tuple[str, ...] = (),
) -> Published:
    """A table of counts kept without any id: each counted one is a record of its own,
    named by its bucket and its place in it (never shown: only its record key is used).
    Rows are ``prefix`` + the outcome or reason, so that "queued" the outcome and
    "queued" the reason (already waiting) are two rows with two names."""
    split = query.split if query.split in _PERIODS else ALL
    column = _PERIODS[split].format(at=at) if split in _PERIODS else "'all'"
    residents: Cells = {}
    amounts: Amounts = {}
    for bucket, what, col, n in db.execute(
        f"SELECT {at}, {kind}, {column}, count FROM {table} "
        f"WHERE substr({at}, 1, 10) >= ? AND substr({at}, 1, 10) <= ?",
        [query.since.isoformat(), query.until.isoformat()],
    ):
        if what in leave_out:
            continue
        cell = (prefix + str(what), str(col))
        members = residents.setdefault(cell, set())
        members.update(f"\x00{table}:{bucket}:{what}:{i}" for i in range(int(n)))
        amounts[cell] = []
    unsplit = Query(query.since, query.until, split, ())
    return publish_cells(residents, amounts, Request(unsplit, (CALLBACKS,), k=k, noise=noise))[0]


def headline_rows(
    headline: VoiceHeadline, price: float | None, currency: str
) -> list[dict[str, object]]:
    """The voice page's figures that are not tables, as export rows (cost at ``price``
    per minute, in ``currency``)."""
    units: list[tuple[str, str, float | None]] = [
        ("callers", "residents", headline.callers),
        ("calls", "calls", headline.calls),
        ("completed_calls", "calls", headline.completed),
        ("minutes", "minutes", headline.minutes),
    ]
    if headline.callbacks_shown:
        units += [
            ("callbacks_placed", "call backs", headline.callbacks_placed),
            ("missed_calls_refused", "missed calls", headline.missed_calls_refused),
        ]
    if price is not None:
        units.append(("estimated_cost", currency, headline.cost(price)))
    return [
        {"table": "headline", "unit": unit, "row": name, "column": ALL,
         "value": "" if value is None else value, "suppressed": value is None}
        for name, unit, value in units
    ]  # fmt: skip


def fold_calls(db: Database, cutoff: str, k: int) -> list[tuple[str, str, str, str, int | None]]:
    """What ``outreach purge`` keeps of the calls of days before ``cutoff``: per day,
    calls, billed minutes and completed calls, each dropped (None) where fewer than k
    callers made them, as the folded interaction counts are."""
    rows: list[tuple[str, str, str, str, int | None]] = []
    for day, callers, calls, minutes, completed in db.execute(
        f"SELECT c.day, count(DISTINCT {CALLER}), count(*), sum({BILLED_MINUTES}),"
        " sum(c.completed) FROM calls c WHERE c.day < ? GROUP BY c.day",
        [cutoff],
    ):
        small = callers < k
        for metric, value in (("voice_calls", calls), ("voice_minutes", minutes),
                              ("voice_completed_calls", completed)):  # fmt: skip
            rows.append((str(day), metric, "all", "all", None if small else int(value or 0)))
    return rows
