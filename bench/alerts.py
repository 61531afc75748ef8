"""An alert to 10,000 subscribers through the real sender, and the webhook meanwhile
(issue #18, section 5).

A real SQLite database (storage.connect with its migrations) gets 10,000 subscribers,
their addresses sealed as the webhook seals them, and an approved alert. The fake Twilio
of the tests (tests/fake_twilio.py) runs in a process of its own on 127.0.0.1 and notes
when each request arrives. Then:

1. the limit: a minimal correct sender beside ours, the one REST client posting
   messages one after another as fast as it can to the same fake, no pacing, no
   database: what this machine allows one sender at all;
2. the webhook alone: gunicorn as production runs it (bench/webhook.py), signed
   messages at a steady 100/s, on the same database: the baseline, in the same run;
3. the alert: `outreach worker` as production runs it (a process of its own) at
   ``OUTREACH_SMS_RATE`` (BENCH_RATE, default 100 segments/s, one segment each), and the
   same webhook load while it goes out.

It prints the rate the fake Twilio received the alert at (first to last message, and
over the middle 80% of the messages, past the bucket's first second of burst), its ratio to
the configured rate (target: within 5%), that no subscriber got it twice, and the
webhook's p50/p95/p99/max alone and during the alert (target: p99 under 50 ms).

    .venv/bin/python bench/alerts.py            # the figures
    BENCH_RATE=50 .venv/bin/python bench/alerts.py
    BENCH_TWILIO_DELAY=0.05 .venv/bin/python bench/alerts.py   # Twilio answering in 50 ms
    BENCH_TWILIO_DELAY=0.05 BENCH_CONNECTIONS=8 .venv/bin/python bench/alerts.py
    .venv/bin/python bench/alerts.py --tiny     # a quick run (tests)
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Event
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

# The tests' fake Twilio (tests/ is not a package mypy checks here).
from fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, _handler  # type: ignore[import-not-found]  # noqa: E402
from webhook import RATE, WORKERS, free_port, open_loop, percentile, start_server  # noqa: E402

from outreach.engine.session import Session  # noqa: E402
from outreach.service.addresses import AddressBox  # noqa: E402
from outreach.service.twilio_api import TwilioApi  # noqa: E402
from outreach.storage import alerts as st  # noqa: E402
from outreach.storage import connect, immediate  # noqa: E402
from outreach.storage.subscriptions import SubscriptionRow, subscribe  # noqa: E402

TINY = "--tiny" in sys.argv[1:]
RECIPIENTS = 300 if TINY else int(os.environ.get("BENCH_RECIPIENTS", "10000"))
#: The SMS sender's configured rate, segments a second.
SEND_RATE = int(os.environ.get("BENCH_RATE", "100"))
SECONDS = 1.0 if TINY else float(os.environ.get("BENCH_SECONDS", "20"))
#: Messages of the minimal sender (the limit).
LIMIT_MESSAGES = 200 if TINY else 2000
#: Requests the worker has in flight at once (OUTREACH_TWILIO_API_CONNECTIONS).
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "1"))
#: Seconds the fake Twilio waits before each answer (Twilio's own latency; 0: none).
TWILIO_DELAY = float(os.environ.get("BENCH_TWILIO_DELAY", "0"))
PSEUDONYM_KEY = "bench-pseudonym-key-of-at-least-32-bytes"
ALERTS_KEY = "bench-alerts-key-of-at-least-32-bytes-long"
SMS_FROM = "+15005550001"
#: One GSM-7 segment, as an alert should be.
TEXT = "Aviso de prueba: el consulado nunca cobra por las citas. Mas: escriba AYUDA."


def fake_twilio(
    ports: multiprocessing.Queue[int], stop: Event, results: multiprocessing.Queue[str]
) -> None:
    """The tests' fake Twilio in this process; at ``stop``, what it received (as JSON:
    path, To, status and arrival time of each request)."""
    from http.server import ThreadingHTTPServer

    fake = FakeTwilio()
    fake.delay(TWILIO_DELAY)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ports.put(server.server_port)
    stop.wait()
    server.shutdown()
    results.put(json.dumps([(r.path, r.form.get("To"), r.status, r.at) for r in fake.requests]))


def fill(database: Path, now: datetime) -> int:
    """RECIPIENTS subscribers of "scams" in Quiché, sealed; an alert for them, approved,
    due at once. Returns the alert's id."""
    db = connect(database, migrate=True)
    box = AddressBox(ALERTS_KEY.encode())
    session = json.dumps(Session(language="es", language_chosen=True, last_seen=now).to_dict())
    with immediate(db):
        for n in range(RECIPIENTS):
            resident = f"bench-{n:05d}"
            nonce, sealed = box.seal(f"+1500556{n:04d}", resident, "sms")  # fictional
            subscribe(db, SubscriptionRow(resident, "scams", "Quiché", "es", "sms", sealed,
                                          nonce, now.date().isoformat()))  # fmt: skip
            db.conn.execute(
                "INSERT INTO residents (id, language, opted_out, session, first_seen_on,"
                " updated_at) VALUES (?, 'es', 0, ?, ?, ?)",
                (resident, session, now.date().isoformat(), now.isoformat()),
            )
        alert_id = st.insert_alert(
            db, topic="scams", departments=None, texts={"es": TEXT},
            source="bench", verified_on=now.date().isoformat(),
            review_by=(now + timedelta(days=30)).date().isoformat(),
            send_at=(now - timedelta(minutes=1)).isoformat(), content_sid=None,
            created_by="bench-a", now=now,
        )  # fmt: skip
    db.close()
    return alert_id


