"""Alerts going out (issue #18 section 3): the fan-out of an approved alert into the
outbox at its send time, the Composer that turns each claimed outbox row into the
message Twilio gets, and the worker task that runs both with the outbox's sender.

- Fan-out: at ``send_at`` an approved alert becomes ``sending`` and gets one outbox row
  per subscriber of its audience (topic, departments), in one transaction: a worker
  killed in between leaves either nothing done or all of it, and the rows' keys
  (``alert:<id>:<resident>``) make a second fan-out of the same alert a no-op anyway.
  It becomes ``sent`` once no row of it is queued or being sent.
- An alert whose review date has passed by its send time is not sent (canceled, and
  logged): its facts were due to be checked again, and nobody has.
- The text: the alert's text in the row's language, else the Spanish (the reviewed
  source): never a guessed translation. Shaped as every SMS is (outreach.sms.shaping).
- The address: opened (AES-GCM, outreach.service.addresses) only here, for the one
  request, from the subscription (an alert) or the row (a reminder, a reply). A
  subscription ended since, or moved to another channel, withholds the message.
- WhatsApp: free text only within 24 hours of the resident's last message. The service
  knows that time as the session's ``last_seen`` (the webhook's last turn of the
  resident, kept in ``residents.session``), the resident's pseudonym being the number's
  whatever the channel. Outside the window the alert goes as its approved template
  (``content_sid``, its text the variable ``{{1}}``), and without one it is withheld
  (``outside_window``). The window is taken as :data:`WHATSAPP_WINDOW`, a little short
  of Meta's 24 hours, so that a message composed at its edge is not refused (63016)
  on its way. A resident who last wrote by SMS from the same number counts as inside
  the window: Meta may then refuse the free text (63016), and that message is failed,
  not retried (a known limit: the service keeps no per-channel time).
- Reminders: their text by :func:`~outreach.service.reminders.reminder_text`; on
  WhatsApp always as their template (a reminder comes days after the last message).
- Replies (rows of kind ``reply``, which nothing queues yet): their catalog text by
  context, translated, within the window by nature.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from outreach.engine.model import FlowSet
from outreach.sms import segment_info
from outreach.sms.shaping import shape
from outreach.storage import alerts as st
from outreach.storage import connect, immediate
from outreach.storage import outbox as ob
from outreach.storage.subscriptions import audience

from . import utc_now
from .addresses import AddressBox, AddressKeyError
from .forget import sent_hook
from .outbox import OutboxSender, Prepared, QuietHours, StopSending, Withheld
from .reminders import reminder_of, reminder_text
from .twilio_api import TwilioApi

logger = logging.getLogger(__name__)

#: How long after a resident's last message free text still goes on WhatsApp: Meta's
#: 24 hours less a margin for clocks and Twilio's own queue.
WHATSAPP_WINDOW = timedelta(hours=23, minutes=30)
#: The status callback route (outreach.web.twilio), written out: service cannot import web.
STATUS_PATH = "/twilio/status"
#: How often finished outbox rows are pruned (outreach.storage.outbox.prune).
PRUNE_EVERY = timedelta(hours=1)

Translate = Callable[[str, str, str], str]


def fan_out(db: Database, now: datetime) -> int:
    """Each approved alert whose time has come into the outbox, one row per subscriber,
    and ``sending``. Returns how many rows were queued."""
    queued = 0
    for found in st.due(db, now):
        with immediate(db):
            if date.fromisoformat(found.review_by) <= now.date():
                if st.set_canceled(db, found.id):
                    logger.warning(
                        "alert %d not sent: its review date passed before its send time",
                        found.id,
                    )
                continue
            if not st.set_sending(db, found.id):
                continue  # canceled meanwhile
            recipients = audience(db, found.topic, found.departments)
            queued += ob.enqueue_alert(db, found.id, found.topic, recipients, now)
        logger.info("alert %d: going out", found.id)
    return queued


def finish_sent(db: Database) -> int:
    """Alerts going out with no message left queued or being sent become ``sent``."""
    done = 0
    for alert_id in st.sending(db):
        if ob.alert_open(db, alert_id):
            continue
        with immediate(db):
            if not ob.alert_open(db, alert_id) and st.set_sent(db, alert_id):
                done += 1
                logger.info("alert %d: sent", alert_id)
    return done


def cancel(db: Database, alert_id: int, by: str, now: datetime) -> tuple[str, int]:
    """The admin ``by`` cancels an alert: a draft, an approved one, or one going out
    (its queued messages too; the one being sent at that instant still goes). Returns
    the state it had and how many messages were canceled; :class:`AlertError` if it
    cannot be (no such alert, sent or canceled already, not an admin)."""
    from outreach import staff

    from .alerts import AlertError, check_admin

    check_admin(db, by)
    with immediate(db):
        found = st.alert(db, alert_id)
        if found is None:
            raise AlertError(f"no alert {alert_id}")
        if not st.set_canceled(db, alert_id):
            raise AlertError(f"alert {alert_id} is {found.state}: nothing to cancel")
        canceled = ob.cancel_alert(db, alert_id, now)
        staff.audit(db, now, by, "alert_cancel", f"alert {alert_id}")
    return found.state, canceled


class AlertComposer:
    """The outbox's Composer: a claimed row -> :class:`Prepared`, or :class:`Withheld`."""

    def __init__(
        self,
        db: Database,
        flows: Callable[[], FlowSet],
        translate: Callable[[], Translate],
        box: AddressBox,
        senders: Mapping[str, str],
    ) -> None:
        self.db = db
        self.flows = flows
        self.translate = translate
        self.box = box
        self.senders = {k: v for k, v in senders.items() if v}
        self._alerts: dict[int, st.AlertRow | None] = {}

    def __call__(self, row: ob.OutboxRow, now: datetime) -> Prepared | Withheld:
        sender = self.senders.get(row.channel)
        if sender is None:
            return Withheld("no_sender")
        if row.kind == ob.ALERT:
            return self._alert(row, now, sender)
        if row.kind == ob.REMINDER:
            return self._reminder(row, sender)
        if row.kind == ob.REPLY:
            return self._reply(row, sender)
        return Withheld("unknown_kind")

    def _alert(self, row: ob.OutboxRow, now: datetime, sender: str) -> Prepared | Withheld:
        found = self._alert_row(row.alert)
        if found is None or found.state == "canceled":
            return Withheld("alert_canceled")
        subscription = self.db.conn.execute(
            "SELECT address, nonce, channel FROM subscriptions WHERE resident = ? AND topic = ?",
            (row.resident, found.topic),
        ).fetchone()
        if subscription is None:
            return Withheld("unsubscribed")
        address, nonce, channel = subscription
        if channel != row.channel:
            # Subscribed again over another channel since: this row's channel has no
            # address any more (the next alert goes the new way).
            return Withheld("unsubscribed")
        flows = self.flows()
        source = flows.deployment.default_language
        language = row.language if row.language in found.texts else source
        text = shape(found.texts[language], language, row.channel, flows.deployment.sms)
        to = self._open(address, nonce, row.resident, row.channel)
        if row.channel != "whatsapp":
            return Prepared(to=to, from_=sender, body=text, cost=segment_info(text).segments)
        if self._in_window(row.resident, now):
            return Prepared(to=to, from_=sender, body=text)
        if found.content_sid is None:
            return Withheld("outside_window")
        return Prepared(
            to=to, from_=sender, content_sid=found.content_sid, content_variables={"1": text}
        )

    def _reminder(self, row: ob.OutboxRow, sender: str) -> Prepared | Withheld:
        flows = self.flows()
        key = row.text_key or ""
        text = reminder_text(flows, key, row.language or "", row.channel, self.translate())
        remind = reminder_of(flows, key)
        if text is None or remind is None or row.address is None or row.nonce is None:
            return Withheld("content_gone")
        to = self._open(row.address, row.nonce, row.resident, row.channel)
        if row.channel != "whatsapp":
            return Prepared(to=to, from_=sender, body=text, cost=segment_info(text).segments)
        template = getattr(remind, "whatsapp_template", None)
        if not template:
            return Withheld("outside_window")
        return Prepared(to=to, from_=sender, content_sid=str(template),
                        content_variables={"1": text})  # fmt: skip

    def _reply(self, row: ob.OutboxRow, sender: str) -> Prepared | Withheld:
        from outreach.i18n.messages import flowset_messages

        flows = self.flows()
        source = next((m for m in flowset_messages(flows) if m.context == row.text_key), None)
        if source is None or row.address is None or row.nonce is None:
            return Withheld("content_gone")
        language = row.language or flows.deployment.default_language
        translated = self.translate()(source.text, source.context, language)
        shaped_as = language if translated is not source.text else flows.deployment.default_language
        text = shape(translated, shaped_as, row.channel, flows.deployment.sms)
        to = self._open(row.address, row.nonce, row.resident, row.channel)
        cost = segment_info(text).segments if row.channel != "whatsapp" else 1
        return Prepared(to=to, from_=sender, body=text, cost=cost)

    def _open(self, sealed: bytes, nonce: bytes, resident: str, channel: str) -> str:
        try:
            return self.box.open(bytes(nonce), bytes(sealed), resident, channel)
        except AddressKeyError as exc:
            raise StopSending(str(exc)) from None

    def _alert_row(self, alert_id: int | None) -> st.AlertRow | None:
        if alert_id is None:
            return None
        cached = self._alerts.get(alert_id)
        # Read again while it could still change (a cancel): once per message is one
        # indexed read, and an alert canceled mid-way stops at the next message.
        if cached is None or cached.state != "canceled":
            cached = self._alerts[alert_id] = st.alert(self.db, alert_id)
        return cached

    def _in_window(self, resident: str, now: datetime) -> bool:
        found = self.db.conn.execute(
            "SELECT json_extract(session, '$.last_seen') FROM residents WHERE id = ?",
            (resident,),
        ).fetchone()
        if found is None or not found[0]:
            return False
        last = datetime.fromisoformat(str(found[0]))
        if last.tzinfo is None:
            return False  # a time without its zone cannot be placed: outside, to be safe
        return timedelta(0) <= now - last < WHATSAPP_WINDOW


