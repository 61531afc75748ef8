"""The benchmarks still run against the current content (their timings are not tested)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from conftest import ROOT, TODAY

from outreach.flowfile import load

sys.path.insert(0, str(ROOT / "bench"))

import check_speed
import engine_turn
import voice_turn


def test_the_check_benchmark_corpus_is_valid_content(tmp_path: Path) -> None:
    check_speed.make_corpus(tmp_path)
    result = load([tmp_path], TODAY)
    assert result.errors == []
    # deployment, departments, main, welcome, feedback and alerts besides the generated flows.
    assert result.files == check_speed.FLOWS + 6


def test_the_engine_benchmark_script_walks_the_shipped_flows() -> None:
    from outreach.engine import Engine, counter_ids
    from outreach.flowfile import load_or_raise

    engine = Engine(load_or_raise([ROOT / "flows"], TODAY), new_id=counter_ids())
    samples = engine_turn.time_turns(engine, engine_turn.SCRIPT, 1)
    assert len(samples) == len(engine_turn.SCRIPT)


def test_the_webhook_bench_split_counts_each_path_over_every_worker(tmp_path: Path) -> None:
    from cpu_split import CpuInsideApp, read_totals

    def app(environ: dict[str, object], start_response: object) -> list[bytes]:
        sum(range(20_000))  # some CPU to measure
        return [b"<Response/>"]

    worker = CpuInsideApp(app, tmp_path)
    for path in ("/a", "/a", "/b"):
        assert worker({"PATH_INFO": path}, None) == [b"<Response/>"]
    # As if that had been another worker process: its file keeps its own name.
    (tmp_path / str(os.getpid())).rename(tmp_path / "another-worker")
    worker = CpuInsideApp(app, tmp_path)
    worker({"PATH_INFO": "/a"}, None)
    worker({"PATH_INFO": "/a"}, None)  # the file is rewritten, not added to
    requests, seconds = read_totals(tmp_path, "/a")
    assert requests == 2 + 2
    assert seconds > 0
    assert read_totals(tmp_path, "/b")[0] == 1
    assert read_totals(tmp_path, "/c") == (0, 0)


def test_the_webhook_under_dashboard_bench_runs_in_its_tiny_mode() -> None:
    """The whole bench, small: a real log, gunicorn, signed webhooks, two logged-in
    viewers. Only that it ran and printed its figures is checked, never a timing."""
    import subprocess

    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "webhook_under_dashboard.py"), "--tiny"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    assert "webhook alone:" in run.stdout
    assert "2 viewers loading:" in run.stdout
    assert "p99 under load / alone:" in run.stdout
    assert "page loads (" in run.stdout


def test_the_alert_bench_runs_in_its_tiny_mode() -> None:
    """The whole alert bench, small: subscribers, the fake Twilio in a process of its
    own, the minimal sender, gunicorn, `outreach worker`. Only that it ran, reached every
    subscriber once (it exits non-zero otherwise) and printed its figures is checked,
    never a timing."""
    import subprocess

    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "alerts.py"), "--tiny"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    assert "alert: 300 of 300 received" in run.stdout and ", 0 twice" in run.stdout
    assert "limit, a minimal sender" in run.stdout
    assert "rate / configured:" in run.stdout
    assert "webhook, alert going out:" in run.stdout


def test_the_voice_bench_walks_the_shipped_flows_by_text_and_by_keypad(tmp_path: Path) -> None:
    """Every text of the message script and every key of the call is answered, so the
    two figures compare whole walks (a call that hung up early would compare less)."""
    client = voice_turn.bench_app(str(tmp_path)).test_client()
    assert len(voice_turn.message_turns(client, 2)) == 2 * len(voice_turn.TEXTS)
    assert len(voice_turn.voice_turns(client, 2)) == 2 * (1 + len(voice_turn.KEYS))
