"""A voice call, step by step: each key pressed through the same engine as every message
(Conversations.handle, channel "voice"), exactly once per CallSid and step.

The web layer gives a keyed resident id (never the number), Twilio's CallSid and the call's
state from the signed URL; this answers with what to say (recordings or Spanish speech)
and the state of the next step, or that the call ends. An engine turn's spoken phrases
are stored as its reply, so a retried step says exactly the same and changes nothing;
keys that need no engine (a page of a list, repeat, the end menu) are worked out from the
session and the URL alone, so their retries are the same too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlite_utils import Database

from outreach.engine import FlowSet, Session, Sprint
from outreach.engine import events as ev
from outreach.storage import Store
from outreach.storage import calls as call_rows
from outreach.voice.keys import CALL_PHRASES
from outreach.voice.prompts import (
    CallState,
    EndMenu,
    HangUp,
    NoKey,
    Phrase,
    Play,
    RecordingSource,
    Repeat,
    Say,
    Send,
    Turn,
    Voice,
    Wait,
    decide,
    sounds,
    voice_languages,
    voice_phrase,
)
from outreach.voice.script import flow_sources

from . import utc_now
from .content import Content
from .conversations import Conversations

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Spoken:
    """What one step of a call says, and what comes next."""

    sounds: list[Play | Say]
    #: The next step's state (the URL the key is posted to); None: the call ends.
    next: CallState | None
    language: str


class Calls:
    """The voice line over one database and one snapshot of the content."""

    def __init__(
        self,
        db: Database,
        content: Content,
        recordings: RecordingSource,
        min_coverage: float,
        keyed: Callable[[str, str], str],
        clock: Callable[[], datetime] = utc_now,
        *,
        simulated: bool = False,
    ) -> None:
        """``keyed(value, purpose)`` is the deployment's keyed id (privacy.keyed_id).

        ``simulated``: the web simulator's call. It goes through every step as a call does,
        but its turns are logged on the simulator's channel (``web``, as its messages are)
        and it writes no ``calls`` row: the voice figures count real calls only."""
        self.db = db
        self.content = content
        self.recordings = recordings
        self.min_coverage = min_coverage
        self.keyed = keyed
        self.clock = clock
        self.simulated = simulated
        self.channel = "web" if simulated else "voice"

    def languages(self) -> list[str]:
        """The languages a call offers (by recordings, not written catalogs)."""
        engine = self.content.engine()
        deployment = engine.flows.deployment
        sources = _sources(engine.flows)
        codes = [lang.code for lang in deployment.languages]
        return voice_languages(
            codes, deployment.default_language, self.recordings, sources, self.min_coverage
        )

    # -- the steps -------------------------------------------------------------------

    def step(self, resident_id: str, call_sid: str, state: CallState, digits: str) -> Spoken:
        """The call's request number ``state.step``: its start (step 0) or a key."""
        languages = self.languages()
        engine = self.content.engine(languages)
        voice = Voice(engine)
        session = self._session(resident_id) or engine.new_session()
        after = replace(state, step=state.step + 1, misses=0, end_menu=False)
        if state.step == 0 and session.opted_out:
            # The engine says nothing to a resident who said BAJA until they say ALTA:
            # the call tells them so (in the engine's own words) rather than keep silent.
            texts = engine.flows.deployment.texts
            said = [Phrase("system/stopped", texts["stopped"], texts["stopped"])]
            return self._spoken([*said, voice_phrase("goodbye")], session.language, None)
        if state.step == 0:
            # A new resident chooses a language first when more than one is offered.
            first = voice.language_word
            if session.language_chosen or len(engine.languages) < 2:
                first = voice.menu_word
            return self._spoken(*self._send(voice, resident_id, call_sid, state, first, after))
        wait = voice.wait(session, state.page)
        action = decide(voice, wait, state, digits)
        language = session.language
        match action:
            case Send(text, erase):
                phrases, language, following = self._send(
                    voice, resident_id, call_sid, state, text, after
                )
                if erase:  # the confirmation, then goodbye: nothing is left to talk about
                    return self._spoken([*phrases, voice_phrase("goodbye")], language, None)
                return self._spoken(phrases, language, following)
            case Turn(page):
                phrases = wait_phrases(voice.wait(session, page))
                return self._spoken(phrases, language, replace(after, page=page))
            case Repeat(wrong_key):
                phrases = self._replay(call_sid, state.prompt) or wait_phrases(wait)
                if wrong_key:
                    phrases = [voice_phrase("wrong_key"), *phrases]
                return self._spoken(phrases, language, replace(after, prompt=state.prompt, page=0))
            case EndMenu():
                return self._spoken([voice_phrase("end_menu")], language,
                                    replace(after, end_menu=True))  # fmt: skip
            case NoKey(last):
                if last:
                    return self._spoken([voice_phrase("no_input"), voice_phrase("goodbye")],
                                        language, None)  # fmt: skip
                phrases = self._replay(call_sid, state.prompt) or wait_phrases(wait)
                return self._spoken([voice_phrase("no_input"), *phrases], language,
                                    replace(after, page=0, misses=state.misses + 1))  # fmt: skip
            case HangUp():
                return self._spoken([voice_phrase("goodbye")], language, None)

    def status(self, call_sid: str, status: str, seconds: int | None) -> None:
        """Twilio's status callback: the call's status and, at the end, its length."""
        if self.simulated:
            return  # no call was placed: nothing to count
        now = self.clock()
        call_rows.record_status(
            self.db, self.keyed(call_sid, "call"), now.date().isoformat(), status, seconds,
            now.isoformat(),
        )  # fmt: skip

    # -- inside ------------------------------------------------------------------------

    def _send(
        self,
        voice: Voice,
        resident_id: str,
        call_sid: str,
        state: CallState,
        text: str,
        after: CallState,
    ) -> tuple[list[Phrase], str, CallState]:
        """``text`` through the engine, once for this CallSid and step: what to say, in
        which language, and the next step's state."""
        reached: list[Session] = []
        erased: list[bool] = []

        def speak(sprint: Sprint) -> list[str]:
            reached[:] = [sprint.session]
            erased.append(any(isinstance(e, ev.ErasureRequested) for e in sprint.events))
            return [p.dump() for p in self._turn_phrases(voice, sprint, state.told)]

        message_id = self.keyed(f"{call_sid}:{state.step}", "message")
        reply = Conversations(self.db, self.content, self.clock).handle(
            resident_id, text, channel=self.channel, message_id=message_id, rendering="voice",
            languages=[lang.code for lang in voice.engine.languages], speak=speak,
        )  # fmt: skip
        phrases = [Phrase.load(m.body) for m in reply.messages]
        if any(p.key == "voice/typed_answer" for p in phrases):
            # A question no key answers: said to be skipped, and the call goes on at the
            # main menu, as a step of its own (exactly once, like any other).
            skipped = Conversations(self.db, self.content, self.clock).handle(
                resident_id, voice.menu_word, channel=self.channel,
                message_id=self.keyed(f"{call_sid}:{state.step}:skip", "message"),
                rendering="voice", languages=[lang.code for lang in voice.engine.languages],
                speak=lambda sprint: [
                    p.dump() for p in self._turn_phrases(voice, sprint, told=True)
                ],
            )  # fmt: skip
            phrases += [Phrase.load(m.body) for m in skipped.messages]
        told = state.told or any(p.key == "voice/keys" for p in phrases)
        language = reached[0].language if reached else self._language(resident_id)
        if reached and not self.simulated:
            session = reached[0]
            now = self.clock()
            flow = session.stack[-1].flow if session.stack else None
            try:
                # Who calls, for the figures' protection; no one once they erased it all.
                call_rows.record_step(
                    self.db, self.keyed(call_sid, "call"), now.date().isoformat(),
                    session.language, flow, now.isoformat(),
                    None if any(erased) else resident_id,
                )  # fmt: skip
            except Exception as exc:  # the call goes on: the figure is what is lost
                logger.error("a call's step could not be counted: %s", type(exc).__name__)
        return phrases, language, replace(after, prompt=state.step, page=0, told=told)

    def _turn_phrases(self, voice: Voice, sprint: Sprint, told: bool) -> list[Phrase]:
        """What a call says for an engine turn: the keys at the first prompt of the call
        that is not the language menu, the messages, then the keys of what it waits for."""
        session = sprint.session
        if any(isinstance(e, ev.ErasureRequested) for e in sprint.events):
            return voice.said(sprint.events, session)
        wait = voice.wait(session, 0)
        phrases = voice.said(sprint.events, session)
        if wait.typed:
            phrases.append(voice_phrase("typed_answer"))
        phrases += wait_phrases(wait)
        if not wait.choices and not wait.typed:
            # The conversation is over (an end, or a flow with nothing after it): what a
            # caller can do now is what the global keys do.
            return [*phrases, voice_phrase("keys")]
        if not told and not wait.languages:
            phrases = [voice_phrase("keys"), *phrases]
        return phrases

    def _replay(self, call_sid: str, step: int) -> list[Phrase]:
        """What step ``step`` said, to say it again (empty if it is gone)."""
        reply = Store(self.db).processed_reply(self.keyed(f"{call_sid}:{step}", "message"))
        return [Phrase.load(body) for body in reply or []]

    def _session(self, resident_id: str) -> Session | None:
        return Store(self.db).resident(resident_id).session

    def _language(self, resident_id: str) -> str:
        session = self._session(resident_id)
        return session.language if session else self.content.flows.deployment.default_language

    def _spoken(self, phrases: list[Phrase], language: str, after: CallState | None) -> Spoken:
        source = self.content.flows.deployment.default_language
        return Spoken(sounds(phrases, language, self.recordings, source), after, language)


def wait_phrases(wait: Wait) -> list[Phrase]:
    return wait.phrases()


#: The last flow set's texts a call says (key -> Spanish), for the recordings' coverage:
#: worked out once per snapshot of the content, not per key pressed.
_SOURCES: list[tuple[FlowSet, dict[str, str]]] = []


def _sources(flows: FlowSet) -> dict[str, str]:
    if _SOURCES and _SOURCES[0][0] is flows:
        return _SOURCES[0][1]
    sources = flow_sources(flows) | CALL_PHRASES
    _SOURCES[:] = [(flows, sources)]
    return sources
