"""The spoken side of a turn, without the web: keys per kind of question, the order in
which a phrase is played or said, the languages a call offers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import NOON, TODAY, write_flows
from voice_helpers import QUESTIONS

from outreach.engine import Engine, Inbound, Session, counter_ids
from outreach.flowfile import load
from outreach.voice.prompts import (
    CallState,
    EndMenu,
    HangUp,
    NoKey,
    NoRecordings,
    Phrase,
    Play,
    Repeat,
    Say,
    Send,
    Turn,
    Voice,
    decide,
    sounds,
    voice_languages,
)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    folder = write_flows(tmp_path / "flows", {"main.yaml": QUESTIONS})
    result = load([folder], TODAY)
    assert result.flowset is not None, [str(e) for e in result.errors]
    return Engine(result.flowset, new_id=counter_ids(), languages=["es"])


def at(engine: Engine, *texts: str) -> tuple[Session, list[Phrase]]:
    session = engine.new_session("es")
    voice = Voice(engine)
    said: list[Phrase] = []
    for text in texts:
        sprint = engine.resume(session, Inbound(text, "voice"), NOON)
        session = sprint.session
        said = voice.said(sprint.events, session)
    return session, said


def test_a_menu_is_its_options_each_with_its_key(engine: Engine) -> None:
    session, said = at(engine, "hola")
    assert said == [Phrase("main/menu", "Elija:", "Elija:")]
    wait = Voice(engine).wait(session)
    assert [(c.key, c.input) for c in wait.choices] == [
        ("1", "1"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "5")
    ]  # fmt: skip
    spoken = [p.text for p in wait.phrases()]
    assert spoken[:4] == ["Uno", "Marque 1.", "Ciudad", "Marque 2."]
    assert wait.phrases()[0].key == "main/menu/option/1"


def test_yes_no_becomes_two_keys(engine: Engine) -> None:
    session, _ = at(engine, "hola", "3")
    voice = Voice(engine)
    wait = voice.wait(session)
    assert [(c.key, c.input, c.phrases[0].key) for c in wait.choices] == [
        ("1", "si", "voice/yes"), ("2", "no", "voice/no")
    ]  # fmt: skip
    action = decide(voice, wait, CallState(step=3), "2")
    assert action == Send("no")
    sprint = engine.resume(session, Inbound("no", "voice"), NOON)
    assert sprint.session.fields["agree"] == "no"


def test_a_small_number_is_its_key_and_typed_text_is_skipped(engine: Engine) -> None:
    voice = Voice(engine)
    children, _ = at(engine, "hola", "4")
    wait = voice.wait(children)
    assert [c.key for c in wait.choices] == ["1", "2", "3", "4", "5"]
    assert not wait.typed
    for typed in ("2", "5"):  # text, and a number no single key gives (18 to 99)
        session, _ = at(engine, "hola", typed)
        assert voice.wait(session).typed
        assert voice.wait(session).choices == ()


def test_global_keys(engine: Engine) -> None:
    voice = Voice(engine)
    session, _ = at(engine, "hola")
    wait = voice.wait(session)
    state = CallState(step=2, misses=0)
    assert decide(voice, wait, state, "0") == Send("menu")
    assert decide(voice, wait, state, "9") == Send("idioma")
    assert decide(voice, wait, state, "*") == Repeat()
    assert decide(voice, wait, state, "#") == EndMenu()
    assert decide(voice, wait, state, "7") == Repeat(wrong_key=True)
    assert decide(voice, wait, state, "") == NoKey(last=False)
    assert decide(voice, wait, CallState(step=3, misses=1), "") == NoKey(last=True)
    end = CallState(step=3, end_menu=True)
    assert decide(voice, wait, end, "#") == HangUp()
    assert decide(voice, wait, end, "7") == Send("borrar", erase=True)
    assert decide(voice, wait, end, "1") == Repeat()


def test_the_state_survives_its_url() -> None:
    state = CallState(step=7, prompt=5, page=2, misses=1, end_menu=True, told=True)
    assert CallState.parse(state.query()) == state
    assert CallState.parse({"s": "x", "pg": "99999999"}) == CallState()


def test_a_long_list_turns_pages(shipped_engine: Engine) -> None:
    voice = Voice(shipped_engine)
    session, _ = at(shipped_engine, "hola", "3")
    first = voice.wait(session, 0)
    assert [c.key for c in first.choices] == ["1", "2", "3", "4", "5", "6", "8"]
    assert decide(voice, first, CallState(step=3), "8") == Turn(1)
    assert decide(voice, first, CallState(step=3), "1") == Send("Alta Verapaz")
    last = voice.wait(session, 3)
    assert [c.input for c in last.choices] == [
        "Sololá", "Suchitepéquez", "Totonicapán", "Zacapa", None
    ]  # fmt: skip
    assert decide(voice, last, CallState(step=3, page=3), "7") == Turn(2)


@pytest.fixture
def shipped_engine(shipped: object) -> Engine:
    from outreach.engine import FlowSet

    assert isinstance(shipped, FlowSet)
    return Engine(shipped, new_id=counter_ids(), languages=["es"])


@dataclass(frozen=True)
class FakeRecording:
    key: str
    language: str
    path: Path
    seconds: float = 1.0
    source_hash: str = ""


class SomeRecordings:
    """Recordings of some keys in some languages, each current for one source text."""

    def __init__(self, have: Mapping[tuple[str, str], str]) -> None:
        self.have = have  # (key, language) -> the source it was recorded from

    def current(self, key: str, language: str, source_text: str) -> FakeRecording | None:
        if self.have.get((key, language)) != source_text:
            return None  # missing, or stale (recorded from another text)
        return FakeRecording(key, language, Path(f"{key.replace('/', '.')}.wav"))

    def coverage(self, language: str, sources: Mapping[str, str]) -> float:
        done = sum(1 for k, t in sources.items() if self.current(k, language, t))
        return 100.0 * done / len(sources) if sources else 0.0


def test_the_order_of_sounds() -> None:
    menu = Phrase("main/menu", "¿Sobre qué?", "¿Sobre qué?")
    option = Phrase("main/menu/option/1", "Riesgos", "Riesgos")
    press = Phrase("voice/press_1", "Marque 1.", "Marque 1.")
    filled = Phrase("programmes/kind", "¿Qué busca en Petén?", "")
    recordings = SomeRecordings({
        ("main/menu", "quc"): "¿Sobre qué?",        # in the resident's language
        ("main/menu/option/1", "es"): "Riesgos",   # in Spanish only
        ("main/menu/option/1", "kek"): "Riesgos",  # another language: not the resident's
        ("voice/press_1", "quc"): "Marque uno.",   # stale: recorded from another text
    })  # fmt: skip
    assert sounds([menu, option, press, filled], "quc", recordings, "es") == [
        Play("quc", "main.menu.wav"),
        Play("es", "main.menu.option.1.wav"),
        Say("Marque 1. ¿Qué busca en Petén?"),
    ]
    # A Spanish caller never hears the K'iche' recording.
    assert sounds([menu], "es", recordings, "es") == [Say("¿Sobre qué?")]
    # Nothing recorded: all Spanish speech, in one <Say>, a stop after a bare label.
    assert sounds([option, press], "quc", NoRecordings(), "es") == [Say("Riesgos. Marque 1.")]


def test_a_language_name_is_said_only_in_its_language() -> None:
    name = Phrase("voice/language_name", "K'iche'", "Español.", "quc")
    spanish_only = SomeRecordings({("voice/language_name", "es"): "Español."})
    assert sounds([name], "es", spanish_only, "es") == [Say("K'iche'")]
    recorded = SomeRecordings({("voice/language_name", "quc"): "Español."})
    assert sounds([name], "es", recorded, "es") == [Play("quc", "voice.language_name.wav")]


def test_a_language_is_offered_by_its_recordings() -> None:
    sources = {"a": "A.", "b": "B."}
    name = ("voice/language_name", "Español.")
    recordings = SomeRecordings({
        ("a", "quc"): "A.", ("b", "quc"): "B.", (name[0], "quc"): name[1],
        ("a", "kek"): "A.", (name[0], "kek"): name[1],
        ("a", "mam"): "A.", ("b", "mam"): "B.",  # all but its name
    })  # fmt: skip
    codes = ["es", "en", "quc", "kek", "mam"]
    assert voice_languages(codes, "es", recordings, sources, 90) == ["es", "quc"]
    assert voice_languages(codes, "es", recordings, sources, 50) == ["es", "quc", "kek"]
    # Without a recording of its name a language is never offered: the menu would have
    # the Spanish voice read "Mam".
    assert voice_languages(codes, "es", recordings, sources, 0) == ["es", "quc", "kek"]
    assert voice_languages(codes, "es", NoRecordings(), sources, 0) == ["es"]
