"""Municipalities answer the department question: flows/data/municipios.csv maps each of
Guatemala's 340 municipalities to its department, and `outreach check` checks the file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from conftest import FLOWS, TODAY, Resident, write_flows

from outreach.engine import Engine, counter_ids
from outreach.engine.model import FlowSet
from outreach.flowfile import load

CSV = FLOWS / "data" / "municipios.csv"


def test_the_shipped_list_holds_340_municipalities_in_the_22_departments(
    shipped: FlowSet,
) -> None:
    departments = shipped.lists["departments"]
    places = departments.places
    assert len(places) == 340
    assert {p.item for p in places} == {item.value for item in departments.items}
    assert len({p.item for p in places}) == 22
    # The three newest municipalities (2014-2015) are there.
    named = {(p.name, p.item) for p in places}
    assert {
        ("San José La Máquina", "Suchitepéquez"),
        ("Sipacate", "Escuintla"),
        ("Petatán", "Huehuetenango"),
    } <= named
    header = CSV.read_text(encoding="utf-8")
    assert "Source:" in header and "Reviewed: 2026-12-03" in header


@pytest.mark.parametrize(
    ("reply", "department"),
    [
        ("Antigua", "Sacatepéquez"),
        ("Antigua Guatemala", "Sacatepéquez"),
        ("Cobán", "Alta Verapaz"),
        ("COBAN", "Alta Verapaz"),
        ("Mazate", "Suchitepéquez"),
        ("mazatenango", "Suchitepéquez"),
        ("Flores", "Petén"),
        ("Puerto Barrios", "Izabal"),
        ("puerto barios", "Izabal"),  # one typo
        ("Toto", "Totonicapán"),
        ("Chichicastenango", "Quiché"),
        ("San Marcos", "San Marcos"),  # the department's own name first
    ],
)
def test_a_municipality_chooses_its_department(
    resident: Resident, reply: str, department: str
) -> None:
    _at_department_question(resident)
    assert f"¿Qué busca en {department}?" in resident.says(reply)
    assert resident.session.fields.get("department") == department


@pytest.mark.parametrize(
    ("reply", "offered"),
    [
        ("San José", ["Escuintla", "Petén"]),
        ("la libertad", ["Huehuetenango", "Petén"]),
        ("Santa Barbara", ["Huehuetenango", "Suchitepéquez"]),
        ("SAN LORENZO", ["San Marcos", "Suchitepéquez"]),
    ],
)
def test_a_name_of_several_departments_asks_which_of_them(
    resident: Resident, reply: str, offered: list[str]
) -> None:
    _at_department_question(resident)
    said = resident.says(reply)
    numbered = [f"{n}. {d}" for n, d in enumerate(offered, start=1)]
    assert said.splitlines()[1:] == numbered
    heading = said.splitlines()[0]
    assert heading.endswith(": ¿en cuál departamento? Responda con su número:")
    assert "department" not in resident.session.fields
    assert "input_not_understood" not in resident.kinds()
    assert f"¿Qué busca en {offered[1]}?" in resident.says("2")
    assert resident.session.fields["department"] == offered[1]
    assert resident.session.place_choices == []


def test_the_follow_up_names_the_place_and_a_number_then_means_its_department(
    resident: Resident,
) -> None:
    _at_department_question(resident)
    assert resident.says("San José").splitlines()[0] == (
        "San José: ¿en cuál departamento? Responda con su número:"
    )
    # "1" is Escuintla of the follow-up, not Alta Verapaz of the whole list.
    assert "¿Qué busca en Escuintla?" in resident.says("1")


def test_a_number_beyond_the_follow_up_is_not_understood_and_shows_the_whole_list(
    resident: Resident,
) -> None:
    _at_department_question(resident)
    resident.says("San José")
    said = resident.says("3")
    assert "No encontré ese departamento" in said and "22. Zacapa" in said
    assert resident.session.place_choices == []
    # Now the whole list's numbers count.
    assert "¿Qué busca en Petén?" in resident.says("12")


def test_without_the_follow_up_text_a_shared_name_chooses_none(shipped: FlowSet) -> None:
    # A deployment that does not set the optional text: the whole list, as before.
    texts = {k: v for k, v in shipped.deployment.texts.items() if k != "place_which"}
    assert len(texts) == len(shipped.deployment.texts) - 1
    flows = replace(shipped, deployment=replace(shipped.deployment, texts=texts))
    resident = Resident(Engine(flows, new_id=counter_ids(), languages=["es"]))
    _at_department_question(resident)
    assert "No encontré ese departamento" in resident.says("San José")
    assert "department" not in resident.session.fields


def _rows(folder: Path, rows: str, count: int = 2) -> list[str]:
    data = folder / "data"
    data.mkdir(exist_ok=True)
    (data / "places.csv").write_text(
        "# test\ncodigo,municipio,departamento,alias,nota\n" + rows, encoding="utf-8"
    )
    result = load([folder], TODAY)
    return [
        f"{Path(p.place.path).name}:{p.place.line}:{p.place.col}: {p.message}"
        for p in result.errors
    ]


LIST = """\
list: departments
places: data/places.csv
places_count: {count}
items:
  - value: Petén
  - value: Izabal
"""


def test_check_reports_unknown_departments_and_counts_at_their_place(tmp_path: Path) -> None:
    folder = write_flows(tmp_path / "flows", {"departments.yaml": LIST.format(count=2)})
    assert _rows(folder, "1701,Flores,Petén,,\n1801,Puerto Barrios,Izabal,,\n") == []
    assert _rows(folder, "1701,Flores,Peten,,\n1801,Puerto Barrios,Izabl,,\n") == [
        "places.csv:4:21: no department 'Izabl'; did you mean 'Izabal'?"
    ]
    assert _rows(folder, "1701,Flores,Petén,,\n") == [
        "departments.yaml:2:9: " + f"{folder / 'data' / 'places.csv'} holds 1 places, not 2",
    ]
    assert _rows(folder, "1701,Flores,Petén,,\n1701,Flores,Petén,,\n1801,P,Izabal,,\n") == [
        "places.csv:4:1: code 1701 twice (first at line 3)",
        "places.csv:4:6: 'Flores' twice in Petén (first at line 3)",
    ]


def test_check_reports_a_missing_places_file(tmp_path: Path) -> None:
    folder = write_flows(tmp_path / "flows", {"departments.yaml": LIST.format(count=2)})
    errors = [str(p) for p in load([folder], TODAY).errors]
    assert errors == [
        f"{folder / 'departments.yaml'}:2:9: error: no places file {folder / 'data' / 'places.csv'}"
    ]


def _at_department_question(resident: Resident) -> None:
    resident.says("hola")
    assert "¿En qué departamento vive?" in resident.says("trabajo")
