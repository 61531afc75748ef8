"""Metrics from a real database filled through the real webhook path."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import TEST_CONFIG
from conversation_helpers import DAY, talk
from flask import Flask

from outreach import create_app
from outreach.metrics.cellkey import USUAL_NOISE, CellKeys
from outreach.metrics.queries import RESIDENTS_REACHED, Query, count, reached
from outreach.metrics.report import PERTURBED
from outreach.storage import connect


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return create_app(TEST_CONFIG | {"DATABASE": str(tmp_path / "outreach.sqlite3")})


def test_residents_reached_by_department_and_language(app: Flask) -> None:
    residents = {f"r{n}": ["hola", "3", "Huehuetenango" if n < 12 else "Petén"] for n in range(15)}
    talk(app, residents)
    db = connect(app.config["DATABASE"])
    table = reached(db, Query(date(2026, 11, 1), date(2026, 11, 30), "language"), "department")
    assert table.column_totals["es"] == 15
    assert table.cells[("Petén", "es")] is None  # 3 residents: hidden
    assert table.row_totals["Petén"] is None
    # 15 - 12 would give Petén away, so Huehuetenango's 12 is hidden as well.
    assert table.cells[("Huehuetenango", "es")] is None
    unsuppressed = reached(db, Query(date(2026, 11, 1), date(2026, 11, 30)), "department", k=5)
    assert unsuppressed.cells[("Huehuetenango", "all")] is None  # the lone other cell
    assert unsuppressed.column_totals["all"] == 15


def test_nothing_outside_the_date_range(app: Flask) -> None:
    talk(app, {f"r{n}": ["hola"] for n in range(12)})
    db = connect(app.config["DATABASE"])
    assert reached(db, Query(date(2026, 11, 21), date(2026, 11, 30))).total == 0
    assert reached(db, Query(date(2026, 11, 20), date(2026, 11, 20))).total == 12


def test_an_erasure_removes_a_resident_from_the_counts_but_is_counted(app: Flask) -> None:
    talk(app, {f"r{n}": ["hola", "borrar"] if n == 0 else ["hola"] for n in range(11)})
    db = connect(app.config["DATABASE"])
    assert reached(db, Query(date(2026, 11, 1), date(2026, 11, 30))).total == 10
    erasures = db.execute("select sum(count) from anonymous_counts where metric = 'erasure'")
    assert erasures.fetchone()[0] == 1


def test_unknown_dimensions_are_refused(app: Flask) -> None:
    db = connect(app.config["DATABASE"])
    with pytest.raises(ValueError, match="not 'phone'"):
        reached(db, Query(date(2026, 11, 1), date(2026, 11, 30)), "phone")
    with pytest.raises(ValueError, match="unknown dimension"):
        count(db, Query(date(2026, 11, 1), date(2026, 11, 30)), RESIDENTS_REACHED, "phone")
    with pytest.raises(ValueError, match="unknown split"):
        Query(date(2026, 11, 1), date(2026, 11, 30), "node")
    with pytest.raises(ValueError, match="unknown filter"):
        Query(date(2026, 11, 1), date(2026, 11, 30), filters=(("phone", "+502"),))


def test_the_metrics_command_prints_only_safe_counts(app: Flask) -> None:
    import json

    from click.testing import CliRunner

    from outreach.cli import main

    talk(app, {f"r{n}": ["hola"] for n in range(11)})
    talk(app, {f"w{n}": ["hola"] for n in range(2)}, channel="whatsapp")
    key = TEST_CONFIG["PSEUDONYM_KEY"]
    runner = CliRunner(
        env={"OUTREACH_DATABASE": app.config["DATABASE"], "OUTREACH_PSEUDONYM_KEY": key}
    )
    result = runner.invoke(
        main,
        ["metrics", "--by", "channel", "--since", "2026-11-01", "--until", "2026-11-30", "--json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    values = {cell["row"]: cell["value"] for cell in data["cells"]}
    # 2 WhatsApp users: hidden, and SMS with them (13 - 11 would give the 2 away).
    assert values == {"sms": None, "whatsapp": None}
    # The total is perturbed by the cell key of its 13 residents, as on the dashboard.
    keys = CellKeys(key.encode())
    everyone = [f"r{n}" for n in range(11)] + ["w0", "w1"]
    assert data["total"] == keys.count(13, keys.cell_key(everyone))
    assert abs(data["total"] - 13) <= USUAL_NOISE
    # A k below the configured one is refused: it could single people out.
    lower = runner.invoke(main, ["metrics", "--k", "5"])
    assert lower.exit_code != 0 and "below the configured k (10" in lower.output
    assert runner.invoke(main, ["metrics", "--k", "12", "--json"]).exit_code == 0
    text = runner.invoke(
        main, ["metrics", "--by", "channel", "--since", "2026-11-01", "--until", "2026-11-30"]
    ).output
    assert "<10" in text and " 2 " not in text
    # Flows, steps and programmes are not a resident's dimension: a clear answer, not a
    # table of one row "-".
    wrong = runner.invoke(main, ["metrics", "--by", "node"])
    assert wrong.exit_code != 0
    assert "flows and topics pages" in wrong.output


def test_the_metrics_command_takes_whole_months_and_says_figures_are_perturbed(
    app: Flask,
) -> None:
    """The overlapping-ranges attack on the command line: 10-20 November minus 11-20
    November used to give the residents of the 10th. Ranges are whole months (or one whole
    week), as on the dashboard, so both are all of November, with the same figures."""
    import json

    from click.testing import CliRunner

    from outreach.cli import main

    talk(app, {f"r{n}": ["hola"] for n in range(12)})
    key = TEST_CONFIG["PSEUDONYM_KEY"]
    runner = CliRunner(
        env={"OUTREACH_DATABASE": app.config["DATABASE"], "OUTREACH_PSEUDONYM_KEY": key}
    )

    def asked(since: str) -> dict[str, object]:
        result = runner.invoke(
            main, ["metrics", "--since", since, "--until", "2026-11-20", "--json"]
        )
        assert result.exit_code == 0, result.output
        return dict(json.loads(result.output))

    first, second = asked("2026-11-10"), asked("2026-11-11")
    assert first == second
    assert (first["since"], first["until"]) == ("2026-11-01", "2026-11-30")
    assert first["usual_perturbation"] == USUAL_NOISE
    text = runner.invoke(main, ["metrics", "--since", "2026-11-10", "--until", "2026-11-20"])
    assert "Residents reached 2026-11-01 to 2026-11-30" in text.output
    assert "perturbed by a small amount" in text.output
    page = runner.invoke(main, ["metrics", "--page", "overview", "--json"])
    assert page.exit_code == 0, page.output
    assert all(row["usual_perturbation"] == USUAL_NOISE for row in json.loads(page.output))
    statement = PERTURBED % {"n": USUAL_NOISE}
    assert first["perturbation"] == statement and statement in text.output
    # No one reached a programme: every cell of the topics page is hidden or 0 (a topic
    # no one read), and its export used to be `[]`. Every row carries the statement.
    topics = runner.invoke(main, ["metrics", "--page", "topics", "--json"])
    assert topics.exit_code == 0, topics.output
    rows = json.loads(topics.output)
    assert rows and all(row["perturbation"] == statement for row in rows)
    assert all(row["suppressed"] or row["value"] == 0 for row in rows)
    assert statement in runner.invoke(main, ["metrics", "--page", "topics"]).output
    backwards = runner.invoke(main, ["metrics", "--since", "2026-11-20", "--until", "2026-11-01"])
    assert backwards.exit_code != 0 and "at most 120 months" in backwards.output


def test_purge_folds_old_days_into_suppressed_aggregates_and_deletes_them(app: Flask) -> None:
    talk(app, {f"r{n}": ["hola", "3", "Petén" if n < 3 else "Zacapa"] for n in range(14)})
    db = connect(app.config["DATABASE"])
    from outreach.metrics.purge import purge

    too_early = purge(db, date(2027, 2, 17), retention_days=90, k=10)  # day 89: kept
    assert (too_early.days, too_early.rows_deleted) == (0, 0)
    before = db.execute("select count(*) from daily_activity").fetchone()[0]
    assert before > 0  # the day was closed, not purged
    report = purge(db, date(2027, 2, 19), retention_days=90, k=10)
    assert report.days == 1 and report.rows_deleted == before
    for table in ("events", "daily_activity"):
        assert db.execute(f"select count(*) from {table}").fetchone()[0] == 0
    kept = {
        (row["metric"], row["dimension"], row["value"]): row["count"]
        for row in db.query("select * from daily_aggregates where day = '2026-11-20'")
    }
    assert kept[("residents_reached", "all", "all")] == 14
    assert kept[("residents_reached", "department", "Petén")] is None  # 3: never kept
    # 14 - 11 would give Petén's 3 away, so Zacapa's 11 is not kept either.
    assert kept[("residents_reached", "department", "Zacapa")] is None
    assert all(v is None or v >= 10 for v in kept.values())
    # The trend is still right after the details are gone.
    assert reached(db, Query(date(2026, 11, 1), date(2026, 11, 30))).total == 0


def test_the_purge_command(app: Flask) -> None:
    from click.testing import CliRunner

    from outreach.cli import main

    talk(app, {f"r{n}": ["hola"] for n in range(12)})
    env = {"OUTREACH_DATABASE": app.config["DATABASE"],
           "OUTREACH_PSEUDONYM_KEY": TEST_CONFIG["PSEUDONYM_KEY"]}  # fmt: skip
    runner = CliRunner(env=env)
    result = runner.invoke(main, ["purge", "--today", "2027-03-01"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 day(s) folded into ")
    assert connect(app.config["DATABASE"]).execute("select count(*) from events").fetchone()[0] == 0


def test_purge_forgets_residents_silent_for_the_whole_window_but_not_a_stop(app: Flask) -> None:
    from outreach.metrics.purge import purge

    talk(app, {"gone": ["hola", "3", "Petén"], "stopped": ["hola", "BAJA"]})
    talk(app, {"active": ["hola", "3", "Petén"]}, at=DAY + timedelta(days=80))
    db = connect(app.config["DATABASE"])
    report = purge(db, date(2027, 2, 19), retention_days=90, k=10)  # 20 Nov is past the window
    assert report.residents_forgotten == 2
    rows = {row["id"]: row for row in db.query("select * from residents")}
    assert set(rows) == {"stopped", "active"}
    assert rows["stopped"]["opted_out"] == 1 and rows["stopped"]["first_seen_on"] is None
    assert '"fields": {}' in rows["stopped"]["session"]
    assert json.loads(rows["active"]["session"])["fields"] == {"department": "Petén"}  # kept
    assert purge(db, date(2027, 2, 19), 90, 10).residents_forgotten == 0  # already done

    # Still stopped: nothing is sent until they opt in again, and then they are new.
    later = DAY + timedelta(days=100)
    assert talk(app, {"stopped": ["hola"]}, at=later) == []
    assert talk(app, {"stopped": ["ALTA"]}, at=later + timedelta(hours=1)) != []
    assert talk(app, {"gone": ["hola"]}, at=later) != []
    again = {row["id"]: row for row in db.query("select * from residents")}
    assert again["stopped"]["first_seen_on"] == again["gone"]["first_seen_on"] == "2027-02-28"


def test_one_scan_gives_every_table_of_a_page_as_separate_scans_would(app: Flask) -> None:
    from outreach.metrics.queries import Measure, Request, count_each, count_many
    from outreach.metrics.rollup import close_days
    from outreach.metrics.sections import MESSAGES_IN, MESSAGES_OUT, REACHED, SEGMENTS

    earlier = DAY - timedelta(days=3)
    talk(app, {f"a{n}": ["hola", "3", "Huehuetenango", "1"] for n in range(14)}, at=earlier)
    talk(app, {f"b{n}": ["hola", "2"] for n in range(9)}, channel="whatsapp", at=earlier)
    db = connect(app.config["DATABASE"])
    close_days(db, DAY.date())  # the earlier day is rolled up; today's stays raw
    talk(app, {f"a{n}": ["menu", "1"] for n in range(7)}, at=DAY)
    talk(app, {f"c{n}": ["hola", "3", "Petén"] for n in range(12)}, at=DAY)
    since, until = date(2026, 11, 1), date(2026, 11, 30)
    new = Measure(("resident_day",), rows_sql="CASE WHEN first_seen_on >= '2026-11-20' "
                  "THEN 'new' ELSE 'returning' END")  # fmt: skip
    requests = [
        Request(Query(since, until, "language"), (new,), k=5),
        Request(Query(since, until), (REACHED,), "day", k=5),
        Request(Query(since, until, "channel"), (MESSAGES_IN, MESSAGES_OUT), "department", 5),
        Request(Query(since, until, "department"), (SEGMENTS,), k=5, hide_total=True),
        Request(Query(since, until, "day"), (REACHED,), "channel", k=5),
        Request(Query(since, until), (Measure(("node_visited",)),), "node", 5, totals=False),
    ]
    scans: list[str] = []
    db.conn.set_trace_callback(lambda sql: scans.append(sql) if "FROM activity" in sql else None)
    together = count_many(db, requests)
    assert len(scans) == 2  # one for the resident-day rows, one for the nodes
    db.conn.set_trace_callback(None)
    apart = [
        count_each(db, r.query, r.measures, r.rows, r.k, r.hide_total, r.totals) for r in requests
    ]
    assert together == apart
    # Real figures, not empty tables: 35 residents wrote, on two days.
    assert together[1][0].total == 35
    assert together[1][0].row_totals == {"2026-11-17": 23, "2026-11-20": 19}
    assert together[2][1].total is not None and together[2][1].total > together[2][0].total
    # And the scan counts what plain SQL counts (these cells are all 5 or more).
    plain = count_many(db, [
        Request(Query(since, until, "department"), (SEGMENTS,), k=5),
        Request(Query(since, until, "language"), (new,), "all", k=5),
    ])  # fmt: skip
    segments = dict(db.execute(
        "SELECT department, sum(segments) FROM activity WHERE kind = 'resident_day' "
        "AND channel = 'sms' GROUP BY department"
    ).fetchall())  # fmt: skip
    assert plain[0][0].column_totals == segments
    people = dict(db.execute(
        "SELECT CASE WHEN first_seen_on >= '2026-11-20' THEN 'new' ELSE 'returning' END,"
        " count(DISTINCT resident) FROM activity WHERE kind = 'resident_day' GROUP BY 1"
    ).fetchall())  # fmt: skip
    assert plain[1][0].row_totals == people
