"""A turn's engine events as the rows the store writes: the resident's row, the
interaction-log rows and the processed message."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from outreach.engine import Event, Session
from outreach.engine import events as ev
from outreach.engine.model import DEPARTMENT_FIELD
from outreach.storage.reminders import ReminderRow
from outreach.storage.residents import EventRow, ProcessedRow, ResidentRow, TurnRows
from outreach.storage.subscriptions import SubscriptionRow

from .addresses import AddressBox


def turn_rows(
    resident_id: str,
    session: Session,
    events: Sequence[Event],
    channel: str,
    message_id: str,
    reply: list[str],
    segments: Sequence[int | None],
    now: datetime,
    reply_address: str | None = None,
    addresses: AddressBox | None = None,
) -> TurnRows:
    """Everything the turn that left ``session`` and produced ``events`` writes; ``reply``
    is the bodies sent, ``segments`` the SMS segments of each (None on WhatsApp).
    ``reply_address`` is where alerts would go: sealed with ``addresses`` into the
    subscription rows of an AlertsSubscribed event, and otherwise never kept."""
    stamp = now.isoformat()
    received = EventRow(resident_id, stamp, "msg_received", None, None, session.language,
                        channel, None, None, None, None)  # fmt: skip
    return TurnRows(
        ResidentRow(resident_id, session.language, int(session.opted_out),
                    json.dumps(session.to_dict()), now.date().isoformat(), stamp,
                    session.fields.get(DEPARTMENT_FIELD)),
        [received, *_event_rows(resident_id, events, channel, session.language, segments)],
        ProcessedRow(message_id, resident_id, stamp, json.dumps(reply)),
        now,
        any(isinstance(e, ev.ErasureRequested) for e in events),
        session.language,
        channel,
        session.opted_out,
        _subscriptions(resident_id, events, channel, now, reply_address, addresses),
        any(isinstance(e, ev.AlertsEnded) for e in events),
        _reminders(resident_id, events, channel, now, reply_address, addresses),
    )  # fmt: skip


def _subscriptions(
    resident_id: str,
    events: Sequence[Event],
    channel: str,
    now: datetime,
    reply_address: str | None,
    addresses: AddressBox | None,
) -> tuple[SubscriptionRow, ...]:
    """The subscriptions of a turn, the address sealed into each. A channel with no
    address to send to (the web simulator) subscribes no one: there is nowhere to send."""
    if reply_address is None or addresses is None:
        return ()
    rows = []
    for event in events:
        if isinstance(event, ev.AlertsSubscribed):
            nonce, sealed = addresses.seal(reply_address, resident_id, channel)
            rows.append(SubscriptionRow(
                resident_id, event.topic, event.department, event.language, channel, sealed,
                nonce, now.date().isoformat(),
            ))  # fmt: skip
    return tuple(rows)


def _reminders(
    resident_id: str,
    events: Sequence[Event],
    channel: str,
    now: datetime,
    reply_address: str | None,
    addresses: AddressBox | None,
) -> tuple[ReminderRow, ...]:
    """The reminders a turn asked for, the address sealed into each, as for alerts: a
    channel with no address (the web simulator, a call) keeps none."""
    if reply_address is None or addresses is None:
        return ()
    rows = []
    for event in events:
        if isinstance(event, ev.ReminderRequested):
            nonce, sealed = addresses.seal(reply_address, resident_id, channel)
            rows.append(ReminderRow(
                resident_id, event.flow, event.node, event.remind_at.isoformat(),
                event.language, channel, sealed, nonce, now.date().isoformat(),
            ))  # fmt: skip
    return tuple(rows)


def _event_rows(
    resident_id: str,
    events: Sequence[Event],
    channel: str,
    language: str,
    segments: Sequence[int | None],
) -> list[EventRow]:
    """The log rows of a turn. A node's message is logged on its node_visited row (with
    the SMS segments it cost) rather than as a row of its own: one row fewer per message
    written on every turn. Messages of the service itself (help, not understood...) have
    no node and keep their own msg_created row."""
    rows: list[EventRow] = []
    at = events[0].at.isoformat() if events else ""
    sizes = iter(segments)
    #: Where in ``rows`` each node's node_visited row is, for its message's segments.
    visited: dict[tuple[str | None, str | None], int] = {}
    for event in events:
        flow, node = getattr(event, "flow", None), getattr(event, "node", None)
        if isinstance(event, ev.MessageCreated):
            size = next(sizes, None)
            place = visited.get((flow, node)) if node else None
            if place is not None and rows[place].segments is None:
                rows[place] = rows[place]._replace(segments=size)
                continue
        else:
            size = None
        row = EventRow(resident_id, at, event.kind, flow, node,
                       getattr(event, "language", None) or language, channel,
                       getattr(event, "run", None), getattr(event, "field", None), size,
                       getattr(event, "programme", None))  # fmt: skip
        if isinstance(event, ev.NodeVisited):
            visited[flow, node] = len(rows)
        rows.append(row)
    return rows
