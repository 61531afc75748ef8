"""Charts drawn on the server as SVG: no script, no network, readable on a phone."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape


def bar_chart(series: Sequence[tuple[str, int | None]], label: str, empty: str) -> str:
    """Vertical bars, one per period. A hidden count is drawn as × at the baseline."""
    if not series:
        return f'<p class="note">{escape(empty)}</p>'
    width, height, gap = 640, 180, 2
    top = max((v for _, v in series if v), default=1)
    bar = max(2, (width - gap * len(series)) // len(series))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height + 24}" role="img" '
        f'aria-label="{escape(label)}">'
    ]
    for n, (name, value) in enumerate(series):
        x = n * (bar + gap)
        if value is None:
            parts.append(f'<text x="{x}" y="{height}" class="hidden">×</text>')
            continue
        h = round(height * value / top)
        parts.append(
            f'<rect x="{x}" y="{height - h}" width="{bar}" height="{h}">'
            f"<title>{escape(name)}: {value}</title></rect>"
        )
    parts.append(f'<text x="0" y="{height + 18}">{escape(series[0][0])}</text>')
    parts.append(
        f'<text x="{width}" y="{height + 18}" text-anchor="end">{escape(series[-1][0])}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def share(value: int | None, values: Sequence[int | None]) -> int:
    """A value as a percentage of the largest shown one, for a bar drawn in CSS."""
    top = max((v for v in values if v), default=0)
    return 0 if not value or not top else round(100 * value / top)
