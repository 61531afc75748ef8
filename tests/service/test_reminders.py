"""Reminders a flow offers for a dated item (issue #18 section 2, follow-ups), with the
test flow tests/data/reminder_flows/fair_test.yaml beside the shipped flows: checked
with places, asked for only by a menu choice (the engine's event, with its clock), kept
with the address sealed until its time, ended by ALERTAS NO, BAJA and BORRAR, and moved
into the outbox at its time, where quiet hours and the weekly limit hold."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import FLOWS, ROOT, TEST_CONFIG, TODAY, write_flows
from flask import Flask
from twilio_helpers import OTHER_RESIDENT, RESIDENT, Phone

from outreach import create_app
from outreach.engine import Engine, Inbound, counter_ids
from outreach.engine import events as ev
from outreach.flowfile import load
from outreach.service.reminders import ReminderTask, move_due, reminder_of, reminder_text
from outreach.service.worker import default_tasks
from outreach.storage import connect, immediate
from outreach.storage import outbox as ob
from outreach.storage.reminders import ReminderRow

TEST_FLOW = ROOT / "tests" / "data" / "reminder_flows" / "fair_test.yaml"
#: The test flow's reminder: 9 January 2036, 09:00 in Guatemala (15:00 UTC).
DUE = datetime(2036, 1, 9, 15, 0, tzinfo=UTC)
BEFORE = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def with_test_flow(folder: Path) -> Path:
    shutil.copytree(FLOWS, folder, ignore=shutil.ignore_patterns("tests"))
    shutil.copy(TEST_FLOW, folder / TEST_FLOW.name)
    return folder


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    for key in list(os.environ):
        if key.startswith("OUTREACH_"):
            monkeypatch.delenv(key)
    flows = with_test_flow(tmp_path / "flows")
    config = TEST_CONFIG | {"FLOWS_DIR": str(flows), "DATABASE": str(tmp_path / "db.sqlite3")}
    yield create_app(config)


def reminders(app: Flask) -> list[ReminderRow]:
    db = connect(app.config["DATABASE"])
    rows = db.execute(
        "SELECT resident, flow, node, send_at, language, channel, address, nonce, created_on"
        " FROM reminders ORDER BY channel"
    ).fetchall()
    return [ReminderRow(*row) for row in rows]


def ask(phone: Phone) -> list[str]:
    phone.says("hola")
    # An SMS writes "dia" for "día" (plain vowels): the words both spellings share.
    assert any("Le avisamos un d" in m for m in phone.says("feriaprueba"))
    return phone.says("1")


# -- the flow file ----------------------------------------------------------------------

FLOW = """\
flow: fair
name: Feria
keywords: [feria]
provenance: {source: test, verified_on: 2026-11-01, review_by: 2027-06-01, sample: true}
nodes:
  offer:
    type: menu
    text: ¿Le avisamos?
    options:
      - label: Sí
        go: remind
  remind:
    type: message
    text: Le avisaremos.
    remind:
      at: AT
      text: TEXT
      provenance: {source: test, verified_on: 2026-11-01, review_by: 2027-06-01, sample: true}
