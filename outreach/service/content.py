"""The content a running service uses: the checked flows, their translations and an
engine built on both, rebuilt when a translator saves a catalog."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from outreach.engine import Engine, FlowSet
from outreach.flowfile import load_or_raise
from outreach.flowfile.checks import REVIEW_NOTICE_DAYS
from outreach.i18n import TranslationState, catalog_stamps, file_stamps, load_translations
from outreach.i18n.messages import flowset_messages

from . import today
from .last_good import ServedContent, load_served


def load_flows(flows_dir: str | Path) -> FlowSet:
    """The flows in ``flows_dir``; :class:`~outreach.flowfile.ContentError` if any error."""
    return load_or_raise([flows_dir], today())


class Content:
    """Flows, translations and the engine, as one consistent snapshot.

    The service builds it with ``serve_last_good`` (see :mod:`outreach.service.last_good`);
    commands read the files on disk as they are.

    :meth:`engine` checks the catalogs' modification times (a few ``stat`` calls) and
    rebuilds the engine when one changed, so an edited ``.po`` file is served at once,
    or within ``CATALOG_CHECK_SECONDS``: the stat calls were a twentieth of a webhook turn.
    """

    #: How soon a review date counts as due: `outreach check`'s warning window, given to
    #: the dashboard here so both give one answer (the web layer does not read flowfile).
    review_notice_days = REVIEW_NOTICE_DAYS

    def __init__(
        self,
        config: dict[str, Any],
        *,
        new_id: Any = None,
        monotonic: Callable[[], float] = time.monotonic,
        serve_last_good: bool = False,
    ) -> None:
        self.flows_dir = Path(config["FLOWS_DIR"])
        self.locales_dir = Path(config["LOCALES_DIR"])
        self.min_coverage = int(config["LANGUAGE_MIN_COVERAGE"])
        self.max_steps = int(config["MAX_STEPS_PER_TURN"])
        self.session_timeout = timedelta(hours=int(config["SESSION_TIMEOUT_HOURS"]))
        #: What Twilio keeps, which the welcome's notice says (OUTREACH_TWILIO_FORGET).
        self.twilio = str(config.get("TWILIO_FORGET") or "keep")
        self.new_id = new_id or (lambda: uuid.uuid4().hex)
        if serve_last_good:
            # The service: the files on disk, or the last good copy of them if a save or
            # a pull broke them, so a worker starting mid-edit keeps serving; passed
            # review dates are warnings (see outreach.service.last_good).
            self.served = load_served(self.flows_dir, Path(config["INSTANCE_DIR"]), today())
        else:
            # A command: exactly the files on disk, every error an error.
            self.served = ServedContent(load_flows(self.flows_dir), self.flows_dir)
        self.flows = self.served.flows
        self.messages = flowset_messages(self.flows)
        self._lock = threading.Lock()
        self.check_interval = float(config["CATALOG_CHECK_SECONDS"])
        self._monotonic = monotonic
        self._checked_at = monotonic()
        codes = [lang.code for lang in self.flows.deployment.languages]
        self._catalogs = list(catalog_stamps(self.locales_dir, codes))
        self.state, self._engine = self._build()

    def _build(self) -> tuple[TranslationState, Engine]:
        state = load_translations(self.flows, self.messages, self.locales_dir, self.min_coverage)
        self._engines: dict[tuple[str, ...], Engine] = {}
        return state, self._new_engine(state, state.offered)

    def _new_engine(self, state: TranslationState, languages: Sequence[str]) -> Engine:
        return Engine(
            self.flows,
            new_id=self.new_id,
            translate=state.translations,
            languages=languages,
            max_steps=self.max_steps,
            session_timeout=self.session_timeout,
            twilio=self.twilio,
        )

    def engine(self, languages: Sequence[str] | None = None) -> Engine:
        """The engine of the current catalogs. ``languages``: one offering these languages
        instead of those the written catalogs cover (the voice line offers a language by
        its recordings); built once per set of languages and catalogs."""
        now = self._monotonic()
        if now - self._checked_at >= self.check_interval:
            self._checked_at = now
            if file_stamps(self._catalogs) != self.state.stamps:
                with self._lock:
                    if file_stamps(self._catalogs) != self.state.stamps:
                        self.state, self._engine = self._build()
        if languages is None:
            return self._engine
        wanted = tuple(languages)
        engines = self._engines
        engine = engines.get(wanted)
        if engine is None:
            with self._lock:
                engine = engines.get(wanted)
                if engine is None:
                    engine = engines[wanted] = self._new_engine(self.state, wanted)
        return engine
