"""Attacks on the voice figures, as a viewer with an account or a donor holding exports
would try them: the one K'iche' caller of a department, singled out by differencing the
voice page's exports over filters and periods, and the one call back of a day.

The population: 11 Spanish callers and one K'iche' caller in Huehuetenango (who calls
twelve times one day, an hour of calls), 20 Spanish callers in Alta Verapaz; in October
and November. Counted per call, as the calls were before they knew their caller, the
K'iche' row would show 12 calls: that one person's calls."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from conftest import TEST_CONFIG
from flask import Flask
from flask.testing import FlaskClient

from outreach import create_app, staff
from outreach.metrics.cellkey import USUAL_NOISE
from outreach.metrics.disclosure import noise_law, posterior
from outreach.storage import connect
from outreach.storage.callbacks import CallbackLimits, claim_next, finish, request_callback
from outreach.storage.calls import record_status, record_step

PASSWORD = "correct horse battery"
NOVEMBER = {"since": "2026-11-01", "until": "2026-11-30"}
PERIODS = [
    NOVEMBER,
    {"since": "2026-10-01", "until": "2026-11-30"},
    {"since": "2026-11-01", "until": "2026-12-31"},
    {"since": "2026-11-16", "until": "2026-11-22"},
]
#: Every filter that leaves the K'iche' caller out, or in: the pairs an attacker has.
FILTERS = [{}, {"department": "Huehuetenango"}, {"channel": "voice"}]
THE_CALLER_CALLS = 12
THE_CALLER_MINUTES = 12 * 5


def _population(app: Flask) -> None:
    db = connect(app.config["DATABASE"])

    def call(call_id: str, resident: str, day: str, language: str, seconds: int) -> None:
        record_step(db, call_id, day, language, "risks", f"{day}T15:00:00", resident)
        record_status(db, call_id, day, "completed", seconds, f"{day}T15:10:00")

    for n in range(32):
        department = "Huehuetenango" if n < 11 else "Alta Verapaz"
        db.execute("INSERT INTO residents (id, department) VALUES (?, ?)", [f"es-{n}", department])
        for day in ("2026-10-14", "2026-11-19", "2026-11-20"):
            call(f"es-{n}-{day}", f"es-{n}", day, "es", 60 + n)
    db.execute("INSERT INTO residents (id, department) VALUES ('kiche', 'Huehuetenango')")
    for n in range(THE_CALLER_CALLS):
        call(f"kiche-{n}", "kiche", "2026-11-20", "quc", 290)
    # Call backs: twenty on the 20th, and one alone on the 3rd.
    limits = CallbackLimits(("+502",), per_caller_day=3, per_hour=100, per_day=200)
    for n, at in enumerate([datetime(2026, 11, 20, 15, tzinfo=UTC)] * 20
                           + [datetime(2026, 11, 3, 9, tzinfo=UTC)]):  # fmt: skip
        assert request_callback(db, f"+5025555{n:04d}", f"c-{n}", at, limits) is None
        claimed = claim_next(db, at, timedelta(minutes=10))
        assert claimed is not None
        finish(db, claimed[0], at, "placed")


@pytest.fixture(scope="module")
def viewer(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    folder = tmp_path_factory.mktemp("voice-attacks")
    app = create_app(TEST_CONFIG | {"DATABASE": str(folder / "outreach.sqlite3")})
    staff.add(connect(app.config["DATABASE"]), "beto", PASSWORD, "viewer", datetime.now(UTC))
    _population(app)
    client = app.test_client()
    page = client.get("/dashboard/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    answer = client.post(
        "/dashboard/login", data={"name": "beto", "password": PASSWORD, "csrf": csrf.group(1)}
    )
    assert answer.status_code == 302
    return client


def export(client: FlaskClient, **args: str) -> dict[tuple[str, str, str], int | None]:
    """The voice page's JSON export as the attacker reads it: (table, row, column)."""
    answer = client.get("/dashboard/export.json", query_string={"page": "voice"} | args)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    rows = json.loads(answer.get_data(as_text=True))
    assert all(row["usual_perturbation"] == USUAL_NOISE for row in rows)
    return {
        (row["table"], row["row"], row["column"]): (None if row["suppressed"] else row["value"])
        for row in rows
    }


