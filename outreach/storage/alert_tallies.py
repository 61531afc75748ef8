"""Durable figures per alert (m024): how its messages ended and who opted out after it,
as additive tallies that outlive the outbox's rows (pruned 8 days after their end).

Each alert row of the outbox is tallied under one **outcome** at a time, the one its
state and Twilio's furthest status give (:data:`OUTCOME`): ``refused`` (Twilio never
took it), ``accepted`` (taken, no further news), ``undelivered`` (taken, then failed or
undelivered), ``delivered``, ``read``. When a row moves on, it leaves its old tally and
joins the new one. A tally is a count and the sum of its residents' record keys modulo
2**32 (outreach.metrics.cellkey): sums add and subtract, so a figure made of several
tallies (sent = accepted + undelivered + delivered + read) has the cell key of exactly
the residents behind it, as if it were counted from their rows. The record keys come
from the caller (they derive from the pseudonym key, which is not in the database).

``opted_out`` counts the residents who said BAJA or ALERTAS NO (or whose carrier
reported them opted out) within :data:`OPT_OUT_WINDOW` of an alert reaching Twilio:
the turn marks the rows (``mark_opted_out``, in its own transaction, needing no key),
and the next :func:`settle_all` tallies the marks.

When are tallies brought up to date: a status callback's row in the callback's own
transaction (outreach.service.deliveries); every other row, and marks, at the next
:func:`settle_all` (each view of the alerts page, `outreach metrics --page alerts`); a
row pruned or erased before that leaves what was left to count in
``alert_tally_pending`` (a trigger, in the delete's transaction), counted by the next
:func:`settle_all` and then deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlite_utils import Database

#: Record and cell keys are integers modulo this (outreach.metrics.cellkey.RANGE).
KEY_RANGE = 2**32
#: An opt-out counts against an alert if it comes this soon after the alert went out:
#: a week, the span of the weekly limit, long enough for a resident who reads messages
#: late, short enough that a later opt-out is about something else.
OPT_OUT_WINDOW = timedelta(days=7)
#: A row's outcome from its state and status, as m024's trigger writes it out.
OUTCOME = (
    "CASE WHEN {r}.state = 'failed' THEN 'refused' WHEN {r}.state = 'sent' THEN CASE"
    " WHEN {r}.status IN ('failed', 'undelivered') THEN 'undelivered'"
    " WHEN {r}.status = 'delivered' THEN 'delivered' WHEN {r}.status = 'read' THEN 'read'"
    " ELSE 'accepted' END END"
)
OUTCOMES = ("refused", "accepted", "undelivered", "delivered", "read", "opted_out")
#: The department of a row whose subscription was gone when it was queued.
UNKNOWN = "unknown"

RecordKey = Callable[[str], int]


class Tally(NamedTuple):
    alert: int
    outcome: str
    language: str
    channel: str
    department: str
    residents: int
    key_sum: int


def _add(db: Database, cell: tuple[int, str, str, str, str], count: int, key: int) -> None:
    db.conn.execute(
        "INSERT INTO alert_tallies (alert, outcome, language, channel, department, count,"
        " key_sum) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET"
        " count = count + excluded.count,"
        " key_sum = ((key_sum + excluded.key_sum) % ? + ?) % ?",
        (*cell, count, key % KEY_RANGE, KEY_RANGE, KEY_RANGE, KEY_RANGE),
    )


def _move(db: Database, where: tuple[int, str, str, str], resident: str, old: str | None,
          new: str | None, record_key: RecordKey) -> None:  # fmt: skip
    """One resident's message leaves the ``old`` tally and joins the ``new`` one."""
    alert, language, channel, department = where
    key = record_key(resident)
    if old is not None:
        _add(db, (alert, old, language, channel, department), -1, -key)
    if new is not None:
        _add(db, (alert, new, language, channel, department), 1, key)


_ROW = (
    "SELECT o.id, o.alert, coalesce(o.language, 'unknown'), o.channel,"
    f" coalesce(o.department, '{UNKNOWN}'), o.resident, o.tallied, {OUTCOME.format(r='o')},"
    " o.opted_out_at IS NOT NULL AND o.opt_out_tallied IS NULL FROM outbox o"
)


def settle(db: Database, row_id: int, record_key: RecordKey) -> None:
    """Bring outbox row ``row_id``'s tallies up to date (nothing if it is not an
    alert's, or is up to date). In the caller's transaction: the status change's."""
    found = db.conn.execute(
        _ROW + " WHERE o.id = ? AND o.kind = 'alert' AND o.alert IS NOT NULL", (row_id,)
    ).fetchone()
    if found is not None:
        _settle_row(db, found, record_key)


