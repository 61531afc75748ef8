"""Charts drawn on the server as SVG: no script, no network, readable on a phone."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape


def bar_chart(series: Sequence[tuple[str, int | None]], label: str, empty: str) -> str:
    """Vertical bars, one per period, on a scale marked at its top value; with few bars,
    each carries its value (a phone shows no tooltips). A hidden count is drawn as ×."""
    if not series:
        return f'<p class="note">{escape(empty)}</p>'
    top = max((v for _, v in series if v), default=1)
    # Room on the left for the scale's top value as a phone draws it (dashboard.css).
    width, height, gap, left, above = 640, 180, 2, max(44, 8 + DIGIT * len(str(top))), 20
    bar = max(2, (width - left - gap * len(series)) // len(series))
    # Values over the bars only where each fits over its bar at a phone's text size:
    # overlapping numbers read as one wrong number.
    labelled = len(series) <= 16 and bar >= DIGIT * len(str(top))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height + above + 24}" role="img" '
        f'aria-label="{escape(label)}">',
        # The scale: its top value, with a faint line across.
        f'<text x="{left - 6}" y="{above + 4}" text-anchor="end">{top}</text>',
        f'<line x1="{left}" y1="{above}" x2="{width}" y2="{above}" class="scale"/>',
        f'<text x="{left - 6}" y="{above + height}" text-anchor="end">0</text>',
    ]
    for n, (name, value) in enumerate(series):
        x = left + n * (bar + gap)
        if value is None:
            if bar >= DIGIT:
                parts.append(
                    f'<text x="{x + bar / 2:g}" y="{above + height}" text-anchor="middle" '
                    f'class="hidden">×</text>'
                )
            else:
                # Days side by side, each too narrow for its ×: a row of them reads as one
                # smudge, so each is a low mark in the ×'s colour, named in its title.
                parts.append(
                    f'<rect x="{x}" y="{above + height - 5}" width="{bar}" height="5" '
                    f'class="hidden"><title>{escape(name)}: ×</title></rect>'
                )
            continue
        h = round(height * value / top)
        parts.append(
            f'<rect x="{x}" y="{above + height - h}" width="{bar}" height="{h}">'
            f"<title>{escape(name)}: {value}</title></rect>"
        )
        if labelled and value:
            parts.append(
                f'<text x="{x + bar / 2:g}" y="{above + height - h - 3}" '
                f'text-anchor="middle">{value}</text>'
            )
    parts.append(f'<text x="{left}" y="{above + height + 18}">{escape(series[0][0])}</text>')
    parts.append(
        f'<text x="{width}" y="{above + height + 18}" text-anchor="end">'
        f"{escape(series[-1][0])}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


#: The width of a digit, in the chart's units, at the text size a phone draws it
#: (dashboard.css: 18 of 640 units, about 10 px on a 390 px screen).
DIGIT = 11


def share(value: int | None, values: Sequence[int | None]) -> int:
    """A value as a percentage of the largest shown one, for a bar drawn in SVG."""
    top = max((v for v in values if v), default=0)
    return 0 if not value or not top else round(100 * value / top)
