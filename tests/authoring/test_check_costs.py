"""`outreach check --costs` prices directory listings too: every page, for every
department, in every offered language, as the service renders it for SMS."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FLOWS, NOON, ROOT, TODAY, write_flows

from outreach.authoring.check import check_content
from outreach.cli import main
from outreach.engine import Engine, Inbound, MessageCreated, counter_ids
from outreach.engine.model import DirectoryNode, MenuNode
from outreach.flowfile import Place, Severity, load
from outreach.i18n import load_translations
from outreach.i18n.messages import flowset_messages
from outreach.sms.packing import render

P = "provenance: {source: test, verified_on: 2026-11-01, review_by: 2027-06-01, sample: true}"

#: No ``sms:`` settings in the test deployment: á stays, and forces UCS-2 (70 a segment).
DIRECTORY = f"""\
directory: programmes
list: departments
programmes:
  - id: coban
    name: Ventanilla Única Municipal de Empleo, Cobán
    kind: jobs
    departments: [Alta Verapaz]
    contact: Municipalidad
    {P}
  - id: national
    name: Cursos Nacionales
    kind: jobs
    departments: all
    contact: En todo el pais, de lunes a viernes por la tarde
    {P}
"""

FLOW = f"""\
flow: find
name: Find
keywords: [buscar]
{P}
nodes:
  ask:
    type: question
    text: "Departamento?"
    check: {{type: one_of, list: departments}}
    save: department
    next: listing
  listing:
    type: directory
    directory: programmes
    field: department
    text: "Programas en {{department}}:"
    empty: "No conocemos programas en {{department}}."
    more: "MAS: ver mas."
    page_size: 1
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = write_flows(tmp_path / "flows", {"directory.yaml": DIRECTORY, "find.yaml": FLOW})
    shutil.copy(FLOWS / "departments.yaml", folder / "departments.yaml")
    shutil.copytree(FLOWS / "data", folder / "data", dirs_exist_ok=True)  # its places
    (tmp_path / "locales").mkdir()
    return folder


def _line_of(path: Path, text: str) -> int:
    return path.read_text(encoding="utf-8").splitlines().index(text) + 1


def test_a_listing_page_over_budget_is_a_warning_at_its_entry(folder: Path) -> None:
    report = check_content([folder], TODAY, folder.parent / "locales", 90)
    assert not report.result.errors
    warned = {
        (Path(p.place.path).name, p.place.line, re.search(r"listing for (.+?), page", p.message)[1])
        for p in report.problems
        if p.severity is Severity.WARNING and "listing for" in p.message
    }
    coban = _line_of(folder / "directory.yaml", "  - id: coban")
    listing = _line_of(folder / "find.yaml", "  listing:")
    assert warned == {
        # The entry's own name has the á.
        ("directory.yaml", coban, "Alta Verapaz"),
        # The department's name has it: the node's text is where it shows.
        ("find.yaml", listing, "Sololá"),
        ("find.yaml", listing, "Totonicapán"),
    }
    [coban_warning] = [p for p in report.problems if "listing for Alta Verapaz" in p.message]
    assert "page 1 of 2 (coban) takes 2 SMS (UCS-2" in coban_warning.message
    assert "because of 'Ú' 'á'" in coban_warning.message
    # Every department is priced, each page once: Alta Verapaz has two.
    pages = [cost for _, cost in report.costs if cost.listing is not None]
    assert len(pages) == 23
    assert {cost.listing.department for cost in pages if cost.listing} >= {"Zacapa", "Petén"}


