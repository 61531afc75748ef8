"""Synthetic, clearly labelled conversations for a development database, so that a
newcomer sees a living dashboard. Every resident id starts with "demo-"; no real person
is behind any of them, and every page and export of such a database says so.

The residents are played through the same paths real traffic takes: each message through
``Conversations.handle`` (SMS and WhatsApp), each key of a call through
``service.voice.Calls`` and its status callback, each missed call through the callback
queue of ``storage.callbacks``. Nothing is written to the tables directly, so the figures
are those the service itself would have counted, and a change in how it counts shows
here too.

What each resident does is a random walk through the shipped content rather than a list
of scripts: at every prompt the resident picks one of the answers the prompt takes (the
same answers the voice line offers as keys: outreach.voice.prompts.Voice.wait), now and
then says something the service does not understand, goes back to the menu, opts out or
erases their data. So every flow, step, topic and programme gets visits, whatever the
content holds, and a content change needs no change here. A seed makes it the same run
every time.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from outreach import staff
from outreach.storage import Store, forget_erased
from outreach.storage import callbacks as callback_rows
from outreach.voice.prompts import CallState, NoRecordings, Voice, Wait

from .content import Content
from .conversations import Conversations
from .voice import Calls

DEMO_LOGIN = ("demo", "demo-password")
#: Days of traffic: the retention window's length (OUTREACH_RETENTION_DAYS, 90), so
#: that every page, the long ranges included, has something to show and nothing is yet
#: old enough to be purged.
DAYS = 89

#: Where the synthetic residents live, weighted roughly like the western highlands and
#: the capital that send most migrants (22 departments, all in flows/departments.yaml).
DEPARTMENTS = {
    "Huehuetenango": 14, "San Marcos": 11, "Quiché": 9, "Guatemala": 9, "Quetzaltenango": 8,
    "Alta Verapaz": 7, "Totonicapán": 5, "Sololá": 4, "Chimaltenango": 4, "Petén": 4,
    "Escuintla": 3, "Izabal": 3, "Jutiapa": 3, "Jalapa": 2, "Chiquimula": 2,
    "Suchitepéquez": 2, "Retalhuleu": 2, "Baja Verapaz": 2, "Santa Rosa": 2,
    "Sacatepéquez": 1, "El Progreso": 1, "Zacapa": 1,
}  # fmt: skip
CHANNELS = {"sms": 48, "whatsapp": 37, "voice": 15}
#: How many conversations a resident has over the window (then days apart).
VISITS = {1: 62, 2: 23, 3: 10, 4: 5}
#: The share of residents who write in English (the greeting chooses the language).
ENGLISH = 0.12
#: Per prompt: the chance of something the service does not understand, of going back
#: to the menu, of leaving the conversation there.
NOT_UNDERSTOOD = 0.07
BACK_TO_MENU = 0.04
LEAVES = 0.07
#: Per conversation: the chance to opt out (BAJA) or to erase everything (BORRAR).
#: At 3% the opt-outs of a month split by language were about 20 and 6: the 6 hidden
#: under k, and the 20 with it, so the overview's opt-outs table showed nothing.
OPTS_OUT = 0.05
ERASES = 0.008
#: Of the callers: those who ring off to be called back (a missed call), first.
MISSED_CALL = 0.4
#: Of the missed calls: from a withheld number; rung again while waiting.
WITHHELD = 0.2
RINGS_AGAIN = 0.3
#: What residents write that the service does not understand.
NOISE = ["xx", "ok gracias", "?", "no se", "quiero ir", "asdf", "hola?", "..."]
#: Per conversation: the chance of a message the service takes as someone in danger (it
#: sends the emergency numbers at once, wherever the conversation is).
IN_DANGER = 0.02
DANGER = ["no sabemos nada de mi hermano", "auxilio", "se llevaron a mi hijo"]
#: What a caller presses that is no choice: nothing, repeat, the main menu.
STRAY_KEYS = ["", "*", "0"]
#: Fictional numbers (+502 5555 01xx style) for the callback queue, which holds a number
#: only until the call back is placed.
CALLBACK_NUMBER = "+50255550{:03d}"
CALLBACK_LIMITS = callback_rows.CallbackLimits(("+502",), 3, 60, 500)


@dataclass(frozen=True)
class Filled:
    """What ``fill`` played."""

    residents: int
    messages: int
    calls: int


@dataclass(frozen=True)
class _Visit:
    at: datetime
    resident: int
    number: int  # the resident's how-manieth conversation


def fill(db: Database, content: Content, residents: int, now: datetime, seed: int = 7) -> Filled:
    """Play ``residents`` synthetic residents' conversations over the ``DAYS`` days
    before ``now``, in the order they happen; the demo login is added too. The same
    seed plays the same conversations (and, with a content whose ids are counted,
    ``counter_ids``, as the command's is, writes the same rows)."""
    rng = random.Random(seed)
    profiles = [_profile(rng) for _ in range(residents)]
    visits = [
        visit for n, profile in enumerate(profiles) for visit in _visits(rng, n, profile, now)
    ]
    visits.sort(key=lambda v: (v.at, v.resident))
    player = _Player(db, content, rng, profiles)
    for visit in visits:
        player.play(visit)
    # The callback numbers out of the WAL too, as the worker does after each call back.
    forget_erased(db)
    if staff.role_of(db, DEMO_LOGIN[0]) is None:
        staff.add(db, DEMO_LOGIN[0], DEMO_LOGIN[1], "admin", now)
    return Filled(residents, player.messages, player.calls)


@dataclass(frozen=True)
class _Profile:
    department: str
    channel: str
    english: bool
    visits: int


def _pick(rng: random.Random, weights: dict[str, int] | dict[int, int]) -> object:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _profile(rng: random.Random) -> _Profile:
    channel = str(_pick(rng, CHANNELS))
    return _Profile(
        department=str(_pick(rng, DEPARTMENTS)),
        channel=channel,
        # English by keypad only if a caller chooses it: the text greeting decides here.
        english=rng.random() < ENGLISH,
        visits=int(_pick(rng, VISITS)),  # type: ignore[call-overload]
    )


def _visits(rng: random.Random, n: int, profile: _Profile, now: datetime) -> list[_Visit]:
    """When a resident's conversations happen: the first on a day of the window (more in
    recent weeks, as a service that is getting known), the others days after it."""
    first_day = int(DAYS * rng.random() ** 0.8)
    at = _daytime(rng, now - timedelta(days=first_day))
    found = []
    for number in range(profile.visits):
        if at >= now:
            break
        found.append(_Visit(at, n, number))
        at = _daytime(rng, at + timedelta(days=rng.randint(1, 21)))
    return found


def _daytime(rng: random.Random, day: datetime) -> datetime:
    """A moment of ``day`` when people write: 7:00 to 21:00 in Guatemala (UTC-6)."""
    local_minutes = rng.randint(7 * 60, 21 * 60)
    midnight = day.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + timedelta(minutes=local_minutes + 6 * 60)


class _Player:
    """Plays conversations through the service, one resident's turn at a time."""

    def __init__(
        self, db: Database, content: Content, rng: random.Random, profiles: Sequence[_Profile]
    ) -> None:
        self.db = db
        self.content = content
        self.rng = rng
        self.profiles = profiles
        self.store = Store(db)
        self.clock = [datetime.min]
        self.conversations = Conversations(db, content, clock=lambda: self.clock[0])
        self.calls_line = Calls(
            db, content, NoRecordings(), 1.0, _demo_keyed, clock=lambda: self.clock[0]
        )
        self.voice = Voice(content.engine())
        self.messages = 0
        self.calls = 0
        self.gone: set[int] = set()  # erased or opted out: they write no more

    def play(self, visit: _Visit) -> None:
        if visit.resident in self.gone:
            return
        self.clock[0] = visit.at
        profile = self.profiles[visit.resident]
        if profile.channel == "voice":
            self._call(visit, profile)
        else:
            self._write(visit, profile)

    def _tick(self, low: int = 15, high: int = 120) -> None:
        self.clock[0] += timedelta(seconds=self.rng.randint(low, high))

    # -- SMS and WhatsApp ----------------------------------------------------------

    def _write(self, visit: _Visit, profile: _Profile) -> None:
        resident = f"demo-{visit.resident:05d}"
        greeting = "hello" if profile.english else self.rng.choice(["hola", "hola", "buenas"])
        say = self._sayer(resident, profile.channel, visit)
        say(greeting)
        if self.rng.random() < IN_DANGER:
            say(self.rng.choice(DANGER))
        for _ in range(self.rng.randint(2, 11)):
            session = self.store.resident(resident).session
            if session is None:
                return
            roll = self.rng.random()
            if roll < LEAVES:
                return
            wait = self.voice.wait(session, 0)
            inputs = [c.input for c in wait.choices if c.input is not None]
            if roll < LEAVES + NOT_UNDERSTOOD:
                say(self.rng.choice(NOISE))
            elif not inputs or roll < LEAVES + NOT_UNDERSTOOD + BACK_TO_MENU:
                if not inputs and self.rng.random() < 0.5:
                    break  # the conversation is over, and so is the visit
                say("menu")
            else:
                say(self._answer(inputs, profile))
        self._maybe_leave(say, visit)

    def _sayer(self, resident: str, channel: str, visit: _Visit) -> Callable[[str], None]:
        step = [0]

        def say(text: str) -> None:
            self._tick()
            self.conversations.handle(
                resident, text, channel=channel, rendering=channel,
                message_id=f"{resident}-{visit.number}-{step[0]}",
            )  # fmt: skip
            step[0] += 1
            self.messages += 1

        return say

    def _maybe_leave(self, say: Callable[[str], None], visit: _Visit) -> None:
        roll = self.rng.random()
        if roll < ERASES:
            say("borrar")
            say("si")  # BORRAR asks for a confirmation first
            self.gone.add(visit.resident)
        elif roll < ERASES + OPTS_OUT:
            say("baja")
            self.gone.add(visit.resident)

    def _answer(self, inputs: Sequence[str], profile: _Profile) -> str:
        """An answer the prompt takes: the resident's own department when it asks for
        one, the first options a bit more often than the last (people read from the
        top)."""
        if set(inputs) & set(DEPARTMENTS):  # the first page of the list of departments
            return profile.department
        weights = [1 / (i + 1) ** 0.6 for i in range(len(inputs))]
        return self.rng.choices(list(inputs), weights=weights)[0]

    # -- calls ---------------------------------------------------------------------

    def _call(self, visit: _Visit, profile: _Profile) -> None:
        resident = f"demo-{visit.resident:05d}"
        call_sid = f"CAdemo{visit.resident:05d}x{visit.number}"
        if self.rng.random() < MISSED_CALL:
            # Rung off to be called back: queued, then placed a little later, and the
            # number deleted, as the worker does it (without Twilio). Some ring off
            # again while they wait, some from a withheld number: both are refused.
            if self.rng.random() < WITHHELD:
                callback_rows.count_refusal(self.db, self.clock[0], "not_a_number")
                return
            number = CALLBACK_NUMBER.format(visit.resident % 1000)
            caller = _demo_keyed(number, "callback")
            for _ in range(1 + (self.rng.random() < RINGS_AGAIN)):
                callback_rows.request_callback(
                    self.db, number, caller, self.clock[0], CALLBACK_LIMITS
                )
            claimed = callback_rows.claim_next(self.db, self.clock[0], timedelta(minutes=30))
            if claimed is not None:
                callback_rows.finish(self.db, claimed[0], self.clock[0], "placed")
            self._tick(20, 50)
        self.calls += 1
        state = CallState()
        started = self.clock[0]
        spoken = self.calls_line.step(resident, call_sid, state, "")
        for _ in range(self.rng.randint(3, 16)):
            if spoken.next is None or self.rng.random() < LEAVES:
                break
            state = spoken.next
            session = self.store.resident(resident).session
            wait = self.voice.wait(session, state.page) if session else Wait()
            self._tick(8, 40)
            spoken = self.calls_line.step(
                resident, call_sid, state, self._key(wait, state.page, profile)
            )
        seconds = int((self.clock[0] - started).total_seconds()) + self.rng.randint(5, 30)
        self.clock[0] = started + timedelta(seconds=seconds)
        self.calls_line.status(call_sid, "completed", seconds)

    def _key(self, wait: Wait, page: int, profile: _Profile) -> str:
        if not wait.choices or self.rng.random() < NOT_UNDERSTOOD:
            return self.rng.choice(STRAY_KEYS)
        if wait.languages:
            keys = {c.input: c.key for c in wait.choices}
            return keys.get("en" if profile.english else "es", wait.choices[0].key)
        for choice in wait.choices:
            if choice.input == profile.department:
                return choice.key
        if {c.input for c in wait.choices} & set(DEPARTMENTS):
            # The list of departments, read in pages: the next page, until it is theirs.
            more = [c for c in wait.choices if c.input is None and c.page > page]
            if more:
                return more[0].key
        weights = [1 / (i + 1) ** 0.6 for i in range(len(wait.choices))]
        return self.rng.choices(list(wait.choices), weights=weights)[0].key


def _demo_keyed(value: str, purpose: str) -> str:
    """The demo's stand-in for privacy.keyed_id (which the service layer does not hold):
    a plain hash, enough for made-up values, and no number left readable in the file."""
    return f"demo-{purpose}-" + hashlib.sha256(value.encode()).hexdigest()[:20]
