"""`outreach check` warns where shaping SMS text for cost (á -> a) turns a word into
another word: "regresó" sent as "regreso" reads "I come back"."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FLOWS, ROOT, TODAY, write_flows

from outreach.authoring.check import check_content
from outreach.engine.model import SmsSettings
from outreach.flowfile import Severity
from outreach.sms.misreading import PairListError, misreadings, parse_pairs, shipped_pairs

SHAPED = SmsSettings(plain_vowels=frozenset({"es"}))

# The words the issue names whose accent SMS shaping drops (él keeps its é: GSM-7 has it).
NAMED = ["regresó", "cerró", "terminó", "está", "sí", "más", "tú", "papá"]


@pytest.mark.parametrize("word", NAMED)
def test_each_named_word_is_found_in_a_shaped_spanish_text(word: str) -> None:
    found = misreadings(f"Su familiar {word} ayer.", "es", SHAPED)
    assert [(m.written, m.sent) for m in found] == [
        (word, word.translate(str.maketrans("áíóú", "aiou")))
    ]
    assert found[0].why


def test_capitals_are_found_and_each_word_is_reported_once() -> None:
    found = misreadings("ESTÁ cerrado. Está abierto. Está.", "es", SHAPED)
    assert [(m.written, m.sent) for m in found] == [("ESTÁ", "ESTA"), ("Está", "Esta")]


def test_nothing_is_found_where_the_text_is_not_shaped() -> None:
    text = "Su familiar regresó y está bien."
    assert misreadings(text, "es", SmsSettings()) == []  # plain_vowels not opted in
    assert (
        misreadings(text, "es", SmsSettings(plain_vowels=frozenset({"es"}), channels=frozenset()))
        == []
    )
    # A word whose plain form is no other word, and é, which GSM-7 keeps.
    assert misreadings("El día que él llegue, en Petén.", "es", SHAPED) == []


def test_a_pair_that_shaping_does_not_produce_is_refused() -> None:
    # término keeps its é: listing it would claim a protection the check cannot give.
    with pytest.raises(PairListError, match="line 2: 'término' is sent as 'término'"):
        parse_pairs("# comment\ntérmino termino  # why\n", "es", SHAPED)
    with pytest.raises(PairListError, match="line 1: expected"):
        parse_pairs("está esta\n", "es", SHAPED)


def test_the_shipped_lists_load_and_hold_the_named_pairs() -> None:
    spanish = shipped_pairs("es")
    assert set(NAMED) <= set(spanish)
    assert shipped_pairs("en") == {}  # English has no pair of its own (see en.txt)
    assert shipped_pairs("xx") == {}


def _flow(text: str) -> str:
    return f"""\
flow: news
name: News
keywords: [noticias]
provenance: {{source: test, verified_on: 2026-11-01, review_by: 2027-06-01, sample: true}}
nodes:
  first:
    type: message
    text: Bienvenido.
    next: second
  second:
    type: message
    text: {text}
"""


def _shaped_deployment(folder: Path, plain_vowels: str) -> None:
    path = folder / "deployment.yaml"
    path.write_text(
        path.read_text(encoding="utf-8") + f"sms:\n  plain_vowels: {plain_vowels}\n",
        encoding="utf-8",
    )


def test_check_warns_at_the_node_that_holds_the_word(tmp_path: Path) -> None:
    folder = write_flows(tmp_path / "flows", {"news.yaml": _flow("Su familiar regresó ayer.")})
    _shaped_deployment(folder, "[es]")
    report = check_content([folder], TODAY, tmp_path / "locales", 90)
    assert not report.result.errors
    warned = [p for p in report.problems if "SMS shaping" in p.message]
    lines = (folder / "news.yaml").read_text(encoding="utf-8").splitlines()
    second = lines.index("  second:") + 1
    assert [(Path(p.place.path).name, p.place.line, p.place.col) for p in warned] == [
        ("news.yaml", second, 3)
    ]
    assert warned[0].severity is Severity.WARNING
    assert "news/second (es)" in warned[0].message
    assert "'regresó' as 'regreso'" in warned[0].message


def test_check_is_silent_when_the_language_is_not_shaped(tmp_path: Path) -> None:
    folder = write_flows(tmp_path / "flows", {"news.yaml": _flow("Su familiar regresó ayer.")})
    _shaped_deployment(folder, "[]")
    report = check_content([folder], TODAY, tmp_path / "locales", 90)
    assert not report.result.errors
    assert not [p for p in report.problems if "SMS shaping" in p.message]


def test_the_shipped_content_has_no_word_that_shaping_changes() -> None:
    report = check_content([FLOWS], TODAY, ROOT / "locales", 90)
    assert [str(p) for p in report.problems if "SMS shaping" in p.message] == []
