"""An alert's audience as a published figure: the subscribers it would reach, perturbed
by their record keys (the same set of residents always gets the same noise, however
the filters are chosen) and hidden under k, as every figure staff see is."""

from __future__ import annotations

from collections import defaultdict

from sqlite_utils import Database

from outreach.storage.subscriptions import audience

from .cellkey import CellKeys
from .suppression import check_k


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
