"""The connection: WAL, per-connection pragmas, and the write lock every turn queues for.

Each turn's writes are one transaction, begun IMMEDIATE so that two messages of one
resident are handled strictly one after the other, across threads and worker processes
alike.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

#: How long a turn waits for another process to finish writing before it gives up: less
#: than the 15 s Twilio waits for an answer.
LOCK_WAIT_SECONDS = 10.0


def open_database(path: str | Path, timeout: float) -> Database:
    """A connection to ``path``, waiting up to ``timeout`` s in SQLite's busy handler."""
    # Only per-connection settings here: they take no lock, so opening never waits.
    conn = sqlite3.connect(
        str(path), isolation_level=None, timeout=timeout, check_same_thread=False
    )
    conn.execute("PRAGMA synchronous=NORMAL")
    # Deleted rows are overwritten, not just unlinked: an erased resident's data must not
    # stay readable in free pages of the file.
    conn.execute("PRAGMA secure_delete=ON")
    return FileDatabase(conn, Path(path))


class FileDatabase(Database):
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
            queue = db.queue() if queued and isinstance(db, FileDatabase) else None
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
