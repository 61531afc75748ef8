"""The index the readers fill for the checks across files (and for `outreach check`'s
costs): named records at the places editors see."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import FLOWS, TODAY, write_flows

from outreach.flowfile import load
from outreach.flowfile.index import NodeRef, ProgrammeRef
from outreach.flowfile.problems import Place


def test_each_programme_is_placed_at_its_id_item() -> None:
    result = load([FLOWS], TODAY)
    assert result.flowset is not None
    path = str(FLOWS / "directory.yaml")
    written = [
        (number, match.group(1))
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1)
        if (match := re.fullmatch(r"  - id: (\w+)", line))
    ]
    programmes = result.flowset.directories["programmes"].programmes
    assert [p.id for p in programmes] == [programme for _, programme in written]
    assert result.index.programme_places == {
        ProgrammeRef("programmes", programme): Place(path, number, 5)
        for number, programme in written
    }


DIRECTORY = """\
directory: {id}
list: departments
programmes:
  - id: {programme}
    name: Uno
    kind: jobs
    departments: all
    contact: Municipalidad
    hours: unknown
    eligibility: unknown
    provenance: {{source: test, verified_on: 2026-11-01, review_by: 2027-06-01, sample: true}}
"""


def test_a_directory_defined_twice_keeps_the_first_ones_places(tmp_path: Path) -> None:
    folder = write_flows(
        tmp_path,
        {
            "a.yaml": DIRECTORY.format(id="programmes", programme="first"),
            "b.yaml": DIRECTORY.format(id="programmes", programme="second"),
        },
    )
    result = load([folder], TODAY)
    assert f"directory 'programmes' is defined twice (first at {folder / 'a.yaml'}:1:12)" in [
        p.message for p in result.errors if p.place.path.endswith("b.yaml")
    ]
    assert result.index.programme_places == {
        ProgrammeRef("programmes", "first"): Place(str(folder / "a.yaml"), 4, 5)
    }


def test_nodes_are_placed_at_their_ids_by_flow_and_node() -> None:
    result = load([FLOWS], TODAY)
    path = FLOWS / "main.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    place = result.index.node_places[NodeRef("main", "menu")]
    assert place == Place(str(path), lines.index("  menu:") + 1, 3)
    assert str(NodeRef("main", "menu")) == "main/menu"
    assert result.index.nodes_by_flow()["main"][0] == "menu"
