"""The resident store: SQLite through sqlite-utils, and the only package that knows the
schema.

What is kept (DOMAIN.md section 6): a keyed pseudonym, never a phone number; the session
state and the fields a resident chose to give; opt-out; keyed ids of processed and sent
messages; and an interaction log of engine events (flow, node, kind, language, channel,
time) for the metrics. Never a message body.

- :mod:`.connection`: WAL, pragmas, the write lock (:func:`immediate`);
- :mod:`.migrations`: the schema's history, each step with its own SQL;
- :mod:`.activity`: today's definition of a day's activity, for the rollup;
- :mod:`.residents`: the rows about residents, read and written per turn.
"""

from __future__ import annotations

import fcntl
import logging
import sqlite3
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from .connection import LOCK_WAIT_SECONDS, immediate, open_database
from .migrations import MIGRATIONS
from .residents import Store

__all__ = ["DATABASE_NAME", "Store", "connect", "database_path", "forget_erased", "immediate"]

#: The database's file name in the instance folder, unless the DATABASE setting names one.
DATABASE_NAME = "outreach.sqlite3"


def database_path(settings: Mapping[str, Any], instance: str | Path) -> Path:
    """The one database of a deployment, which the service and every command open:
    ``settings["DATABASE"]`` if set, a relative path being relative to the ``instance``
    folder (never to the directory a process happens to start in), else
    :data:`DATABASE_NAME` in that folder."""
    return Path(instance) / (settings["DATABASE"] or DATABASE_NAME)


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
            db = open_database(path, timeout=30)
            # Owner only; SQLite gives the -wal and -shm files the database's own mode.
            for owned in (Path(path), lock_path):
                owned.chmod(0o600)
            # WAL is a property of the database file: set once, here, for every connection.
            db.conn.execute("PRAGMA journal_mode=WAL")
            MIGRATIONS.apply(db)
            return db
    return open_database(path, timeout=LOCK_WAIT_SECONDS)


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
