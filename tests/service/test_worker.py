"""The worker's loop of tasks: each in turn, a failing one not stopping the others, one
worker per database, stopped by a signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import TEST_CONFIG
from flask import Flask

from outreach.service.worker import Worker

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


class Counting:
    def __init__(self, work: int = 0, fail: bool = False) -> None:
        self.work = work
        self.fail = fail
        self.seen: list[datetime] = []
        self.started = 0

    def start(self) -> None:
        self.started += 1

    def run_once(self, now: datetime) -> bool:
        self.seen.append(now)
        if self.fail:
            raise RuntimeError("+50255550101 said something private")
        if self.work:
            self.work -= 1
            return True
        return False


def test_run_once_runs_each_task_and_says_whether_any_worked(tmp_path: Path) -> None:
    busy, idle = Counting(work=1), Counting()
    worker = Worker(tmp_path / "db", {}, [busy, idle])
    assert worker.run_once(NOW) is True
    assert busy.seen == [NOW] and idle.seen == [NOW]
    assert worker.run_once(NOW) is False


def test_a_failing_task_is_logged_by_kind_and_the_others_still_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken, other = Counting(fail=True), Counting(work=1)
    assert Worker(tmp_path / "db", {}, [broken, other]).run_once(NOW) is True
    assert other.seen == [NOW]
    assert "RuntimeError" in caplog.text and "55550101" not in caplog.text


def test_run_starts_tasks_once_loops_while_there_is_work_and_stops(tmp_path: Path) -> None:
    task = Counting(work=5)
    worker = Worker(tmp_path / "db", {}, [task], idle_seconds=0.01)
    thread = threading.Thread(target=worker.run)
    thread.start()
    assert worker.running.wait(10)
    while task.work:
        worker.stopped.wait(0.01)
    worker.stop()
    thread.join(10)
    assert not thread.is_alive()
    assert task.started == 1 and len(task.seen) >= 6


def test_a_second_worker_on_the_same_database_waits_for_the_first(tmp_path: Path) -> None:
    first_task, second_task = Counting(), Counting()
    first = Worker(tmp_path / "db", {}, [first_task], idle_seconds=0.01)
    second = Worker(tmp_path / "db", {}, [second_task], idle_seconds=0.01)
    threads = [threading.Thread(target=w.run) for w in (first, second)]
    threads[0].start()
    assert first.running.wait(10)
    threads[1].start()
    # The second one is waiting for the lock: it has not started its tasks.
    assert not second.running.wait(0.2)
    assert second_task.started == 0
    first.stop()
    threads[0].join(10)
    assert second.running.wait(10) and second_task.started == 1
    second.stop()
    threads[1].join(10)


def test_outreach_worker_stops_on_sigterm(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    env |= {f"OUTREACH_{k}": v for k, v in TEST_CONFIG.items()}
    env["OUTREACH_DATABASE"] = str(tmp_path / "db.sqlite3")
    with subprocess.Popen(
        [sys.executable, "-m", "outreach.cli", "worker"], env=env,
        stderr=subprocess.PIPE, text=True,
    ) as process:  # fmt: skip
        assert process.stderr is not None
        assert "running" in process.stderr.readline()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


def test_outreach_serve_runs_the_worker_in_a_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from click.testing import CliRunner

    from outreach.cli import main

    for key in list(os.environ):
        if key.startswith("OUTREACH_"):
            monkeypatch.delenv(key)
    for key, value in TEST_CONFIG.items():
        monkeypatch.setenv(f"OUTREACH_{key}", value)
    monkeypatch.setenv("OUTREACH_DATABASE", str(tmp_path / "db.sqlite3"))
    started: list[Worker] = []
    monkeypatch.setattr(
        "outreach.service.worker.run_in_thread", lambda worker: started.append(worker)
    )
    monkeypatch.setattr(Flask, "run", lambda self, **kwargs: None)
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 0, result.output
    (worker,) = started
    assert worker.db_path == tmp_path / "db.sqlite3"
    result = CliRunner().invoke(main, ["serve", "--no-worker"])
    assert result.exit_code == 0 and len(started) == 1
