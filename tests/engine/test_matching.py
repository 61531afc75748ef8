from __future__ import annotations

import random
import unicodedata

import pytest

from outreach.engine import FlowSet
from outreach.engine.lists import ListMatcher, typo_distance
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


@pytest.fixture(scope="module")
def departments(shipped: FlowSet) -> ListMatcher[str]:
    items = shipped.lists["departments"].items
    return ListMatcher((item.value, (item.value, *item.aliases)) for item in items)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        # Case, accents, punctuation, hyphens and spaces do not count.
        ("sanmarcos", "San Marcos"),
        ("San-Marcos", "San Marcos"),
        ("SAN MARCOS!", "San Marcos"),
        ("QUICHE", "Quiché"),
        ("elquiche", "Quiché"),
        ("santarosa", "Santa Rosa"),
        ("Alta-Verapaz", "Alta Verapaz"),
        ("vivo en sanmarcos", "San Marcos"),
        # Two typos in names of nine letters or more, one from five.
        ("Huehuetango", "Huehuetenango"),  # two letters missing
        ("vivo en huehuetango", "Huehuetenango"),
        ("chimaltenago", "Chimaltenango"),
        ("Quetzaltenago", "Quetzaltenango"),
        ("Sacatepeques", "Sacatepéquez"),
        ("Retalhuelu", "Retalhuleu"),  # two letters swapped
        ("totonicapam", "Totonicapán"),
        ("Chiquimla", "Chiquimula"),
        ("escuintal", "Escuintla"),
        ("santa roza", "Santa Rosa"),
        ("el progeso", "El Progreso"),
        ("izabl", "Izabal"),
        ("Jalpa", "Jalapa"),
        ("Jutapa", "Jutiapa"),  # one from Jutiapa, two from Jalapa (six letters: one)
        ("Pete", "Petén"),
    ],
)
def test_list_answers_forgive_spelling(
    departments: ListMatcher[str], reply: str, expected: str
) -> None:
    assert departments.match(normalize(reply)) == expected


@pytest.mark.parametrize(
    "reply",
    [
        # One typo from Sacatepéquez and two from Suchitepéquez: both close enough, so
        # neither is a guess.
        "Sachatepequez",
        "verapaz",  # Alta or Baja
        "chimaltenango y chiquimula",
        # Short names forgive nothing: "Reu" (3 letters) and "Xela" (4).
        "Reo",
        "Rey",
        "Xelo",
        # Words that begin many place names name no department, even with a typo.
        "santo tomas",
        "san pedro",
        "santa lucia",
        "santa",
        # Never a number: it is more likely a late menu choice.
        "1",
        "3.",
        "uno",
        "Narnia",
        "hola",
        "no se",
        "",
    ],
)
def test_list_answers_never_guess(departments: ListMatcher[str], reply: str) -> None:
    assert departments.match(normalize(reply)) is None


def test_a_short_name_is_not_fuzz_matched_to_a_longer_one() -> None:
    matcher = ListMatcher([("Reu", ("Reu",)), ("Retalhuleu", ("Retalhuleu",))])
    assert matcher.match("reu") == "Reu"
    assert matcher.match("rey") is None  # one typo in three letters: not forgiven
    assert matcher.match("retalhuelu") == "Retalhuleu"


def test_a_near_match_close_to_two_entries_is_refused() -> None:
    matcher = ListMatcher([("a", ("Marcelo",)), ("b", ("Marcela",))])
    assert matcher.match("marcelo") == "a"
    assert matcher.match("marcel") is None  # one letter from each
    assert matcher.match("marzelo") == "a"  # one from Marcelo, two from Marcela


def _osa(a: str, b: str) -> int:
    """Optimal string alignment distance, the textbook way."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def test_typo_distance_is_the_optimal_string_alignment_distance() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        a = "".join(rng.choice("abc") for _ in range(rng.randint(0, 7)))
        b = "".join(rng.choice("abc") for _ in range(rng.randint(0, 7)))
        for limit in (1, 2, 3):
            assert typo_distance(a, b, limit) == min(_osa(a, b), limit + 1), (a, b, limit)