def _settle_row(db: Database, found: tuple[object, ...], record_key: RecordKey) -> None:
    row_id, alert, language, channel, department, resident, old, new, opted = found
    where = (int(str(alert)), str(language), str(channel), str(department))
    if old != new:
        _move(db, where, str(resident), _text(old), _text(new), record_key)
    if opted:
        _move(db, where, str(resident), None, "opted_out", record_key)
    db.conn.execute(
        "UPDATE outbox SET tallied = ?, opt_out_tallied = CASE WHEN opted_out_at IS NULL"
        " THEN opt_out_tallied ELSE 1 END WHERE id = ?",
        (new, row_id),
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def settle_all(db: Database, record_key: RecordKey) -> int:
    """Every alert row whose tallies lag behind, and what deleted rows left pending:
    counted. In the caller's transaction. Returns how many rows it counted."""
    lagging = db.conn.execute(
        _ROW + " WHERE o.kind = 'alert' AND o.alert IS NOT NULL AND (o.tallied IS NOT"
        f" ({OUTCOME.format(r='o')}) OR (o.opted_out_at IS NOT NULL"
        " AND o.opt_out_tallied IS NULL))"
    ).fetchall()
    for found in lagging:
        _settle_row(db, tuple(found), record_key)
    pending = db.conn.execute(
        "SELECT id, alert, old, new, coalesce(language, 'unknown'), channel,"
        f" coalesce(department, '{UNKNOWN}'), resident FROM alert_tally_pending ORDER BY id"
    ).fetchall()
    for pending_id, alert, old, new, language, channel, department, resident in pending:
        where = (int(alert), str(language), str(channel), str(department))
        _move(db, where, str(resident), _text(old), _text(new), record_key)
        db.conn.execute("DELETE FROM alert_tally_pending WHERE id = ?", (pending_id,))
    return len(lagging) + len(pending)


def mark_opted_out(db: Database, resident: str, now: datetime) -> int:
    """``resident`` opted out (BAJA, ALERTAS NO, a carrier's opt-out) at ``now``: each
    alert that reached Twilio for them in the :data:`OPT_OUT_WINDOW` before is marked,
    once. In the caller's transaction (the turn's). Returns how many."""
    return int(
        db.conn.execute(
            "UPDATE outbox SET opted_out_at = ? WHERE resident = ? AND kind = 'alert'"
            " AND state = 'sent' AND opted_out_at IS NULL AND claimed_at >= ?"
            " AND claimed_at <= ?",
            (now.isoformat(), resident, (now - OPT_OUT_WINDOW).isoformat(), now.isoformat()),
        ).rowcount
    )


def tallies(db: Database, alerts: list[int] | None = None) -> list[Tally]:
    """The tallies of ``alerts`` (None: every alert), without empty ones."""
    sql = (
        "SELECT alert, outcome, language, channel, department, count, key_sum"
        " FROM alert_tallies WHERE count > 0"
    )
    params: list[int] = []
    if alerts is not None:
        sql += f" AND alert IN ({', '.join('?' for _ in alerts)})"
        params = list(alerts)
    return [Tally(*row) for row in db.conn.execute(sql + " ORDER BY alert, outcome", params)]


def settle_message(db: Database, message_id: str, record_key: RecordKey) -> None:
    """:func:`settle` for the outbox row Twilio knows as ``message_id`` (keyed), if any."""
    found = db.conn.execute("SELECT id FROM outbox WHERE message_id = ?", (message_id,)).fetchone()
    if found is not None:
        settle(db, int(found[0]), record_key)


def went_out(db: Database, alerts: list[int]) -> list[int]:
    """Those of ``alerts`` (in their order) that queued at least one message: a draft or an
    approved alert canceled before its time has no figures to show, not a row of zeros."""
    if not alerts:
        return []
    marks = ", ".join("?" * len(alerts))
    found = {
        int(alert)
        for (alert,) in db.conn.execute(
            f"SELECT alert FROM outbox WHERE alert IN ({marks})"
            f" UNION SELECT alert FROM alert_tallies WHERE alert IN ({marks})"
            f" UNION SELECT alert FROM alert_tally_pending WHERE alert IN ({marks})",
            [*alerts, *alerts, *alerts],
        )
    }
    return [alert for alert in alerts if alert in found]
