"""The voice line's figures (outreach.metrics.voice): calls, minutes, completed calls and
residents who called, per language and last flow, call backs and refused missed calls;
counted from real calls (the signed webhooks, or the storage functions they use) in a
real SQLite database, and published as every figure is."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TEST_CONFIG
from flask import Flask
from flask.testing import FlaskClient
from sqlite_utils import Database
from staff_helpers import NOW, PASSWORD, log_in
from voice_helpers import Caller

from outreach import create_app, staff
from outreach.cli import main
from outreach.metrics.cellkey import CellKeys
from outreach.metrics.purge import purge
from outreach.metrics.queries import Query
from outreach.metrics.voice import voice
from outreach.storage import connect
from outreach.storage.callbacks import (
    CallbackLimits,
    claim_next,
    count_refusal,
    finish,
    request_callback,
)
from outreach.storage.calls import record_status, record_step

KEYS = CellKeys(TEST_CONFIG["PSEUDONYM_KEY"].encode())
NOVEMBER = Query(date(2026, 11, 1), date(2026, 11, 30))
#: What a figure is, without what the export says about the request.
FIGURE = ("table", "unit", "row", "column", "value", "suppressed")


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return create_app(TEST_CONFIG | {"DATABASE": str(tmp_path / "outreach.sqlite3")})


@pytest.fixture
def db(app: Flask) -> Database:
    return connect(app.config["DATABASE"])


def a_call(
    db: Database,
    call: str,
    resident: str | None,
    day: str = "2026-11-20",
    language: str = "es",
    flow: str | None = "risks",
    seconds: int | None = 61,
    status: str = "completed",
) -> None:
    """One call as the voice webhooks store it: its steps, then its status callback."""
    record_step(db, call, day, language, flow, f"{day}T15:00:00", resident)
    record_status(db, call, day, status, seconds, f"{day}T15:05:00")


def test_calls_through_the_webhooks_are_counted_by_caller_language_and_flow(
    app: Flask, client: FlaskClient, db: Database
) -> None:
    """Twelve residents call through the signed webhooks (one of them twice), and one
    call back rings unanswered. Counted exactly (no noise, k = 5): the callers, the
    calls, the minutes as Twilio bills them (each call rounded up), the completed calls,
    per language and per the last flow reached; small rows hidden as any figure."""
    seconds = [61, 59, 120, 1, 200, 75, 30, 60, 61, 119, 121, 10]
    for n, length in enumerate(seconds):
        caller = Caller(client, number=f"+502555501{n:02d}", sid=f"CA{n:032d}")
        caller.call()
        caller.press("1" if n % 2 else "2")  # risks, or pathways
        caller.status("completed", length)
    again = Caller(client, number="+50255550100", sid="CA" + "7" * 32)
    again.call()
    again.status("busy", 0)  # hung up at the menu: a call, not a completed one
    Caller(client, number="+50255550199", sid="CA" + "8" * 32).status("no-answer", 0)
    today = datetime.now(UTC).date()
    spoken, sections = voice(db, Query(today, today), 5)
    tables = {s.id: s.table for s in sections}
    # The unanswered call back names no one: a caller of its own.
    assert spoken.callers == 13
    assert spoken.calls == 14
    assert spoken.completed == 12
    billed = [-(-length // 60) for length in seconds]
    assert spoken.minutes == sum(billed)
    flows = tables["voice_calls_by_flow"].row_totals
    # The busy call never left the main menu; the unanswered one reached no flow: one
    # call each, hidden (two hidden rows: neither is the total minus the others).
    assert flows == {"risks": 6, "pathways": 6, "main": None, "-": None}
    minutes = tables["voice_minutes_by_flow"].row_totals
    assert minutes["risks"] == sum(billed[1::2]) and minutes["pathways"] == sum(billed[::2])
    # The one call of no language is hidden, and with it Spanish (the total minus it).
    assert tables["voice_calls"].row_totals == {"es": None, "unknown": None}
    assert spoken.cost(0.09) == round(sum(billed) * 0.09, 2)
    assert spoken.cost(None) is None


def test_ten_calls_of_one_caller_are_one_caller_hidden(db: Database) -> None:
    """A cell is hidden by the residents behind it, as messages are: twelve calls of the
    one K'iche' caller (an hour of calls) are one caller, under k, hidden, with what would
    give them away; the twelve Spanish callers are shown. Counted per call, as before the
    calls knew their caller, the K'iche' calls would be a figure of 12."""
    for n in range(12):
        a_call(db, f"quc-{n}", "the-one-kiche-caller", language="quc", seconds=300)
        a_call(db, f"es-{n}", f"spanish-{n}")
    tables = {s.id: s.table for s in voice(db, NOVEMBER, 10, KEYS)[1]}
    for name in ("voice_callers", "voice_calls", "voice_minutes", "voice_completed"):
        table = tables[name]
        assert table.row_totals["quc"] is None, name
        # The total is hidden too, or else it would be the K'iche' figure plus Spanish.
        assert table.row_totals["es"] is None or table.total is None, name
    # The calls per flow hold the same caller's calls: not a lone figure of theirs.
    assert tables["voice_calls_by_flow"].row_totals["risks"] is not None
    split = {s.id: s.table for s in voice(db, NOVEMBER, 10)[1]}
    assert split["voice_calls"].row_totals["quc"] is None


def test_sums_are_perturbed_in_steps_of_the_most_one_caller_gave(db: Database) -> None:
    """Minutes are a sum: one caller's long calls more or less must be lost in the noise
    too, so a sum's noise comes in steps of the most one caller gave in a day."""
    for n in range(15):
        a_call(db, f"c-{n}", f"caller-{n}", seconds=60 * (n + 1))
    exact = {s.id: s.table for s in voice(db, NOVEMBER, 10)[1]}
    noisy = {s.id: s.table for s in voice(db, NOVEMBER, 10, KEYS)[1]}
    true, shown = exact["voice_minutes"].total, noisy["voice_minutes"].total
    assert true == sum(range(1, 16)) and shown is not None
    assert (shown - true) % 15 == 0  # the largest caller-day: 15 minutes
    # The same callers always give the same figures, asked again.
    again = {s.id: s.table for s in voice(db, NOVEMBER, 10, KEYS)[1]}
    assert again["voice_minutes"].total == shown


