"""SMS encoding and segments must agree with Twilio's reference calculator."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from conftest import ROOT
from make_segment_expectations import EXPECTED, NODE_MODULES, reference
from segment_corpus import corpus

from outreach.cli import main
from outreach.engine.model import SmsSettings
from outreach.sms import segment_info, shape
from outreach.sms.segments import graphemes


def committed() -> list[dict[str, object]]:
    with EXPECTED.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def test_committed_expectations_are_the_current_corpus() -> None:
    expected = committed()
    assert len(expected) >= 2400
    assert [e["text"] for e in expected] == corpus()


def test_agrees_with_the_committed_reference_values() -> None:
    mismatches = []
    for entry in committed():
        text = str(entry.pop("text"))
        ours = segment_info(text).to_dict()
        if ours != entry:
            mismatches.append((text[:40], ours, entry))
    assert mismatches == []


@pytest.mark.skipif(
    shutil.which("node") is None or not (NODE_MODULES / "sms-segments-calculator").exists(),
    reason="Node or the npm reference calculator is not installed (make test installs it "
    "when npm exists); the committed reference values were checked instead",
)
def test_agrees_with_the_npm_calculator_run_now() -> None:
    texts = corpus()
    live = reference(texts)
    ours = [segment_info(text).to_dict() for text in texts]
    assert ours == live


@pytest.mark.parametrize(
    ("text", "encoding", "segments", "characters"),
    [
        ("a" * 160, "GSM-7", 1, 160),
        ("a" * 161, "GSM-7", 2, 161),
        ("a" * 306, "GSM-7", 2, 306),
        ("a" * 307, "GSM-7", 3, 307),
        ("€" * 80, "GSM-7", 1, 160),
        ("a" * 152 + "€" + "a" * 8, "GSM-7", 2, 162),
        ("á" * 70, "UCS-2", 1, 70),
        ("á" * 71, "UCS-2", 2, 71),
        ("a" * 66 + "🙂", "UCS-2", 1, 67),
        ("a" * 66 + "🙂" + "a" * 3, "UCS-2", 2, 70),
        ("Información", "UCS-2", 1, 11),
        ("Niño, ¿qué tal? ¡Bien!", "GSM-7", 1, 22),
    ],
)
def test_boundaries(text: str, encoding: str, segments: int, characters: int) -> None:
    info = segment_info(text)
    assert (info.encoding, info.segments, info.characters) == (encoding, segments, characters)


@pytest.mark.parametrize(
    ("text", "segments", "characters", "non_gsm"),
    [
        # Graphemes as grapheme-splitter 1.0.4 (Unicode 10 rules) splits them, not Unicode 15.
        ("á" * 63 + "❤️‍🔥" + "a" * 63, 2, 128, ("á", "❤️‍", "🔥")),
        ("🫱🏻‍🫲🏼", 1, 4, ("🫱", "🏻‍", "🫲", "🏼")),
        ("🧑‍🧑‍🧒", 1, 3, ("🧑‍", "🧒")),
        ("👨‍👩‍👧 👍🏽 🇬🇹", 1, 5, ("👨‍👩‍👧", "👍🏽", "🇬🇹")),
        ("क्ष", 1, 2, ("क्", "ष")),
        # The calculator does not recheck the second segment after moving characters into it.
        ("e" + "\u0301" * 64 + "aaaaa" + "e" + "\u0301" * 64, 2, 7, ("e" + "\u0301" * 64,)),
        # One grapheme larger than a segment: a first segment with nothing but its header.
        ("e" + "\u0301" * 70, 2, 1, ("e" + "\u0301" * 70,)),
        # Lone surrogates (valid in JSON) are one UCS-2 unit each.
        ("\ud83d", 1, 1, ("\ud83d",)),
        ("a\ude00" * 40, 2, 80, ("\ude00",)),
    ],
)
def test_counts_graphemes_as_the_calculator_does(
    text: str, segments: int, characters: int, non_gsm: tuple[str, ...]
) -> None:
    info = segment_info(text)
    assert (info.encoding, info.segments, info.characters) == ("UCS-2", segments, characters)
    assert info.non_gsm == non_gsm


def test_a_surrogate_pair_in_two_code_points_is_one_character() -> None:
    assert segment_info("\ud83d\ude00") == segment_info("😀")
    assert graphemes("\ud83d\ude00\ud83d") == ["😀", "\ud83d"]


def test_graphemes_keep_cr_and_lf_apart() -> None:
    assert graphemes("a\r\nb") == ["a", "\r", "\n", "b"]
    assert graphemes("ok\r\n🇬🇹\u0301\r\n") == ["o", "k", "\r", "\n", "🇬🇹\u0301", "\r", "\n"]


def test_names_the_characters_that_force_ucs2() -> None:
    assert segment_info("Kʼicheʼ y Información").non_gsm == ("ʼ", "ó")
    assert segment_info("Hola").non_gsm == ()


def test_shaping_keeps_sms_gsm7_and_leaves_whatsapp_alone() -> None:
    shaping = SmsSettings(1, None, frozenset({"es"}), frozenset({"sms"}))
    text = "“Información” — Xaʼbʼcʼ… ¿Sí?"
    sms = shape(text, "es", "sms", shaping)
    assert sms == "\"Informacion\" - Xa'b'c'... ¿Si?"
    assert segment_info(sms).encoding == "GSM-7"
    assert shape(text, "es", "whatsapp", shaping) == text
    # Plain vowels are opt-in per language: Mayan text keeps them (and ë stays UCS-2).
    assert shape("Xïx xaxbʼe á", "cak", "sms", shaping) == "Xïx xaxb'e á"


@pytest.mark.parametrize("language", ["es", "en", "cak"])
def test_shaping_does_what_translating_with_its_table_does(language: str) -> None:
    """shape() stops only at the characters its table changes; the result must be the
    table applied to every character, whatever stands around them."""
    from outreach.sms.shaping import shaping_table

    shaping = SmsSettings(1, None, frozenset({"es"}), frozenset({"sms"}))
    table = shaping_table(language, "sms", shaping)
    changed = "".join(map(chr, table))
    kept = "aé\n\t`'\"\\[]^-🙂\ud83d\u200dáñ¿"
    texts = [changed, changed[::-1], kept + changed + kept, *(c + kept + c for c in changed)]
    for text in texts:
        assert shape(text, language, "sms", shaping) == text.translate(table)


def test_segments_command(cli: CliRunner) -> None:
    result = cli.invoke(main, ["segments", "Hola", "Información"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "GSM-7  1 segment(s)    4 characters  Hola",
        "UCS-2  1 segment(s)   11 characters  Información  (UCS-2 because of: 'ó')",
    ]


def test_segments_command_json_lines_from_stdin(cli: CliRunner) -> None:
    lines = "".join(json.dumps(t) + "\n" for t in ["Hola", "á" * 71, "€"])
    result = cli.invoke(main, ["segments", "-", "--json"], input=lines)
    assert result.exit_code == 0
    out = [json.loads(line) for line in result.output.splitlines()]
    assert out == [
        {"encoding": "GSM-7", "segments": 1, "characters": 4, "non_gsm": []},
        {"encoding": "UCS-2", "segments": 2, "characters": 71, "non_gsm": ["á"]},
        {"encoding": "GSM-7", "segments": 1, "characters": 2, "non_gsm": []},
    ]


def test_segments_command_rejects_a_line_that_is_not_json(cli: CliRunner) -> None:
    result = cli.invoke(main, ["segments", "-", "--json"], input='"ok"\nnot json\n')
    assert result.exit_code == 1
    assert "line 2: not a JSON string" in result.output


def test_the_reference_runner_is_committed() -> None:
    assert (ROOT / "tests" / "js" / "segments_reference.js").exists()


def test_check_prices_the_shaped_text(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = cli.invoke(main, ["check", "--costs", "--today", "2026-12-03"])
    rows = [line for line in result.output.splitlines() if "programmes/ask_department es" in line]
    # "¿En qué departamento vive?": é is GSM-7, and the deployment makes Spanish SMS plain.
    assert rows and "GSM-7 1 SMS" in rows[0]
    assert "flows/programmes.yaml:" in rows[0]


def test_check_reports_the_median_segments_per_message(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    result = cli.invoke(main, ["check", "--costs", "--today", "2026-12-03"])
    summary = [line for line in result.output.splitlines() if line.startswith("es: median ")]
    assert summary == [summary[0]] and " SMS per message, " in summary[0]
    assert summary[0].startswith("es: median 1 SMS per message")
