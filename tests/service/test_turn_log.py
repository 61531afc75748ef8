"""A turn's engine events as log rows: a node's message rides on its node_visited row."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from outreach.engine import Session
from outreach.engine import events as ev
from outreach.service.turn_log import turn_rows

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def test_a_nodes_message_is_logged_on_its_visit_with_its_segments() -> None:
    events = [
        ev.NodeVisited(NOW, "main", "start", "run1"),
        ev.MessageCreated(NOW, "hola", "main", "start", "es"),
        ev.MessageCreated(NOW, "no entendí", None, None, "es"),  # the service's own
        ev.HelpRequested(NOW),
    ]
    session = Session("es", fields={"department": "Petén"})
    rows = turn_rows("r1", session, events, "whatsapp", "m1", ["hola", "no entendí"], [2, 1], NOW)
    logged = [(r.kind, r.flow, r.node, r.run, r.segments, r.channel) for r in rows.events]
    assert logged == [
        ("msg_received", None, None, None, None, "whatsapp"),
        ("node_visited", "main", "start", "run1", 2, "whatsapp"),
        ("msg_created", None, None, None, 1, "whatsapp"),
        ("help_requested", None, None, None, None, "whatsapp"),
    ]
    assert {r.resident for r in rows.events} == {"r1"} and rows.events[1].language == "es"
    assert rows.resident.id == "r1" and rows.resident.department == "Petén"
    assert json.loads(rows.resident.session)["fields"] == {"department": "Petén"}
    assert (rows.processed.id, json.loads(rows.processed.reply)) == ("m1", ["hola", "no entendí"])
    assert not rows.erases


def test_a_second_message_of_one_node_keeps_a_row_of_its_own() -> None:
    events = [
        ev.NodeVisited(NOW, "main", "start", "run1"),
        ev.MessageCreated(NOW, "uno", "main", "start", "es"),
        ev.MessageCreated(NOW, "dos", "main", "start", "es"),
        ev.ErasureRequested(NOW),
    ]
    rows = turn_rows("r1", Session("es"), events, "sms", "m1", ["uno", "dos"], [1, 3], NOW)
    assert [(r.kind, r.segments) for r in rows.events] == [
        ("msg_received", None), ("node_visited", 1), ("msg_created", 3), ("erasure_requested", None)
    ]  # fmt: skip
    assert rows.erases and rows.resident.department is None
