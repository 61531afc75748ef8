"""The worker: the service's outbound work (callbacks, the outbox's sends), one loop of
tasks beside the web service. ``outreach worker`` runs it; ``outreach serve`` runs it in a
thread too, on the embedded default.

Each task's ``run_once(now) -> bool`` does one small piece of work and says whether it
did any; the loop runs the tasks in turn, at once again while any had work, else after a
pause, until it is stopped (SIGTERM, SIGINT, or :meth:`Worker.stop`). A task's
``start()``, if it has one, is called once before the loop: where it recovers what a
worker killed mid-work left behind.

One worker per database at a time: it holds an exclusive lock on ``<database>.worker``
(the lock dies with the process, however it dies). A second one waits for that lock, so
``outreach serve``'s thread and an ``outreach worker`` never both send, and a task's
``start()`` knows that whatever is half done was left by a process that is gone.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from . import utc_now

logger = logging.getLogger(__name__)

#: Seconds the loop rests when no task had work; a task with work runs again at once.
IDLE_SECONDS = 1.0


class Task(Protocol):
    def run_once(self, now: datetime) -> bool:
        """Do one piece of work, if there is any; True if there was."""
        ...


def default_tasks(
    db_path: str | Path, config: Mapping[str, Any], keys: Any | None = None
) -> list[Task]:
    """The service's tasks, in order: the missed-call callback first (a resident is
    waiting by the phone), then the outbox's sender (fed by the reminders due), then the
    deletions at Twilio (nobody waits for those). ``keys``: the sender's
    (:class:`~outreach.service.alert_sending.SendingKeys`); without them it sends nothing."""
    from .alert_sending import OutboxTask
    from .callback import CallbackTask
    from .forget import ForgetTask
    from .reminders import ReminderTask

    return [
        CallbackTask(db_path, config),
        ReminderTask(db_path, config),
        OutboxTask(db_path, config, keys),
        ForgetTask(db_path, config),
    ]


class Worker:
    def __init__(
        self,
        db_path: str | Path,
        config: Mapping[str, Any],
        tasks: Sequence[Task] | None = None,
        *,
        idle_seconds: float = IDLE_SECONDS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.db_path = Path(db_path)
        self.config = config
        self.tasks = list(tasks) if tasks is not None else default_tasks(db_path, config)
        self.idle_seconds = idle_seconds
        self.clock = clock
        self.stopped = threading.Event()
        #: Set once this worker holds the lock and its tasks have started.
        self.running = threading.Event()

    def stop(self) -> None:
        """End the loop after the task running now (callable from a signal handler)."""
        self.stopped.set()

    def run_once(self, now: datetime | None = None) -> bool:
        """Each task once; True if any did work. A task that fails is logged by the kind
        of its error only (its text could hold a number) and the others still run."""
        did = False
        for task in self.tasks:
            if self.stopped.is_set():
                break
            try:
                did = task.run_once(now or self.clock()) or did
            except Exception as exc:
                logger.error("worker task %s failed: %s", type(task).__name__, type(exc).__name__)
        return did

    def run(self) -> None:
        """Take the lock (waiting for another worker to end), start the tasks, loop."""
        lock_path = Path(f"{self.db_path}.worker")
        descriptor = os.open(lock_path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            waiting = False
            while not self.stopped.is_set():
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not waiting:
                        logger.info("another worker runs on this database: waiting for it")
                        waiting = True
                    self.stopped.wait(self.idle_seconds)
            else:
                return
            for task in self.tasks:
                start = getattr(task, "start", None)
                if callable(start):
                    start()
            self.running.set()
            while not self.stopped.is_set():
                if not self.run_once():
                    self.stopped.wait(self.idle_seconds)
        finally:
            os.close(descriptor)  # releases the lock


def run_in_thread(worker: Worker) -> threading.Thread:
    """The worker in a daemon thread (``outreach serve``): it ends with the process."""
    thread = threading.Thread(target=worker.run, name="outreach-worker", daemon=True)
    thread.start()
    return thread