def test_borrar_by_keypad_deletes_the_callers_calls(
    app: Flask, client: FlaskClient, db: Database
) -> None:
    first = Caller(client, sid="CA" + "1" * 32)
    first.call()
    first.press("1")
    first.status("completed", 90)
    second = Caller(client, sid="CA" + "2" * 32)
    second.call()
    second.press("#")
    assert second.press("7").hangup  # BORRAR: everything about the caller goes
    second.status("completed", 30)
    # The first call is gone; the one that erased is counted, naming no one.
    assert db.execute("SELECT resident, seconds FROM calls").fetchall() == [(None, 30)]


def test_purge_keeps_daily_totals_of_old_calls_and_deletes_them(db: Database) -> None:
    for n in range(12):
        a_call(db, f"old-{n}", f"caller-{n}", day="2026-08-01", seconds=90)
    a_call(db, "old-lone", "lone", day="2026-08-02")
    a_call(db, "recent", "caller-0", day="2026-11-20")
    report_ = purge(db, date(2026, 11, 25), 90, 10, KEYS)
    assert report_.calls_deleted == 13
    assert [d for (d,) in db.execute("SELECT day FROM calls")] == ["2026-11-20"]
    kept = dict(
        ((day, metric), count)
        for day, metric, count in db.execute(
            "SELECT day, metric, count FROM daily_aggregates WHERE metric LIKE 'voice_%'"
        )
    )
    assert kept[("2026-08-01", "voice_calls")] == 12
    assert kept[("2026-08-01", "voice_minutes")] == 24
    # One caller's day is not kept.
    assert kept[("2026-08-02", "voice_calls")] is None


LIMITS = CallbackLimits(("+502",), per_caller_day=3, per_hour=30, per_day=200)


def test_callbacks_are_counted_without_ids_and_split_by_period_only(db: Database) -> None:
    at = datetime(2026, 11, 20, 15, tzinfo=UTC)
    for n in range(14):
        assert request_callback(db, f"+5025555{n:04d}", f"caller-{n}", at, LIMITS) is None
        claimed = claim_next(db, at, timedelta(minutes=10))
        assert claimed is not None
        finish(db, claimed[0], at, "placed" if n < 12 else "failed")
    for n in range(11):
        request_callback(db, f"+5025556{n:04d}", f"other-{n}", at, LIMITS)
        claimed = claim_next(db, at, timedelta(minutes=10))
        assert claimed is not None
        finish(db, claimed[0], at, "uncertain")
    for _ in range(11):
        count_refusal(db, at, "country")
    count_refusal(db, at + timedelta(days=1), "hour")
    spoken, sections = voice(db, NOVEMBER, 10)
    tables = {s.id: s.table for s in sections}
    # The 2 failed are hidden, and so is the smallest other outcome (else it would be
    # the total minus the others).
    assert tables["callbacks"].row_totals == {
        "callback_placed": 12, "callback_failed": None, "callback_uncertain": None,
    }  # fmt: skip
    assert tables["callbacks"].total == 25
    assert spoken.callbacks_placed == 12
    assert tables["callback_refusals"].row_totals["refused_hour"] is None
    assert spoken.missed_calls_refused is None or spoken.missed_calls_refused == 12
    by_day = {s.id: s.table for s in voice(db, Query(NOVEMBER.since, NOVEMBER.until, "day"), 10)[1]}
    assert by_day["callbacks"].columns == ["2026-11-20"]
    # Split by language, call backs are not split (they know none).
    by_language = voice(db, Query(NOVEMBER.since, NOVEMBER.until, "language"), 10)[1]
    assert {s.id: s.table for s in by_language}["callbacks"].columns == ["all"]
    # Filtered by a language or department, they are left out rather than shown unfiltered.
    for filters in ((("language", "es"),), (("department", "Petén"),)):
        shown, sections = voice(db, Query(NOVEMBER.since, NOVEMBER.until, "all", filters), 10)
        assert not shown.callbacks_shown and shown.callbacks_placed is None
        assert "callbacks" not in {s.id for s in sections}
    voice_only = voice(
        db, Query(NOVEMBER.since, NOVEMBER.until, "all", (("channel", "voice"),)), 10
    )
    assert voice_only[0].callbacks_placed == 12
    # Perturbed by the keys of their buckets: the same call backs, the same figure.
    first = voice(db, NOVEMBER, 10, KEYS)[0]
    assert first == voice(db, NOVEMBER, 10, KEYS)[0]


