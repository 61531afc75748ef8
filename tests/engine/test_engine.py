from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import NOON, TODAY, Resident, write_flows

from outreach.engine import Engine, FlowSet, Inbound, Session, counter_ids
from outreach.engine import events as ev
from outreach.engine.model import Flow, MessageNode, Provenance
from outreach.flowfile import load

#: Small content files of these tests (next to tests/broken_flows/base's deployment).
CONTENT = Path(__file__).parent / "flows"

MAIN_MENU = "¿Sobre qué quiere saber?"
NOT_FOUND = "No encontré ese departamento. Responda con su número:"


def test_first_message_greets_and_shows_the_main_menu(resident: Resident) -> None:
    reply = resident.says("hola")
    assert reply.startswith("Hola. Servicio sobre migración")
    assert "CONTENIDO DE EJEMPLO" in reply
    assert f"{MAIN_MENU}\n1. Riesgos de migrar" in reply
    assert "No guardamos su número (salvo si pide ALERTAS) ni lo que escribe" in reply
    # The welcome runs first; the main menu waits under it and follows.
    assert resident.kinds()[:3] == ["flow_started", "flow_started", "node_visited"]
    assert [f.flow for f in resident.session.stack] == ["main"]


def test_menu_choices_walk_two_levels_and_menu_comes_back(resident: Resident) -> None:
    resident.says("hola")
    assert resident.says("2").startswith("Caminos legales. Elija un tema:")
    assert resident.says("1").startswith("Trabajo Temporal en el Extranjero, del Ministerio")
    assert resident.says("1)").startswith("Nadie puede cobrarle por darle un trabajo")
    reply = resident.says("MENÚ")
    assert reply.startswith(MAIN_MENU)
    assert "Hola." not in reply  # the menu command skips the welcome


def test_typing_no_chooses_the_no_option(resident: Resident) -> None:
    resident.says("hola")
    resident.says("1")  # risks
    assert "¿Le fue útil" in resident.says("2")  # extortion, then the feedback question
    reply = resident.says("no")
    assert reply.startswith("Gracias por decirnos.")
    saved_node = [e for e in resident.events if isinstance(e, ev.NodeVisited)]
    assert ("feedback", "sorry") in [(e.flow, e.node) for e in saved_node]


def test_sub_flow_completes_and_returns_to_the_calling_menu(resident: Resident) -> None:
    resident.says("hola")
    resident.says("1")
    resident.says("3")
    reply = resident.says("sí")
    assert reply.startswith("Gracias por su respuesta.")
    assert MAIN_MENU in reply
    completed = [e.flow for e in resident.events if isinstance(e, ev.FlowCompleted)]
    assert completed == ["feedback", "risks"]
    assert [f.flow for f in resident.session.stack] == ["main"]


def test_question_with_a_list_saves_the_canonical_value(resident: Resident) -> None:
    resident.says("hola")
    assert "¿En qué departamento vive?" in resident.says("3")
    reply = resident.says("huehue")
    assert reply.startswith("¿Qué busca en Huehuetenango?")
    assert resident.session.fields == {"department": "Huehuetenango"}
    saved = [e for e in resident.events if isinstance(e, ev.FieldSaved)]
    assert [(e.field, e.value) for e in saved] == [("department", "Huehuetenango")]


@pytest.mark.parametrize(
    ("answer", "department"),
    [
        ("Petén", "Petén"),
        ("PETEN", "Petén"),
        ("xela", "Quetzaltenango"),
        ("Quiche", "Quiché"),
        ("el quiché", "Quiché"),
        ("Totonicapan", "Totonicapán"),
        # Spaces, hyphens and typos, as typed on basic phones.
        ("Huehuetango", "Huehuetenango"),
        ("sanmarcos", "San Marcos"),
        ("San-Marcos", "San Marcos"),
        ("QUICHE", "Quiché"),
        ("Quetzaltenago", "Quetzaltenango"),
        ("vivo en chimaltenago", "Chimaltenango"),
    ],
)
def test_departments_accept_common_spellings(
    resident: Resident, answer: str, department: str
) -> None:
    resident.says("hola")
    resident.says("3")
    resident.says(answer)
    assert resident.session.fields["department"] == department


