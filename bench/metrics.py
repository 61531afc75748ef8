"""Dashboard speed on a large log: 1,000,000 logged interactions.

The log is shaped like the real one: residents come on a few days of the 90-day retention
window, and each visit is a session of turns through the shipped flows (a message in,
the nodes it leads to with their SMS segments, flows started and completed, now and then
a message not understood or a referral). Past days are closed as the service closes them
(timed too); today's events stay raw.

Times, logged in, through Flask's test client on a real SQLite file: the dashboard's main
page for the default range (30 days) and for the whole 90 days, and the CSV export.
Baseline in the same run: the login page (no queries). Target: under 1 s each.

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
from typing import Any

from outreach import create_app, staff
from outreach.metrics.rollup import close_days
from outreach.privacy import pseudonymise
from outreach.service.content import load_flows
from outreach.storage import connect

INTERACTIONS = 1_000_000
KEY = b"bench-pseudonym-key-of-at-least-32-bytes"
DAYS = 90
ROOT = Path(__file__).resolve().parent.parent
DEPARTMENTS = ["Huehuetenango", "San Marcos", "Quiché", "Alta Verapaz", "Guatemala", "Petén",
               "Quetzaltenango", "Totonicapán", "Sololá", "Chimaltenango"]  # fmt: skip
PROGRAMMES = ["intecap_training", "mintrab_employment_service", "plan_retorno_al_hogar"]


def sessions(now: datetime, rng: random.Random, count: int = INTERACTIONS) -> Any:
    """Rows of the events table, session by session, until there are ``count``."""
    flows = load_flows(ROOT / "flows").flows
    paths = [(flow.id, list(flow.nodes)) for flow in flows.values()]
    made = resident = 0
    while made < count:
        resident += 1
        # Keyed ids as the service stores them (64 hex characters): sorting and counting
        # distinct residents costs more with these than with short made-up ids.
        who = pseudonymise(KEY, f"+1500555{resident:07d}")
        language = "es" if rng.random() < 0.85 else "en"
        channel = "sms" if rng.random() < 0.6 else "whatsapp"
        for _ in range(1 + int(rng.expovariate(1.2))):  # a few visits each
            at = now - timedelta(days=rng.randrange(DAYS), seconds=rng.randrange(86_400))
            for _turn in range(rng.randint(2, 10)):
                stamp = at.isoformat()
                rows: list[tuple[Any, ...]] = [
                    (who, stamp, "msg_received", None, None, language, channel, None)
                ]
                flow, nodes = rng.choice(paths)
                if rng.random() < 0.3:
                    rows.append((who, stamp, "flow_started", flow, None, language, channel, None))
                for node in rng.sample(nodes, min(len(nodes), rng.randint(1, 2))):
                    segments = 1 if channel == "sms" else 0
                    rows.append((who, stamp, "node_visited", flow, node, language, channel,
                                 segments))  # fmt: skip
                if rng.random() < 0.2:
                    rows.append((who, stamp, "flow_completed", flow, None, language, channel,
                                 None))  # fmt: skip
                if rng.random() < 0.06:
                    rows.append((who, stamp, "input_not_understood", flow, nodes[0], language,
                                 channel, None))  # fmt: skip
                for row in rows:
                    yield (*row, rng.choice(PROGRAMMES) if rng.random() < 0.01 else None)
                made += len(rows)
                at += timedelta(minutes=1)
        yield ("resident", who, rng.choice(DEPARTMENTS) if rng.random() < 0.5 else None)


def fill(path: Path, now: datetime, count: int = INTERACTIONS) -> tuple[int, int]:
    db = connect(path, migrate=True)
    rng = random.Random(1)
    events: list[tuple[Any, ...]] = []
    residents: list[tuple[Any, ...]] = []
    for row in sessions(now, rng, count):
        if row[0] == "resident":
            fields = {"department": row[2]} if row[2] else {}
            residents.append((row[1], "es", json.dumps({"language": "es", "fields": fields}),
                              (now - timedelta(days=DAYS)).date().isoformat(),
                              now.isoformat(), row[2]))  # fmt: skip
        else:
            events.append(row)
    db.conn.execute("BEGIN")
    db.conn.executemany(
        "INSERT INTO residents (id, language, opted_out, session, first_seen_on, updated_at,"
        " department) VALUES (?, ?, 0, ?, ?, ?, ?)",
        residents,
    )
    db.conn.executemany(
        "INSERT INTO events (resident, at, kind, flow, node, language, channel, segments, "
        "programme) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        events,
    )
    db.conn.execute("COMMIT")
    staff.add(db, "bench", "bench-password", "viewer", now)
    return len(events), len(residents)


def timed(client: Any, path: str, rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    return statistics.median(times)


def main() -> None:
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.sqlite3"
        start = time.perf_counter()
        interactions, residents = fill(database, now)
        print(
            f"generated {interactions:,} interactions of {residents:,} residents over "
            f"{DAYS} days in {time.perf_counter() - start:.1f} s"
        )
        db = connect(database)
        start = time.perf_counter()
        closed = close_days(db, now.date())
        print(
            f"closing {DAYS - 1} days at once: {closed.events:,} events into "
            f"{closed.rows:,} rows in {time.perf_counter() - start:.1f} s "
            f"(the service closes one day at a time)"
        )
        app = create_app({"DATABASE": str(database), "PSEUDONYM_KEY": "b" * 32,
                          "SECRET_KEY": "s" * 32, "FLOWS_DIR": str(ROOT / "flows"),
                          "LOCALES_DIR": str(ROOT / "locales")})  # fmt: skip
        client = app.test_client()
        login = client.get("/dashboard/login").get_data(as_text=True)
        token = login.split('name="csrf" value="')[1].split('"')[0]
        client.post("/dashboard/login", data={"name": "bench", "password": "bench-password",
                                              "csrf": token})  # fmt: skip
        whole = (now - timedelta(days=DAYS - 1)).date().isoformat()
        until = now.date().isoformat()
        baseline = timed(client, "/dashboard/login")
        page = timed(client, "/dashboard/")
        split = timed(client, "/dashboard/?split=department")
        everything = timed(client, f"/dashboard/?since={whole}&until={until}&split=language")
        export = timed(client, f"/dashboard/export.csv?since={whole}&until={until}&split=channel")
    results = {
        "main page, last 30 days": page,
        "main page, 30 days by department": split,
        "main page, 90 days by language": everything,
        "CSV export, 90 days by channel": export,
    }
    print(f"{'baseline (login page)':<36}{baseline * 1000:8.1f} ms")
    for name, seconds in results.items():
        print(
            f"{name:<36}{seconds * 1000:8.1f} ms  ({seconds / baseline:5.0f} x baseline; "
            "target < 1000 ms)"
        )
    print("PASS" if all(seconds < 1 for seconds in results.values()) else "FAIL")


if __name__ == "__main__":
    main()
