"""The dashboard's pages as data: each a list of suppressed tables (:mod:`.sections`),
split the same way.

One place decides what a page publishes, so that the page, its CSV and its JSON export
show the same figures. The reach figures of the overview share one total: it is hidden in
all of them or in none, so no hidden figure can be worked out by comparing two tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlite_utils import Database

from outreach.engine.model import (
    DEPARTMENT_FIELD,
    FlowSet,
    QuestionNode,
)

from .cellkey import USUAL_NOISE, CellKeys
from .queries import ALL, Query
from .sections import (
    Headline,
    Section,
    flows,
    menu_choices,
    node_order,
    not_understood_rates,
    overview,
    quality,
    topic_nodes,
    topics,
)
from .suppression import Published, suppress_series
from .usefulness import usefulness
from .voice import VoiceHeadline, voice
from .voice import headline_rows as voice_headline_rows

#: Translatable titles are marked with this no-op, so Babel's extractor finds them; the
#: dashboard translates them when it renders.
_: Callable[[str], str] = lambda text: text  # noqa: E731

PAGES = ("overview", "flows", "topics", "quality", "voice")

#: What every page and every export says about its figures: the one copy of the text,
#: which the dashboard's pages and exports (translated) and `outreach metrics` all use.
PERTURBED = _(
    "Every figure is perturbed by a small amount (9 figures in 10 by at most %(n)s either "
    "way, rarely more), always the same for the same residents, so that no one can be "
    "singled out by comparing figures. Read them as approximate; totals need not add up "
    "exactly."
)


def earlier_trend(db: Database, query: Query) -> list[tuple[str, int | None]]:
    """Residents reached per day on days past the retention window: only what
    ``outreach purge`` kept, suppressed when it was folded. Filters do not apply: the
    details they would need are gone."""
    return [
        (day, None if value is None else int(value))
        for day, value in db.execute(
            "SELECT day, count FROM daily_aggregates WHERE metric = 'residents_reached' "
            "AND dimension = 'all' AND day >= ? AND day <= ? ORDER BY day",
            [query.since.isoformat(), query.until.isoformat()],
        )
    ]


class UnknownPage(ValueError):
    """A page the dashboard does not have."""


class UnknownFlow(ValueError):
    """A flow the deployment does not have, asked for its funnel."""


@dataclass(frozen=True)
class Page:
    """What one page shows: its tables, and what else the page has of the figures. The
    page, its CSV and JSON exports and ``outreach metrics --page`` all take it from
    :func:`page_sections`, so they cannot disagree."""

    name: str
    sections: list[Section]
    #: The overview's figures that are not tables.
    headline: Headline | None = None
    #: The flows page: the flow whose funnel is shown, and every flow one can choose.
    flow: str = ""
    flow_ids: list[str] = field(default_factory=list)
    #: The quality page: messages not understood, in percent, per language and per step.
    rates: dict[str, float | None] = field(default_factory=dict)
    node_rates: dict[str, float | None] = field(default_factory=dict)
    #: The voice page's figures that are not tables (outreach.metrics.voice).
    voice: VoiceHeadline | None = None

    def context(self) -> dict[str, Any]:
        """The page's figures by name, for a template (tables stay as they are)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def page_sections(
    page: str,
    db: Database,
    query: Query,
    period: str,
    k: int,
    noise: CellKeys | None,
    content: FlowSet,
    flow: str | None = None,
) -> Page:
    """What one page shows: THE place that decides it, for the dashboard's pages and
    exports and for ``outreach metrics --page``. ``flow``: the flow of the funnel (by
    default the main menu's); ``period``: the bars of the overview's series.
    Raises UnknownPage or UnknownFlow."""
    if page == "overview":
        headline, sections = overview(db, query, period, k, noise)
        return Page(page, sections, headline=headline)
    if page == "flows":
        # By default the main menu's flow: every conversation passes it.
        chosen = flow or content.deployment.main_flow
        if chosen not in content.flows:
            raise UnknownFlow(chosen)
        order = node_order(content.flows[chosen])
        menus = menu_choices(content.flows[chosen], content.flows)
        return Page(page, flows(db, query, chosen, order, k, noise, menus), flow=chosen,
                    flow_ids=list(content.flows))  # fmt: skip
    if page == "topics":
        nodes = topic_nodes(content.flows.values())
        shown = topics(db, query, nodes, k, noise)
        useful = usefulness(db, query, content, nodes, k, noise)
        return Page(page, shown[:1] + ([useful] if useful else []) + shown[1:])
    if page == "quality":
        steps = [step for f in content.flows.values() for step in node_order(f)]
        return Page(page, quality(db, query, k, noise, steps),
                    rates=not_understood_rates(db, query, k, noise=noise),
                    node_rates=not_understood_rates(db, query, k, "node", noise))  # fmt: skip
    if page == "voice":
        spoken, sections = voice(db, query, k, noise)
        return Page(page, sections, voice=spoken)
    raise UnknownPage(page)


def page_figures(
    shown: Page,
    price: float | None,
    currency: str,
    voice_price: float | None = None,
    voice_currency: str = "USD",
) -> list[dict[str, object]]:
    """Every published figure of a page, one row each: what its exports hold (the
    overview's headline, with the estimated cost at ``price`` per segment; the voice
    page's, with the cost at ``voice_price`` per minute; the quality page's rates),
    before :func:`with_note` says what they are."""
    figures = rows_of(shown.sections)
    if shown.voice is not None:
        figures = voice_headline_rows(shown.voice, voice_price, voice_currency) + figures
    if shown.headline is not None:
        figures = headline_rows(shown.headline, price, currency) + figures
    if shown.name == "quality":
        figures += rate_rows("not_understood_rate_by_language", shown.rates)
        figures += rate_rows("not_understood_rate_by_node", shown.node_rates)
    return figures


