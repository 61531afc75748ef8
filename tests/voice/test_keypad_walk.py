"""Every node of the shipped flows is reached by keypad alone, in Spanish, through the
signed voice webhooks: the voice line is not a smaller service than the SMS one."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import deque

from conftest import FLOWS, TODAY
from flask import Flask
from flask.testing import FlaskClient
from voice_helpers import Caller, Prompt

from outreach.flowfile import load
from outreach.privacy import pseudonymise

#: "Marque 3." after an option: the keys a prompt offers (the global keys are said in
#: one sentence, "marque 0 para volver al menú", and are not choices of the prompt).
CHOICE = re.compile(r"\bMarque ([1-8])\.")


def visited(app: Flask) -> set[tuple[str, str]]:
    conn = sqlite3.connect(app.config["DATABASE"])
    try:
        rows = conn.execute(
            "SELECT DISTINCT flow, node FROM events WHERE kind = 'node_visited'"
            " AND channel = 'voice'"
        ).fetchall()
    finally:
        conn.close()
    return {(flow, node) for flow, node in rows}


def where(app: Flask, number: str, prompt: Prompt) -> str:
    """Everything the rest of a call depends on: the resident's session as stored (the
    values of fields aside: one department stands for all) and the page of a list."""
    key = app.extensions["outreach.pseudonym_key"]
    conn = sqlite3.connect(app.config["DATABASE"])
    try:
        row = conn.execute(
            "SELECT session FROM residents WHERE id = ?", (pseudonymise(key, number),)
        ).fetchone()
    finally:
        conn.close()
    session = json.loads(row[0]) if row else {}
    shape = {
        "stack": [(f["flow"], f["node"]) for f in session.get("stack", [])],
        "fields": sorted(session.get("fields", {})),
        **{name: session.get(name) for name in ("pending", "page", "ran_once", "language")},
        "page_heard": re.findall(r"[?&]pg=(\d+)", prompt.action or ""),
    }
    return json.dumps(shape, sort_keys=True)


class Walker:
    """Explores the call by keypad, breadth first: each path of keys from a new caller's
    first prompt, one call per path (a new resident each time, so paths do not share a
    session). A path is followed further when it leads somewhere no path led before: a
    session (stack, fields given, once-per-conversation flows run) and list page not yet
    met."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.app = app
        self.client = client
        self.calls = 0
        self.seen: set[tuple[str, str]] = set()
        self.places: set[str] = set()

    def caller(self) -> Caller:
        self.calls += 1
        number = f"+50255{self.calls:06d}"
        return Caller(self.client, number=number, sid=f"CA{self.calls:032d}")

    def follow(self, keys: tuple[str, ...]) -> tuple[Prompt, str]:
        caller = self.caller()
        prompt = caller.call()
        for key in keys:
            prompt = caller.press(key)
        return prompt, where(self.app, caller.number, prompt)

    def walk(self, max_calls: int = 3000) -> None:
        first, place = self.follow(())
        self.seen = visited(self.app)
        self.places.add(place)
        queue: deque[tuple[tuple[str, ...], Prompt]] = deque([((), first)])
        while queue and self.calls < max_calls:
            keys, prompt = queue.popleft()
            if prompt.hangup or prompt.action is None:
                continue
            for key in dict.fromkeys(CHOICE.findall(prompt.text)):
                path = (*keys, key)
                reached, place = self.follow(path)
                if place not in self.places:
                    self.places.add(place)
                    queue.append((path, reached))
        self.seen = visited(self.app)


def test_every_node_of_the_shipped_flows_is_reached_by_keypad(
    app: Flask, client: FlaskClient
) -> None:
    result = load([FLOWS], TODAY)
    assert result.flowset is not None
    every = {(flow.id, node_id) for flow in result.flowset.flows.values() for node_id in flow.nodes}
    # The alerts flow opens only with the ALERTAS command, by SMS or WhatsApp: a call
    # leaves no address to send alerts to (docs/alerts.md).
    alerts = result.flowset.deployment.alerts
    every = {(f, n) for f, n in every if alerts is None or f != alerts.flow}
    walker = Walker(app, client)
    walker.walk()
    missing = sorted(every - walker.seen)
    assert not missing, f"not reached by keypad: {missing}"
