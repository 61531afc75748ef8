"""Figures per alert (issue #18 section 5): sent, delivered, failed, read and opted out
after it, tallied durably as the outbox's rows move (a status callback in its own
transaction), surviving the outbox's prune, with the cell key of the residents behind
each figure; on the dashboard, in its exports and in `outreach metrics`; and the attacks
of a viewer who combines alerts, departments or languages to single someone out.

The population: alert 1 went to 30 residents of Quiché, 12 of Huehuetenango and 3 of
Petén (SMS, Spanish) and one K'iche' speaker of Quiché; alert 2 to the same residents
and one more of Petén."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import TEST_CONFIG
from conversation_helpers import talk
from flask import Flask
from flask.testing import FlaskClient
from interface_text import untranslated
from staff_helpers import app_with_accounts, log_in

from outreach.cli import main
from outreach.metrics.alerts import FIGURES, alert_sections
from outreach.metrics.cellkey import USUAL_NOISE, CellKeys
from outreach.metrics.disclosure import noise_law, posterior
from outreach.service.addresses import AddressBox
from outreach.service.deliveries import record_delivery
from outreach.storage import connect, immediate
from outreach.storage import outbox as ob
from outreach.storage.alert_tallies import settle_all, tallies
from outreach.storage.alerts import insert_alert
from outreach.storage.residents import Store
from outreach.storage.subscriptions import SubscriptionRow, subscribe

SENT_AT = datetime(2026, 11, 20, 15, tzinfo=UTC)
KEYS = CellKeys(TEST_CONFIG["PSEUDONYM_KEY"].encode())


def a_subscriber(db: Any, resident: str, department: str, language: str = "es") -> None:
    box = AddressBox(b"an-alerts-key-for-these-tests-of-32-bytes")
    nonce, sealed = box.seal("+50255550101", resident, "sms")
    subscribe(db, SubscriptionRow(resident, "scams", department, language, "sms", sealed,
                                  nonce, "2026-11-01"))  # fmt: skip


def an_alert(db: Any) -> int:
    return insert_alert(
        db, topic="scams", departments=None, texts={"es": "Aviso de prueba."},
        source="Fuente de prueba", verified_on="2026-11-01", review_by="2027-01-01",
        send_at=SENT_AT.isoformat(), content_sid=None, created_by="ana", now=SENT_AT,
    )  # fmt: skip


def send(db: Any, alert: int, residents: list[tuple[str, str]], fates: dict[str, str],
         at: datetime = SENT_AT) -> dict[str, str]:  # fmt: skip
    """Queue ``alert`` for ``residents`` (id, language) and hand each to "Twilio" as the
    sender does: refused ones fail, the others are sent. Returns each resident's keyed
    message id."""
    with immediate(db):
        ob.enqueue_alert(db, alert, "scams", [(r, lang, "sms") for r, lang in residents], at)
        db.execute("UPDATE alerts SET state = 'sent' WHERE id = ?", [alert])
    ids = {}
    for _ in residents:
        with immediate(db):
            row = ob.claim(db, at, "sms", alerts=True, weekly_limit=10)
            assert row is not None
            if fates.get(row.resident) == "refused":
                ob.finish(db, row.id, ob.FAILED, 21211, "refused", at)
            else:
                ids[row.resident] = f"message-{alert}-{row.resident}"
                ob.mark_sent(db, row.id, ids[row.resident], at)
    return ids


def callback(db: Any, message_id: str, status: str, at: datetime = SENT_AT) -> None:
    record_delivery(db, message_id, status, None, None, clock=lambda: at,
                    record_key=KEYS.record_key)  # fmt: skip


QUICHE = [f"quiche-{n}" for n in range(30)]
PETEN = ["peten-0", "peten-1", "peten-2"]
HUEHUE = [f"huehue-{n}" for n in range(12)]
KICHE = "kiche-0"
FATES = {f"quiche-{n}": "refused" for n in (0, 1)}


def population(db: Any) -> tuple[dict[str, str], dict[str, str]]:
    with immediate(db):
        for resident in QUICHE:
            a_subscriber(db, resident, "Quiché")
        for resident in [*PETEN, "peten-3"]:
            a_subscriber(db, resident, "Petén")
        for resident in HUEHUE:
            a_subscriber(db, resident, "Huehuetenango")
        a_subscriber(db, KICHE, "Quiché", "quc")
    first = [(r, "es") for r in QUICHE + PETEN + HUEHUE] + [(KICHE, "quc")]
    one = send(db, an_alert(db), first, FATES)
    two = send(db, an_alert(db), [*first, ("peten-3", "es")], FATES,
               at=SENT_AT + timedelta(days=3))  # fmt: skip
    for ids in (one, two):
        for n, (_resident, message) in enumerate(sorted(ids.items())):
            # Out of order and twice, as Twilio's callbacks come: the furthest one counts.
            statuses = (
                ["sent", "delivered", "read", "delivered", "sent"]
                if n % 2
                else (["undelivered"] if n % 7 == 3 else ["delivered", "sent", "delivered"])
            )
            for status in statuses:
                callback(db, message, status)
    return one, two


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    app = app_with_accounts(tmp_path, {"ana": "admin", "beto": "viewer"})
    population(connect(app.config["DATABASE"]))
    return app


def exact(db: Any) -> dict[str, dict[tuple[str, str], int]]:
    """The true figures of each alert, from the tallies, neither perturbed nor hidden."""
    truth: dict[str, dict[tuple[str, str], int]] = {f: {} for f in FIGURES}
    for tally in tallies(db):
        for figure, outcomes in FIGURES.items():
            if tally.outcome in outcomes:
                cell = (str(tally.alert), "all")
                truth[figure][cell] = truth[figure].get(cell, 0) + tally.residents
    return truth


def test_each_message_counts_once_at_its_furthest_status(app: Flask) -> None:
    db = connect(app.config["DATABASE"])
    with immediate(db):
        settle_all(db, KEYS.record_key)
    truth = exact(db)
    # 46 recipients, 2 refused: 44 sent; of those, every other one read (and so
    # delivered), some undelivered (sent, then failed), the rest delivered.
    sent, refused = 44, 2
    rows = db.execute("SELECT resident, state, status FROM outbox WHERE alert = 1").fetchall()
    read = sum(1 for _r, _s, status in rows if status == "read")
    undelivered = sum(1 for _r, _s, status in rows if status == "undelivered")
    assert read > 10 and undelivered > 0
    assert truth["sent"][("1", "all")] == sent
    assert truth["read"][("1", "all")] == read
    assert truth["delivered"][("1", "all")] == sent - undelivered
    assert truth["failed"][("1", "all")] == refused + undelivered
    # Alert 2 had one more recipient.
    assert truth["sent"][("2", "all")] == sent + 1


def test_a_status_callback_is_tallied_in_its_own_transaction(app: Flask) -> None:
    """Before any view or catch-up: the rows a callback touched are tallied already."""
    db = connect(app.config["DATABASE"])
    counted = {t.outcome: t.residents for t in tallies(db, [1]) if t.department == "Quiché"}
    assert counted.get("read", 0) > 10
    # The refused ones had no callback: they wait for the next catch-up.
    assert "refused" not in counted
    assert db.execute("SELECT count(*) FROM outbox WHERE tallied IS NULL"
                      " AND state = 'failed'").fetchone()[0] == 4  # fmt: skip


def test_the_figures_survive_the_prune_and_erasure_keeps_nothing(app: Flask) -> None:
    db = connect(app.config["DATABASE"])
    with immediate(db):
        settle_all(db, KEYS.record_key)
    before = exact(db)

    # A callback that comes after the catch-up, then the prune before any view: what it
    # changed is tallied at once, the rest was counted when the rows were deleted.
    def status(resident: str) -> tuple[str, str]:
        found = db.execute("SELECT message_id, status FROM outbox WHERE resident = ?"
                           " AND alert = 2", [resident]).fetchone()  # fmt: skip
        return str(found[0]), str(found[1])

    first, second = [r for (r,) in db.execute(
        "SELECT resident FROM outbox WHERE alert = 2 AND status = 'delivered'"
        " AND department = 'Quiché' ORDER BY resident LIMIT 2")]  # fmt: skip
    callback(db, status(first)[0], "read")
    # A status written without its tally (as a sender that does not tally would):
    # lagging when the prune comes.
    db.execute("UPDATE outbox SET status = 'read' WHERE resident = ? AND alert = 2", [second])
    with immediate(db):
        assert ob.prune(db, SENT_AT + timedelta(days=12)) == 46 + 47
    assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
    assert db.execute("SELECT resident, old, new FROM alert_tally_pending").fetchall() == [
        (second, "delivered", "read")
    ]
    with immediate(db):
        settle_all(db, KEYS.record_key)
    after = exact(db)
    assert db.execute("SELECT count(*) FROM alert_tally_pending").fetchone()[0] == 0
    assert after["sent"] == before["sent"] and after["failed"] == before["failed"]
    assert after["delivered"] == before["delivered"]
    assert after["read"][("2", "all")] == before["read"][("2", "all")] + 2
    assert after["read"][("1", "all")] == before["read"][("1", "all")]
    # Nothing of a resident is in the tallies: no id, number or MessageSid.
    columns = [c[1] for c in db.execute("PRAGMA table_info(alert_tallies)")]
    assert columns == ["alert", "outcome", "language", "channel", "department", "count",
                       "key_sum"]  # fmt: skip
    # An erasure takes what a deleted row left pending for the resident too.
    db.execute("INSERT INTO alert_tally_pending (alert, old, new, language, channel,"
               " department, resident) VALUES (1, NULL, 'read', 'es', 'sms', 'Petén',"
               " 'peten-1')")  # fmt: skip
    with immediate(db):
        Store(db).erase("peten-1")
    assert db.execute("SELECT count(*) FROM alert_tally_pending").fetchone()[0] == 0


def test_a_figures_cell_key_is_that_of_its_residents(app: Flask) -> None:
    """Kept as tallies, a figure gets exactly the noise it would get counted from the
    residents' rows: the same residents, the same cell key, whichever page shows it."""
    db = connect(app.config["DATABASE"])
    quiche = "SELECT resident FROM outbox WHERE alert = 1 AND state = 'sent' AND department = ?"
    sent_to = [r for (r,) in db.execute(quiche, ["Quiché"])]
    sections = {s.id: s.table for s in alert_sections(db, [1, 2], "department", 10, KEYS)}
    expected = KEYS.count(len(sent_to), KEYS.cell_key(sent_to))
    assert sections["alert_sent"].cells[("1", "Quiché")] == expected
    # And the same figure on the alert's own (unsplit) table has the total's noise.
    everyone = [r for (r,) in db.execute("SELECT resident FROM outbox WHERE alert = 1"
                                         " AND state = 'sent'")]  # fmt: skip
    alone = {s.id: s.table for s in alert_sections(db, [1], "all", 10, KEYS)}
    assert alone["alert_sent"].row_totals["1"] == KEYS.count(len(everyone),
                                                             KEYS.cell_key(everyone))  # fmt: skip


