"""The dashboard's figures, from conversations played through the real engine and store:
each checked against what the conversations did, before and after their days close."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import TEST_CONFIG
from conversation_helpers import DAY, talk
from flask import Flask

from outreach import create_app
from outreach.metrics import report
from outreach.metrics import sections as tables
from outreach.metrics.queries import Query, count, count_each, reached
from outreach.metrics.rollup import close_days
from outreach.metrics.scan import DIMENSIONS
from outreach.storage import connect

RANGE = (date(2026, 11, 1), date(2026, 11, 30))


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return create_app(TEST_CONFIG | {"DATABASE": str(tmp_path / "outreach.sqlite3")})


def test_closing_a_day_keeps_every_figure_and_drops_the_time_of_day(app: Flask) -> None:
    talk(app, {f"r{n}": ["hola", "3", "Huehuetenango" if n < 12 else "Petén", "1"]
               for n in range(15)})  # fmt: skip
    db = connect(app.config["DATABASE"])
    query = Query(*RANGE, split="language")
    before = [tables.overview(db, query, "day", 10), tables.flows(db, query, "main", [], 10)]
    events = db.execute("select count(*) from events").fetchone()[0]
    closed = close_days(db, date(2026, 11, 21))
    assert closed.events == events and 0 < closed.rows < events
    assert db.execute("select count(*) from events").fetchone()[0] == 0
    after = [tables.overview(db, query, "day", 10), tables.flows(db, query, "main", [], 10)]
    assert after == before
    columns = [row[1] for row in db.execute("pragma table_info(daily_activity)")]
    assert "at" not in columns  # a day, never a time
    assert close_days(db, date(2026, 11, 21)).events == 0  # nothing left to close


def test_the_overview_counts_what_the_conversations_did(app: Flask) -> None:
    texts = {f"r{n}": ["hola", "1", "2"] for n in range(12)}
    sent = talk(app, texts)
    # Two of them come back a week later: returning, for a range starting after the first.
    talk(app, {"r0": ["hola"], "r1": ["hola"], **{f"s{n}": ["hola"] for n in range(10)}},
         at=DAY + timedelta(days=7))  # fmt: skip
    db = connect(app.config["DATABASE"])
    headline, sections = tables.overview(db, Query(*RANGE), "day", 10)
    assert headline.reached == 22
    assert (headline.new, headline.returning) == (22, 0)
    assert headline.messages_in == 36 + 12
    later = Query(date(2026, 11, 25), date(2026, 11, 30))
    headline_later, _ = tables.overview(db, later, "day", 10)
    assert headline_later.reached == 12
    # 10 new, 2 returning: the 2 are hidden, and so the 10, which would give them away.
    assert (headline_later.new, headline_later.returning) == (None, None)
    # Messages out: every message the service sent (several may share one SMS).
    segments = db.execute(
        "select sum(segments) from activity where channel = 'sms' and kind != 'resident_day'"
    )
    assert headline.segments == segments.fetchone()[0]
    assert headline.segments >= len(sent)
    over_time = next(s for s in sections if s.id == "reach_over_time").table
    assert report.series(over_time) == [("2026-11-20", 12), ("2026-11-27", 12)]
    every_day = report.series(over_time, *RANGE, "day")
    assert len(every_day) == 30 and every_day[19] == ("2026-11-20", 12)
    assert every_day[20] == ("2026-11-21", 0)


def test_messages_out_are_counted_on_whatsapp_too(app: Flask) -> None:
    talk(app, {f"w{n}": ["hola", "1"] for n in range(10)}, channel="whatsapp")
    db = connect(app.config["DATABASE"])
    headline, _ = tables.overview(db, Query(*RANGE), "day", 10)
    assert headline.messages_in == 20
    assert headline.messages_out is not None and headline.messages_out >= 20
    assert headline.segments == 0  # no SMS sent


def test_filters_and_splits(app: Flask) -> None:
    talk(app, {f"r{n}": ["hola"] for n in range(12)})
    talk(app, {f"w{n}": ["hola"] for n in range(11)}, channel="whatsapp")
    db = connect(app.config["DATABASE"])
    only_whatsapp = Query(*RANGE, filters=(("channel", "whatsapp"),))
    assert reached(db, only_whatsapp).total == 11
    by_channel = reached(db, Query(*RANGE, split="channel"))
    assert by_channel.column_totals == {"sms": 12, "whatsapp": 11}
    by_week = reached(db, Query(*RANGE, split="week"))
    assert by_week.columns == ["2026-11-16"]  # the week of Monday 16 November
    by_month = reached(db, Query(*RANGE), "month")
    assert by_month.row_totals == {"2026-11": 23}


def test_funnel_follows_the_flow_and_referrals_name_the_programme(app: Flask) -> None:
    talk(app, {f"r{n}": ["hola", "3", "Huehuetenango", "1"] for n in range(11)})
    db = connect(app.config["DATABASE"])
    content = app.extensions["outreach.content"]
    flow = content.flows.flows["programmes"]
    funnel = tables.flows(db, Query(*RANGE), "programmes", tables.node_order(flow), 10)[2]
    assert funnel.rows[0] == f"programmes/{flow.start}"
    assert all(v in (None, 0) or v >= 10 for v in funnel.table.row_totals.values())
    topics = tables.topics(db, Query(*RANGE), tables.topic_nodes(content.flows.flows.values()), 10)
    referrals = topics[1].table
    assert referrals.rows and all(r != "-" for r in referrals.rows)


@pytest.mark.parametrize("seed", range(6))
def test_no_page_publishes_a_small_count_or_one_figure_two_ways(app: Flask, seed: int) -> None:
    """Random populations; every table of every page is checked, and the reach total,
    which two tables of the overview share, is hidden in both or in neither."""
    rng = random.Random(seed)
    scripts = [["hola", "1", "1"], ["hola", "2"], ["hola", "3", "Petén", "2"], ["hello", "4"]]
    for day in range(rng.randrange(1, 4)):
        talk(app, {f"r{seed}-{n}": rng.choice(scripts) for n in range(rng.randrange(3, 25))},
             at=DAY + timedelta(days=day), channel=rng.choice(["sms", "whatsapp"]))  # fmt: skip
    db = connect(app.config["DATABASE"])
    content = app.extensions["outreach.content"]
    for split in ("all", "language", "channel", "day"):
        query = Query(*RANGE, split=split)
        headline, overview = tables.overview(db, query, "day", 10)
        reach, over_time = overview[0].table, overview[1].table
        assert (reach.total is None) == (over_time.total is None)
        assert headline.reached == reach.total
        pages = [
            *overview,
            *tables.flows(db, query, "main", [], 10),
            *tables.topics(db, query, tables.topic_nodes(content.flows.flows.values()), 10),
            *tables.quality(db, query, 10),
        ]
        for section in pages:
            if section.unit != "residents":
                continue  # sums: hidden where their residents are few (checked above)
            table = section.table
            figures = [*table.cells.values(), *table.row_totals.values(),
                       *table.column_totals.values(), table.total]  # fmt: skip
            assert all(v is None or v == 0 or v >= 10 for v in figures), (section.id, split)


def test_purged_days_come_back_as_the_earlier_trend(app: Flask) -> None:
    from outreach.metrics.purge import purge

    talk(app, {f"r{n}": ["hola"] for n in range(12)})
    talk(app, {f"s{n}": ["hola"] for n in range(3)}, at=DAY + timedelta(days=1))
    db = connect(app.config["DATABASE"])
    purge(db, date(2027, 3, 1), retention_days=90, k=10)
    query = Query(*RANGE)
    assert reached(db, query).total == 0  # the details are gone
    assert report.earlier_trend(db, query) == [("2026-11-20", 12), ("2026-11-21", None)]


def test_not_understood_rates_point_at_the_step_and_the_language(app: Flask) -> None:
    # 12 residents at the main menu: 6 answer nonsense once, then choose.
    talk(app, {f"r{n}": ["hola", "xyz", "1"] if n % 2 else ["hola", "1"] for n in range(12)})
    db = connect(app.config["DATABASE"])
    by_language = tables.not_understood_rates(db, Query(*RANGE), 5)
    received = 6 * 3 + 6 * 2
    assert by_language == {"es": round(100 * 6 / received, 1)}
    by_node = tables.not_understood_rates(db, Query(*RANGE), 5, "node")
    visits = db.execute(
        "select sum(events) from activity where kind = 'node_visited' and node = 'menu' "
        "and flow = 'main'"
    ).fetchone()[0]
    assert by_node == {"main/menu": round(100 * 6 / visits, 1)}
    # Fewer than k residents behind the count: hidden.
    assert tables.not_understood_rates(db, Query(*RANGE), 10) == {"es": None}


def test_a_time_series_has_every_period_of_the_range() -> None:
    assert report.period_names(date(2026, 11, 28), date(2026, 12, 2), "day") == [
        "2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02"
    ]  # fmt: skip
    # Weeks are named by their Monday, as the queries name them.
    assert report.period_names(date(2026, 11, 28), date(2026, 12, 9), "week") == [
        "2026-11-23", "2026-11-30", "2026-12-07"
    ]  # fmt: skip
    assert report.period_names(date(2026, 11, 28), date(2027, 1, 1), "month") == [
        "2026-11", "2026-12", "2027-01"
    ]  # fmt: skip


def test_a_step_in_the_funnel_and_among_the_topics_shows_the_same_figures(app: Flask) -> None:
    rng = random.Random(3)
    talk(app, {f"r{n}": ["hola", "1", rng.choice(["1", "2", "3"])] for n in range(40)},
         channel="sms")  # fmt: skip
    talk(app, {f"w{n}": ["hola", "1", "2"] for n in range(13)}, channel="whatsapp")
    db = connect(app.config["DATABASE"])
    content = app.extensions["outreach.content"]
    query = Query(*RANGE, split="channel")
    risks = content.flows.flows["risks"]
    funnel = tables.flows(db, query, "risks", tables.node_order(risks), 10)[2].table
    topics = tables.topics(db, query, tables.topic_nodes(content.flows.flows.values()), 10)[0]
    shared = set(funnel.rows) & set(topics.table.rows)
    assert shared
    for row in shared:
        for column in funnel.columns:
            assert funnel.cells[row, column] == topics.table.cells[row, column], row
        assert funnel.row_totals[row] == topics.table.row_totals[row]


def test_measures_counted_in_one_scan_match_each_counted_alone(app: Flask) -> None:
    talk(app, {f"r{n}": ["hola", "1", "2"][: 1 + n % 3] for n in range(30)})
    talk(app, {f"w{n}": ["hola", "3"] for n in range(14)}, channel="whatsapp")
    db = connect(app.config["DATABASE"])
    measures = [tables.MESSAGES_IN, tables.MESSAGES_OUT]
    for split in ("all", "channel", "language"):
        query = Query(*RANGE, split=split)
        together = count_each(db, query, measures, "day", 10)
        assert together == [count(db, query, m, "day", 10) for m in measures]
    assert together[0] != together[1]  # in and out really are different figures
    with pytest.raises(ValueError, match="same rows"):
        count_each(db, Query(*RANGE), [tables.MESSAGES_IN, tables.SEGMENTS])


def test_every_day_of_a_week_is_named_by_its_monday(tmp_path: Path) -> None:
    db = connect(tmp_path / "weeks.sqlite3", migrate=True)
    week = DIMENSIONS["week"]
    for offset in range(-10, 20):  # Sundays and Mondays, across a month's end
        day = date(2026, 11, 16) + timedelta(days=offset)
        named = db.execute(f"SELECT {week} FROM (SELECT ? AS day)", [day.isoformat()]).fetchone()
        assert named[0] == (day - timedelta(days=day.weekday())).isoformat(), day


def test_topics_are_every_message_and_listing_of_the_flows_a_menu_offers() -> None:
    from conftest import FLOWS

    from outreach.service.content import load_flows

    topics = tables.topic_nodes(load_flows(FLOWS).flows.values())
    assert {"emergencies/numbers", "returnees/reception", "risks/consular_scams",
            "pathways/closed", "programmes/jobs"} <= set(topics)  # fmt: skip
    assert not [t for t in topics if t.split("/")[0] in ("welcome", "feedback", "main")]


def test_the_overview_counts_messages_that_named_a_danger(app: Flask) -> None:
    # Twelve residents, one of whom writes two danger messages; the other words are not.
    talk(app, {f"r{n}": ["hola", "me quieren secuestrar", "1"] for n in range(11)}
         | {"r11": ["auxilio", "hola", "mi hija no aparece"]})  # fmt: skip
    db = connect(app.config["DATABASE"])
    _, sections = tables.overview(db, Query(*RANGE), "day", 10)
    danger = next(s for s in sections if s.id == "danger")
    assert danger.unit == "messages" and danger.table.total == 13
    # The words themselves are nowhere in the log.
    assert (
        db.execute("select count(*) from events where kind = 'danger_recognised'").fetchone()[0]
        == 13
    )
    for row in db.execute("select * from events"):
        assert not any("secuestr" in str(value) for value in row)