@dataclass(frozen=True)
class SendingKeys:
    """What the sender needs of the deployment's keys, given by the layer that holds
    them (outreach.cli: ``outreach worker`` and ``outreach serve``): the keyed id of a
    MessageSid (``keyed(value, purpose)``, outreach.privacy.keyed_id), by which status
    callbacks find the row, and the box that opens subscribers' addresses."""

    keyed: Callable[[str, str], str]
    box: AddressBox


def sending_problem(config: Mapping[str, Any]) -> str | None:
    """Why the outbox cannot send with these settings, or None."""
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
        if not config.get(name):
            return f"OUTREACH_{name} is not set"
    if not (config.get("SMS_FROM") or config.get("WHATSAPP_FROM")):
        return "neither OUTREACH_SMS_FROM nor OUTREACH_WHATSAPP_FROM is set"
    return None


def whatsapp_sender(value: str) -> str:
    """A WhatsApp sender as Twilio wants it: ``whatsapp:+...``."""
    value = value.strip()
    return value if not value or value.startswith("whatsapp:") else f"whatsapp:{value}"


class OutboxTask:
    """The worker's task that sends the outbox: alerts fanned out at their time, then
    the outbox's sender (replies first, each channel at its rate), then alerts done.

    Idle, queueing nothing, while Twilio or a sender number is not configured: an
    approved alert then stays approved (nothing claimed, nothing lost)."""

    def __init__(
        self,
        db_path: str | Path,
        config: Mapping[str, Any],
        keys: SendingKeys | None = None,
        api: Any | None = None,
        *,
        monotonic: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.db_path = db_path
        self.config = config
        self.keys = keys
        self.api = api
        self._clocks = {k: v for k, v in (("monotonic", monotonic), ("sleep", sleep)) if v}
        self._db: Database | None = None
        self._lanes: list[OutboxSender] = []
        self._pool: ThreadPoolExecutor | None = None
        self._pruned_at: datetime | None = None
        self._told: str | None = None
        self._broken: str | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = connect(self.db_path)
        return self._db

    def start(self) -> None:
        """Rows a killed worker left ``sending`` become ``unknown``: the worker holds its
        lock (outreach.service.worker), so whoever left them is gone."""
        if sending_problem(self.config) is None and self.keys is not None:
            self.sender.recover(utc_now())

    @property
    def sender(self) -> OutboxSender:
        """The first lane (the only one with one connection)."""
        return self.lanes[0]

    @property
    def lanes(self) -> list[OutboxSender]:
        if not self._lanes:
            self._lanes = self._build()
        return self._lanes

    def _build(self) -> list[OutboxSender]:
        """``TWILIO_API_CONNECTIONS`` lanes, each a sender of its own (one request at a
        time, its own connection to the database and to Twilio) at its share of each
        channel's rate. One request at a time makes at most 1/latency messages a second
        (50 ms from Twilio: 20/s); lanes send side by side, every claim still one
        transaction, so none sends what another claimed."""
        from .content import Content

        config = self.config
        content = Content(dict(config), serve_last_good=True)
        keys = self.keys
        assert keys is not None
        count = max(1, int(config.get("TWILIO_API_CONNECTIONS") or 1))
        public = str(config.get("PUBLIC_URL") or "").rstrip("/")
        senders = {"sms": str(config.get("SMS_FROM") or "").strip(),
                   "whatsapp": whatsapp_sender(str(config.get("WHATSAPP_FROM") or ""))}  # fmt: skip
        rates = {"sms": float(config["SMS_RATE"]), "whatsapp": float(config["WHATSAPP_RATE"])}
        lanes = []
        for lane in range(count):
            db = self.db if lane == 0 else connect(self.db_path)
            # No retry inside the request: the outbox decides retries, durably, and a
            # client pausing to retry would hold every other task of the worker.
            api = self.api or TwilioApi.from_config(dict(config) | {"TWILIO_API_RETRIES": 0})
            composer = AlertComposer(
                db, lambda: content.flows, lambda: content.state.translations, keys.box, senders
            )
            lanes.append(
                OutboxSender(
                    db,
                    api,
                    composer,
                    keys.keyed,
                    rates={channel: rate / count for channel, rate in rates.items()},
                    quiet=QuietHours.parse(
                        str(config.get("ALERTS_QUIET_HOURS") or ""),
                        str(config.get("TIME_ZONE") or "America/Guatemala"),
                    ),
                    weekly_limit=int(config["ALERTS_PER_WEEK"]),
                    # Without a public address Twilio has nowhere to report statuses:
                    # messages stay "accepted" (outreach.web.twilio's /twilio/status).
                    status_callback=public + STATUS_PATH if public else None,
                    on_sent=sent_hook(db, config),
                    **self._clocks,  # type: ignore[arg-type]
                )
            )
        if count > 1:
            self._pool = ThreadPoolExecutor(count, thread_name_prefix="outreach-outbox")
        return lanes

    def _send(self, now: datetime) -> bool:
        lanes = self.lanes
        if self._pool is None:
            return lanes[0].run_once(now)
        futures = [self._pool.submit(lane.run_once, now) for lane in lanes]
        # Every lane's batch ends before the task's turn does (each is BATCH_SECONDS).
        outcomes = [future.exception() or future.result() for future in futures]
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return any(outcomes)

    def run_once(self, now: datetime) -> bool:
        problem = sending_problem(self.config) or self._broken
        if problem is None and self.keys is None:
            problem = "the worker was given no keys (outreach worker and serve give them)"
        if problem is not None:
            if problem != self._told:
                logger.info("the outbox sends nothing: %s", problem)
                self._told = problem
            return False
        worked = fan_out(self.db, now) > 0
        try:
            worked = self._send(now) or worked
        except StopSending as exc:
            # The wrong alerts key opens no address: stop, loudly, rather than fail
            # every message one by one.
            self._broken = str(exc)
            logger.error("the outbox stopped: %s", exc)
            return worked
        worked = finish_sent(self.db) > 0 or worked
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
            with immediate(self.db):
                ob.prune(self.db, now)
            self._pruned_at = now
        return worked
