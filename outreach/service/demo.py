"""Synthetic, clearly labelled conversations for a development database, so that a
newcomer sees a living dashboard. Every resident id starts with "demo-"; no real person
is behind any of them."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlite_utils import Database

from outreach import staff

from .content import Content
from .conversations import Conversations

DEMO_LOGIN = ("demo", "demo-password")
SCRIPTS = [
    ["hola", "1", "1", "si"],
    ["hola", "1", "2", "no"],
    ["hola", "2", "1", "1", "si"],
    ["hola", "2", "3", "regular"],
    ["hola", "3", "{department}", "1", "mas", "si"],
    ["hola", "3", "{department}", "2", "no"],
    ["hola", "4", "2", "si"],
    ["hola", "5", "si"],
    ["hola", "xx", "yy", "menu", "1", "4", "si"],
    ["hello", "1", "3", "yes"],
    ["hola", "baja"],
]
DEPARTMENTS = ["Huehuetenango", "San Marcos", "Quiché", "Alta Verapaz", "Guatemala",
               "Quetzaltenango", "Petén", "Izabal", "Jalapa", "Escuintla"]  # fmt: skip


def fill(db: Database, content: Content, residents: int, now: datetime, seed: int = 7) -> int:
    """Play ``residents`` synthetic conversations over the 30 days before ``now``;
    returns the number of messages handled."""
    rng = random.Random(seed)
    clock = [now]
    conversations = Conversations(db, content, clock=lambda: clock[0])
    handled = 0
    for n in range(residents):
        start = now - timedelta(days=rng.randrange(30), minutes=rng.randrange(1440))
        department = rng.choice(DEPARTMENTS)
        channel = rng.choice(["sms", "sms", "whatsapp"])
        for step, text in enumerate(rng.choice(SCRIPTS)):
            clock[0] = start + timedelta(minutes=step)
            conversations.handle(
                f"demo-{n:05d}", text.format(department=department), channel=channel,
                message_id=f"demo-{n:05d}-{step}", rendering=channel,
            )  # fmt: skip
            handled += 1
    if staff.role_of(db, DEMO_LOGIN[0]) is None:
        staff.add(db, DEMO_LOGIN[0], DEMO_LOGIN[1], "admin", now)
    return handled
