"""Municipalities answer the department question: flows/data/municipios.csv maps each of
Guatemala's 340 municipalities to its department, and `outreach check` checks the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FLOWS, TODAY, Resident, write_flows

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


@pytest.mark.parametrize("reply", ["San José", "La Libertad", "Santa Bárbara", "San Lorenzo"])
def test_a_name_of_several_departments_chooses_none(resident: Resident, reply: str) -> None:
    _at_department_question(resident)
    assert "No encontré ese departamento" in resident.says(reply)
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
