"""The outbox's sender: a worker task that hands queued messages to Twilio's REST API at
each sender's pace, and never loses track of one or sends one twice.

Each message is claimed first: in one transaction its row becomes ``sending``, and only
after that commit is it handed to :meth:`TwilioApi.create_message`; the answer is
written in a second transaction. What happens on each outcome:

- Twilio answered with a MessageSid: ``sent``, with the keyed id of the sid (status
  callbacks find the row by it; the raw sid goes to the forget list, if any).
- Twilio refused it for now (20429 too many requests, 30001 queue overflow, a 429 or 5xx
  that did nothing) or the connection was never made (:attr:`TwilioApiError.retryable`):
  nothing reached Twilio, so it is queued again after a growing pause (2 s, 4 s, ... up
  to 10 minutes), at most :data:`MAX_ATTEMPTS` times, then ``failed``.
- The request went out and no answer came (a read timeout, a dropped connection, a
  504): Twilio may have accepted it (:attr:`TwilioApiError.maybe_accepted`). It becomes
  ``unknown`` and is never handed over again.
- Any other refusal (a wrong number, 21610 opted out, 63016 outside the WhatsApp
  window): ``failed``; 21610 also cancels whatever else is queued for the resident.

A sender killed between the claim and the answer leaves its row ``sending``. At the
next start (:meth:`OutboxSender.recover`) such a row becomes ``unknown``, like a
timeout, not queued again. Looking the message up at Twilio instead would need the
resident's number sent to Twilio's message list (the API has no idempotency key to ask
by), and a message Twilio is still taking in at that instant would not be listed yet:
a second copy then goes out. A resident who gets an alert twice has had a promise
broken ("at most 2 a week", and one more SMS they may pay for), and a double makes the
service look broken; one lost alert in the rare crash is the lesser harm, and it is
counted (state ``unknown``) rather than hidden. The window is one message per sender
(per lane of outreach.service.alert_sending, ``TWILIO_API_CONNECTIONS``): a claim is
committed only right before its request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock_time
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from outreach.storage import immediate
from outreach.storage import outbox as ob
from outreach.storage.residents import Store

logger = logging.getLogger(__name__)

#: Attempts of one message at most, the first included, before it is ``failed``.
MAX_ATTEMPTS = 8
#: The pause after the first refused attempt, doubled after each one, and its ceiling.
RETRY_FIRST = timedelta(seconds=2)
RETRY_MAX = timedelta(minutes=10)
#: Twilio's error for a recipient who opted out (replied STOP to the sender).
OPTED_OUT_ERROR = 21610
#: Twilio's "too many requests" and "queue overflow": the channel pauses this long.
PAUSE_CODES = frozenset({20429, 30001})
PAUSE_SECONDS = 2.0
#: How long one ``run_once`` sends before giving the worker's other tasks their turn.
BATCH_SECONDS = 0.5
CHANNELS = ("sms", "whatsapp")


@dataclass(frozen=True)
class Prepared:
    """A claimed message made ready to send: the address opened, the text rendered (or
    the template chosen). Lives only in memory, for the one request."""

    to: str
    from_: str
    body: str | None = None
    content_sid: str | None = None
    content_variables: Mapping[str, str] | None = None
    #: What the message costs of the sender's pace: SMS segments, or 1 (WhatsApp).
    cost: int = 1


@dataclass(frozen=True)
class Withheld:
    """A claimed message that must not go, and why (``reason``, kept on the row): the
    subscription ended, the alert was canceled, no template outside the WhatsApp
    window, no sender for the channel. The row is canceled, never handed to Twilio."""

    reason: str


class StopSending(Exception):
    """Raised by a Composer when no message can be prepared at all (the alerts key
    opens no address): the claimed row is queued again as it was, and the sender's
    ``run_once`` raises it on, for the task to stop."""


class Composer(Protocol):
    """Turns a claimed row into what is sent, or :class:`Withheld` (None: withheld,
    reason "withdrawn")."""

    def __call__(self, row: ob.OutboxRow, now: datetime) -> Prepared | Withheld | None: ...


class MessageApi(Protocol):
    """:class:`~outreach.service.twilio_api.TwilioApi`'s side the sender uses. Its
    failures are ``TwilioApiError``: ``code``, ``retryable``, ``maybe_accepted``."""

    def create_message(
        self, *, to: str, from_: str, body: str | None = None,
        content_sid: str | None = None, content_variables: Mapping[str, str] | None = None,
        status_callback: str | None = None,
    ) -> str: ...  # fmt: skip


class TokenBucket:
    """A sender's pace: ``rate`` units (segments or messages) a second, at most one
    second's worth at once. A message may cost more than is left (a long SMS): the
    bucket then goes into debt, and the next waits until it is paid back, so that the
    pace holds over time whatever the messages' sizes."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("a sender's rate must be positive")
        self.rate = float(rate)
        self.capacity = max(1.0, self.rate)
        self.clock = clock
        self.tokens = self.capacity
        self.at = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now

    def wait(self) -> float:
        """Seconds until a message may go (0: now)."""
        self._refill()
        # A hair short of a whole token is one: sums of float steps fall just short,
        # and a wait of 1e-17 s would never move a clock on.
        return 0.0 if self.tokens >= 1 - 1e-9 else (1 - self.tokens) / self.rate

    def take(self, cost: float) -> None:
        self._refill()
        self.tokens -= cost


def retry_delay(attempts: int) -> timedelta:
    """The pause after the ``attempts``-th refused attempt."""
    return min(RETRY_MAX, RETRY_FIRST * (1 << min(20, max(0, attempts - 1))))