def test_the_summary_counts_listing_pages(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTREACH_LOCALES_DIR", str(folder.parent / "locales"))
    result = CliRunner().invoke(main, ["check", "--costs", "--today", "2026-12-03", str(folder)])
    assert result.exit_code == 0, result.output
    assert re.search(r"find/listing\[Alta Verapaz 1/2\] es +UCS-2 2 SMS", result.output)
    summary = re.search(r"es: median 1 SMS per message, (\d+) of (\d+) messages", result.output)
    assert summary is not None
    over, total = map(int, summary.groups())
    # Three listing pages, and the part of the numbered department list with Petén and
    # Sololá in it (this deployment keeps á, so it goes UCS-2).
    assert over == 4 and total > 23


def test_no_shipped_listing_over_budget_goes_unreported() -> None:
    """Walk every shipped listing as a resident would, page by page, in every offered
    language, render each turn as the service does, and demand a warning for each page
    over the budget."""
    result = load([FLOWS], TODAY)
    flows = result.flowset
    assert flows is not None
    messages = flowset_messages(flows)
    state = load_translations(flows, messages, ROOT / "locales", 90)
    engine = Engine(flows, new_id=counter_ids(), translate=state.translations)
    sms = flows.deployment.sms
    kinds = flows.flows["programmes"].nodes["kind"]
    assert isinstance(kinds, MenuNode)
    departments = [item.value for item in flows.lists["departments"].items]
    over: set[tuple[str, str, str, int]] = set()
    walked = 0
    for language in state.offered:
        for option in kinds.options:
            node = flows.flows["programmes"].nodes[option.go or ""]
            assert isinstance(node, DirectoryNode)
            for department in departments:
                session = engine.new_session(language)
                for text in ("trabajo", department):
                    session = engine.resume(session, Inbound(text), NOON).session
                reply, page = option.number, 1
                while True:
                    sprint = engine.resume(session, Inbound(reply), NOON)
                    session = sprint.session
                    sent = [e for e in sprint.events if isinstance(e, MessageCreated)]
                    [at] = [i for i, e in enumerate(sent) if e.node == node.id]
                    rendered = render(sprint.outgoing, "sms", language, sms)
                    walked += 1
                    if (rendered.segments[at] or 0) > sms.budget:
                        over.add((language, node.id, department, page))
                    if not session.stack or session.stack[-1].node != node.id:
                        break
                    reply, page = "mas", page + 1
    report = check_content([FLOWS], TODAY, ROOT / "locales", 90)
    pattern = re.compile(r"programmes/(\w+) \((\w+)\) listing for (.+?), page (\d+) of")
    reported = set()
    for problem in report.problems:
        found = pattern.search(problem.message)
        if found:
            node_id, language, department, page = found.groups()
            reported.add((language, node_id, department, int(page)))
    assert walked == len([c for _, c in report.costs if c.listing is not None])
    assert over <= reported, f"unreported: {sorted(over - reported)}"
    assert reported <= over, f"reported but not over budget: {sorted(reported - over)}"


def test_a_numbered_list_is_priced_part_by_part(folder: Path) -> None:
    report = check_content([folder], TODAY, folder.parent / "locales", 90)
    parts = [cost for _, cost in report.costs if cost.place_node == "ask"]
    assert [cost.node for cost in parts] == ["ask[list 1/3]", "ask[list 2/3]", "ask[list 3/3]"]
    sent = "\n".join(cost.text for cost in parts)
    assert "1. Alta Verapaz" in sent and "22. Zacapa" in sent
    # This deployment keeps á: the parts with Sololá and Totonicapán go UCS-2, and the
    # longer one is over budget (the shipped deployment writes "Solola" for SMS).
    assert [(cost.info.encoding, cost.info.segments) for cost in parts] == [
        ("GSM-7", 1),
        ("UCS-2", 3),
        ("UCS-2", 1),
    ]
    [warning] = [p for p in report.problems if "ask[list" in p.message]
    assert "find/ask[list 2/3] (es) takes 3 SMS (UCS-2" in warning.message
    assert warning.place.line == _line_of(folder / "find.yaml", "  ask:")
    places = {place for place, cost in report.costs if cost.place_node == "ask"}
    assert places == {Place(str(folder / "find.yaml"), _line_of(folder / "find.yaml", "  ask:"), 3)}
