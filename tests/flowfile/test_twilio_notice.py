"""The welcome's notice of what Twilio keeps follows OUTREACH_TWILIO_FORGET (issue #18
section 4): the deployment names the node (twilio_notice), its own text says what Twilio
keeps by default, and twilio_redaction / twilio_delete what it keeps otherwise; `outreach
check` gives each mistake its place, and the engine says the text of its setting."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import FLOWS, ROOT, TODAY, write_flows

from outreach.engine import Engine, Inbound, counter_ids
from outreach.engine.model import TWILIO_CASES
from outreach.flowfile import load

BASE = (ROOT / "tests" / "broken_flows" / "base" / "deployment.yaml").read_text(encoding="utf-8")
NOTICE = """\
twilio_notice: notice
"""
TEXTS = """\
  twilio_redaction: Twilio oculta.
  twilio_delete: Twilio borra.
"""
WELCOME = """\
flow: welcome
name: Bienvenida
provenance: {source: test, verified_on: 2026-11-01, review_by: 2027-06-01, sample: true}
nodes:
  notice:
    type: message
    text: Twilio guarda.
"""


def deployment(notice: str = NOTICE, texts: str = TEXTS) -> str:
    head = "main_flow: main\nwelcome_flow: welcome\n" + notice
    return BASE.replace("main_flow: main\n", head) + texts


def problems(tmp_path: Path, **files: str) -> list[str]:
    folder = write_flows(tmp_path / "flows", {"welcome.yaml": WELCOME, **files})
    result = load([folder], TODAY)
    return [
        f"{Path(p.place.path).name}:{p.place.line}:{p.place.col}: {p.message}"
        for p in result.errors
    ]


def test_a_complete_notice_loads(tmp_path: Path) -> None:
    assert problems(tmp_path, **{"deployment.yaml": deployment()}) == []


def test_a_notice_without_its_texts_is_an_error_at_its_place(tmp_path: Path) -> None:
    found = problems(tmp_path, **{"deployment.yaml": deployment(texts="")})
    assert found == [
        "deployment.yaml:5:16: twilio_notice needs the 'twilio_redaction' text under texts: "
        "(what the node says with OUTREACH_TWILIO_FORGET=redaction)",
        "deployment.yaml:5:16: twilio_notice needs the 'twilio_delete' text under texts: "
        "(what the node says with OUTREACH_TWILIO_FORGET=delete)",
    ]


def test_texts_without_a_notice_are_never_said(tmp_path: Path) -> None:
    found = problems(tmp_path, **{"deployment.yaml": deployment(notice="")})
    assert [line.split(": ", 1)[1][:40] for line in found] == [
        "the 'twilio_redaction' text is never sai",
        "the 'twilio_delete' text is never said: ",
    ]
    assert [line.split(":")[1:3] for line in found] == [["29", "21"], ["30", "18"]]


def test_the_notice_must_be_a_message_node_of_the_welcome_flow(tmp_path: Path) -> None:
    menu = WELCOME.replace(
        "    type: message\n    text: Twilio guarda.\n",
        "    type: menu\n    text: Elija\n    options:\n      - label: Uno\n        flow: main\n",
    )
    assert problems(tmp_path, **{"deployment.yaml": deployment(), "welcome.yaml": menu}) == [
        "deployment.yaml:5:16: twilio_notice: node 'notice' of flow 'welcome' is not a message "
        "node: only a message's text can change with OUTREACH_TWILIO_FORGET"
    ]
    missing = deployment(notice="twilio_notice: notic\n")
    assert problems(tmp_path, **{"deployment.yaml": missing}) == [
        "deployment.yaml:5:16: no node 'notic' in flow 'welcome'; did you mean 'notice'?"
    ]


@pytest.mark.parametrize("case", TWILIO_CASES)
def test_the_shipped_welcome_says_what_twilio_keeps_in_each_case(case: str) -> None:
    result = load([FLOWS], TODAY)
    assert result.flowset is not None
    flows = result.flowset
    engine = Engine(flows, new_id=counter_ids(), languages=["es"], twilio=case)
    sprint = engine.resume(None, Inbound("hola", "sms"), datetime(2026, 12, 3, 12, tzinfo=UTC))
    said = [e.text for e in sprint.events if type(e).__name__ == "MessageCreated"]
    texts = flows.deployment.texts
    notice = flows.flows["welcome"].nodes["privacy"]
    expected = {
        "keep": notice.text,  # type: ignore[union-attr]
        "redaction": texts["twilio_redaction"],
        "delete": texts["twilio_delete"],
    }[case]
    assert expected in said
    others = {notice.text, texts["twilio_redaction"], texts["twilio_delete"]} - {expected}  # type: ignore[union-attr]
    assert not others & set(said)
    assert engine.preview("welcome", "privacy", "es", {}) == expected
