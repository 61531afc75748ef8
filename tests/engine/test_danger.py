"""Danger words anywhere in a message: the emergency message at once, the conversation
left where it was, a typed event, and `outreach check` reporting collisions."""

from __future__ import annotations

from pathlib import Path

from conftest import FLOWS, NOON, TODAY, Resident, write_flows

from outreach.engine import Engine, FlowSet, Inbound, counter_ids
from outreach.engine import events as ev
from outreach.engine.matching import PhraseSpotter, normalize
from outreach.flowfile import load
from outreach.sms import segment_info
from outreach.sms.shaping import shape

EMERGENCY = "En peligro, llame ya a la Policía: 110."


def spot(spotter: PhraseSpotter[str], text: str) -> set[str]:
    return spotter.spot(normalize(text))


def test_words_and_phrases_are_found_anywhere_forgiving_case_accents_and_a_typo() -> None:
    spotter = PhraseSpotter([("no aparece", "missing"), ("secuestro", "kidnap"), ("trata", "t")])
    assert spot(spotter, "ayuda por favor mi hijo NO APARECE") == {"missing"}
    assert spot(spotter, "fue un secuestró") == {"kidnap"}
    assert spot(spotter, "un secuestor") == {"kidnap"}  # two letters swapped
    assert spot(spotter, "es trata, no aparece") == {"t", "missing"}
    # The words of a phrase must follow each other.
    assert spot(spotter, "no sé si aparece") == set()


def test_short_words_are_never_read_as_typos_in_free_text() -> None:
    spotter = PhraseSpotter([("trata", "t"), ("matar", "m")])
    assert spot(spotter, "buen trato, una rata, matas") == set()
    assert spot(spotter, "tratar") == set()


def test_a_danger_word_inside_an_everyday_phrase_is_no_danger() -> None:
    """ "Se trata de un trabajo" (it is about a job) holds "trata" and is no danger; a
    danger phrase reaching beyond the not-meant phrase still counts."""
    spotter = PhraseSpotter(
        [("trata", "t"), ("trata de personas", "t"), ("me pega", "v")],
        not_meant=["se trata", "trata de"],
    )
    assert spot(spotter, "Se trata de un trabajo en Canadá?") == set()
    assert spot(spotter, "se trató de la visa") == set()  # accents never matter
    assert spot(spotter, "trata") == {"t"}
    assert spot(spotter, "victima de trata") == {"t"}
    assert spot(spotter, "es trata de personas") == {"t"}  # longer than "trata de"
    assert spot(spotter, "se trata de trata") == {"t"}  # the second one is not covered
    assert spot(spotter, "se trata de que me pega") == {"v"}


def test_the_shipped_deployment_takes_se_trata_for_no_danger(resident: Resident) -> None:
    resident.says("hola")
    for text, danger in [
        ("se trata de un trabajo en Estados Unidos?", False),
        ("creo que es trata", True),
        ("mi prima es victima de trata", True),
    ]:
        reply = resident.says(text)  # resident.events: this turn's
        recognised = any(isinstance(e, ev.DangerRecognised) for e in resident.events)
        assert recognised == danger, text
        assert (EMERGENCY in reply) == danger, reply


def test_danger_as_the_first_message_gets_the_emergency_message_only(resident: Resident) -> None:
    reply = resident.says("secuestraron a mi hijo")
    assert reply.startswith(EMERGENCY)
    assert "No entendí" not in reply
    danger = [e for e in resident.events if isinstance(e, ev.DangerRecognised)]
    assert [(e.flow, e.node, e.language) for e in danger] == [(None, None, "es")]
    # The event keeps where it happened, never the resident's words.
    assert "secuestr" not in str(danger[0].to_dict())


def test_danger_mid_question_leaves_the_question_waiting(resident: Resident) -> None:
    resident.says("hola")
    resident.says("3")
    waiting = [(f.flow, f.node) for f in resident.session.stack]
    assert resident.says("me tienen encerrada en Huehuetenango").startswith(EMERGENCY)
    assert [(f.flow, f.node) for f in resident.session.stack] == waiting
    assert "department" not in resident.session.fields
    assert resident.says("huehue").startswith("¿Qué busca en Huehuetenango?")


def test_a_whole_answer_of_the_current_menu_stays_that_answer(resident: Resident) -> None:
    resident.says("hola")
    resident.says("1")
    # "Secuestros en la ruta" is the label of the risks menu's option 6: the resident
    # chose it.
    assert "US$10,000" in resident.says("Secuestros en la ruta")
    assert "danger_recognised" not in resident.kinds()
    resident.says("riesgo")
    # Anything else holding a danger word is danger, even at that menu: "secuestros" is
    # one letter from "secuestro" (no label is a danger word, `outreach check` sees to it).
    assert resident.says("secuestros").startswith(EMERGENCY)
    assert resident.says("secuestro").startswith(EMERGENCY)


