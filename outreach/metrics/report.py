"""What the dashboard shows: several suppressed tables and a server-rendered chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

from sqlite_utils import Database

from .queries import ALL, Query, reached
from .suppression import Published, suppress_series


@dataclass(frozen=True)
class Section:
    title: str
    table: Published
    note: str = ""


#: (title, event kind, dimension): each a count of distinct residents.
SECTIONS = (
    ("Conversations started, by flow", "flow_started", "flow"),
    ("Conversations completed, by flow", "flow_completed", "flow"),
    ("Where residents go, by node (the funnel)", "node_visited", "node"),
    ("Referrals, by programme", "referral_given", "programme"),
    ("Not understood, by node (a keyword or translation to improve?)",
     "input_not_understood", "node"),
    ("Not understood, by language", "input_not_understood", "language"),
    ("Opted out (STOP), by language", "opt_out_requested", "language"),
)  # fmt: skip


def sections(db: Database, since: date, until: date, k: int) -> list[Section]:
    return [
        Section(title, reached(db, Query(since, until, dimension, ALL, kind), k))
        for title, kind, dimension in SECTIONS
    ]


def erasures(db: Database, since: date, until: date, k: int) -> int | None:
    """Residents who deleted their data in the range (anonymous counts); hidden if small."""
    row = db.execute(
        "SELECT coalesce(sum(count), 0) FROM anonymous_counts "
        "WHERE metric = 'erasure' AND day >= ? AND day <= ?",
        [since.isoformat(), until.isoformat()],
    ).fetchone()
    count = int(row[0])
    return None if 0 < count < k else count


def segments_sent(db: Database, since: date, until: date) -> int:
    """SMS segments sent in the range: a sum over everyone, not about anyone."""
    row = db.execute(
        "SELECT coalesce(sum(segments), 0) FROM events WHERE channel = 'sms' "
        "AND at >= ? AND at < date(?, '+1 day')",
        [since.isoformat(), until.isoformat()],
    ).fetchone()
    return int(row[0])


def daily_reach(db: Database, since: date, until: date, k: int) -> list[tuple[str, int | None]]:
    table = reached(db, Query(since, until, "day", ALL), k)
    counts = {r: table.row_totals[r] for r in table.rows}
    return sorted(counts.items())


def bar_chart(series: list[tuple[str, int | None]], label: str) -> str:
    """An SVG bar chart that needs no script and no network. Hidden days are marked ×."""
    if not series:
        return '<p class="note">No data in this range.</p>'
    width, height, gap = 640, 180, 2
    top = max((v for _, v in series if v), default=1)
    bar = max(2, (width - gap * len(series)) // len(series))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height + 24}" role="img" '
        f'aria-label="{escape(label)}">'
    ]
    for n, (day, value) in enumerate(series):
        x = n * (bar + gap)
        if value is None:
            parts.append(f'<text x="{x}" y="{height}" class="hidden">×</text>')
            continue
        h = round(height * value / top)
        parts.append(
            f'<rect x="{x}" y="{height - h}" width="{bar}" height="{h}">'
            f"<title>{escape(day)}: {value}</title></rect>"
        )
    parts.append(f'<text x="0" y="{height + 18}">{escape(series[0][0])}</text>')
    parts.append(
        f'<text x="{width}" y="{height + 18}" text-anchor="end">{escape(series[-1][0])}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


__all__ = ["Section", "bar_chart", "daily_reach", "erasures", "sections", "segments_sent",
           "suppress_series"]  # fmt: skip
