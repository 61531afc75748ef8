"""Funnels with every step (0 where no one arrived), menus as the choices residents made,
and usefulness per topic (issue #19 §2-3): from conversations played through the real
engine and store, counted exactly (no noise) to check the counting, and perturbed as
published to check the protection (tests/metrics/test_attacks.py style)."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import TEST_CONFIG
from conversation_helpers import talk
from flask import Flask

from outreach import create_app
from outreach.metrics import report
from outreach.metrics import sections as tables
from outreach.metrics.cellkey import USUAL_NOISE, CellKeys
from outreach.metrics.queries import Query
from outreach.metrics.usefulness import answers, usefulness
from outreach.storage import connect

NOVEMBER = Query(date(2026, 11, 1), date(2026, 11, 30))
YES, SOMEWHAT, NO = "feedback/useful_yes", "feedback/useful_somewhat", "feedback/sorry"
SCAMS = "risks/scams_today"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    folder = tmp_path_factory.mktemp("choices")
    app = create_app(TEST_CONFIG | {"DATABASE": str(folder / "outreach.sqlite3")})
    # Risks, then "Estafas de hoy", then the usefulness question: 12 say it helped, 11 a
    # little, 3 no (under k); 15 choose "Caminos legales" and stop at its menu.
    played = {f"yes{n}": ["hola", "1", "2", "1"] for n in range(12)}
    played |= {f"some{n}": ["hola", "1", "2", "2"] for n in range(11)}
    played |= {f"no{n}": ["hola", "1", "2", "3"] for n in range(3)}
    played |= {f"legal{n}": ["hola", "2"] for n in range(15)}
    talk(app, played)
    return app


def page(app: Flask, name: str, flow: str | None = None, keys: bool = False) -> report.Page:
    noise = CellKeys(TEST_CONFIG["PSEUDONYM_KEY"].encode()) if keys else None
    content = app.extensions["outreach.content"].flows
    db = connect(app.config["DATABASE"])
    return report.page_sections(name, db, NOVEMBER, "day", 10, noise, content, flow)


def section(shown: report.Page, section_id: str) -> tables.Section:
    return next(s for s in shown.sections if s.id == section_id)


def test_a_funnel_shows_every_step_in_the_flows_order_with_0_where_no_one_arrived(
    app: Flask,
) -> None:
    funnel = section(page(app, "flows", "risks"), "funnel")
    flow = app.extensions["outreach.content"].flows.flows["risks"]
    assert funnel.rows == tables.node_order(flow)
    figures = funnel.table.row_totals
    assert figures["risks/menu"] == 26 and figures[SCAMS] == 26
    # Nobody chose extortion: a 0, shown as any figure, not left out.
    assert figures["risks/extortion"] == 0
    # Perturbed as published, a 0 stays 0 and the others move by their cell keys.
    perturbed = section(page(app, "flows", "risks", keys=True), "funnel").table.row_totals
    assert perturbed["risks/extortion"] == 0
    assert abs(perturbed[SCAMS] - 26) <= USUAL_NOISE  # type: ignore[operator]


def test_a_menu_is_shown_as_the_choices_residents_made(app: Flask) -> None:
    shown = page(app, "flows", "main")
    choices = section(shown, "choices_main_menu")
    # One row per option that leads on, in the options' order: the first step of the
    # flow each opens.
    assert choices.rows == ["risks/menu", "pathways/menu", "programmes/known_department",
                            "returnees/menu", "emergencies/menu"]  # fmt: skip
    assert choices.table.row_totals == {"risks/menu": 26, "pathways/menu": 15,
                                        "programmes/known_department": 0,
                                        "returnees/menu": 0, "emergencies/menu": 0}  # fmt: skip
    # Shares of those who reached the menu, as its funnel row publishes them.
    assert choices.subject == "main/menu" and choices.base == 41
    # A "back" option is no choice of content: the pathways menu's H-2 submenu lists
    # its topics, not the way back.
    pathways = section(page(app, "flows", "pathways"), "choices_pathways_h2_more")
    assert "pathways/menu" not in pathways.rows


def test_usefulness_counts_each_answer_by_the_topic_read_that_day(app: Flask) -> None:
    content = app.extensions["outreach.content"].flows
    assert answers(content) == [YES, SOMEWHAT, NO]
    shown = page(app, "topics")
    useful = section(shown, "usefulness")
    assert useful.table.columns == [YES, SOMEWHAT, NO]
    cells = useful.table.cells
    # 12 and 11 shown; 3 "no" under k hidden, and with it the smallest other, so that
    # the row total minus the shown answer does not give the 3.
    assert (cells[SCAMS, NO], cells[SCAMS, SOMEWHAT]) == (None, None)
    assert cells[SCAMS, YES] == 12
    assert useful.table.row_totals[SCAMS] == 26
    # A topic no one read: every answer 0, shown.
    assert useful.table.row_totals["risks/extortion"] == 0
    assert [s.id for s in shown.sections] == ["topics", "usefulness", "referrals"]


def test_attack_row_total_minus_the_shown_answers(app: Flask) -> None:
    """Attack: the usefulness row of a topic publishes its total; with one answer hidden,
    total minus the shown ones would give it. Achieved: never one hidden answer alone in
    a row (complementary suppression), and what is shown is perturbed by its residents'
    cell keys, so that total minus the shown answer is the hidden pair's sum with the
    noise of two cells, not the 3 who said no."""
    useful = section(page(app, "topics", keys=True), "usefulness").table
    for topic in useful.rows:
        hidden = [a for a in useful.columns if useful.cells[topic, a] is None]
        assert len(hidden) != 1, topic
    total, shown = useful.row_totals[SCAMS], useful.cells[SCAMS, YES]
    assert total is not None and shown is not None
    assert abs((total - shown) - 14) <= 2 * USUAL_NOISE


def test_attack_differencing_the_answers_by_a_filter(app: Flask) -> None:
    """Attack: the same table filtered by channel, with one resident on WhatsApp: the
    difference of the two tables would be what that resident answered. Achieved: the
    difference of each answer is a draw of two cells' noise, not the resident's answer
    (0 or 1 everywhere, naming it)."""
    talk(app, {"whatsapp-one": ["hola", "1", "2", "1"]}, channel="whatsapp")
    content = app.extensions["outreach.content"].flows
    db = connect(app.config["DATABASE"])
    noise = CellKeys(TEST_CONFIG["PSEUDONYM_KEY"].encode())
    topics = tables.topic_nodes(content.flows.values())
    wide = usefulness(db, NOVEMBER, content, topics, 10, noise)
    sms = Query(NOVEMBER.since, NOVEMBER.until, filters=(("channel", "sms"),))
    narrow = usefulness(db, sms, content, topics, 10, noise)
    assert wide is not None and narrow is not None
    differences = {
        answer: wide.table.cells[SCAMS, answer] - narrow.table.cells[SCAMS, answer]  # type: ignore[operator]
        for answer in (YES,)
        if wide.table.cells[SCAMS, answer] is not None
        and narrow.table.cells[SCAMS, answer] is not None
    }
    total = wide.table.row_totals[SCAMS] - narrow.table.row_totals[SCAMS]  # type: ignore[operator]
    assert not (differences == {YES: 1} and total == 1), "the attack read off the answer"
