"""The places file of a list (``places: data/municipios.csv``): Guatemala's municipalities,
each in its department, so that "Cobán" answers a question about the department."""

from __future__ import annotations

import csv
from pathlib import Path

from outreach.engine.matching import normalize
from outreach.engine.model import PlaceName

from .problems import Place, Problem, Severity, did_you_mean

COLUMNS = ["codigo", "municipio", "departamento", "alias", "nota"]


def read_places(
    path: Path, shown: str, items: list[str], count: int | None, where: Place
) -> tuple[list[PlaceName], list[Problem]]:
    """The places of ``path`` (``shown`` in problems), each in one of ``items``.

    Every problem has the file's line and column: a department not in the list, a
    duplicate code or name, a row short of columns, and a count other than ``count``
    (reported at ``where``, the ``places`` key, when the file itself is missing)."""
    problems: list[Problem] = []

    def error(line: int, col: int, message: str) -> None:
        problems.append(Problem(Place(shown, line, col), Severity.ERROR, message))

    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], [Problem(where, Severity.ERROR, f"no places file {shown}")]
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(where, Severity.ERROR, f"cannot read the places file {shown}: {exc}")]
    known = {normalize(item): item for item in items}
    places: list[PlaceName] = []
    codes: dict[str, int] = {}
    names: dict[tuple[str, str], int] = {}
    header_seen = False
    for number, line in enumerate(source.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        row = next(csv.reader([line]))
        if not header_seen:
            header_seen = True
            if row != COLUMNS:
                error(number, 1, f"the first row must name the columns {','.join(COLUMNS)}")
                return [], problems
            continue
        if len(row) != len(COLUMNS):
            error(number, 1, f"{len(row)} columns, expected {len(COLUMNS)}")
            continue
        code, name, department, aliases, _note = (cell.strip() for cell in row)
        col = len(code) + len(name) + 3  # where the department's cell starts
        item = known.get(normalize(department))
        if item is None:
            error(number, col, f"no department '{department}'{did_you_mean(department, items)}")
            continue
        if not name:
            error(number, len(code) + 2, "the place has no name")
            continue
        if code in codes:
            error(number, 1, f"code {code} twice (first at line {codes[code]})")
        codes.setdefault(code, number)
        key = (normalize(name), item)
        if key in names:
            error(number, len(code) + 2, f"'{name}' twice in {item} (first at line {names[key]})")
        names.setdefault(key, number)
        words = tuple(a.strip() for a in aliases.split("|") if a.strip())
        places.append(PlaceName(name, item, words))
    if count is not None and len(places) != count and not problems:
        problems.append(
            Problem(where, Severity.ERROR, f"{shown} holds {len(places)} places, not {count}")
        )
    empty = [item for item in items if not any(p.item == item for p in places)]
    if places and empty and not problems:
        problems.append(
            Problem(where, Severity.ERROR, f"no place in {', '.join(empty)} in {shown}")
        )
    return places, problems