def approve(database: Path, alert_id: int) -> None:
    db = connect(database)
    with immediate(db):
        st.set_approved(db, alert_id, "bench-b", datetime.now(UTC))
    db.close()


def state_of(database: Path, alert_id: int) -> str:
    db = connect(database)
    try:
        found = st.alert(db, alert_id)
        return found.state if found else "gone"
    finally:
        db.close()


def minimal_sender(url: str) -> float:
    """Messages a second the one REST client can post one after another, unpaced."""
    api = TwilioApi(ACCOUNT_SID, AUTH_TOKEN, base_url=url, retries=0)
    start = time.perf_counter()
    for n in range(LIMIT_MESSAGES):
        api.create_message(to=f"+1500557{n % 10000:04d}", from_=SMS_FROM, body=TEXT)
    return LIMIT_MESSAGES / (time.perf_counter() - start)


def worker(database: Path, folder: Path, url: str) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")},
        "OUTREACH_DATABASE": str(database),
        "OUTREACH_INSTANCE_DIR": str(folder),
        "OUTREACH_PSEUDONYM_KEY": PSEUDONYM_KEY,
        "OUTREACH_ALERTS_KEY": ALERTS_KEY,
        "OUTREACH_TWILIO_API_URL": url,
        "OUTREACH_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "OUTREACH_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "OUTREACH_SMS_FROM": SMS_FROM,
        "OUTREACH_SMS_RATE": str(SEND_RATE),
        "OUTREACH_TWILIO_API_CONNECTIONS": str(CONNECTIONS),
        "OUTREACH_ALERTS_QUIET_HOURS": "",  # the bench runs at any hour
        "OUTREACH_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "outreach.cli", "worker"], env=env, cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def summary(latencies: list[float]) -> str:
    ms = [value * 1000 for value in latencies]
    return (
        f"p50 {percentile(ms, 0.50):7.1f}  p95 {percentile(ms, 0.95):7.1f}  "
        f"p99 {percentile(ms, 0.99):7.1f}  max {max(ms):7.1f} ms  ({len(ms)} messages)"
    )


