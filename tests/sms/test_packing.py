"""What a channel really sends for one turn: packed, shaped, never over 1,600 characters."""

from __future__ import annotations

from outreach.engine.model import SmsSettings
from outreach.sms import segment_info
from outreach.sms.packing import MAX_BODY, render, split_body

PLAIN_SPANISH = SmsSettings(1, None, frozenset({"es"}), frozenset({"sms"}))


def test_short_messages_of_a_turn_share_one_sms() -> None:
    rendered = render(
        ["No entendí su respuesta.", "¿Qué busca?\n1. Empleo\n2. Cursos"],
        "sms",
        "es",
        PLAIN_SPANISH,
    )
    assert [m.body for m in rendered.messages] == [
        "No entendi su respuesta.\n¿Qué busca?\n1. Empleo\n2. Cursos"  # é is GSM-7
    ]
    assert rendered.segments == [1, 0]


def test_a_long_message_stands_alone() -> None:
    long = "Información importante. " * 10
    rendered = render(["Hola.", long, "Fin."], "sms", "es", PLAIN_SPANISH)
    bodies = [m.body for m in rendered.messages]
    assert bodies[0] == "Hola." and bodies[-1] == "Fin."
    assert len(bodies) == 3
    assert rendered.segments[1] == segment_info(bodies[1]).segments > 1


def test_nothing_exceeds_1600_characters_and_splits_are_natural() -> None:
    sentences = "Esta es una oración completa. " * 80
    pieces = split_body(sentences)
    assert len(pieces) > 1
    assert all(len(p) <= MAX_BODY for p in pieces)
    assert all(p.endswith(".") for p in pieces)
    assert " ".join(pieces).split() == sentences.split()
    no_spaces = "x" * 4000
    assert [len(p) for p in split_body(no_spaces)] == [1600, 1600, 800]


def test_whatsapp_keeps_accents_and_packs_a_turn() -> None:
    rendered = render(["Información.", "¿Qué busca?"], "whatsapp", "es", PLAIN_SPANISH)
    assert [m.body for m in rendered.messages] == ["Información.\n\n¿Qué busca?"]
    assert rendered.messages[0].info is None


def test_shaping_follows_the_language() -> None:
    rendered = render(["Qʼeqchiʼ: á"], "sms", "kek", PLAIN_SPANISH)
    assert rendered.messages[0].body == "Q'eqchi': á"  # apostrophes always, vowels opt-in


def test_spanish_sent_as_a_fallback_is_shaped_as_spanish() -> None:
    rendered = render([("Información", "es"), ("Qʼeqchiʼ á", "kek")], "sms", "kek", PLAIN_SPANISH)
    assert [m.body for m in rendered.messages] == ["Informacion\nQ'eqchi' á"]


def test_splits_count_utf16_units_and_never_cut_an_emoji() -> None:
    family = "👨\u200d👩\u200d👧"  # one character on screen, 8 UTF-16 units
    pieces = split_body(family * 400)
    assert len(pieces) == 2
    for piece in pieces:
        assert len(piece.encode("utf-16-le")) // 2 <= MAX_BODY
        assert piece.count(family) * len(family) == len(piece)
