"""Programme directories: a resident is offered only what serves their department."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FLOWS, NOON, ROOT, TODAY, Resident, write_flows

from outreach.authoring.costs import listing_costs
from outreach.cli import main
from outreach.engine import Engine, counter_ids
from outreach.engine import events as ev
from outreach.flowfile import LoadResult, load
from outreach.i18n import load_translations
from outreach.i18n.messages import flowset_messages

P = "provenance: {source: test, verified_on: 2026-11-01, review_by: 2027-06-01, sample: true}"

DIRECTORY = f"""\
directory: programmes
list: departments
programmes:
  - id: huehue_jobs_one
    name: Empleo Uno
    kind: jobs
    departments: [Huehuetenango]
    contact: Oficina uno
    {P}
  - id: national_training
    name: Cursos Nacionales
    kind: training
    departments: all
    contact: En todo el país
    {P}
  - id: peten_jobs
    name: Empleo Petén
    kind: jobs
    departments: [Petén]
    contact: Oficina Petén
    {P}
  - id: huehue_jobs_two
    name: Empleo Dos
    kind: jobs
    departments: [Huehuetenango, San Marcos]
    contact: Oficina dos
    {P}
  - id: huehue_jobs_three
    name: Empleo Tres
    kind: jobs
    departments: [Huehuetenango]
    contact: Oficina tres
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
    text: "¿Departamento?"
    check: {{type: one_of, list: departments}}
    save: department
    next: listing
  listing:
    type: directory
    directory: programmes
    field: department
    text: "Programas en {{department}}:"
    empty: "No conocemos programas en {{department}}."
    more: "MAS: ver más."
    page_size: 2
    next: bye
  bye:
    type: message
    text: Adiós.