def test_opt_outs_within_seven_days_of_an_alert_count_against_it(app: Flask) -> None:
    db = connect(app.config["DATABASE"])
    # Two days after alert 2 (five after alert 1): BAJA and ALERTAS NO count for both.
    talk(app, {f"quiche-{n}": ["BAJA"] for n in range(2, 8)}, at=SENT_AT + timedelta(days=5))
    talk(app, {f"quiche-{n}": ["ALERTAS NO"] for n in range(8, 14)},
         at=SENT_AT + timedelta(days=5, hours=1))  # fmt: skip
    # Nine days after alert 1 (six after alert 2): only alert 2.
    talk(app, {f"quiche-{n}": ["BAJA"] for n in range(14, 20)}, at=SENT_AT + timedelta(days=9))
    # A refused alert never reached them: their BAJA is not about it.
    talk(app, {"quiche-0": ["BAJA"]}, at=SENT_AT + timedelta(days=5))
    with immediate(db):
        settle_all(db, KEYS.record_key)
        settle_all(db, KEYS.record_key)  # twice: nothing counts twice
    truth = exact(db)
    assert truth["opted_out"][("1", "all")] == 12
    assert truth["opted_out"][("2", "all")] == 18


def viewer(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert log_in(client, "beto") == 302
    return client


def test_the_alerts_page_and_its_exports_show_the_figures_protected(app: Flask) -> None:
    client = viewer(app)
    page = client.get("/dashboard/alerts/?ui=en&split=department").get_data(as_text=True)
    for title in ("Alerts sent", "Alerts delivered", "Alerts failed", "Alerts read",
                  "Opted out after an alert", "within 7 days"):  # fmt: skip
        assert title in page
    assert "×" in page  # Petén's 3 or 4 residents: hidden
    spanish = client.get("/dashboard/alerts/?ui=es&split=language").get_data(as_text=True)
    assert "Alertas enviadas" in spanish and untranslated(spanish) == []
    detail = client.get("/dashboard/alerts/1?ui=es").get_data(as_text=True)
    assert "Alertas leídas" in detail and untranslated(detail) == []
    answer = client.get("/dashboard/alerts/export.json?split=department")
    rows = json.loads(answer.get_data(as_text=True))
    assert all(row["usual_perturbation"] == USUAL_NOISE for row in rows)
    figures = {(r["table"], r["row"], r["column"]): r for r in rows}
    assert figures[("alert_sent", "1", "Petén")]["suppressed"] is True
    shown = figures[("alert_sent", "1", "Quiché")]["value"]
    assert isinstance(shown, int) and abs(shown - 29) <= 12
    for fmt in ("csv", "xlsx"):
        assert client.get(f"/dashboard/alerts/export.{fmt}").status_code == 200
    assert client.get("/dashboard/alerts/?split=nowhere").status_code == 400


def test_outreach_metrics_prints_the_alerts_figures(app: Flask, monkeypatch: pytest.MonkeyPatch
                                                    ) -> None:  # fmt: skip
    for key in list(__import__("os").environ):
        if key.startswith("OUTREACH_"):
            monkeypatch.delenv(key)
    env = {"OUTREACH_DATABASE": app.config["DATABASE"],
           "OUTREACH_FLOWS_DIR": TEST_CONFIG["FLOWS_DIR"],
           "OUTREACH_LOCALES_DIR": TEST_CONFIG["LOCALES_DIR"],
           "OUTREACH_PSEUDONYM_KEY": TEST_CONFIG["PSEUDONYM_KEY"]}  # fmt: skip
    out = CliRunner(env=env).invoke(main, ["metrics", "--page", "alerts", "--by", "department"])
    assert out.exit_code == 0, out.output
    dashboard = json.loads(viewer(app).get("/dashboard/alerts/export.json?split=department")
                           .get_data(as_text=True))  # fmt: skip
    # The very figures of the dashboard.
    for row in dashboard:
        shown = "<10" if row["suppressed"] else str(row["value"])
        assert re.search(rf"{row['table']}\s+{row['row']}\s+{re.escape(row['column'])}\s+"
                         rf"{re.escape(shown)}$", out.output, re.M), row  # fmt: skip


# The attacks. Each says what it tried and what it gets now.


def published(app: Flask, split: str) -> dict[tuple[str, str, str], int | None]:
    answer = viewer(app).get(f"/dashboard/alerts/export.json?split={split}")
    return {(r["table"], r["row"], r["column"]): (None if r["suppressed"] else r["value"])
            for r in json.loads(answer.get_data(as_text=True))}  # fmt: skip


def test_attack_an_alerts_total_minus_its_shown_departments(app: Flask) -> None:
    """Attack: alert 1 split by department hides Petén's 3; its total minus Quiché would
    give Petén. Achieved: Petén's lone hidden cell makes a second one hidden (the total,
    or another cell), and any difference is off by the noise of two cells."""
    split = published(app, "department")
    for figure in ("alert_sent", "alert_delivered", "alert_read"):
        row = {c: v for (t, r, c), v in split.items() if t == figure and r == "1"}
        hidden = [c for c, v in row.items() if v is None]
        assert "Petén" in hidden or row.get("Petén", 0) == 0
        assert len(hidden) != 1, f"{figure}: one hidden cell would be the total minus the rest"


def test_attack_one_kiche_speaker_by_language(app: Flask) -> None:
    """Attack: split by language, alert 1 shows es and hides quc (one resident); the
    unsplit total minus es would give that one person's outcome (did they read it?).
    Achieved: the lone hidden cell takes the total with it in the split table, and the
    unsplit total is a cell of its own: the difference is one draw of two cells' noise,
    which leaves "one resident" far from certain."""
    split = published(app, "language")
    whole = published(app, "all")
    for figure in ("alert_sent", "alert_delivered"):
        assert split[(figure, "1", "quc")] is None
        assert split[(figure, "1", "total")] is None or split[(figure, "1", "es")] is None
        total, spanish = whole[(figure, "1", "all")], split[(figure, "1", "es")]
        if total is not None and spanish is not None:
            believed = posterior([total - spanish], noise_law(cells=2))
            assert max(believed.values()) < 0.5, f"{figure}: the K'iche' speaker stands out"


def test_attack_differencing_two_alerts_to_almost_the_same_residents(app: Flask) -> None:
    """Attack: alert 2 went to alert 1's residents and one more (peten-3); the difference
    of their figures would say what that one resident did. Achieved: each alert's cell
    is perturbed by its own residents' cell key, so the difference is off by two noises
    (and here the cells of Petén are hidden anyway)."""
    whole = published(app, "all")
    estimates = []
    for figure in ("alert_sent", "alert_delivered"):
        one, two = whole[(figure, "1", "all")], whole[(figure, "2", "all")]
        assert one is not None and two is not None
        estimates.append(two - one)
    believed = posterior(estimates[:1], noise_law(cells=2))
    assert max(believed.values()) < 0.5, "the one extra resident of alert 2 stands out"
    department = published(app, "department")
    assert department[("alert_sent", "2", "Petén")] is None


def test_attack_asking_again_and_averaging(app: Flask) -> None:
    """Attack: ask the same figures many times and average the noise away. Achieved: the
    noise belongs to the residents: every answer is the same."""
    answers = {json.dumps(sorted(published(app, "department").items(), key=str))
               for _ in range(5)}  # fmt: skip
    assert len(answers) == 1