"""


def problems(tmp_path: Path, flow: str) -> list[str]:
    folder = write_flows(tmp_path / "flows", {"fair.yaml": flow})
    return [f"{p.place.line}:{p.place.col}: {p.message}" for p in load([folder], TODAY).errors]


def reminder(at: str = "2027-02-09T09:00:00-06:00", text: str = "Mañana, feria.") -> str:
    return FLOW.replace("AT", at).replace("TEXT", text)


def test_a_reminder_loads_with_its_time_text_and_source(tmp_path: Path) -> None:
    folder = write_flows(tmp_path / "flows", {"fair.yaml": reminder()})
    result = load([folder], TODAY)
    assert result.errors == [] and result.flowset is not None
    node = result.flowset.flows["fair"].nodes["remind"]
    assert node.remind is not None  # type: ignore[union-attr]
    assert node.remind.at == datetime.fromisoformat("2027-02-09T09:00:00-06:00")  # type: ignore[union-attr]
    assert node.remind.provenance.source == "test"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("flow", "expected"),
    [
        (reminder(at="2027-02-09T09:00:00"), "16:11: '2027-02-09T09:00:00' needs its time zone, "
         "e.g. 2027-02-09T09:00:00-06:00 (Guatemala)"),
        (reminder(at="el martes"), "16:11: 'el martes' is not a date and time such as "
         "2027-02-09T09:00:00-06:00"),
        (reminder(text="Mañana en {department}."), "17:13: a reminder cannot use placeholders "
         "({department}): it is sent later, on its own"),
        (reminder().replace("      text: Mañana, feria.\n", "      text: Mañana, feria.\n"
         "      whatsapp_template: HX123\n"), "18:26: 'HX123' is not a template's content_sid "
         "(HX and 32 hex digits)"),
        (reminder(at="2026-11-30T09:00:00-06:00"), "16:11: the reminder's time has passed "
         "(2026-11-30T09:00:00-06:00): it can no longer be sent; take remind: (or the node) out"),
        (reminder().replace("        go: remind\n", "        go: remind\n  hello:\n    type: "
         "message\n    text: Hola.\n    next: remind\n"), "20:11: node 'remind' offers a "
         "reminder, and node 'hello' leads to it without the resident choosing: only a menu "
         "option may"),
    ],
)  # fmt: skip
def test_each_mistake_in_a_reminder_has_its_place(tmp_path: Path, flow: str, expected: str) -> None:
    assert expected in problems(tmp_path, flow)


def test_a_reminder_cannot_start_its_flow(tmp_path: Path) -> None:
    head, nodes = reminder().split("nodes:\n")
    offer, remind = ("\n" + nodes).split("\n  remind:\n")
    first = head + "nodes:\n  remind:\n" + remind + offer.lstrip("\n")
    assert any("it cannot start the flow" in p for p in problems(tmp_path, first))


# -- the engine ---------------------------------------------------------------------------


def engine_of(tmp_path: Path) -> Engine:
    result = load([with_test_flow(tmp_path / "flows")], TODAY)
    assert result.flowset is not None, result.errors
    return Engine(result.flowset, new_id=counter_ids(), languages=["es"])


def test_choosing_the_option_asks_for_the_reminder_and_only_that(tmp_path: Path) -> None:
    engine = engine_of(tmp_path)
    session = engine.resume(None, Inbound("feriaprueba"), BEFORE).session
    offered = engine.resume(session, Inbound("2"), BEFORE)
    assert not [e for e in offered.events if isinstance(e, ev.ReminderRequested)]
    session = engine.resume(None, Inbound("feriaprueba"), BEFORE).session
    chosen = engine.resume(session, Inbound("1"), BEFORE)
    (requested,) = [e for e in chosen.events if isinstance(e, ev.ReminderRequested)]
    assert (requested.flow, requested.node, requested.remind_at, requested.language) == (
        "fair_test", "remind", DUE, "es",
    )  # fmt: skip
    assert any("Le escribiremos el 9 de enero" in getattr(e, "text", "") for e in chosen.events)


def test_a_reminder_whose_time_has_passed_is_neither_promised_nor_asked(
    tmp_path: Path,
) -> None:
    engine = engine_of(tmp_path)
    late = DUE + timedelta(minutes=1)
    session = engine.resume(None, Inbound("feriaprueba"), late).session
    sprint = engine.resume(session, Inbound("1"), late)
    assert not [e for e in sprint.events if isinstance(e, ev.ReminderRequested)]
    assert not any("Le escribiremos" in getattr(e, "text", "") for e in sprint.events)
    assert any(isinstance(e, ev.RunFailed) for e in sprint.events)


@pytest.mark.parametrize("channel", ["voice", "web"])
def test_a_call_or_the_simulator_is_promised_no_reminder(tmp_path: Path, channel: str) -> None:
    engine = engine_of(tmp_path)
    session = engine.resume(None, Inbound("feriaprueba", channel), BEFORE).session
    sprint = engine.resume(session, Inbound("1", channel), BEFORE)
    assert not [e for e in sprint.events if isinstance(e, ev.ReminderRequested)]
    assert not any("Le escribiremos" in getattr(e, "text", "") for e in sprint.events)
    (failed,) = [e for e in sprint.events if isinstance(e, ev.RunFailed)]
    assert failed.reason == f"a reminder needs an SMS or WhatsApp address, not {channel}"


def test_whatsapp_residents_are_offered_a_reminder_only_with_its_template(
    tmp_path: Path,
) -> None:
    engine = engine_of(tmp_path)
    session = engine.resume(None, Inbound("feriaprueba", "whatsapp"), BEFORE).session
    sprint = engine.resume(session, Inbound("1", "whatsapp"), BEFORE)
    assert [e for e in sprint.events if isinstance(e, ev.ReminderRequested)]
    flow = TEST_FLOW.read_text(encoding="utf-8")
    (tmp_path / "bare").mkdir()
    without = with_test_flow(tmp_path / "bare" / "flows")
    (without / TEST_FLOW.name).write_text(
        "\n".join(line for line in flow.splitlines() if "whatsapp_template" not in line),
        encoding="utf-8",
    )
    result = load([without], TODAY)
    assert result.flowset is not None
    bare = Engine(result.flowset, new_id=counter_ids(), languages=["es"])
    session = bare.resume(None, Inbound("feriaprueba", "whatsapp"), BEFORE).session
    sprint = bare.resume(session, Inbound("1", "whatsapp"), BEFORE)
    assert not [e for e in sprint.events if isinstance(e, ev.ReminderRequested)]
    (failed,) = [e for e in sprint.events if isinstance(e, ev.RunFailed)]
    assert "needs its approved template" in failed.reason
    sms = bare.resume(bare.resume(None, Inbound("feriaprueba"), BEFORE).session,
                      Inbound("1"), BEFORE)  # fmt: skip
    assert [e for e in sms.events if isinstance(e, ev.ReminderRequested)]


# -- the service ----------------------------------------------------------------------


def test_the_address_is_kept_sealed_only_after_the_choice(app: Flask) -> None:
    client = app.test_client()
    sms, whatsapp = Phone(client), Phone(client, OTHER_RESIDENT, whatsapp=True)
    sms.says("hola")
    sms.says("feriaprueba")
    assert reminders(app) == []  # offered, not chosen: nothing kept
    assert any("Le escribiremos el 9 de enero" in m for m in sms.says("1"))
    ask(whatsapp)
    rows = reminders(app)
    assert [(r.flow, r.node, datetime.fromisoformat(r.send_at), r.channel) for r in rows] == [
        ("fair_test", "remind", DUE, "sms"),
        ("fair_test", "remind", DUE, "whatsapp"),
    ]
    box = app.extensions["outreach.address_box"]
    assert [box.open(r.nonce, r.address, r.resident, r.channel) for r in rows] == [
        RESIDENT, f"whatsapp:{OTHER_RESIDENT}",
    ]  # fmt: skip
    db = connect(app.config["DATABASE"])
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database = Path(app.config["DATABASE"])
    stored = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    for number in (RESIDENT, OTHER_RESIDENT):
        assert number.lstrip("+").encode() not in stored
    sms.says("feriaprueba")  # asking again keeps the one reminder
    sms.says("1")
    assert len(reminders(app)) == 2


@pytest.mark.parametrize("word", ["alertas no", "baja", "borrar"])
def test_alertas_no_baja_and_borrar_cancel_the_reminder(app: Flask, word: str) -> None:
    client = app.test_client()
    phone, other = Phone(client), Phone(client, OTHER_RESIDENT)
    ask(phone)
    ask(other)
    phone.says(word)
    (left,) = reminders(app)
    box = app.extensions["outreach.address_box"]
    assert box.open(left.nonce, left.address, left.resident, "sms") == OTHER_RESIDENT


def test_at_its_time_the_reminder_moves_into_the_outbox_once(app: Flask) -> None:
    ask(Phone(app.test_client()))
    db = connect(app.config["DATABASE"])
    (kept,) = reminders(app)
    task = ReminderTask(app.config["DATABASE"], app.config)
    assert task.run_once(DUE - timedelta(minutes=1)) is False
    assert task.run_once(DUE) is True
    assert reminders(app) == [] and task.run_once(DUE) is False
    (row,) = db.execute(
        "SELECT kind, resident, channel, language, text_key, address, nonce, state FROM outbox"
    ).fetchall()
    assert row == ("reminder", kept.resident, "sms", "es", "fair_test/remind/remind",
                   kept.address, kept.nonce, "queued")  # fmt: skip
    assert any(
        isinstance(t, ReminderTask) for t in default_tasks(app.config["DATABASE"], app.config)
    )
    flows = app.extensions["outreach.content"].flows
    assert reminder_text(flows, "fair_test/remind/remind", "es", "sms") == (
        "Recordatorio: mañana 10 de enero, feria de prueba."
    )
    assert reminder_text(flows, "fair_test/gone/remind", "es", "sms") is None
    remind = reminder_of(flows, "fair_test/remind/remind")
    assert remind is not None and remind.whatsapp_template == "HX" + "0" * 32


def queued_reminder(db: Any, resident: str, at: datetime) -> None:
    with immediate(db):
        ob.enqueue_reminder(
            db, key=f"reminder:{resident}", resident=resident, channel="sms", language="es",
            text_key="fair_test/remind/remind", address=b"sealed", nonce=b"n" * 12, due=at,
            now=at,
        )  # fmt: skip


def test_quiet_hours_and_the_weekly_limit_hold_for_reminders(tmp_path: Path) -> None:
    db = connect(tmp_path / "db.sqlite3", migrate=True)
    night = datetime(2036, 1, 9, 5, 0, tzinfo=UTC)  # 23:00 in Guatemala
    queued_reminder(db, "r-01", night)
    with immediate(db):
        assert ob.claim(db, night, "sms", alerts=False, weekly_limit=2) is None
    with immediate(db):
        claimed = ob.claim(db, DUE, "sms", alerts=True, weekly_limit=2)
    assert claimed is not None and claimed.kind == "reminder"
    # Two alerts this week already: the reminder would be the third, and is canceled.
    with immediate(db):
        ob.enqueue_alert(db, 7, "job_fairs", [("r-02", "es", "sms")], DUE - timedelta(days=2))
        ob.enqueue_alert(db, 8, "job_fairs", [("r-02", "es", "sms")], DUE - timedelta(days=1))
    for at in (DUE - timedelta(days=2), DUE - timedelta(days=1)):
        with immediate(db):
            sent = ob.claim(db, at, "sms", alerts=True, weekly_limit=2)
            assert sent is not None
            ob.mark_sent(db, sent.id, f"m-{sent.id}", at)
    queued_reminder(db, "r-02", DUE)
    with immediate(db):
        assert ob.claim(db, DUE, "sms", alerts=True, weekly_limit=2) is None
    (reason,) = db.execute(
        "SELECT reason FROM outbox WHERE kind = 'reminder' AND resident = 'r-02'"
    ).fetchone()
    assert reason == "weekly_limit"
    assert move_due(db, DUE) == 0
