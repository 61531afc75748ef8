"""Attacks on the published figures, as a viewer with an account or a donor holding
exports would try them (issue #13, point 1). Each test says the attack, what it achieved
against the cell-key perturbation, and what it achieved before (with suppression alone).

The population is the issue's: 11 residents in Alta Verapaz (one of them on WhatsApp),
3 in Petén (under k = 10), 30 in Huehuetenango."""

from __future__ import annotations

import json
import random
import re
from csv import DictReader
from datetime import UTC, datetime
from io import BytesIO, StringIO
from statistics import mean

import pytest
from conftest import TEST_CONFIG
from conversation_helpers import talk
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from openpyxl import load_workbook

from outreach import create_app, staff
from outreach.metrics.cellkey import USUAL_NOISE, CellKeys
from outreach.metrics.disclosure import noise_law, posterior
from outreach.metrics.report import PERTURBED
from outreach.storage import connect

PASSWORD = "correct horse battery"
NOVEMBER = {"since": "2026-11-01", "until": "2026-11-30"}


@pytest.fixture(scope="module")
def viewer(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    folder = tmp_path_factory.mktemp("attacks")
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


def _population(app: Flask) -> None:
    talk(app, {f"av{n}": ["hola", "3", "Alta Verapaz"] for n in range(10)})
    talk(app, {"av-wa": ["hola", "3", "Alta Verapaz", "1", "hola"]}, channel="whatsapp")
    talk(app, {f"pe{n}": ["hola", "3", "Petén"] for n in range(3)})
    talk(app, {f"hu{n}": ["hola", "3", "Huehuetenango"] for n in range(30)})


def export(client: FlaskClient, **args: str) -> dict[tuple[str, str, str], int | None]:
    """A JSON export as the attacker reads it: (table, row, column) -> figure."""
    answer = client.get("/dashboard/export.json", query_string=NOVEMBER | args)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    rows = json.loads(answer.get_data(as_text=True))
    # Every row says by how much at most it is perturbed.
    assert all(row["usual_perturbation"] == USUAL_NOISE for row in rows)
    return {
        (row["table"], row["row"], row["column"]): (None if row["suppressed"] else row["value"])
        for row in rows
    }


def test_every_export_and_page_says_figures_are_perturbed(viewer: FlaskClient) -> None:
    for page in ("overview", "flows", "topics", "quality"):
        assert export(viewer, page=page) or page != "overview"
        for language, words in (
            ("en", "is perturbed by a small amount"),
            ("es", "alterada en una cantidad"),
        ):
            html = viewer.get(f"/dashboard/{'' if page == 'overview' else page}",
                              query_string=NOVEMBER | {"ui": language})  # fmt: skip
            assert html.status_code == 200
            assert words in html.get_data(as_text=True), (page, language)


def test_an_export_with_every_cell_hidden_still_says_figures_are_perturbed(
    viewer: FlaskClient,
) -> None:
    """Petén's 3 residents are under k: filtered on Petén, the topics page hides every
    cell. Its exports used to be `[]` and a CSV of one header, with nothing said about
    perturbation; now every export, empty or not, and every page carry the statement."""
    statement = PERTURBED % {"n": USUAL_NOISE}
    petén = NOVEMBER | {"department": "Petén", "ui": "en"}
    for page in ("overview", "flows", "topics", "quality"):
        answer = viewer.get("/dashboard/export.json", query_string=petén | {"page": page})
        rows = json.loads(answer.get_data(as_text=True))
        assert rows, page
        assert all(row["perturbation"] == statement for row in rows), page
        assert all(row["usual_perturbation"] == USUAL_NOISE for row in rows), page
        csv = viewer.get("/dashboard/export.csv", query_string=petén | {"page": page})
        read = list(DictReader(StringIO(csv.get_data(as_text=True))))
        assert read and all(row["perturbation"] == statement for row in read), page
        xlsx = viewer.get("/dashboard/export.xlsx", query_string=petén | {"page": page})
        definitions = load_workbook(BytesIO(xlsx.data)).worksheets[0]
        assert statement in [line[1].value for line in definitions.iter_rows()], page
        html = viewer.get(f"/dashboard/{'' if page == 'overview' else page}",
                          query_string=petén)  # fmt: skip
        assert escape(statement) in html.get_data(as_text=True), page
    # The topics page shows no count of anyone: Petén's 3 read no topic, each row is 0.
    answer = viewer.get("/dashboard/export.json", query_string=petén | {"page": "topics"})
    rows = json.loads(answer.get_data(as_text=True))
    assert rows and all(row["suppressed"] or row["value"] == 0 for row in rows)
    # In Spanish, the statement of an export is the page's, translated.
    spanish = viewer.get(
        "/dashboard/export.json", query_string=petén | {"page": "topics", "ui": "es"}
    )
    assert (
        "alterada en una cantidad" in json.loads(spanish.get_data(as_text=True))[0]["perturbation"]
    )


def reached(client: FlaskClient, **args: str) -> int | None:
    return export(client, **args)[("headline", "reached", "all")]


def test_attack_total_minus_the_shown_departments(viewer: FlaskClient) -> None:
    """Attack 1: the overview split by department hides Petén; filtered by each other
    department it shows them; total minus those gave Petén = 3 exactly before.
    Achieved now: an estimate off by the sum of three independent noises."""
    split = export(viewer, split="department")
    assert split[("reach", "total", "Petén")] is None  # still hidden: under k
    total = reached(viewer, split="department")
    shown = [reached(viewer, department=d) for d in ("Alta Verapaz", "Huehuetenango")]
    assert total is not None and None not in shown
    estimate = total - sum(s for s in shown if s is not None)
    assert estimate != 3, f"the attack recovered Petén = {estimate}"
    assert abs(estimate - 3) <= 3 * USUAL_NOISE


def test_attack_one_whatsapp_resident_by_channel_and_language(viewer: FlaskClient) -> None:
    """Attack 2: Alta Verapaz showed 11, with channel=sms 10: one resident there wrote on
    WhatsApp; the topics export with and without the channel (and language=es) then gave
    what that one resident read and how many messages they sent. Achieved now: the
    difference of the reach is one draw of two cells' noise. Here it happens to be 1
    (13 - 12), but any small value is about as likely, so an attacker who knows the table
    gives "one resident" a posterior of 23%; the differences of topics and of messages
    do not give that resident's reading and messages."""
    both = reached(viewer, department="Alta Verapaz")
    sms = reached(viewer, department="Alta Verapaz", channel="sms")
    assert both is not None
    if sms is not None:
        believed = posterior([both - sms], noise_law(cells=2))
        assert max(believed.values()) < 0.5, "the attack found the one WhatsApp resident"

    def topics(**args: str) -> dict[tuple[str, str, str], int | None]:
        return export(viewer, page="topics", department="Alta Verapaz", **args)

    truth_messages = 5  # what the WhatsApp resident sent
    wide = export(viewer, department="Alta Verapaz")[("headline", "messages_in", "all")]
    narrow = export(viewer, department="Alta Verapaz", channel="sms")[
        ("headline", "messages_in", "all")
    ]
    if wide is not None and narrow is not None:
        assert wide - narrow != truth_messages, "the attack recovered their messages"
    for language in ({}, {"language": "es"}):
        with_them, without = topics(**language), topics(channel="sms", **language)
        # Rows no one read are 0 in both (every step is shown): they say nothing of anyone.
        differences = {
            key: with_them[key] - value  # type: ignore[operator]
            for key, value in without.items()
            if value is not None and with_them.get(key)
        }
        # The topic the one resident read (the first menu choice) against the others:
        # were the attack exact, every difference would be 0 or 1 and name it.
        assert not all(d in (0, 1) for d in differences.values()) or not differences, (
            f"the attack read off what the resident read: {differences}"
        )


def test_attack_two_overlapping_date_ranges(viewer: FlaskClient) -> None:
    """Attack 3: two free ranges that differ by one day gave that day's hidden count of
    1. Achieved now: ranges are whole months (or one whole week of days), so both ranges
    are the same month, the same residents, the same figures: their difference is 0 and
    tells nothing about any day."""
    first = export(viewer, since="2026-11-19", until="2026-11-28")
    second = export(viewer, since="2026-11-20", until="2026-11-28")
    assert first == second
    # The daily bars are cells of their own: perturbed and, under k, hidden.
    days = {key: v for key, v in first.items() if key[0] == "reach_over_time"}
    day = days[("reach_over_time", "2026-11-20", "all")]
    assert day is not None and abs(day - 44) <= USUAL_NOISE


def test_attack_repeating_queries_to_average(viewer: FlaskClient) -> None:
    """Repeated-query averaging: 30 identical exports, averaged. Achieved: every answer is
    the same, the noise belongs to the residents, so the average is one answer."""
    answers = {reached(viewer, department="Alta Verapaz") for _ in range(30)}
    assert len(answers) == 1 and answers != {11}


FILTERS = [
    {},
    {"channel": "sms"},
    {"channel": "whatsapp"},
    {"language": "es"},
    {"language": "es", "channel": "sms"},
]


def test_attack_differencing_and_averaging_over_every_filter_and_period(
    viewer: FlaskClient,
) -> None:
    """The best differencing attack we could write on the pages: Petén (3, hidden) as the
    total minus the other departments, under every filter combination and for every
    period a viewer may choose (November, October-November, November-December, the week of
    the 20th), with the estimates averaged. Achieved: every estimate is made of cells of
    the same residents, hence the same noise: averaging does not shrink the error, and the
    rounded average is not 3. Before, each of them gave 3 exactly."""
    periods = [
        {"since": "2026-11-01", "until": "2026-11-30"},
        {"since": "2026-10-01", "until": "2026-11-30"},
        {"since": "2026-11-01", "until": "2026-12-31"},
        {"since": "2026-11-16", "until": "2026-11-22"},
    ]
    estimates: list[int] = []
    for period in periods:
        for filters in FILTERS:
            total = reached(viewer, **period, **filters)
            parts = [
                reached(viewer, **period, **filters, department=d)
                for d in ("Alta Verapaz", "Huehuetenango")
            ]
            if total is None or None in parts:
                continue  # hidden: nothing to difference
            estimates.append(total - sum(p for p in parts if p is not None))
    assert len(estimates) >= 8
    average = mean(estimates)
    assert round(average) != 3, f"the attack recovered Petén = {average}"
    # The same estimates, read by the exact posterior instead of the mean: each is off by
    # the noise of three cells (total, and two departments), whose law is public. The
    # estimates that repeat are the same cells, so they count once.
    believed = posterior(set(estimates), noise_law(cells=3))
    best = max(believed, key=believed.__getitem__)
    assert believed[best] < 0.9, f"90% sure Petén = {best}"
    # And that is not luck of this population: see the simulations below and in
    # tests/metrics/test_cellkey.py.


def test_averaging_many_differences_recovers_no_count_exactly_by_simulation() -> None:
    """The averaging attack in general, over 2,000 random deployments (secret keys): a
    hidden group of 1 to 9 residents, each differenced out of the totals of several filter
    combinations that each hold other residents too (so each difference is a different
    pair of cells, with its own noise), the estimates averaged and rounded. Achieved:
    the rounded average is the true count in about 23% of the deployments, and
    the attacker cannot tell in which; with one estimate it is about 1 in 8."""
    rng = random.Random(13)
    hits = 0
    trials = 2000
    for trial in range(trials):
        keys = CellKeys(f"deployment-{trial}".encode() * 2)
        hidden = [f"h{n}" for n in range(rng.randrange(1, 10))]
        estimates = []
        # Five filter combinations: each a different set of other residents around them.
        for combination in range(5):
            others = [f"o{combination}-{n}" for n in range(rng.randrange(10, 50))]
            with_them = keys.count(len(others) + len(hidden), keys.cell_key(others + hidden))
            alone = keys.count(len(others), keys.cell_key(others))
            estimates.append(with_them - alone)
        hits += round(mean(estimates)) == len(hidden)
    rate = hits / trials
    assert rate < 0.3, f"averaging five differences recovered the count in {rate:.0%}"
