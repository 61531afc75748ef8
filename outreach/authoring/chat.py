"""The terminal simulator: talk to the flows without a phone or a Twilio account."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

from outreach.engine import Inbound
from outreach.service.content import Content
from outreach.sms.packing import render


def chat(
    content: Content,
    lines: Iterable[str],
    out: TextIO,
    *,
    language: str | None = None,
    channel: str = "sms",
    prompt: str = "",
    show_events: bool = False,
) -> None:
    """Answer each line as a resident's message; print every reply, then a blank line.

    Without ``language`` the resident is new and chooses one, as on a real phone.
    """
    session = content.engine().new_session(language)
    if prompt:
        out.write(prompt)
        out.flush()
    for line in lines:
        text = line.rstrip("\n")
        # Asked each turn, so a catalog saved during the chat is used at once.
        engine = content.engine()
        sprint = engine.resume(session, Inbound(text, channel), datetime.now(UTC))
        session = sprint.session
        # Printed as the channel would send it: shaped and packed for SMS, as written for
        # WhatsApp and the web.
        rendering = "sms" if channel == "sms" else "whatsapp"
        sms = engine.flows.deployment.sms
        for message in render(sprint.outgoing, rendering, sprint.session.language, sms).messages:
            out.write(message.body + "\n")
        if show_events:
            for event in sprint.events:
                if event.kind != "msg_created":
                    details = {k: v for k, v in event.to_dict().items() if k not in ("kind", "at")}
                    out.write(f"  [{event.kind}] {details}\n")
        out.write("\n")
        if prompt:
            out.write(prompt)
        out.flush()
    if prompt:
        out.write("\n")
