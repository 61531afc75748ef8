from __future__ import annotations

import unicodedata

import pytest

from outreach.engine.matching import (
    Choice,
    ChoiceMatcher,
    KeywordMatcher,
    find_integer,
    normalize,
    parse_number,
    within_one_edit,
)


@pytest.fixture
def menu() -> ChoiceMatcher[str]:
    return ChoiceMatcher(
        [
            Choice("risks", 1, ("Riesgos de migrar", "peligro")),
            Choice("legal", 2, ("Caminos legales", "visa")),
            Choice("programmes", 3, ("Programas cerca de usted",)),
        ]
    )


@pytest.mark.parametrize("reply", ["1", "1.", "1)", " 1 ", "#1", "uno", "UNO", "one", "01"])
def test_option_one_as_residents_type_it(menu: ChoiceMatcher[str], reply: str) -> None:
    assert menu.match(normalize(reply)) == "risks"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("riesgos", "risks"),
        ("RIESGOS DE MIGRAR", "risks"),
        ("visa", "legal"),
        ("legales", "legal"),
        ("programs", "programmes"),  # one letter missing in a long word
        ("progarmas", "programmes"),  # two letters swapped
        ("peligro", "risks"),
        ("4", None),
        ("cuatro", None),
        ("hola", None),
        ("de", None),  # a stop word chooses nothing
    ],
)
def test_words_of_labels_and_keywords(
    menu: ChoiceMatcher[str], reply: str, expected: str | None
) -> None:
    assert menu.match(normalize(reply)) == expected


def test_a_word_shared_by_two_options_is_not_a_choice() -> None:
    matcher = ChoiceMatcher(
        [Choice("a", 1, ("Trabajo en Guatemala",)), Choice("b", 2, ("Trabajo fuera",))]
    )
    assert matcher.match(normalize("trabajo")) is None
    assert matcher.match(normalize("trabajo fuera")) == "b"


def test_accents_case_and_unicode_forms_do_not_matter() -> None:
    nfc = unicodedata.normalize("NFC", "Menú")
    nfd = unicodedata.normalize("NFD", "Menú")
    assert nfc != nfd
    assert normalize(nfc) == normalize(nfd) == normalize("MENU") == "menu"
    assert normalize("  ¿Qué   TAL?! ") == "que tal"
    assert normalize("Q'eqchi'") == normalize("Qʼeqchiʼ") == "qeqchi"


def test_yes_and_no_stay_words() -> None:
    matcher = ChoiceMatcher([Choice("yes", 1, ("Sí",)), Choice("no", 2, ("no",))])
    assert matcher.match(normalize("no")) == "no"
    assert matcher.match(normalize("NO")) == "no"
    assert matcher.match(normalize("si")) == "yes"
    assert matcher.match(normalize("sí")) == "yes"


def test_numbers() -> None:
    assert parse_number("12") == 12
    assert parse_number("diez") == 10
    assert parse_number("doce") is None
    assert find_integer(normalize("tengo 25 años")) == 25
    assert find_integer(normalize("entre 2 y 3")) is None


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("trabajo", "trabajo", True),
        ("trabjo", "trabajo", True),
        ("trabajjo", "trabajo", True),
        ("trabaho", "trabajo", True),
        ("tarbajo", "trabajo", True),
        ("trbjo", "trabajo", False),
        ("otrabaj", "trabajo", False),
    ],
)
def test_within_one_edit(a: str, b: str, expected: bool) -> None:
    assert within_one_edit(a, b) is expected
    assert within_one_edit(b, a) is expected


def test_destructive_keywords_are_never_typos() -> None:
    matcher = KeywordMatcher([("parar", "stop", False), ("ayuda", "help", True)])
    assert matcher.match("parar") == "stop"
    assert matcher.match("pagar") is None
    assert matcher.match("ayudaa") == "help"
    assert matcher.match("ayuda por favor") is None
