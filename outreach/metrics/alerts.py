"""An alert's audience as a published figure: the subscribers it would reach, perturbed
by their record keys (the same set of residents always gets the same noise, however
the filters are chosen) and hidden under k, as every figure staff see is."""

from __future__ import annotations

from collections import defaultdict

from sqlite_utils import Database

from outreach.storage import immediate
from outreach.storage.alert_tallies import Tally, settle_all, tallies

# Re-exported: the pages ask which alerts have figures, and web does not import storage.
from outreach.storage.alert_tallies import went_out as went_out
from outreach.storage.subscriptions import audience

from .cellkey import RANGE, CellKeys
from .queries import ALL as ALL_COLUMNS
from .sections import Section
from .suppression import TOTAL, Published, check_k, suppress_series


def published_count(residents: list[str], k: int, noise: CellKeys | None) -> int | None:
    true = len(residents)
    shown = true if noise is None else noise.count(true, noise.cell_key(residents))
    return None if 0 < shown < check_k(k) or 0 < true < check_k(k) else shown


def alert_audience(
    db: Database,
    topic: str,
    departments: tuple[str, ...] | None,
    k: int,
    noise: CellKeys | None,
) -> tuple[int | None, dict[tuple[str, str], int | None]]:
    """The published audience of an alert, and by (language, channel); None: hidden."""
    recipients = audience(db, topic, departments)
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for resident, language, channel in recipients:
        groups[language, channel].append(resident)
    total = published_count([r for r, _l, _c in recipients], k, noise)
    return total, {group: published_count(members, k, noise) for group, members in groups.items()}


#: The figures of an alert, and the outcomes (outreach.storage.alert_tallies) each is
#: made of: a resident counts in every figure their message reached (a read message was
#: sent and delivered too; one undelivered was sent, and failed).
FIGURES: dict[str, tuple[str, ...]] = {
    "sent": ("accepted", "undelivered", "delivered", "read"),
    "delivered": ("delivered", "read"),
    "failed": ("refused", "undelivered"),
    "read": ("read",),
    "opted_out": ("opted_out",),
}
#: What an alert's figures may be split by.
ALERT_SPLITS = ("language", "channel", "department")


def alert_figures(
    found: list[Tally], alert_ids: list[int], split: str, k: int, noise: CellKeys | None
) -> dict[str, Published]:
    """Each figure (:data:`FIGURES`) as a table: a row per alert, a column per value of
    ``split`` (or one column, ``all``). Every cell is a count of residents perturbed by
    their cell key, the sum of their record keys kept in the tallies, and hidden under k;
    each alert's row is then suppressed as a series with its total, so that its total
    minus the shown cells never gives a hidden one. The rows overlap (a resident gets
    several alerts): no column totals."""
    if split != ALL_COLUMNS and split not in ALERT_SPLITS:
        raise ValueError(f"unknown split {split!r}")
    cells: dict[tuple[str, int, str], list[int]] = defaultdict(lambda: [0, 0])
    for tally in found:
        column = ALL_COLUMNS if split == ALL_COLUMNS else str(getattr(tally, split))
        for figure, outcomes in FIGURES.items():
            if tally.outcome in outcomes:
                for where in ((figure, tally.alert, column), (figure, tally.alert, TOTAL)):
                    cells[where][0] += tally.residents
                    cells[where][1] += tally.key_sum
    columns = sorted({c for (_f, _a, c) in cells if c != TOTAL}) or [ALL_COLUMNS]
    rows = [str(a) for a in alert_ids]
    tables = {}
    for figure in FIGURES:
        shown_cells: dict[tuple[str, str], int | None] = {}
        row_totals: dict[str, int | None] = {}
        for alert in alert_ids:
            line = {c: _shown(cells.get((figure, alert, c)), k, noise) for c in columns}
            total = _shown(cells.get((figure, alert, TOTAL)), k, noise)
            # Hidden cells are given as 1 (under k) so that the series' complementary
            # suppression sees them hidden; their value is never shown.
            series, shown_total = suppress_series(
                {c: 1 if v is None else v for c, v in line.items()},
                1 if total is None else total, k,
            )  # fmt: skip
            for column in columns:
                shown_cells[str(alert), column] = None if line[column] is None else series[column]
            row_totals[str(alert)] = None if total is None else shown_total
            if columns == [ALL_COLUMNS]:
                shown_cells[str(alert), ALL_COLUMNS] = row_totals[str(alert)]
        hidden = sum(1 for v in shown_cells.values() if v is None)
        tables[figure] = Published(rows, columns, shown_cells, row_totals, {}, None, k, hidden,
                                   totals=False)  # fmt: skip
    return tables


def _shown(cell: list[int] | None, k: int, noise: CellKeys | None) -> int | None:
    """A tally's count as published: perturbed by its cell key, None under k."""
    if cell is None or cell[0] <= 0:
        return 0
    true, key_sum = cell
    shown = true if noise is None else noise.count(true, key_sum % RANGE)
    return None if shown < check_k(k) or true < check_k(k) else shown


def N_(word: str) -> str:
    """Marks a title for the dashboard's catalog; translated where it is shown."""
    return word


#: Each figure's table: its title and what it counts.
FIGURE_TITLES = {
    "sent": N_("Alerts sent"),
    "delivered": N_("Alerts delivered"),
    "failed": N_("Alerts failed"),
    "read": N_("Alerts read"),
    "opted_out": N_("Opted out after an alert"),
}
FIGURE_NOTES = {
    "sent": N_("Residents whose alert Twilio took. A message whose fate is unknown (the sender "
               "stopped during its request) is not counted."),
    "delivered": N_("Residents whose phone company or WhatsApp confirmed the delivery."),
    "failed": N_("Residents whose alert Twilio refused, or could not deliver."),
    "read": N_("Residents who opened it on WhatsApp (SMS says nothing of reading)."),
    "opted_out": N_("Residents who said BAJA (STOP) or ALERTAS NO, or whose phone company "
                    "reported them opted out, within 7 days of an alert reaching Twilio. "
                    "BORRAR is not counted: it deletes everything about the resident."),
}  # fmt: skip


def alert_sections(
    db: Database, alert_ids: list[int], split: str, k: int, noise: CellKeys | None
) -> list[Section]:
    """The published figures of ``alert_ids``, one table per figure, after bringing the
    tallies up to date (what the sender, a prune or an opt-out left to count)."""
    if noise is not None:
        with immediate(db):
            settle_all(db, noise.record_key)
    tables = alert_figures(tallies(db, alert_ids), alert_ids, split, k, noise)
    return [
        Section(f"alert_{figure}", FIGURE_TITLES[figure], "residents", table,
                FIGURE_NOTES[figure])
        for figure, table in tables.items()
    ]  # fmt: skip