@dataclass
class QuietHours:
    """No alerts between ``start`` and ``end`` local time (``start`` after ``end``: the
    night, across midnight)."""

    start: clock_time
    end: clock_time
    zone: ZoneInfo

    @classmethod
    def parse(cls, text: str, zone: str) -> QuietHours:
        """From "21:00-07:00" (empty: none)."""
        if not text:
            return cls(clock_time(0), clock_time(0), ZoneInfo(zone))
        start, end = (clock_time.fromisoformat(part.strip()) for part in text.split("-"))
        return cls(start, end, ZoneInfo(zone))

    def __contains__(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


@dataclass
class OutboxSender:
    """The worker task (``run_once(now) -> bool``) that sends the outbox."""

    db: Database
    api: MessageApi
    compose: Composer
    #: ``keyed(value, purpose)``: the deployment's keyed id (privacy.keyed_id).
    keyed: Callable[[str, str], str]
    rates: Mapping[str, float]
    quiet: QuietHours
    weekly_limit: int
    status_callback: str | None = None
    #: Where raw MessageSids go for deletion at Twilio (OUTREACH_TWILIO_FORGET=delete).
    on_sent: Callable[[str, datetime], None] | None = None
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for channel in CHANNELS:
            self.buckets[channel] = TokenBucket(float(self.rates[channel]), self.monotonic)

    def recover(self, now: datetime) -> int:
        """Before the first run: rows a killed sender left ``sending`` become ``unknown``
        (see the module's docstring). Run it only when no other sender runs."""
        with immediate(self.db):
            count = ob.recover(self.db, now)
        if count:
            logger.warning("%d outbox message(s) interrupted mid-send: marked unknown", count)
        return count

    def run_once(self, now: datetime) -> bool:
        """Send what is due, each channel at its pace, for about :data:`BATCH_SECONDS`;
        True if anything was sent or settled."""
        started, start = self.monotonic(), now
        worked = False
        idle = set[str]()
        while len(idle) < len(CHANNELS):
            waits = []
            for channel in CHANNELS:
                if channel in idle:
                    continue
                wait = self.buckets[channel].wait()
                if wait > 0:
                    waits.append(wait)
                elif self._send_one(channel, now):
                    worked = True
                else:
                    idle.add(channel)
            elapsed = self.monotonic() - started
            if waits and len(waits) + len(idle) == len(CHANNELS):
                # Every channel with work waits for its pace: sleep until the first may
                # go, unless that is past this batch (the worker's other tasks go first).
                if elapsed + min(waits) > BATCH_SECONDS:
                    break
                self.sleep(min(waits))
            elif elapsed >= BATCH_SECONDS:
                break
            # The clock moves on while the batch runs: due times and quiet hours too.
            now = start + timedelta(seconds=self.monotonic() - started)
        return worked

    def _send_one(self, channel: str, now: datetime) -> bool:
        """Claim, send and settle one message of ``channel``; False if none is due."""
        with immediate(self.db):
            row = ob.claim(
                self.db, now, channel, alerts=now not in self.quiet,
                weekly_limit=self.weekly_limit,
            )  # fmt: skip
        if row is None:
            return False
        try:
            prepared = self.compose(row, now)
        except StopSending:
            with immediate(self.db):
                ob.retry_at(self.db, row.id, now, None, now)
            raise
        except Exception as exc:
            # Not handed to Twilio: a retry cannot double it (a key changed, a bug).
            logger.error("an outbox message could not be prepared: %s", type(exc).__name__)
            self._settle(row, now, error=None, retryable=True)
            return True
        if prepared is None or isinstance(prepared, Withheld):
            reason = prepared.reason if prepared is not None else "withdrawn"
            with immediate(self.db):
                ob.finish(self.db, row.id, ob.CANCELED, None, reason, now)
            return True
        self.buckets[channel].take(prepared.cost)
        try:
            sid = self.api.create_message(
                to=prepared.to, from_=prepared.from_, body=prepared.body,
                content_sid=prepared.content_sid, content_variables=prepared.content_variables,
                status_callback=self.status_callback,
            )  # fmt: skip
        except Exception as exc:
            # TwilioApiError says what Twilio may have done; any other exception says
            # nothing, so the message may have gone: unknown, like a timeout.
            code = getattr(exc, "code", None)
            code = code if isinstance(code, int) else None
            if getattr(exc, "maybe_accepted", True):
                logger.warning("an outbox message may or may not have reached Twilio")
                with immediate(self.db):
                    ob.finish(self.db, row.id, ob.UNKNOWN, code, "no_answer", now)
                return True
            if code in PAUSE_CODES:
                # Twilio asks the whole account to slow down, not just this message.
                bucket = self.buckets[channel]
                bucket.take(bucket.rate * PAUSE_SECONDS)
            self._settle(row, now, error=code, retryable=bool(getattr(exc, "retryable", False)))
            return True
        with immediate(self.db):
            ob.mark_sent(self.db, row.id, self.keyed(sid, "message"), now)
        if self.on_sent is not None:
            self.on_sent(sid, now)
        return True

    def _settle(self, row: ob.OutboxRow, now: datetime, error: int | None, retryable: bool) -> None:
        """A message Twilio surely did not take: again later, or failed for good."""
        with immediate(self.db):
            if retryable and row.attempts < MAX_ATTEMPTS:
                ob.retry_at(self.db, row.id, now + retry_delay(row.attempts), error, now)
            else:
                reason = "refused" if not retryable else "attempts"
                ob.finish(self.db, row.id, ob.FAILED, error, reason, now)
                if error == OPTED_OUT_ERROR:
                    # Opted out at the carrier (STOP to the sender): as if they had said
                    # BAJA here, so that no later alert is even queued for them.
                    ob.stop_resident(self.db, row.resident, "opted_out", now)
                    Store(self.db).mark_opted_out(row.resident, now)
