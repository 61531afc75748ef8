"""The resident store: SQLite through sqlite-utils, and the only module that writes to it.

What is kept (DOMAIN.md section 6): a keyed pseudonym, never a phone number; the session
state and the fields a resident chose to give; opt-out; keyed ids of processed and sent
messages; and an interaction log of engine events (flow, node, kind, language, channel,
time) for the metrics. Never a message body. Each turn's writes are one transaction,
begun IMMEDIATE so that two messages of one resident are handled strictly one after the
other, across threads and worker processes alike.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from .engine import Event, Session
from .engine import events as ev

MIGRATIONS = Migrations("outreach")

#: Keyed ids of processed messages are kept this long: enough for any Twilio retry.
PROCESSED_RETENTION = timedelta(days=2)
#: Old processed ids are pruned at most this often by each connection: a scan of two days
#: of ids once an hour costs less than keeping an index on them up to date on every turn.
PRUNE_INTERVAL = timedelta(hours=1)

#: Delivery statuses by how far a message got; callbacks arrive in any order.
STATUS_RANK = {
    "accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3,
    "canceled": 4, "failed": 4, "undelivered": 4, "delivered": 5, "read": 6,
}  # fmt: skip


@MIGRATIONS()
def m001_create_tables(db: Database) -> None:
    db.table("residents").create(
        {"id": str, "language": str, "opted_out": int, "session": str,
         "first_seen_on": str, "updated_at": str},
        pk="id",
    )  # fmt: skip
    db.table("processed_messages").create(
        {"id": str, "resident": str, "received_at": str, "reply": str}, pk="id"
    )
    db.table("outbound_messages").create(
        {"id": str, "resident": str, "status": str, "error_code": int, "updated_at": str},
        pk="id",
    )
    db.table("events").create(
        {"id": int, "resident": str, "at": str, "kind": str, "flow": str, "node": str,
         "language": str, "channel": str, "run": str, "field": str, "segments": int},
        pk="id",
    )  # fmt: skip
    db.table("events").create_index(["resident"])
    db.table("events").create_index(["at"])
    db.table("processed_messages").create_index(["received_at"])


@MIGRATIONS()
def m002_lighter_turns_and_unlinked_deliveries(db: Database) -> None:
    """Processed ids are pruned by an hourly scan, not an index kept up to date on every
    turn; delivery statuses no longer name the resident, so a status arriving after an
    erasure cannot bring the resident back."""
    db.execute("DROP INDEX IF EXISTS idx_processed_messages_received_at")
    db.execute("UPDATE outbound_messages SET resident = NULL")


#: How long a turn waits for another process to finish writing before it gives up: less
#: than the 15 s Twilio waits for an answer.
LOCK_WAIT_SECONDS = 10.0


def connect(path: str | Path, *, migrate: bool = False) -> Database:
    """Open the database in WAL mode; ``migrate`` creates or upgrades the schema, which
    the app does once at start. :func:`immediate` waits for the write lock itself, in
    short steps; everything else waits in SQLite's busy handler."""
    if migrate:
        # Several gunicorn workers start at once; switching to WAL and creating tables
        # need the database to themselves, so they take turns on a lock file.
        lock_path = Path(f"{path}.lock")
        with lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            db = _open(path, timeout=30)
            # Owner only; SQLite gives the -wal and -shm files the database's own mode.
            for owned in (Path(path), lock_path):
                owned.chmod(0o600)
            # WAL is a property of the database file: set once, here, for every connection.
            db.conn.execute("PRAGMA journal_mode=WAL")
            MIGRATIONS.apply(db)
            return db
    return _open(path, timeout=LOCK_WAIT_SECONDS)


def _open(path: str | Path, timeout: float) -> Database:
    # Only per-connection settings here: they take no lock, so opening never waits.
    conn = sqlite3.connect(
        str(path), isolation_level=None, timeout=timeout, check_same_thread=False
    )
    conn.execute("PRAGMA synchronous=NORMAL")
    # Deleted rows are overwritten, not just unlinked: an erased resident's data must not
    # stay readable in free pages of the file.
    conn.execute("PRAGMA secure_delete=ON")
    return _Database(conn, Path(path))


