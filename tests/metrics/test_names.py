"""Display names (issue #19): every flow, step, programme, language and channel by its
name from the content, in the interface's language, through the real catalogs; ids only
where nothing names them."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, TODAY, write_flows

from outreach.engine.model import FlowSet, step_label
from outreach.flowfile import load
from outreach.i18n import load_translations
from outreach.i18n.messages import flowset_messages
from outreach.i18n.ui import translations
from outreach.metrics.names import Names
from outreach.voice.script import flow_sources


def names(shipped: FlowSet, language: str) -> Names:
    state = load_translations(shipped, flowset_messages(shipped), ROOT / "locales", 90)
    return Names(shipped, language, state.translations, translations(language).ugettext)


def test_every_shipped_step_has_a_name(shipped: FlowSet) -> None:
    unnamed = [
        f"{flow.id}/{node}"
        for flow in shipped.flows.values()
        for node in flow.nodes
        if step_label(shipped.flows, flow, node) is None
    ]
    assert unnamed == []


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es", ["Menú principal", "Estafas de hoy", "Estafas de hoy (continuación)", "Me sirvió",
                "Riesgos de la migración irregular", "Caminos legales › Requisitos",
                "¿Le fue útil?", "K'iche'", "Voz", "SMS", "sin departamento",
                "(fuera de los flujos)"]),
        ("en", ["Main menu", "Scams today", "Scams today (continued)", "It helped",
                "Risks of irregular migration", "Legal pathways › Requirements",
                "Was it useful?", "K'iche'", "Voice", "SMS", "no department given",
                "(outside the flows)"]),
    ],
)  # fmt: skip
def test_names_come_from_the_content_in_the_interface_language(
    shipped: FlowSet, language: str, expected: list[str]
) -> None:
    shown = names(shipped, language)
    assert [
        shown.of("flow", "main"),
        # A step is named by the menu option that leads to it, or by its own label.
        shown.of("node", "risks/scams_today"),
        shown.of("node", "risks/scams_today_more"),
        shown.of("node", "feedback/useful_yes"),
        # A flow's first step by the flow's name (not by a "back" option leading to it).
        shown.of("node", "risks/menu"),
        # Steps of several flows listed together: after their flow's name.
        shown.of("topic", "pathways/h2_requirements"),
        # A node that runs a flow: that flow's name.
        shown.of("node", "risks/feedback"),
        shown.of("language", "quc"),
        shown.of("channel", "voice"),
        shown.of("channel", "sms"),
        shown.of("department", "unknown"),
        shown.of("node", "-"),
    ] == expected


def test_what_nothing_names_stays_as_it_is(shipped: FlowSet) -> None:
    shown = names(shipped, "en")
    assert shown.of("node", "gone/away") == "gone/away"
    assert shown.of("flow", "gone") == "gone"
    assert shown.of("day", "2026-11-03") == "2026-11-03"
    assert shown.of("department", "Petén") == "Petén"
    assert not shown.named("node", "gone/away")
    assert shown.named("node", "main/menu")


def test_a_mayan_interface_language_falls_back_to_the_spanish_names(shipped: FlowSet) -> None:
    # The K'iche' catalog is empty on purpose: the Spanish is shown, never a guess.
    assert names(shipped, "quc").of("node", "risks/scams_today_more") == (
        "Estafas de hoy (continuación)"
    )


def test_names_for_staff_count_for_no_coverage_and_are_never_said(shipped: FlowSet) -> None:
    messages = flowset_messages(shipped)
    staff_only = {m.context for m in messages if m.for_staff}
    assert "flow/main/name" in staff_only
    assert "risks/scams_today_more/label" in staff_only
    state = load_translations(shipped, messages, ROOT / "locales", 90)
    assert state.coverage["quc"].total == len(messages) - len(staff_only)
    assert not staff_only & set(flow_sources(shipped))


LABELLED = """\
flow: main
name: Principal
provenance: {source: test, verified_on: 2026-11-01, review_by: 2027-06-01, sample: true}
nodes:
  menu:
    type: menu
    text: Elija
    options:
      - label: Uno
        go: one
  one:
    type: message
    label: %s
    text: Uno.
    next: two
  two:
    type: message
    label: Dos
    text: Dos.
"""


def test_a_label_is_content_checked_like_any_text(tmp_path: Path) -> None:
    folder = write_flows(tmp_path, {"main.yaml": LABELLED % "La primera"})
    result = load([folder], TODAY)
    assert result.errors == []
    assert result.flowset is not None
    flow = result.flowset.flows["main"]
    assert flow.labels == {"one": "La primera", "two": "Dos"}
    # Its own label wins over the option's.
    label = step_label(result.flowset.flows, flow, "one")
    assert label is not None and label.text == "La primera"
    empty = write_flows(tmp_path / "empty", {"main.yaml": LABELLED % '""'})
    assert [p.message for p in load([empty], TODAY).errors] == ["label is empty"]
