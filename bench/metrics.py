"""Dashboard speed on a large log: 1,000,000 synthetic interactions.

Times the dashboard's main page and the CSV export, logged in, through Flask's test
client on a real SQLite file. Baseline in the same run: the login page (no queries).
Target: under 1 s each.

    .venv/bin/python bench/metrics.py
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from outreach import create_app, staff
from outreach.store import connect

ROWS = 1_000_000
RESIDENTS = 50_000
ROOT = Path(__file__).resolve().parent.parent
KINDS = ["msg_received", "node_visited", "msg_created", "flow_started", "flow_completed",
         "referral_given", "input_not_understood"]  # fmt: skip
DEPARTMENTS = ["Huehuetenango", "San Marcos", "Quiché", "Alta Verapaz", "Guatemala", "Petén"]


def fill(path: Path, now: datetime) -> None:
    db = connect(path, migrate=True)
    rng = random.Random(1)
    db.conn.execute("BEGIN")
    db.conn.executemany(
        "INSERT INTO residents (id, language, opted_out, session, first_seen_on, updated_at) "
        "VALUES (?, ?, 0, ?, ?, ?)",
        [
            (f"bench-{n}", "es",
             json.dumps({"language": "es", "fields": {"department": rng.choice(DEPARTMENTS)}}),
             "2026-11-01", now.isoformat())
            for n in range(RESIDENTS)
        ],
    )  # fmt: skip
    rows = []
    for _ in range(ROWS):
        at = now - timedelta(days=rng.randrange(30), seconds=rng.randrange(86400))
        kind = rng.choice(KINDS)
        rows.append((f"bench-{rng.randrange(RESIDENTS)}", at.isoformat(), kind, "main", "menu",
                     rng.choice(["es", "en"]), rng.choice(["sms", "whatsapp"]), None, None,
                     1 if kind == "msg_created" else None,
                     "plan_retorno_al_hogar" if kind == "referral_given" else None))  # fmt: skip
    db.conn.executemany(
        "INSERT INTO events (resident, at, kind, flow, node, language, channel, run, field, "
        "segments, programme) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.conn.execute("COMMIT")
    staff.add(db, "bench", "bench-password", "viewer", now)


def timed(client: object, path: str, rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(path)  # type: ignore[attr-defined]
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    return statistics.median(times)


def main() -> None:
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.sqlite3"
        start = time.perf_counter()
        fill(database, now)
        print(
            f"generated {ROWS:,} interactions of {RESIDENTS:,} residents "
            f"in {time.perf_counter() - start:.1f} s"
        )
        app = create_app({"DATABASE": str(database), "PSEUDONYM_KEY": "b" * 32,
                          "SECRET_KEY": "s" * 32, "FLOWS_DIR": str(ROOT / "flows"),
                          "LOCALES_DIR": str(ROOT / "locales")})  # fmt: skip
        client = app.test_client()
        login = client.get("/dashboard/login").get_data(as_text=True)
        token = login.split('name="csrf" value="')[1].split('"')[0]
        client.post("/dashboard/login", data={"name": "bench", "password": "bench-password",
                                              "csrf": token})  # fmt: skip
        since = (now - timedelta(days=30)).date().isoformat()
        until = now.date().isoformat()
        baseline = timed(client, "/dashboard/login")
        page = timed(client, f"/dashboard/?since={since}&until={until}&by=language&then=channel")
        export = timed(client, f"/dashboard/export.csv?since={since}&until={until}&by=department")
    print(f"baseline (login page):     {baseline * 1000:8.1f} ms")
    print(f"dashboard main page:       {page * 1000:8.1f} ms   (target < 1000 ms)")
    print(f"CSV export:                {export * 1000:8.1f} ms   (target < 1000 ms)")
    print(f"ratio page / baseline:     {page / baseline:8.0f}")
    print("PASS" if page < 1 and export < 1 else "FAIL")


if __name__ == "__main__":
    main()