class _Database(Database):
    """A database that knows its file, so that turns can queue on the ``.queue`` file
    beside it (see :func:`immediate`)."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        super().__init__(conn)
        self.path = path
        # Not the migrations' .lock: a migration holds that one for as long as it runs.
        self.queue_path = Path(f"{path}.queue")
        self._queue: tuple[int, int] | None = None
        #: When this connection last pruned old processed ids (see PRUNE_INTERVAL).
        self.pruned_at: datetime | None = None

    def queue(self) -> int:
        """This process's descriptor of the queue file, closed with this object. A forked
        child opens its own: a lock belongs to an open file, and a shared one would let
        parent and child in together."""
        pid = os.getpid()
        if self._queue is None or self._queue[0] != pid:
            descriptor = os.open(self.queue_path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
            weakref.finalize(self, os.close, descriptor)
            self._queue = (pid, descriptor)
        return self._queue[1]


#: Threads of one process wait for each other here, on a mutex that wakes them at once;
#: SQLite's own busy handler would make them sleep in steps of milliseconds.
_WRITER = threading.Lock()


def _begin_immediate(conn: sqlite3.Connection, deadline: float | None = None) -> None:
    """BEGIN IMMEDIATE, waiting for other processes in steps of 50 µs to 2 ms, until
    ``deadline`` (time.monotonic()), by default :data:`LOCK_WAIT_SECONDS` from now. The
    caller has turned SQLite's busy handler off (see :func:`immediate`)."""
    pause = 0.00005
    if deadline is None:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.002)


log = logging.getLogger(__name__)

#: How long, after an erasure, the WAL's truncation is retried while a reader (a backup,
#: `outreach metrics`, another worker's open read) holds a snapshot that still needs it.
FORGET_RETRY_SECONDS = 600.0

#: Database files whose WAL a thread is already retrying to empty.
_FORGETTING: set[Path] = set()
_FORGETTING_LOCK = threading.Lock()


def forget_erased(db: Database) -> threading.Thread | None:
    """After an erasure: copy the WAL into the database and empty it, so the old frames
    that held the erased rows leave the files too.

    A reader holding an older snapshot keeps those frames needed, and the truncation
    fails as long as it does; then a thread retries, with its own connection and
    growing pauses, until the reader is done (for :data:`FORGET_RETRY_SECONDS` at
    most), so the resident's confirmation is never held up by somebody's backup. That
    thread is returned (None when the WAL is empty already)."""
    path = getattr(db, "path", None)
    if path is None:  # not a database file of ours (a test's in-memory one)
        _truncate_wal(db.conn)
        return None
    if _truncate_wal_of(path):
        return None
    with _FORGETTING_LOCK:
        if path in _FORGETTING:
            return None
        _FORGETTING.add(path)
    thread = threading.Thread(
        target=_keep_truncating, args=(path, time.monotonic() + FORGET_RETRY_SECONDS),
        name="outreach-forget-erased", daemon=True,
    )  # fmt: skip
    thread.start()
    return thread


def _truncate_wal(conn: sqlite3.Connection) -> bool:
    """One truncating checkpoint; True if the WAL is now empty (no reader held it up)."""
    busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return bool(busy == 0)


def _truncate_wal_of(path: Path) -> bool:
    # A connection of its own that never waits: the caller's may sit inside a busy
    # handler of seconds, and a checkpoint blocked by a reader would wait that long.
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=0)
    try:
        return _truncate_wal(conn)
    except sqlite3.OperationalError:  # another checkpoint or writer at that instant
        return False
    finally:
        conn.close()