"""


@pytest.fixture
def resident(tmp_path: Path) -> Resident:
    folder = write_flows(tmp_path / "flows", {"directory.yaml": DIRECTORY, "find.yaml": FLOW})
    shutil.copy(FLOWS / "departments.yaml", folder / "departments.yaml")
    shutil.copytree(FLOWS / "data", folder / "data", dirs_exist_ok=True)  # its places
    result = load([folder], TODAY)
    assert result.flowset is not None, result.errors
    return Resident(Engine(result.flowset, new_id=counter_ids(), languages=["es"]))


def referrals(resident: Resident) -> list[str]:
    return [e.programme for e in resident.events if isinstance(e, ev.ReferralGiven)]


def test_only_programmes_serving_the_department_a_page_at_a_time(resident: Resident) -> None:
    resident.says("buscar")
    first = resident.says("huehue")
    assert first == (
        "Programas en Huehuetenango:\n- Empleo Uno: Oficina uno\n"
        "- Cursos Nacionales: En todo el país\nMAS: ver más."
    )
    assert referrals(resident) == ["huehue_jobs_one", "national_training"]
    assert "Petén" not in first
    second = resident.says("más")
    assert second == (
        "Programas en Huehuetenango:\n- Empleo Dos: Oficina dos\n- Empleo Tres: Oficina tres\n"
        "Adiós."
    )
    assert referrals(resident) == ["huehue_jobs_two", "huehue_jobs_three"]
    assert resident.session.page == 0


def test_any_other_reply_moves_on(resident: Resident) -> None:
    resident.says("buscar")
    resident.says("Huehuetenango")
    assert resident.says("gracias") == "Adiós."


def test_a_department_with_only_national_programmes(resident: Resident) -> None:
    resident.says("buscar")
    assert resident.says("Zacapa") == (
        "Programas en Zacapa:\n- Cursos Nacionales: En todo el país\nAdiós."
    )
    referral = next(e for e in resident.events if isinstance(e, ev.ReferralGiven))
    assert (referral.programme, referral.department, referral.language) == (
        "national_training",
        "Zacapa",
        "es",
    )


def test_a_kind_narrows_the_list(tmp_path: Path) -> None:
    flow = FLOW.replace("    page_size: 2\n", "    page_size: 2\n    kind: training\n")
    folder = write_flows(tmp_path / "flows", {"directory.yaml": DIRECTORY, "find.yaml": flow})
    shutil.copy(FLOWS / "departments.yaml", folder / "departments.yaml")
    shutil.copytree(FLOWS / "data", folder / "data", dirs_exist_ok=True)  # its places
    result = load([folder], TODAY)
    assert result.flowset is not None, result.errors
    resident = Resident(Engine(result.flowset, new_id=counter_ids(), languages=["es"]))
    resident.says("buscar")
    assert (
        resident.says("Petén")
        == "Programas en Petén:\n- Cursos Nacionales: En todo el país\nAdiós."
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("[Petén]", "[Peten]", "'Peten' is not a value of the list 'departments'; did you mean"),
        (
            "directory: programmes\n    field",
            "directory: programs\n    field",
            "no directory 'programs'; did you mean 'programmes'?",
        ),
        ("kind: training", "kind: trainning", "unknown kind 'trainning'"),
        (
            "id: huehue_jobs_three",
            "id: huehue_jobs_two",
            "programme 'huehue_jobs_two' is listed twice",
        ),
        (
            "field: department",
            "field: departmnt",
            "field 'departmnt' is listed by department but no question saves it",
        ),
    ],
)
def test_directory_mistakes_are_reported_with_their_place(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    directory, flow = DIRECTORY, FLOW
    if old in directory:
        directory = directory.replace(old, new, 1)
    else:
        flow = flow.replace(old, new, 1)
    folder = write_flows(tmp_path / "flows", {"directory.yaml": directory, "find.yaml": flow})
    shutil.copy(FLOWS / "departments.yaml", folder / "departments.yaml")
    shutil.copytree(FLOWS / "data", folder / "data", dirs_exist_ok=True)  # its places
    result = load([folder], TODAY)
    assert any(message in p.message for p in result.errors), result.errors
    assert all(p.place.line > 0 for p in result.errors)


def test_referrals_are_logged_for_the_metrics(tmp_path: Path) -> None:
    folder = write_flows(tmp_path / "flows", {"directory.yaml": DIRECTORY, "find.yaml": FLOW})
    shutil.copy(FLOWS / "departments.yaml", folder / "departments.yaml")
    shutil.copytree(FLOWS / "data", folder / "data", dirs_exist_ok=True)  # its places
    result = load([folder], TODAY)
    assert result.flowset is not None
    engine = Engine(result.flowset, new_id=counter_ids(), languages=["es"])
    session = engine.new_session("es")
    for text in ["buscar", "San Marcos"]:
        sprint = engine.resume(
            session, __import__("outreach.engine", fromlist=["Inbound"]).Inbound(text), NOON
        )
        session = sprint.session
    assert [e.to_dict()["programme"] for e in sprint.events if e.kind == "referral_given"] == [
        "national_training",
        "huehue_jobs_two",
    ]


def _with_facts(hours: str, eligibility: str) -> str:
    """The test directory with every programme given ``hours`` and ``eligibility``."""
    return DIRECTORY.replace(
        f"    {P}", f"    hours: {hours}\n    eligibility: {eligibility}\n    {P}"
    )


def _load(tmp_path: Path, directory: str) -> LoadResult:
    folder = write_flows(tmp_path / "flows", {"directory.yaml": directory, "find.yaml": FLOW})
    shutil.copy(FLOWS / "departments.yaml", folder / "departments.yaml")
    shutil.copytree(FLOWS / "data", folder / "data", dirs_exist_ok=True)  # its places
    return load([folder], TODAY)


def test_unknown_hours_and_eligibility_are_accepted_and_read_as_not_known(
    tmp_path: Path,
) -> None:
    result = _load(tmp_path, _with_facts("unknown", "unknown"))
    assert result.flowset is not None, result.errors
    assert result.warnings == []
    programmes = result.flowset.directories["programmes"].programmes
    assert {(p.hours, p.eligibility) for p in programmes} == {(None, None)}


def test_sourced_hours_and_eligibility_are_kept(tmp_path: Path) -> None:
    result = _load(tmp_path, _with_facts("Lunes a viernes, 8 a 16", "Desde 18 años"))
    assert result.flowset is not None, result.errors
    programme = result.flowset.directories["programmes"].programmes[0]
    assert (programme.hours, programme.eligibility) == ("Lunes a viernes, 8 a 16", "Desde 18 años")


def test_an_omitted_key_is_a_warning_at_its_programme(tmp_path: Path) -> None:
    directory = _with_facts("unknown", "unknown").replace("    eligibility: unknown\n", "", 1)
    result = _load(tmp_path, directory)
    assert result.flowset is not None, result.errors
    [warning] = result.warnings
    line = directory.splitlines().index("  - id: huehue_jobs_one") + 1
    assert (warning.place.path.endswith("directory.yaml"), warning.place.line) == (True, line)
    assert "'huehue_jobs_one' has no eligibility" in warning.message
    assert "write `eligibility: unknown` if the source does not say" in warning.message


def test_check_reports_an_omitted_key_with_path_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = _with_facts("unknown", "unknown").replace("    hours: unknown\n", "", 1)
    folder = write_flows(tmp_path / "flows", {"directory.yaml": directory, "find.yaml": FLOW})
    shutil.copy(FLOWS / "departments.yaml", folder / "departments.yaml")
    shutil.copytree(FLOWS / "data", folder / "data", dirs_exist_ok=True)  # its places
    result = CliRunner().invoke(main, ["check", "--today", TODAY.isoformat(), str(folder)])
    line = directory.splitlines().index("  - id: huehue_jobs_one") + 1
    assert f"directory.yaml:{line}:5: warning: programme 'huehue_jobs_one' has no hours" in (
        result.output
    )


def test_a_listing_never_says_unknown(tmp_path: Path) -> None:
    result = _load(tmp_path, _with_facts("unknown", "unknown"))
    assert result.flowset is not None, result.errors
    resident = Resident(Engine(result.flowset, new_id=counter_ids(), languages=["es"]))
    resident.says("buscar")
    pages = [resident.says("Huehuetenango"), resident.says("más")]
    assert pages[0].startswith("Programas en Huehuetenango:\n- Empleo Uno: Oficina uno\n")
    assert all("unknown" not in page.lower() for page in pages)


def test_no_shipped_listing_says_unknown() -> None:
    """Every page of every shipped listing, for every department, in every offered language."""
    result = load([FLOWS], TODAY)
    flows = result.flowset
    assert flows is not None
    state = load_translations(flows, flowset_messages(flows), ROOT / "locales", 90)
    engine = Engine(flows, new_id=counter_ids(), translate=state.translations)
    unknowns = [
        p
        for d in flows.directories.values()
        for p in d.programmes
        if None in (p.hours, p.eligibility)
    ]
    assert unknowns, "the shipped directory has entries whose source does not say"
    pages = list(listing_costs(engine, state.offered))
    assert {"es", "en"} <= {cost.language for cost in pages}
    assert all("unknown" not in cost.text.lower() for cost in pages)