@pytest.mark.parametrize("answer", ["Sachatepequez", "Reo", "santo tomas"])
def test_a_department_is_never_a_guess(resident: Resident, answer: str) -> None:
    # Sachatepequez is one typo from Sacatepéquez and two from Suchitepéquez; Reo is
    # too short to forgive; Santo Tomás is a town, not Santa Rosa.
    resident.says("hola")
    resident.says("3")
    assert resident.says(answer).startswith(NOT_FOUND)
    assert "department" not in resident.session.fields


def test_wrong_answer_retries_then_offers_help_and_menu(resident: Resident) -> None:
    resident.says("hola")
    resident.says("3")
    first = resident.says("Narnia")
    assert first.startswith(NOT_FOUND)
    assert "1. Alta Verapaz" in first  # the numbered list stands for the question
    second = resident.says("Narnia otra vez")
    assert "MENU" in second and "AYUDA" in second
    # What is asked comes again, so the resident knows what to answer (issue 14).
    assert second.endswith(
        "¿En qué departamento vive? Escriba el nombre, por ejemplo Huehuetenango."
    )
    attempts = [e.attempt for e in resident.events if isinstance(e, ev.InputNotUnderstood)]
    assert attempts == [2]
    # A right answer resets the count.
    resident.says("Zacapa")
    assert resident.session.not_understood == 0


def test_branch_remembers_a_saved_field(resident: Resident) -> None:
    resident.says("hola")
    resident.says("3")
    resident.says("Jalapa")
    resident.says("menu")
    reply = resident.says("3")
    assert reply.startswith("¿Sigue viviendo en Jalapa?")
    assert resident.says("No").startswith("¿En qué departamento vive?")


def test_entry_keyword_opens_a_flow_from_anywhere(resident: Resident) -> None:
    resident.says("hola")
    resident.says("2")
    reply = resident.says("extorsion")
    assert reply.startswith("Riesgos. Elija un tema:")
    assert [f.flow for f in resident.session.stack] == ["risks"]


def test_help_keeps_the_resident_where_they_were(resident: Resident) -> None:
    resident.says("hola")
    resident.says("1")
    reply = resident.says("AYUDA")
    assert reply.startswith("Responda con el número de una opción.")
    assert reply.endswith("6. Secuestros en la ruta\n7. Coyotes y deudas")
    assert "help_requested" in resident.kinds()


def test_stop_silences_everything_until_start(resident: Resident) -> None:
    resident.says("hola")
    assert resident.says("BAJA").startswith("No le enviaremos mensajes.")
    assert "opt_out_requested" in resident.kinds()
    assert resident.says("hola") == ""
    assert resident.says("1") == ""
    assert resident.events == []
    reply = resident.says("alta")
    assert reply.startswith("Le damos la bienvenida de nuevo.")
    assert "opt_in_requested" in resident.kinds()


def test_delete_forgets_everything(resident: Resident) -> None:
    resident.says("hola")
    resident.says("3")
    resident.says("Izabal")
    assert resident.says("borrar mis datos").startswith("Borramos todos sus datos.")
    assert "erasure_requested" in resident.kinds()
    assert resident.session.fields == {}
    assert resident.session.stack == []


def test_stop_and_delete_words_must_be_exact(resident: Resident) -> None:
    resident.says("hola")
    resident.says("pagar")  # one letter from "parar": not a stop
    assert "opt_out_requested" not in resident.kinds()
    resident.says("borar")
    assert "erasure_requested" not in resident.kinds()


def test_language_command_lists_languages(resident: Resident) -> None:
    resident.says("hola")
    assert resident.says("idioma") == "Elija su idioma:\n1. Español"
    reply = resident.says("1")
    assert reply.startswith("Idioma cambiado.")
    assert MAIN_MENU in reply


def test_idle_session_expires_to_the_main_menu_without_the_notice_again(
    resident: Resident,
) -> None:
    resident.says("hola")
    resident.says("1")
    resident.now = NOON + timedelta(days=3, minutes=1)
    assert resident.says("2").startswith(MAIN_MENU)
    assert resident.says("hola").startswith(f"Qué bueno que volvió.\n{MAIN_MENU}")


