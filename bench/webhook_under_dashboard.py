"""Webhook latency while staff load the heaviest dashboard page (issue 13, point 4).

A page read must never delay a resident's turn. This bench fills a real SQLite database
(storage.connect with its migrations) with 1,000,000 logged interactions shaped like the
real log (bench/metrics.py's generator; past days closed as the service closes them),
starts gunicorn as production runs it (docs/deploy.md: sync workers, 2 x cores + 1),
and sends signed webhooks (twilio's RequestValidator) at a steady 100 messages/s:

1. alone: the baseline, in the same run on the same server;
2. while two viewer processes, each logged in as staff, load the heaviest dashboard page
   over and over (the slowest of a few candidates, measured once before).

It prints webhook p50/p95/p99/max for both, the ratio, and the page load times.
Target: p99 under 50 ms at 100/s under load. The viewers are processes of their own so
that their HTML parsing cannot take the senders' GIL and show up as webhook latency.

    .venv/bin/python bench/webhook_under_dashboard.py           # the figures
    BENCH_DASHBOARD_POOL=nice .venv/bin/python bench/webhook_under_dashboard.py
        # the dashboard from a second gunicorn at nice 19 (see POOL)
    .venv/bin/python bench/webhook_under_dashboard.py --tiny    # a quick run (tests)
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from http.cookiejar import CookieJar
from multiprocessing.synchronize import Event
from pathlib import Path
from urllib.parse import urlencode

from metrics import DAYS
from metrics import fill as fill_log
from webhook import RATE, WORKERS, free_port, open_loop, percentile, start_server

from outreach.metrics.rollup import close_days
from outreach.storage import connect

TINY = "--tiny" in sys.argv[1:]
INTERACTIONS = 3_000 if TINY else int(os.environ.get("BENCH_INTERACTIONS", "1000000"))
SECONDS = 1.0 if TINY else float(os.environ.get("BENCH_SECONDS", "20"))
VIEWERS = 2
#: "shared": the dashboard is served by the same gunicorn as the webhook (docs/deploy.md
#: today); "nice": by a second gunicorn of its own at the lowest CPU priority (nice 19),
#: with the proxy sending /dashboard/ there, so a page render only gets the CPU the
#: webhook's workers leave.
POOL = os.environ.get("BENCH_DASHBOARD_POOL", "shared")
SECRET = "bench-secret-key-of-at-least-32-bytes-long"


def candidates(now: datetime) -> list[str]:
    """Pages that may be the heaviest: the issue's unbounded range (today it may be
    refused or bounded; it takes seconds even over a tiny log, so --tiny leaves it
    out), and the whole retention window by day, split and not."""
    whole = (now - timedelta(days=DAYS - 1)).date().isoformat()
    until = now.date().isoformat()
    unbounded = [] if TINY else ["/dashboard/?since=0001-01-01&until=9999-12-30&period=day"]
    return [
        *unbounded,
        f"/dashboard/?since={whole}&until={until}&period=day",
        f"/dashboard/?since={whole}&until={until}&period=day&split=department",
        f"/dashboard/topics?since={whole}&until={until}",
        f"/dashboard/quality?since={whole}&until={until}",
    ]


def logged_in(base: str) -> urllib.request.OpenerDirector:
    """A staff browser: a cookie jar, logged in through the login form (CSRF token)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    form = opener.open(f"{base}/dashboard/login", timeout=60).read().decode()
    token = form.split('name="csrf" value="')[1].split('"')[0]
    data = urlencode({"name": "bench", "password": "bench-password", "csrf": token}).encode()
    opener.open(f"{base}/dashboard/login?next=/dashboard/login", data=data, timeout=60).read()
    return opener


def load(opener: urllib.request.OpenerDirector, url: str) -> tuple[int, float, int]:
    """Status, seconds and bytes of one page load."""
    start = time.perf_counter()
    try:
        with opener.open(url, timeout=120) as response:
            size = len(response.read())
            status = int(response.status)
    except urllib.error.HTTPError as error:
        size, status = len(error.read()), error.code
    except (OSError, http.client.HTTPException):
        # Cut off: gunicorn kills a worker busy for longer than its timeout (30 s).
        size, status = 0, 0
    return status, time.perf_counter() - start, size