def test_filters_and_splits_of_calls(db: Database) -> None:
    """Department (the one the caller gave), language and channel filter calls as they
    filter messages; a channel other than voice has no calls."""
    for n in range(5):
        db.execute("INSERT INTO residents (id, department) VALUES (?, 'Petén')", [f"p{n}"])
        a_call(db, f"a{n}", f"p{n}")
        a_call(db, f"b{n}", f"q{n}", language="quc")
        a_call(db, f"c{n}", f"q{n}", language="quc", day="2026-10-31")  # not November
    exact = dict(voice(db, NOVEMBER, 5)[1][1].table.row_totals)
    assert exact == {"es": 5, "quc": 5}

    def calls(*filters: tuple[str, str]) -> int | None:
        return voice(db, Query(NOVEMBER.since, NOVEMBER.until, "all", filters), 5)[0].calls

    assert calls(("department", "Petén")) == 5
    assert calls(("department", "unknown")) == 5
    assert calls(("language", "quc")) == 5
    assert calls(("channel", "voice")) == 10
    assert calls(("channel", "sms")) == 0
    by_department = voice(db, Query(NOVEMBER.since, NOVEMBER.until, "department"), 5)[1]
    assert by_department[1].table.columns == ["Petén", "unknown"]


def test_the_command_prints_the_voice_page_as_its_export(app: Flask, db: Database) -> None:
    for n in range(12):
        a_call(db, f"c-{n}", f"caller-{n}", seconds=150)
    staff.add(db, "beto", PASSWORD, "viewer", NOW)
    app.config["VOICE_PRICE_PER_MINUTE"] = "0.09"
    client = app.test_client()
    log_in(client, "beto")
    exported = client.get("/dashboard/export.json?page=voice&since=2026-11-01&until=2026-11-30")
    assert exported.status_code == 200
    runner = CliRunner(
        env={
            "OUTREACH_DATABASE": app.config["DATABASE"],
            "OUTREACH_PSEUDONYM_KEY": TEST_CONFIG["PSEUDONYM_KEY"],
            "OUTREACH_FLOWS_DIR": TEST_CONFIG["FLOWS_DIR"],
            "OUTREACH_VOICE_PRICE_PER_MINUTE": "0.09",
            "OUTREACH_VOICE_PRICE_CURRENCY": "GTQ",
        }
    )
    args = ["metrics", "--page", "voice", "--since", "2026-11-01", "--until", "2026-11-30"]
    printed = runner.invoke(main, [*args, "--json"])
    assert printed.exit_code == 0, printed.output
    rows = json.loads(printed.output)
    figures = {(r["table"], r["row"]): r for r in rows}
    minutes = figures[("headline", "minutes")]["value"]
    assert isinstance(minutes, int) and abs(minutes - 36) <= 3 * 3 * 4
    cost = figures[("headline", "estimated_cost")]
    assert (cost["unit"], cost["value"]) == ("GTQ", round(minutes * 0.09, 2))
    same = [{k: v for k, v in r.items() if k in FIGURE} for r in rows]
    # The dashboard's export is in the app's currency (USD by default): else the same.
    theirs = [{k: v for k, v in r.items() if k in FIGURE} for r in exported.get_json()]
    assert [r for r in same if r["row"] != "estimated_cost"] == [
        r for r in theirs if r["row"] != "estimated_cost"
    ]
    text = runner.invoke(main, args)
    assert text.exit_code == 0 and "voice_calls_by_flow" in text.output
    assert "perturbed by a small amount" in text.output