def test_session_within_timeout_continues(resident: Resident) -> None:
    resident.says("hola")
    resident.says("1")
    resident.now = NOON + timedelta(days=2, hours=23)
    assert resident.says("2").startswith("Estafas de hoy: CBP One ya no existe")


def test_same_inputs_give_the_same_sprint(shipped: FlowSet) -> None:
    def run() -> list[dict[str, object]]:
        engine = Engine(shipped, new_id=counter_ids(), languages=["es"])
        session = None
        out: list[dict[str, object]] = []
        for text in ["hola", "3", "Sololá", "2", "no"]:
            sprint = engine.resume(session, Inbound(text), NOON)
            session = sprint.session
            out += [e.to_dict() for e in sprint.events]
        return out

    first, second = run(), run()
    assert first == second
    assert json.dumps(first)  # events are plain data too
    runs = {e["run"] for e in first if e["kind"] == "flow_started"}
    assert runs == {"run-1", "run-2", "run-3", "run-4"}


def test_resume_does_not_change_the_session_it_was_given(engine: Engine) -> None:
    first = engine.resume(None, Inbound("hola"), NOON).session
    before = first.to_dict()
    engine.resume(first, Inbound("1"), NOON)
    assert first.to_dict() == before


def test_loop_guard_ends_a_turn_that_never_waits(shipped: FlowSet) -> None:
    # The checker refuses such flows, so build one directly, as a bug might.
    provenance = Provenance("test", date(2026, 1, 1), date(2027, 1, 1), True)
    loop = Flow(
        "welcome",
        "Loop",
        {"a": MessageNode("a", "A", "b"), "b": MessageNode("b", "B", "a")},
        provenance,
    )
    flows = FlowSet(shipped.deployment, {**shipped.flows, "welcome": loop}, shipped.lists)
    engine = Engine(flows, new_id=counter_ids(), max_steps=10, languages=["es"])
    sprint = engine.resume(None, Inbound("hola"), NOON)
    failures = [e for e in sprint.events if isinstance(e, ev.RunFailed)]
    assert len(failures) == 1
    assert "10 steps" in failures[0].reason
    assert sprint.session.stack == []
    # A content fault is not the resident's: they are told so, and offered the menu.
    assert sprint.messages[-1].startswith("Lo sentimos, hubo un error de nuestro lado.")


def test_loop_guard_also_holds_when_opting_back_in(shipped: FlowSet) -> None:
    engine = Engine(shipped, new_id=counter_ids(), max_steps=2, languages=["es"])
    session = None
    # Opted out before any greeting: opting in runs the whole welcome, too many steps.
    for text in ["baja", "alta"]:
        sprint = engine.resume(session, Inbound(text), NOON)
        session = sprint.session
    assert "run_failed" in [e.kind for e in sprint.events]


def test_a_session_pointing_at_a_removed_node_starts_again(engine: Engine) -> None:
    stale = Session.from_dict(
        {
            "language": "es",
            "language_chosen": True,
            "stack": [{"flow": "programmes", "node": "old_node", "run": "r"}],
        }
    )
    sprint = engine.resume(stale, Inbound("1"), NOON)
    kinds = [e.kind for e in sprint.events]
    assert kinds[0] == "run_failed"
    assert "¿Sobre qué quiere saber?" in "\n".join(sprint.messages)


def test_delete_works_even_after_stop(resident: Resident) -> None:
    resident.says("hola")
    resident.says("3")
    resident.says("Izabal")
    resident.says("baja")
    assert resident.says("borrar").startswith("Borramos todos sus datos.")
    assert "erasure_requested" in resident.kinds()
    assert resident.session.fields == {}
    assert resident.session.opted_out  # still nothing is sent until ALTA
    assert resident.says("hola") == ""


def test_list_questions_do_not_take_numbers_they_never_showed(resident: Resident) -> None:
    resident.says("hola")
    resident.says("3")
    assert resident.says("1").startswith(NOT_FOUND)
    assert "department" not in resident.session.fields