def viewer(base: str, url: str, stop: Event, results: multiprocessing.Queue[float | None]) -> None:
    """Loads ``url`` at least once and again until ``stop``; each load's seconds go to
    ``results``, then None to say this viewer is done."""
    # The staff's browsers are not on the server: the viewers' own reading of the pages
    # must not take the CPU from the server or the senders.
    os.nice(19)
    opener = logged_in(base)
    try:
        while True:
            status, seconds, _size = load(opener, url)
            if status != 200:
                raise SystemExit(f"viewer got {status} for {url}")
            results.put(seconds)
            if stop.is_set():
                break
    finally:
        results.put(None)


def summary(latencies: list[float]) -> str:
    ms = [value * 1000 for value in latencies]
    return (
        f"p50 {percentile(ms, 0.50):7.1f}  p95 {percentile(ms, 0.95):7.1f}  "
        f"p99 {percentile(ms, 0.99):7.1f}  max {max(ms):7.1f} ms  ({len(ms)} messages)"
    )


def main() -> None:
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.sqlite3"
        start = time.perf_counter()
        interactions, residents = fill_log(database, now, INTERACTIONS)
        closed = close_days(connect(database), now.date())
        print(
            f"log: {interactions:,} interactions of {residents:,} residents over {DAYS} days, "
            f"{closed.rows:,} rolled-up rows, made in {time.perf_counter() - start:.1f} s"
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        extra = {"OUTREACH_SECRET_KEY": SECRET}  # one key for every worker's sessions
        server = start_server(port, database, extra=extra)
        pages_server = None
        if POOL == "nice":
            pages_port = free_port()
            pages_server = start_server(pages_port, database, extra=extra, nice=19, workers=2)
            base = f"http://127.0.0.1:{pages_port}"
        try:
            opener = logged_in(base)
            timed = []
            for url in candidates(now):
                status, seconds, size = load(opener, base + url)
                answer = status or "cut off (worker timeout)"
                print(f"  candidate {url}: {answer}, {seconds * 1000:.0f} ms, {size:,} bytes")
                if status == 200:
                    timed.append((seconds, url))
            heaviest = max(timed)[1]
            open_loop(port, "/twilio/messages", RATE, min(SECONDS, 2), 5000)  # warm up
            alone = open_loop(port, "/twilio/messages", RATE, SECONDS, 6000)
            context = multiprocessing.get_context("spawn")
            stop = context.Event()
            results: multiprocessing.Queue[float | None] = context.Queue()
            viewers = [
                context.Process(target=viewer, args=(base, base + heaviest, stop, results))
                for _ in range(VIEWERS)
            ]
            for process in viewers:
                process.start()
            time.sleep(1.0)  # logged in and rendering before the messages start
            loaded = open_loop(port, "/twilio/messages", RATE, SECONDS, 7000)
            stop.set()
            # Drain before joining: a process that has put to a queue ends only once
            # what it put has been read.
            pages: list[float] = []
            done = 0
            while done < VIEWERS:
                value = results.get(timeout=300)
                if value is None:
                    done += 1
                else:
                    pages.append(value)
            for process in viewers:
                process.join(timeout=60)
            if any(process.exitcode != 0 for process in viewers):
                raise SystemExit("a viewer failed")
        finally:
            for running in (server, pages_server):
                if running is not None:
                    running.terminate()
                    running.wait(timeout=30)
    p99_alone, p99_loaded = percentile(alone, 0.99), percentile(loaded, 0.99)
    pool = "the same workers" if POOL == "shared" else "a gunicorn of its own (2 workers, nice 19)"
    print(f"gunicorn: {WORKERS} sync workers; {RATE} messages/s for {SECONDS:.0f} s each")
    print(f"dashboard served by {pool} (BENCH_DASHBOARD_POOL={POOL})")
    print(f"heaviest page: {heaviest}")
    print(f"webhook alone:             {summary(alone)}")
    print(f"webhook, {VIEWERS} viewers loading: {summary(loaded)}")
    print(f"p99 under load / alone:    {p99_loaded / p99_alone:7.2f}")
    if pages:
        ms = [value * 1000 for value in pages]
        print(
            f"page loads ({len(ms)}): median {statistics.median(ms):.0f} ms, max {max(ms):.0f} ms"
        )
    else:
        print("page loads: none finished during the run (each takes longer than the run)")
    print(f"target: p99 under load < 50 ms: {'PASS' if p99_loaded < 0.05 else 'FAIL'}")


if __name__ == "__main__":
    main()
