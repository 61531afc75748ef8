"""Conversations played straight through the one path every channel uses, with a
clock that moves a minute a message: for tests of what the metrics make of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask

from outreach.service.conversations import Conversations
from outreach.web.db import get_db

#: The day the played conversations happen on, unless a test says otherwise.
DAY = datetime(2026, 11, 20, 15, tzinfo=UTC)


def talk(
    app: Flask, residents: dict[str, list[str]], channel: str = "sms", at: datetime = DAY
) -> list[str]:
    """Play the conversations; returns every reply body sent."""
    bodies: list[str] = []
    with app.app_context():
        clock = iter(at + timedelta(minutes=n) for n in range(10_000))
        conversations = Conversations(
            get_db(), app.extensions["outreach.content"], clock=lambda: next(clock)
        )
        for resident, texts in residents.items():
            for n, text in enumerate(texts):
                reply = conversations.handle(
                    resident, text, channel=channel, message_id=f"{resident}-{at:%m%d%H%M}-{n}",
                    rendering=channel,
                )  # fmt: skip
                bodies += [m.body for m in reply.messages]
    return bodies