def main() -> None:
    now = datetime.now(UTC)
    context = multiprocessing.get_context("spawn")
    ports: multiprocessing.Queue[int] = context.Queue()
    results: multiprocessing.Queue[str] = context.Queue()
    stop = context.Event()
    fake = context.Process(target=fake_twilio, args=(ports, stop, results))
    fake.start()
    url = f"http://127.0.0.1:{ports.get(timeout=60)}"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        database = folder / "bench.sqlite3"
        start = time.perf_counter()
        alert_id = fill(database, now)
        print(
            f"{RECIPIENTS:,} subscribers and an alert, made in {time.perf_counter() - start:.1f} s"
        )
        limit = minimal_sender(url)
        port = free_port()
        extra = {"OUTREACH_ALERTS_KEY": ALERTS_KEY, "OUTREACH_INSTANCE_DIR": str(folder)}
        server = start_server(port, database, extra=extra)
        sender = None
        try:
            open_loop(port, "/twilio/messages", RATE, min(SECONDS, 2), 5000)  # warm up
            alone = open_loop(port, "/twilio/messages", RATE, SECONDS, 6000)
            approve(database, alert_id)
            sender = worker(database, folder, url)
            # The worker starts (content, keys) and fans the alert out: the webhook load
            # starts once the alert is going out.
            deadline = time.monotonic() + 120
            while state_of(database, alert_id) == "approved":
                if time.monotonic() > deadline or sender.poll() is not None:
                    raise SystemExit("the worker did not start sending")
                time.sleep(0.05)
            during = open_loop(port, "/twilio/messages", RATE, SECONDS, 7000)
            deadline = time.monotonic() + RECIPIENTS / SEND_RATE * 3 + 60
            while state_of(database, alert_id) != "sent":
                if time.monotonic() > deadline or sender.poll() is not None:
                    raise SystemExit("the alert did not finish going out")
                time.sleep(0.2)
        finally:
            if sender is not None:
                sender.terminate()
                sender.wait(timeout=30)
            server.terminate()
            server.wait(timeout=30)
            stop.set()
    received = json.loads(results.get(timeout=120))
    fake.join(timeout=30)
    # The alert's messages only (the minimal sender's went to +1500557...).
    alert = [
        (to, at)
        for path, to, status, at in received
        if path.endswith("/Messages.json") and status == 201 and to.startswith("+1500556")
    ]
    times = sorted(at for _to, at in alert)
    doubled = sum(n - 1 for n in Counter(to for to, _at in alert).values() if n > 1)
    took = times[-1] - times[0]
    rate = (len(times) - 1) / took
    # The pace once the bucket's first second of burst is spent: the middle 80% of the
    # messages, first to last (lanes spread that burst over more than a second).
    middle = times[len(times) // 10 : len(times) - len(times) // 10]
    steady = (len(middle) - 1) / (middle[-1] - middle[0]) if len(middle) > 2 else rate
    print(f"fake Twilio answering after {TWILIO_DELAY * 1000:.0f} ms (BENCH_TWILIO_DELAY); "
          f"worker with {CONNECTIONS} connection(s) (BENCH_CONNECTIONS)")  # fmt: skip
    print(f"limit, a minimal sender (one client, unpaced): {limit:7.1f} messages/s")
    print(f"alert: {len(alert):,} of {RECIPIENTS:,} received in {took:.1f} s, {doubled} twice")
    print(f"alert rate:                {rate:7.1f} segments/s (configured {SEND_RATE})")
    print(f"alert rate, middle 80%:    {steady:7.1f} segments/s")
    ratio, steady_ratio = rate / SEND_RATE, steady / SEND_RATE
    print(f"rate / configured:         {ratio:7.3f}  (middle 80%: {steady_ratio:.3f})")
    print(
        f"gunicorn: {WORKERS} sync workers; webhook at {RATE} messages/s for {SECONDS:.0f} s each"
    )
    print(f"webhook alone:             {summary(alone)}")
    print(f"webhook, alert going out:  {summary(during)}")
    p99_alone, p99_during = percentile(alone, 0.99), percentile(during, 0.99)
    print(f"p99 during / alone:        {p99_during / p99_alone:7.2f}")
    within = abs(ratio - 1) <= 0.05
    print(f"target: rate within 5% of the configured: {'PASS' if within else 'FAIL'}")
    print(f"target: p99 during the alert < 50 ms: {'PASS' if p99_during < 0.05 else 'FAIL'}")
    if len(alert) != RECIPIENTS or doubled:
        raise SystemExit("the alert did not reach every subscriber exactly once")


if __name__ == "__main__":
    main()
