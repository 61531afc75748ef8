"""The missed-call callback (issue #17, section 3): the resident calls the callback
number, the service rejects the call (free for the caller: outreach.web.callback) and
calls back within a minute, into the voice line (``/twilio/voice``).

The queue is durable (outreach.storage.callbacks), and each call back goes
claim -> place -> delete. What may go wrong between those steps, and what then:

- Twilio refused the call for now (429, 5xx after the client's own retries) or was never
  reached: the row is released and tried again at the next pass, until it is too old
  (``CALLBACK_EXPIRE_MINUTES``).
- Twilio may have placed it (a POST sent and not answered: ``maybe_accepted``), or a
  worker died between claiming and deleting the row (found claimed when the next worker
  starts): the row is deleted without a call, counted as ``uncertain``. A duplicate call
  is worse than a missed one: it costs the NGO a second call, rings a resident twice
  (someone who may be hiding their phone), and is exactly what toll fraud would exploit;
  a missed one costs the resident nothing, who can call again, free. The window for it is
  one HTTP request long.
- Twilio refused it for good (a wrong number, geo permissions): deleted, ``failed``.

No number is logged; it is held in the queue only until the call is placed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from outreach.storage import connect, forget_erased
from outreach.storage.callbacks import (
    CallbackLimits,
    claim_next,
    count_refusal,
    drop_claimed,
    finish,
    release,
)
from outreach.storage.callbacks import request_callback as queue_callback

from . import utc_now
from .twilio_api import TwilioApi, TwilioApiError

logger = logging.getLogger(__name__)

#: The voice line's webhooks (outreach.web.voice), which the call back fetches its TwiML
#: from and reports its status to. The web layer's paths, written out: service code
#: cannot import web.
VOICE_PATH = "/twilio/voice"
VOICE_STATUS_PATH = "/twilio/voice/status"


def callback_problem(config: Mapping[str, Any]) -> str | None:
    """Why call backs cannot be placed with these settings, or None."""
    for name in ("CALLBACK_NUMBER", "PUBLIC_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
        if not config.get(name):
            return f"OUTREACH_{name} is not set"
    return None


def limits_of(config: Mapping[str, Any]) -> CallbackLimits:
    codes = str(config.get("CALLBACK_COUNTRY_CODES") or "")
    return CallbackLimits(
        countries=tuple(c.strip() for c in codes.split(",") if c.strip()),
        per_caller_day=int(config["CALLBACK_PER_CALLER_DAY"]),
        per_hour=int(config["CALLBACK_PER_HOUR"]),
        per_day=int(config["CALLBACK_PER_DAY"]),
    )


def request_callback(
    db: Database, config: Mapping[str, Any], number: str | None, caller: str | None,
    now: datetime,
) -> str | None:  # fmt: skip
    """A missed call from ``number`` (E.164, None if withheld or not a number; ``caller``
    its keyed pseudonym): queued for a call back, or the reason it was not (counted)."""
    if callback_problem(config) is not None:
        reason: str | None = "off"
    elif number is None or caller is None:
        reason = "not_a_number"
    else:
        return queue_callback(db, number, caller, now, limits_of(config))
    assert reason is not None
    count_refusal(db, now, reason)
    return reason


class CallbackTask:
    """The worker's task that places the queued call backs, one per pass."""

    def __init__(
        self, db_path: str | Path, config: Mapping[str, Any], api: TwilioApi | None = None
    ) -> None:
        self.db_path = db_path
        self.config = config
        self.api = api
        self._db: Database | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = connect(self.db_path)
        return self._db

    def start(self) -> None:
        """Rows left claimed by a worker that died placing them: deleted, no call."""
        dropped = drop_claimed(self.db, utc_now())
        if dropped:
            forget_erased(self.db)
            logger.warning(
                "%d call back(s) a stopped worker was placing were dropped, not placed again",
                dropped,
            )

    def run_once(self, now: datetime) -> bool:
        if callback_problem(self.config) is not None:
            return False
        wait = timedelta(minutes=int(self.config["CALLBACK_EXPIRE_MINUTES"]))
        claimed = claim_next(self.db, now, wait)
        if claimed is None:
            return False
        row_id, number = claimed
        if self.api is None:
            self.api = TwilioApi.from_config(self.config)
        public = str(self.config["PUBLIC_URL"]).rstrip("/")
        try:
            self.api.create_call(
                to=number,
                from_=str(self.config["CALLBACK_NUMBER"]),
                url=public + VOICE_PATH,
                status_callback=public + VOICE_STATUS_PATH,
            )
            outcome = "placed"
        except TwilioApiError as exc:
            if exc.retryable:
                release(self.db, row_id)
                return True
            outcome = "uncertain" if exc.maybe_accepted else "failed"
        finish(self.db, row_id, now, outcome)
        forget_erased(self.db)  # the number out of the WAL too
        return True