def row_dimensions(shown: Page) -> dict[str, str]:
    """What the rows of each table of a page's figures are (a section's ``rows_by``; the
    quality page's rates), so that exports and ``outreach metrics`` name them as the
    page does (outreach.metrics.names)."""
    dimensions = {section.id: section.rows_by for section in shown.sections}
    if shown.name == "quality":
        dimensions |= {"not_understood_rate_by_language": "language",
                       "not_understood_rate_by_node": "topic"}  # fmt: skip
    return dimensions


def column_dimensions(shown: Page, split: str) -> dict[str, str]:
    """What the columns of each table of a page's figures are: the query's split, or a
    section's own (``columns_by``)."""
    return {section.id: section.columns_by or split for section in shown.sections}


def auto_period(since: date, until: date) -> str:
    """The bars of a range's series by its length: a day for up to two months, a week up
    to a year, then a month."""
    days = (until - since).days
    return "day" if days <= 62 else "week" if days <= 366 else "month"


def filter_values(content: FlowSet) -> dict[str, list[str]]:
    """The values the filters offer: the deployment's languages, the channels, and the
    answers of the list the department question checks against."""
    departments = sorted(
        item.value
        for flow in content.flows.values()
        for node in flow.nodes.values()
        if isinstance(node, QuestionNode) and node.save == DEPARTMENT_FIELD and node.check.list_id
        for item in content.lists[node.check.list_id].items
    )
    return {
        "language": [lang.code for lang in content.deployment.languages],
        "channel": ["sms", "whatsapp", "voice", "web"],
        "department": [*dict.fromkeys(departments), "unknown"],
    }


def series(
    table: Published, since: date | None = None, until: date | None = None, period: str = "day"
) -> list[tuple[str, int | None]]:
    """A one-column table as (row, value) pairs, for a chart; given the range, every
    period of it is there, zero where no one came, so the time axis has no gaps."""
    shown = {row: table.row_totals[row] for row in table.rows}
    if since is None or until is None:
        return list(shown.items())
    return [(name, shown.get(name, 0)) for name in period_names(since, until, period)]


def period_names(since: date, until: date, period: str) -> list[str]:
    """The names the queries give the days, weeks (their Monday) or months of a range."""
    names: list[str] = []
    day = since
    while day <= until:
        if period == "week":
            name = (day - timedelta(days=day.weekday())).isoformat()
        elif period == "month":
            name = day.isoformat()[:7]
        else:
            name = day.isoformat()
        if not names or names[-1] != name:
            names.append(name)
        day += timedelta(days=1)
    return names


def rows_of(sections: Iterable[Section]) -> list[dict[str, object]]:
    """Every published figure of a page, one row each, for CSV and JSON exports."""
    out: list[dict[str, object]] = []
    for section in sections:
        table = section.table
        for row in section.rows:
            for column in table.columns:
                out.append(_export_row(section, row, column, table.cells[row, column]))
            if table.columns != [ALL]:
                out.append(_export_row(section, row, "total", table.row_totals[row]))
        if not table.totals:
            continue  # rows that overlap: their sums mean nothing, and are not published
        if table.columns != [ALL]:
            for column in table.columns:
                out.append(_export_row(section, "total", column, table.column_totals[column]))
        out.append(_export_row(section, "total", "total", table.total))
    return out


def headline_rows(
    headline: Headline, price: float | None, currency: str
) -> list[dict[str, object]]:
    """The overview's figures that are not tables (erasures, cost...), as export rows."""
    units = {"reached": "residents", "new": "residents", "returning": "residents",
             "messages_in": "messages", "messages_out": "messages", "segments": "segments",
             "opt_outs": "residents", "erasures": "residents"}  # fmt: skip
    out = [_figure("headline", unit, name, getattr(headline, name)) for name, unit in units.items()]
    if price is not None:
        cost = None if headline.segments is None else round(headline.segments * price, 2)
        out.append(_figure("headline", currency, "estimated_cost", cost))
    return out


def rate_rows(table: str, rates: dict[str, float | None]) -> list[dict[str, object]]:
    """Percentages such as "not understood" per language, as export rows."""
    return [_figure(table, "percent", name, rate) for name, rate in rates.items()]


def _figure(table: str, unit: str, row: str, value: float | None) -> dict[str, object]:
    return {"table": table, "unit": unit, "row": row, "column": ALL,
            "value": "" if value is None else value, "suppressed": value is None}  # fmt: skip


def with_note(
    figures: Sequence[dict[str, object]], note: str, **about: object
) -> list[dict[str, object]]:
    """Export rows that each carry what the figures are (``about``) and the perturbation
    statement. A page whose every cell is hidden still gives one row, with no figure, so
    that no export, empty or not, leaves the statement out."""
    told = about | {"usual_perturbation": USUAL_NOISE, "perturbation": note}
    nothing = {"table": "", "unit": "", "row": "", "column": "", "value": "", "suppressed": True}
    return [told | row for row in figures or [nothing]]


def _export_row(section: Section, row: str, column: str, value: int | None) -> dict[str, object]:
    return {"table": section.id, "unit": section.unit, "row": row, "column": column,
            "value": "" if value is None else value, "suppressed": value is None}  # fmt: skip


__all__ = [
    "Page",
    "UnknownFlow",
    "UnknownPage",
    "auto_period",
    "column_dimensions",
    "earlier_trend",
    "filter_values",
    "headline_rows",
    "page_figures",
    "page_sections",
    "rate_rows",
    "row_dimensions",
    "rows_of",
    "series",
    "suppress_series",
    "with_note",
]  # fmt: skip