def test_in_the_emergency_flow_the_menu_understands_the_words_first(resident: Resident) -> None:
    resident.says("emergencia")
    reply = resident.says("mi hijo no aparece")
    assert "no deposite dinero" in reply
    assert "danger_recognised" not in resident.kinds()
    resident.says("emergencia")
    # Words the emergencies menu does not understand are still a danger (counted), but
    # the emergency message would only say "escriba EMERGENCIA", the menu they are at:
    # the menu comes again, with the number to call first and the choices.
    reply = resident.says("me quieren matar")
    assert "danger_recognised" in resident.kinds()
    assert reply.startswith("Si corre peligro, llame al 110. ¿Qué pasa?"), reply
    assert "escriba EMERGENCIA" not in reply and "No entendí" not in reply
    assert "no deposite dinero" in resident.says("1")  # a number chooses, as before
    # Elsewhere in the emergency content (its usefulness question), the message as always.
    assert resident.says("me quieren matar").startswith(EMERGENCY)


def test_an_opted_out_resident_gets_nothing(resident: Resident) -> None:
    resident.says("hola")
    resident.says("BAJA")
    assert resident.says("auxilio") == ""


def test_the_words_language_settles_a_new_residents_language(shipped: FlowSet) -> None:
    engine = Engine(shipped, new_id=counter_ids(), languages=["es", "en"])
    sprint = engine.resume(None, Inbound("they kidnapped my son"), NOON)
    assert sprint.session.language == "en" and sprint.session.language_chosen
    assert [e.kind for e in sprint.events] == ["language_changed", "danger_recognised",
                                               "msg_created"]  # fmt: skip
    sprint = engine.resume(None, Inbound("secuestraron a mi hijo"), NOON)
    assert sprint.session.language == "es"


def test_the_emergency_message_is_one_sms_in_every_shaped_language(shipped: FlowSet) -> None:
    danger = shipped.deployment.danger
    assert danger is not None
    sent = shape(danger.text, "es", "sms", shipped.deployment.sms)
    assert segment_info(sent).segments == 1
    assert "110" in sent and "911" in sent and "1-888-373-7888" in sent


def _with_flow(tmp_path: Path, flow: str) -> Path:
    deployment = (FLOWS / "deployment.yaml").read_text(encoding="utf-8")
    files = {"deployment.yaml": deployment.replace("  flow: emergencies\n", "")}
    for name in ("main.yaml", "departments.yaml"):
        files[name] = (FLOWS / name).read_text(encoding="utf-8")
    files["case.yaml"] = flow
    return write_flows(tmp_path, files)


CASE = """
flow: case
name: Case
keywords: [{keyword}]
provenance: {{source: test, verified_on: 2026-11-01, review_by: 2027-06-01, sample: true}}
nodes:
  a:
    type: menu
    text: Elija
    options:
      - label: Uno
        keywords: [{answer}]
        go: b
      - label: Dos
        go: b
  b:
    type: message
    text: B
"""


def test_check_reports_an_answer_that_is_a_danger_word(tmp_path: Path) -> None:
    folder = _with_flow(tmp_path, CASE.format(keyword="caso", answer="secuestro"))
    result = load([folder], TODAY)
    warnings = [str(p) for p in result.problems if "danger word" in p.message]
    assert len(warnings) == 1
    assert "deployment.yaml:" in warnings[0] and "case.yaml:12:20" in warnings[0]
    assert "typed alone there it is that answer" in warnings[0]


def test_check_reports_a_flow_keyword_holding_a_danger_word(tmp_path: Path) -> None:
    folder = _with_flow(tmp_path, CASE.format(keyword="pedir auxilio", answer="uno mas"))
    result = load([folder], TODAY)
    errors = [str(p) for p in result.errors if "danger word" in p.message]
    assert len(errors) == 1 and "case.yaml:4:" in errors[0]
    assert "never the flow" in errors[0]


def test_check_reports_an_answer_one_letter_from_a_danger_word(tmp_path: Path) -> None:
    """The engine forgives one typo in longer words, so an answer "secuestros" is the
    danger word "secuestro" anywhere else, and the answer at its menu: reported."""
    folder = _with_flow(tmp_path, CASE.format(keyword="caso", answer="secuestros"))
    warnings = [str(p) for p in load([folder], TODAY).problems if "danger word" in p.message]
    assert len(warnings) == 1 and "case.yaml:12:20" in warnings[0], warnings


def test_check_reports_a_translated_answer_that_is_a_danger_word(tmp_path: Path) -> None:
    """The shipped English catalog once had "threat" among the extortion option's words
    and "Kidnapping" as the kidnapping option's label: English danger words, so typed
    alone at the risks menu they were the topic, never the emergency message."""
    import shutil

    from conftest import ROOT

    from outreach.i18n.check import check_translated_danger_answers

    locales = tmp_path / "locales"
    shutil.copytree(ROOT / "locales", locales)
    po = locales / "en" / "LC_MESSAGES" / "flows.po"
    text = po.read_text(encoding="utf-8")
    po.write_text(
        text.replace(
            'msgid "extorsion"\nmsgstr "extortion"', 'msgid "extorsion"\nmsgstr "extortion, threat"'
        ),
        encoding="utf-8",
    )
    shipped = load([FLOWS], TODAY).flowset
    assert shipped is not None
    codes = [lang.code for lang in shipped.deployment.languages]
    warnings = [str(p) for p in check_translated_danger_answers(shipped, locales, codes)]
    assert len(warnings) == 1, warnings
    assert "flows.po:" in warnings[0] and "'threat' of option 4 of risks/menu" in warnings[0]
    assert "danger word 'threats'" in warnings[0]  # one letter from it
    # The shipped catalogs have none.
    assert check_translated_danger_answers(shipped, ROOT / "locales", codes) == []