def test_the_one_callers_row_is_hidden_however_many_calls(viewer: FlaskClient) -> None:
    """Attack 0: read the K'iche' row. Per call it was 12 calls and an hour: one
    person's. Achieved now: hidden in every table, split and filter, with its
    complement; filtered on K'iche', every figure of the page is hidden."""
    for split in ("all", "department", "day", "language"):
        shown = export(viewer, **NOVEMBER, split=split)
        for key, value in shown.items():
            if key[1] == "quc" or key[2] == "quc":
                # Zero where the caller is not (Alta Verapaz, another day): no one.
                where = {key[1], key[2]} - {"quc"}
                empty = not where & {"all", "total", "Huehuetenango", "2026-11-20"}
                assert value is None or (value == 0 and empty), key
    alone = export(viewer, **NOVEMBER, language="quc")
    assert all(value is None for value in alone.values()), alone


def _headline(client: FlaskClient, name: str, **args: str) -> int | None:
    return export(client, **args)[("headline", name, "all")]


def test_attack_differencing_the_one_caller_over_every_filter_and_period(
    viewer: FlaskClient,
) -> None:
    """Attack 1: the page with every language minus the page filtered on Spanish, for
    every filter and period a viewer may choose: the callers, calls and minutes of the
    one K'iche' caller. Per call, without noise, it gave 1 caller, 12 calls and 60
    minutes exactly. Achieved: each estimate is off by two cells' noise, the sums by
    steps of the most one caller gave in a day (12 calls, an hour); the exact posterior
    over every pair is never 90% sure of one caller."""
    callers: set[int] = set()
    sums: dict[str, set[int]] = {"calls": set(), "minutes": set()}
    for period in PERIODS:
        for filters in FILTERS:
            wide = export(viewer, **period, **filters)
            narrow = export(viewer, **period, **filters, language="es")
            for name, found in [("callers", callers), *sums.items()]:
                a, b = wide[("headline", name, "all")], narrow[("headline", name, "all")]
                if a is not None and b is not None:
                    found.add(a - b)
    assert callers, "no pair to difference: the test shows nothing"
    believed = posterior(callers, noise_law(cells=2))
    best = max(believed, key=believed.__getitem__)
    assert believed[best] < 0.9, f"90% sure of {best} caller(s): {sorted(callers)}"
    # The sums: a pair may fall on the truth (a quarter of the figures get no noise),
    # but the pairs disagree by the noise of one caller's whole day, and nothing says
    # which of them is right.
    for name, truth in (("calls", THE_CALLER_CALLS), ("minutes", THE_CALLER_MINUTES)):
        assert len(sums[name]) > 1, (name, sums[name], truth)


def test_attack_the_department_minus_its_spanish_callers(viewer: FlaskClient) -> None:
    """Attack 2: Huehuetenango's callers, split by language, hide K'iche'; the total of
    the department minus its Spanish row would give it. Achieved: the Spanish row is
    hidden with it (complementary suppression), and the department's total minus the
    Spanish page is off by two noises."""
    split = export(viewer, **NOVEMBER, department="Huehuetenango")
    assert split[("voice_callers", "quc", "all")] is None
    assert split[("voice_callers", "es", "all")] is None
    total = split[("voice_callers", "total", "total")]
    spanish = _headline(viewer, "callers", **NOVEMBER, department="Huehuetenango", language="es")
    if total is not None and spanish is not None:
        believed = posterior([total - spanish], noise_law(cells=2))
        assert max(believed.values()) < 0.5, "the attack found the one K'iche' caller"


def test_attack_the_one_call_back_of_a_day(viewer: FlaskClient) -> None:
    """Attack 3: call backs split by day show the 20th; the month's total minus the
    shown days would be the 3rd's one call back. Achieved: the 3rd is hidden, and a
    second figure with it, so the total minus what is shown is never that one day; and
    filters cannot isolate it (call backs know no language or department)."""
    by_day = export(viewer, **NOVEMBER, split="day")
    cells = {key[2]: v for key, v in by_day.items() if key[:2] == ("callbacks", "total")}
    assert cells["2026-11-03"] is None
    hidden = [day for day, value in cells.items() if value is None]
    assert len(hidden) >= 2, f"the one call back's day is the lone hidden figure: {cells}"
    repeated = {_headline(viewer, "callbacks_placed", **NOVEMBER, split="day") for _ in range(10)}
    assert len(repeated) == 1  # asking again gives the same figure: nothing to average
    assert ("callbacks", "total", "total") not in export(viewer, **NOVEMBER, language="es")