def test_an_unknown_department_gets_the_numbered_list_and_a_number_chooses(
    resident: Resident,
) -> None:
    resident.says("hola")
    resident.says("3")
    resident.events.clear()
    resident.says("no sé")
    parts = [e.text for e in resident.events if isinstance(e, ev.MessageCreated)]
    lines = "\n".join(parts).splitlines()
    assert lines[0] == NOT_FOUND
    departments = [item.value for item in resident.engine.flows.lists["departments"].items]
    assert lines[1:] == [f"{n}. {name}" for n, name in enumerate(departments, start=1)]
    # Several messages, each short enough for one SMS, split between two items.
    assert len(parts) > 1 and all(len(part) <= 150 for part in parts)
    assert resident.session.list_shown
    # A number beyond the list is not an answer; one on it is.
    assert "department" not in resident.session.fields
    resident.says(str(len(departments) + 1))
    assert "department" not in resident.session.fields
    assert resident.says("uno").startswith("¿Qué busca en Alta Verapaz?")
    assert resident.session.fields["department"] == "Alta Verapaz"
    assert not resident.session.list_shown


def test_names_still_answer_once_the_list_is_shown(resident: Resident) -> None:
    resident.says("hola")
    resident.says("3")
    resident.says("Narnia")
    assert resident.says("xela").startswith("¿Qué busca en Quetzaltenango?")


def test_a_shown_list_is_forgotten_when_the_question_comes_again(resident: Resident) -> None:
    resident.says("hola")
    resident.says("3")
    resident.says("Narnia")
    resident.says("8")
    resident.says("menu")
    resident.says("3")
    assert resident.says("no").startswith("¿En qué departamento vive?")
    # The list was for the last time the question was asked: "2" is not Baja Verapaz.
    assert resident.says("2").startswith(NOT_FOUND)
    assert resident.session.fields["department"] == "Huehuetenango"


def test_entering_a_flow_by_keyword_resets_the_not_understood_count(resident: Resident) -> None:
    resident.says("hola")
    resident.says("xx")
    resident.says("trabajo")
    assert resident.says("Narnia").startswith(NOT_FOUND)


@pytest.mark.parametrize("reply", ["opción 2", "la 2", "Opcion dos", "number 2"])
def test_numbers_with_words_around_them(resident: Resident, reply: str) -> None:
    resident.says("hola")
    assert resident.says(reply).startswith("Caminos legales.")


def test_a_huge_number_is_just_not_understood(resident: Resident) -> None:
    resident.says("hola")
    assert resident.says("9" * 5000).startswith("No entendí")


QUESTIONS = (CONTENT / "survey.yaml").read_text(encoding="utf-8")


def resident_of(tmp_path: Path, files: dict[str, str]) -> Resident:
    """A resident talking to these content files (next to a small valid deployment)."""
    folder = write_flows(tmp_path / "flows", files)
    result = load([folder], TODAY)
    assert result.flowset is not None, result.errors
    return Resident(Engine(result.flowset, new_id=counter_ids()))


@pytest.fixture
def survey(tmp_path: Path) -> Resident:
    return resident_of(tmp_path, {"survey.yaml": QUESTIONS})


def test_number_and_yes_no_questions_and_end(survey: Resident) -> None:
    assert survey.says("encuesta") == "¿Cuántos años tiene?"
    assert survey.says("12") == "Un número.\n¿Cuántos años tiene?"
    assert survey.says("tengo 30") == "¿Piensa viajar? (si/no)"
    assert survey.says("quizás").startswith("SI o NO.")
    assert survey.says("Sí, claro") == "Con 30 años, cuídese.\nFin."
    assert survey.session.fields == {"age": "30", "travel": "yes"}
    assert survey.session.stack == []
    assert survey.kinds().count("flow_completed") == 1


def test_no_answer_takes_the_other_branch(survey: Resident) -> None:
    survey.says("encuesta")
    survey.says("treinta")  # not a number word we know: retry
    survey.says("40")
    assert survey.says("NO") == "Bien.\nFin."


def test_text_answers_are_saved_as_written(tmp_path: Path) -> None:
    flow = QUESTIONS.replace("check: yes_no", "check: text").replace(
        'text: "Con {age} años, cuídese."', 'text: "Anotado: {travel}."'
    )
    resident = resident_of(tmp_path, {"survey.yaml": flow})
    resident.says("encuesta")
    resident.says("40")
    resident.says("  José  Pérez-Núñez! ")
    assert resident.session.fields["travel"] == "José Pérez-Núñez!"