def _keep_truncating(path: Path, deadline: float) -> None:
    pause = 0.01
    try:
        while time.monotonic() < deadline:
            time.sleep(pause)
            if _truncate_wal_of(path):
                return
            pause = min(pause * 2, 1.0)
        log.warning(
            "an erased resident's rows stay in %s-wal until the next checkpoint: a reader "
            "kept an older snapshot open for more than %d s", path.name, FORGET_RETRY_SECONDS,
        )  # fmt: skip
    finally:
        with _FORGETTING_LOCK:
            _FORGETTING.discard(path)


@MIGRATIONS()
def m003_anonymous_counts(db: Database) -> None:
    """Counts kept without any resident id: an erasure leaves nothing about the resident,
    yet the metrics still need to know that one happened."""
    db.table("anonymous_counts").create(
        {"day": str, "metric": str, "language": str, "channel": str, "count": int},
        pk=("day", "metric", "language", "channel"),
    )


@MIGRATIONS()
def m004_daily_aggregates(db: Database) -> None:
    """What remains of interaction rows past the retention window: suppressed daily
    aggregates (outreach purge)."""
    db.table("daily_aggregates").create(
        {"day": str, "metric": str, "dimension": str, "value": str, "count": int},
        pk=("day", "metric", "dimension", "value"),
    )


@MIGRATIONS()
def m005_staff(db: Database) -> None:
    """Staff accounts for the dashboard, failed-login counters and the audit log."""
    db.table("staff").create(
        {"name": str, "password_hash": str, "role": str, "created_at": str}, pk="name"
    )
    db.table("login_failures").create({"key": str, "at": str})
    db.table("login_failures").create_index(["key", "at"])
    db.table("audit_log").create(
        {"id": int, "at": str, "actor": str, "action": str, "detail": str}, pk="id"
    )


@MIGRATIONS()
def m006_referred_programme(db: Database) -> None:
    """Referrals say which programme, for referrals per programme."""
    db.table("events").add_column("programme", str)


@MIGRATIONS()
def m007_events_by_kind_and_time(db: Database) -> None:
    """Every metric asks for one kind of event in a date range."""
    db.table("events").create_index(["kind", "at", "resident"])


@MIGRATIONS()
def m008_daily_activity(db: Database) -> None:
    """Closed days of the interaction log, one row per resident, day and what they did
    (see :mod:`outreach.metrics.rollup`): nothing finer than a day outlives the day, and
    the dashboard reads a tenth of the rows. The ``activity`` view adds today's events."""
    db.table("daily_activity").create(
        {"day": str, "resident": str, "kind": str, "flow": str, "node": str,
         "programme": str, "language": str, "channel": str, "department": str,
         "first_seen_on": str, "events": int, "messages": int, "segments": int},
    )  # fmt: skip
    db.table("daily_activity").create_index(["kind", "day"])
    db.table("daily_activity").create_index(["resident"])
    db.execute(
        "CREATE VIEW activity AS "
        "SELECT day, resident, kind, flow, node, programme, language, channel, department,"
        " first_seen_on, events, messages, segments FROM daily_activity "
        "UNION ALL "
        f"SELECT {ACTIVITY_OF_EVENTS}"
    )


#: Today's events (or any not yet rolled up), in the shape of ``daily_activity``. A node's
#: message is logged on its node_visited row with its SMS segments (0 on WhatsApp), so a
#: row with segments is a message sent. The department is the one the resident gave, if any.
ACTIVITY_OF_EVENTS = (
    "substr(e.at, 1, 10) AS day, e.resident, e.kind, e.flow, e.node, e.programme,"
    " e.language, e.channel,"
    " coalesce(json_extract(r.session, '$.fields.department'), 'unknown') AS department,"
    " coalesce(r.first_seen_on, substr(e.at, 1, 10)) AS first_seen_on,"
    " count(*) AS events, sum(e.kind = 'msg_created' OR e.segments IS NOT NULL) AS messages,"
    " coalesce(sum(e.segments), 0) AS segments "
    "FROM events e LEFT JOIN residents r ON r.id = e.resident "
    "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10"
)