def test_after_the_end_the_next_message_starts_again(survey: Resident) -> None:
    survey.says("encuesta")
    survey.says("40")
    survey.says("no")
    assert survey.says("hola").startswith("Elija:")


COLOURS = (CONTENT / "colours.yaml").read_text(encoding="utf-8")

PICK = (CONTENT / "pick.yaml").read_text(encoding="utf-8")


def test_a_list_that_is_not_numbered_asks_again_and_never_takes_numbers(
    tmp_path: Path,
) -> None:
    resident = resident_of(tmp_path, {"colours.yaml": COLOURS, "pick.yaml": PICK})
    assert not resident.engine.flows.lists["colours"].numbered
    resident.says("color")
    assert resident.says("1") == "No lo conozco.\n¿Qué color?"
    assert not resident.session.list_shown
    assert resident.says("verde") == "Anotado: Verde."


def test_the_same_list_numbered_shows_its_items_instead(tmp_path: Path) -> None:
    numbered = COLOURS.replace("list: colours\n", "list: colours\nnumbered: true\n")
    resident = resident_of(tmp_path, {"colours.yaml": numbered, "pick.yaml": PICK})
    resident.says("color")
    assert resident.says("1") == "No lo conozco.\n1. Rojo\n2. Verde"
    assert resident.says("2") == "Anotado: Verde."


def test_sigo_sin_entender_repeats_the_options_of_the_menu(resident: Resident) -> None:
    resident.says("hola")
    resident.says("xyz")
    second = resident.says("abc")
    assert second.startswith("Sigo sin entender.")
    assert second.endswith("4. Personas deportadas o retornadas\n5. Emergencias y números")


def test_a_global_word_never_chooses_an_option_by_one_word_of_its_label(
    resident: Resident,
) -> None:
    resident.says("hola")
    resident.says("1")
    assert "¿Le fue útil esta información?" in resident.says("4")  # extortion
    # "mas o menos" is option 2's keyword, but a leftover MAS is not that answer.
    reply = resident.says("MAS")
    assert reply.startswith("No entendí su respuesta.")
    assert "useful_somewhat" not in [getattr(e, "node", None) for e in resident.events]
    assert "Gracias por su respuesta." in resident.says("más o menos")


def test_a_new_resident_gets_the_notice_first_whatever_the_first_message(
    resident: Resident,
) -> None:
    reply = resident.says("caminos")
    assert reply.startswith("Hola. Servicio sobre migración")
    assert "No guardamos su número (salvo si pide ALERTAS)" in reply
    assert reply.endswith("3. Lo que ya no existe") or "Caminos legales. Elija un tema:" in reply
    assert MAIN_MENU not in reply
    assert [f.flow for f in resident.session.stack] == ["pathways"]
    # Only once: the keyword again gives its menu alone.
    assert resident.says("caminos").startswith("Caminos legales. Elija un tema:")


def test_sessions_saved_before_the_welcome_flag_count_as_welcomed(engine: Engine) -> None:
    old = Session.from_dict({"language": "es", "language_chosen": True})
    sprint = engine.resume(old, Inbound("hola"), NOON)
    assert sprint.messages[0] == "Qué bueno que volvió."


def test_after_erasure_the_resident_is_new_again_and_gets_the_notice(resident: Resident) -> None:
    resident.says("hola")
    resident.says("borrar")
    assert "No guardamos su número (salvo si pide ALERTAS)" in resident.says("hola")


def test_the_shipped_deployment_asks_the_feedback_flow_once(shipped: FlowSet) -> None:
    # Each usefulness question costs up to three SMS (question, thanks, menu again).
    assert shipped.deployment.once_per_conversation == frozenset({"feedback"})


def test_a_once_per_conversation_flow_is_asked_once_until_the_session_expires(
    resident: Resident,
) -> None:
    resident.says("hola")
    resident.says("1")
    assert "¿Le fue útil esta información?" in resident.says("4")
    resident.says("1")
    resident.says("riesgo")
    second = resident.says("4")
    assert "1574" in second and "¿Le fue útil" not in second
    assert "Gracias por su respuesta" not in second
    # A new conversation (after the timeout) asks again.
    resident.now = NOON + timedelta(days=4)
    resident.says("riesgo")
    assert "¿Le fue útil esta información?" in resident.says("4")