@MIGRATIONS()
def m009_resident_days(db: Database) -> None:
    """One more row per resident and day, kind ``resident_day``: messages in and out and
    SMS segments, so the overview reads a row per resident-day rather than one per node."""
    db.execute(
        "INSERT INTO daily_activity (day, resident, kind, language, channel, department,"
        " first_seen_on, events, messages, segments) "
        "SELECT day, resident, 'resident_day', language, channel, department, first_seen_on,"
        " sum(CASE WHEN kind = 'msg_received' THEN events ELSE 0 END), sum(messages),"
        " sum(segments) FROM daily_activity GROUP BY 1, 2, 4, 5, 6, 7"
    )
    db.execute("DROP VIEW activity")
    db.execute(
        "CREATE VIEW activity AS "
        "SELECT day, resident, kind, flow, node, programme, language, channel, department,"
        " first_seen_on, events, messages, segments FROM daily_activity "
        f"UNION ALL SELECT {ACTIVITY_OF_EVENTS} "
        f"UNION ALL SELECT {RESIDENT_DAYS_OF_EVENTS}"
    )


#: Today's events as one ``resident_day`` row per resident (and language and channel):
#: messages received (``events``), messages sent and SMS segments.
RESIDENT_DAYS_OF_EVENTS = (
    "substr(e.at, 1, 10) AS day, e.resident, 'resident_day', NULL, NULL, NULL,"
    " e.language, e.channel,"
    " coalesce(json_extract(r.session, '$.fields.department'), 'unknown') AS department,"
    " coalesce(r.first_seen_on, substr(e.at, 1, 10)) AS first_seen_on,"
    " sum(e.kind = 'msg_received') AS events,"
    " sum(e.kind = 'msg_created' OR e.segments IS NOT NULL) AS messages,"
    " coalesce(sum(e.segments), 0) AS segments "
    "FROM events e LEFT JOIN residents r ON r.id = e.resident "
    "GROUP BY 1, 2, 7, 8, 9, 10"
)


@MIGRATIONS()
def m010_unindexed_log(db: Database) -> None:
    """The interaction log without indexes. It holds only the days not yet closed into
    ``daily_activity`` (normally today), which every reader scans whole anyway (the
    ``activity`` view, closing a day, an erasure), while each index cost every turn a
    write to a page of its own: a third of a message's time in the webhook."""
    for index in ("idx_events_resident", "idx_events_at", "idx_events_kind_at_resident"):
        db.execute(f"DROP INDEX IF EXISTS {index}")


@MIGRATIONS()
def m011_staff_sessions(db: Database) -> None:
    """Staff login sessions kept on the server, so that they can be ended: by logging out,
    a new password or the account's removal. Only a hash of each session's token is kept."""
    db.table("staff_sessions").create(
        {"token_hash": str, "name": str, "created_at": str, "seen_at": str}, pk="token_hash"
    )
    db.table("staff_sessions").create_index(["name"])


@MIGRATIONS()
def m012_login_throttle(db: Database) -> None:
    """Failed logins as one counter per name and address (and per address), with growing
    delays instead of a lockout; attempts the throttle refuses as one count per window
    and key, so that nobody can fill the database by hammering the login page. The old
    login_failures rows are no longer read (they only ever mattered for 15 minutes)."""
    db.table("login_throttle").create(
        {"name": str, "address": str, "failures": int, "last_failure_at": str},
        pk=("name", "address"),
    )
    db.table("login_refusals").create(
        {"window_start": str, "name": str, "address": str, "count": int},
        pk=("window_start", "name", "address"),
    )


@contextmanager
def immediate(db: Database, *, queued: bool = False) -> Iterator[Database]:
    """One write transaction that holds SQLite's write lock from its first statement.

    Threads of this process queue on a mutex; other processes (more gunicorn workers)
    on SQLite's lock, through :func:`_begin_immediate`, which polls for it.

    ``queued`` is for short transactions such as a resident's turn: these also queue on
    an empty ``.queue`` file beside the database (``flock``), on which the kernel wakes
    the next process the moment the lock is free. Polling would leave the write lock
    idle between tries, or spend the CPU the turns need on trying. A writer that does
    not queue (a purge, a migration) still excludes them through SQLite's own lock, and
    the queue only ever waits for queued turns, each giving up at its own deadline."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    # SQLite's busy handler sleeps 1 ms, then 2, 5, 10...: a lock held for a fraction of
    # a millisecond would stand idle most of that time, and throughput collapse. So it is
    # off from before the wait until the transaction is over (no statement in a write
    # transaction waits in WAL mode), and on again for everything else once the locks
    # are released: they are held for the writes alone.
    db.conn.execute("PRAGMA busy_timeout = 0")
    try:
        with _WRITER:
            queue = db.queue() if queued and isinstance(db, _Database) else None
            if queue is not None:
                fcntl.flock(queue, fcntl.LOCK_EX)
            try:
                _begin_immediate(db.conn, deadline)
                try:
                    yield db
                except BaseException:
                    db.conn.execute("ROLLBACK")
                    raise
                db.conn.execute("COMMIT")
            finally:
                if queue is not None:
                    fcntl.flock(queue, fcntl.LOCK_UN)
    finally:
        db.conn.execute(f"PRAGMA busy_timeout = {int(LOCK_WAIT_SECONDS * 1000)}")


class AlreadyProcessed(Exception):
    """The message was processed before: roll the transaction back, answer as then."""

    def __init__(self, message_id: str) -> None:
        super().__init__("message processed before")  # no id: it is the caller's to know
        self.message_id = message_id


@dataclass
class Resident:
    id: str
    session: Session | None
    opted_out: bool


class Store:
    """Reads and writes about residents; call the writing methods inside :func:`immediate`.

    The per-message path is plain SQL on cached statements: sqlite-utils, which looks up
    each table's schema on every call, stays with the migrations and the rarer writes.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self.conn = db.conn

    def resident(self, resident_id: str) -> Resident:
        row = self.conn.execute(
            "SELECT session, opted_out FROM residents WHERE id = ?", (resident_id,)
        ).fetchone()
        if row is None:
            return Resident(resident_id, None, False)
        return Resident(resident_id, Session.from_dict(json.loads(row[0])), bool(row[1]))

    def turn_state(self, message_id: str, resident_id: str) -> tuple[list[str] | None, str | None]:
        """In one statement: the reply already given to ``message_id`` (None if it is new)
        and the resident's session as stored, JSON text (None for someone never seen)."""
        reply, state = self.conn.execute(_TURN_STATE, (message_id, resident_id)).fetchone()
        return (None if reply is None else json.loads(reply)), state

    def processed_reply(self, message_id: str) -> list[str] | None:
        row = self.conn.execute(
            "SELECT reply FROM processed_messages WHERE id = ?", (message_id,)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def save_turn(self, rows: TurnRows) -> None:
        """Everything one turn changes (see :func:`turn_rows`), in the caller's transaction.

        Erasure removes every row about the resident and keeps nothing of this turn
        either, except, for a resident who had said STOP, that wish: a bare row so
        nothing is sent to them again; and the message id, so that a retry changes nothing.
        """
        if rows.erases:
            resident_id = rows.resident[0]
            self.erase(resident_id)
            self.conn.execute(
                "INSERT INTO anonymous_counts (day, metric, language, channel, count) "
                "VALUES (?, 'erasure', ?, ?, 1) ON CONFLICT DO UPDATE SET count = count + 1",
                (rows.now.date().isoformat(), rows.language, rows.channel),
            )
            if rows.opted_out:
                self.conn.execute(_UPSERT_RESIDENT, rows.resident)
            # The erasure's own message id stays, linked to no one, as long as any
            # processed id does: a retry of this BORRAR, however late, gets the same
            # answer, is not counted again and erases nothing written since.
            message_id, _, received_at, reply = rows.processed
            self.conn.execute(
                "INSERT INTO processed_messages (id, resident, received_at, reply)"
                " VALUES (?, NULL, ?, ?) ON CONFLICT (id) DO NOTHING",
                (message_id, received_at, reply),
            )
            return
        self.conn.execute(_UPSERT_RESIDENT, rows.resident)
        self._log_turn(rows)

    def save_turn_if_unchanged(self, stored: str | None, rows: TurnRows) -> bool:
        """:meth:`save_turn` in one statement fewer, for a turn worked out from the session
        ``stored`` (JSON text as read, None for a resident never seen): False, with
        nothing written, if the stored session is no longer that one or the turn erases.
        Raises :class:`AlreadyProcessed` if the message was processed before; the
        caller's transaction must then be rolled back."""
        if rows.erases:
            return False
        if stored is None:
            # Never seen: inserted, unless another message of theirs got in first.
            sql, params = _INSERT_RESIDENT_IF_NEW, rows.resident
        else:
            # Only over that session: not over a newer one, and not into a row erased or
            # forgotten meanwhile (an upsert would bring the erased resident back).
            resident_id, *values = rows.resident
            sql, params = _UPDATE_RESIDENT_IF_UNCHANGED, (*values, resident_id, stored)
        if not self.conn.execute(sql, params).rowcount:
            return False
        self._log_turn(rows)
        return True

    def _log_turn(self, rows: TurnRows) -> None:
        self.conn.executemany(_INSERT_EVENT, rows.events)
        if not self.conn.execute(
            "INSERT INTO processed_messages (id, resident, received_at, reply) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (id) DO NOTHING",
            rows.processed,
        ).rowcount:
            raise AlreadyProcessed(rows.processed[0])
        now = rows.now
        pruned_at = getattr(self.db, "pruned_at", None)
        if pruned_at is None or not timedelta(0) <= now - pruned_at < PRUNE_INTERVAL:
            cutoff = (now - PROCESSED_RETENTION).isoformat()
            self.conn.execute("DELETE FROM processed_messages WHERE received_at < ?", (cutoff,))
            if isinstance(self.db, _Database):
                self.db.pruned_at = now

    def erase(self, resident_id: str) -> None:
        for table in ("events", "daily_activity", "processed_messages"):
            self.db.table(table).delete_where("resident = ?", [resident_id])
        self.db.table("residents").delete_where("id = ?", [resident_id])

    def record_status(
        self, message_id: str, status: str, error_code: int | None, now: datetime
    ) -> None:
        """Keep the furthest status a message reached, with that status's error code,
        whatever order callbacks come in. The row names no resident: a status arriving
        after an erasure must not link anything back to them."""
        old = self.conn.execute(
            "SELECT status, error_code FROM outbound_messages WHERE id = ?", (message_id,)
        ).fetchone()
        if old is not None and STATUS_RANK.get(status, -1) < STATUS_RANK.get(old[0], -1):
            return
        self.conn.execute(
            "INSERT INTO outbound_messages (id, status, error_code, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status,"
            " error_code = excluded.error_code, updated_at = excluded.updated_at",
            (message_id, status, error_code, now.isoformat()),
        )

    def mark_opted_out(self, resident_id: str, now: datetime) -> None:
        resident = self.resident(resident_id)
        if resident.session is None:
            return  # never seen: there is nothing to send to anyway
        resident.session.opted_out = True
        self.conn.execute(
            "UPDATE residents SET opted_out = 1, session = ?, updated_at = ? WHERE id = ?",
            (json.dumps(resident.session.to_dict()), now.isoformat(), resident_id),
        )


_TURN_STATE = (
    "SELECT (SELECT reply FROM processed_messages WHERE id = ?),"
    " (SELECT session FROM residents WHERE id = ?)"
)
# The first day a resident was seen is kept (a purge clears it from a bare STOP row:
# writing again, they start afresh); everything else is the latest.
_UPSERT_RESIDENT = (
    "INSERT INTO residents (id, language, opted_out, session, first_seen_on, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET language = excluded.language, "
    "opted_out = excluded.opted_out, session = excluded.session, "
    "first_seen_on = coalesce(residents.first_seen_on, excluded.first_seen_on), "
    "updated_at = excluded.updated_at"
)
#: A resident's first row, unless one was written meanwhile.
_INSERT_RESIDENT_IF_NEW = (
    "INSERT INTO residents (id, language, opted_out, session, first_seen_on, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"
)
#: The resident's row, only if it still holds the session the turn was worked out from.
_UPDATE_RESIDENT_IF_UNCHANGED = (
    "UPDATE residents SET language = ?, opted_out = ?, session = ?, "
    "first_seen_on = coalesce(first_seen_on, ?), updated_at = ? WHERE id = ? AND session = ?"
)
_EVENT_COLUMNS = ("resident", "at", "kind", "flow", "node", "language", "channel", "run",
                  "field", "segments", "programme")  # fmt: skip
_INSERT_EVENT = (
    f"INSERT INTO events ({', '.join(_EVENT_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _EVENT_COLUMNS)})"
)


class TurnRows(NamedTuple):
    """The rows one turn writes, worked out before the write lock is taken, so that the
    lock is held for the writes alone."""

    resident: tuple[Any, ...]
    events: list[tuple[Any, ...]]
    processed: tuple[str, str, str, str]
    now: datetime
    erases: bool
    #: What an erasure still needs: the turn's language and channel (counted, with no
    #: resident), and whether the resident had said STOP (kept).
    language: str
    channel: str
    opted_out: bool


def turn_rows(
    resident_id: str,
    session: Session,
    events: Sequence[Event],
    channel: str,
    message_id: str,
    reply: list[str],
    segments: Sequence[int | None],
    now: datetime,
) -> TurnRows:
    stamp = now.isoformat()
    received = (resident_id, stamp, "msg_received", None, None, session.language, channel,
                None, None, None, None)  # fmt: skip
    return TurnRows(
        (resident_id, session.language, int(session.opted_out), json.dumps(session.to_dict()),
         now.date().isoformat(), stamp),
        [received, *_event_rows(resident_id, events, channel, session.language, segments)],
        (message_id, resident_id, stamp, json.dumps(reply)),
        now,
        any(isinstance(e, ev.ErasureRequested) for e in events),
        session.language,
        channel,
        session.opted_out,
    )  # fmt: skip


def _event_rows(
    resident_id: str,
    events: Sequence[Event],
    channel: str,
    language: str,
    segments: Sequence[int | None],
) -> list[tuple[Any, ...]]:
    """The log rows of a turn. A node's message is logged on its node_visited row (with
    the SMS segments it cost) rather than as a row of its own: one row fewer per message
    written on every turn. Messages of the service itself (help, not understood...) have
    no node and keep their own msg_created row."""
    rows: list[list[Any]] = []
    at = events[0].at.isoformat() if events else ""
    sizes = iter(segments)
    visited: dict[tuple[str | None, str | None], list[Any]] = {}
    for event in events:
        flow, node = getattr(event, "flow", None), getattr(event, "node", None)
        if isinstance(event, ev.MessageCreated):
            size = next(sizes, None)
            row = visited.get((flow, node)) if node else None
            if row is not None and row[9] is None:
                row[9] = size
                continue
        else:
            size = None
        row = [resident_id, at, event.kind, flow, node,
               getattr(event, "language", None) or language, channel,
               getattr(event, "run", None), getattr(event, "field", None), size,
               getattr(event, "programme", None)]  # fmt: skip
        if isinstance(event, ev.NodeVisited):
            visited[flow, node] = row
        rows.append(row)
    return [tuple(row) for row in rows]
