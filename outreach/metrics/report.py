"""The dashboard's pages as data: each a list of suppressed tables, split the same way.

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
    DirectoryNode,
    Flow,
    FlowSet,
    MenuNode,
    MessageNode,
    QuestionNode,
)

from .cellkey import USUAL_NOISE, CellKeys
from .queries import ALL, Measure, Query, Request, count, count_many
from .suppression import Published, suppress_series

#: Translatable titles are marked with this no-op, so Babel's extractor finds them; the
#: dashboard translates them when it renders.
_: Callable[[str], str] = lambda text: text  # noqa: E731

PAGES = ("overview", "flows", "topics", "quality")

#: What every page and every export says about its figures: the one copy of the text,
#: which the dashboard's pages and exports (translated) and `outreach metrics` all use.
PERTURBED = _(
    "Every figure is perturbed by a small amount (9 figures in 10 by at most %(n)s either "
    "way, rarely more), always the same for the same residents, so that no one can be "
    "singled out by comparing figures. Read them as approximate; totals need not add up "
    "exactly."
)


@dataclass(frozen=True)
class Section:
    """One published table. ``unit`` says what its numbers count."""

    id: str
    title: str
    unit: str
    table: Published
    note: str = ""
    #: Row labels in display order (e.g. a flow's nodes in the order the flow has them).
    order: Sequence[str] = field(default=())

    @property
    def rows(self) -> list[str]:
        if not self.order:
            return self.table.rows
        rank = {name: n for n, name in enumerate(self.order)}
        return sorted(self.table.rows, key=lambda r: (rank.get(r, len(rank)), r))


@dataclass(frozen=True)
class Headline:
    """Figures of the overview that are not tables."""

    reached: int | None
    new: int | None
    returning: int | None
    messages_in: int | None
    messages_out: int | None
    segments: int | None
    opt_outs: int | None
    erasures: int | None


def overview(
    db: Database, query: Query, period: str, k: int, noise: CellKeys | None = None
) -> tuple[Headline, list[Section]]:
    """Reach (new and returning), reach over time, messages, SMS segments, opt-outs.
    ``noise``: the deployment's cell keys, for every published figure (see
    :mod:`.cellkey`); without them the counts are exact, for tests of the counting."""
    since = query.since.isoformat()
    who = Measure(("resident_day",), rows_sql=_new_or_returning(since))
    whole = Query(query.since, query.until, ALL, query.filters)
    # Every table of resident-day rows from one scan of them.
    tables = count_many(db, [
        # Who is new or returning, by the page's split: its total is the headline.
        Request(query, (who,), k=k, noise=noise),
        Request(whole, (REACHED,), period, k, noise=noise),
        # In and out count the same rows (segments count SMS residents only).
        Request(query, (MESSAGES_IN, MESSAGES_OUT), k=k, noise=noise),
        Request(query, (SEGMENTS,), k=k, noise=noise),
    ])  # fmt: skip
    [reach], [over_time], [messages_in, messages_out], [segments] = tables
    if (reach.total is None) != (over_time.total is None):
        # The same number in two tables: hidden in both, or neither would protect it.
        [reach], [over_time] = count_many(db, [
            Request(query, (who,), k=k, hide_total=True, noise=noise),
            Request(whole, (REACHED,), period, k, hide_total=True, noise=noise),
        ])  # fmt: skip
    opt_outs = count(db, query, Measure(("opt_out_requested",)), k=k, noise=noise)
    danger = count(db, query, Measure(("danger_recognised",), value="events"), k=k, noise=noise)
    headline = Headline(
        reach.total,
        # A row that is missing counted no one: zero, not hidden.
        reach.row_totals.get("new", 0),
        reach.row_totals.get("returning", 0),
        messages_in.total,
        messages_out.total,
        segments.total,
        opt_outs.total,
        erasures(db, query, k, noise),
    )
    sections = [
        Section("reach", _("Residents reached, new and returning"), _("residents"), reach,
                _("New: first wrote in this range. Returning: wrote before it too.")),
        Section("reach_over_time", _("Residents reached over time"), _("residents"),
                over_time),
        Section("messages_in", _("Messages received"), _("messages"), messages_in),
        Section("messages_out", _("Messages sent"), _("messages"), messages_out,
                _("Several short replies may travel in one SMS.")),
        Section("segments", _("SMS segments sent"), _("segments"), segments,
                _("What an SMS costs is paid per segment. WhatsApp has no segments.")),
        Section("opt_outs", _("Residents who opted out (STOP)"), _("residents"), opt_outs),
        Section("danger", _("Messages naming a danger, answered with the emergency message"),
                _("messages"), danger,
                _("A danger word of deployment.yaml was found; the words are not kept.")),
    ]  # fmt: skip
    return headline, sections


def flows(
    db: Database,
    query: Query,
    flow: str,
    order: Sequence[str],
    k: int,
    noise: CellKeys | None = None,
) -> list[Section]:
    """Conversations started and completed per flow, and one flow's funnel."""
    funnel = Measure(("node_visited",), where="flow = ?", params=(flow,))
    return [
        Section("started", _("Conversations started, by flow"), _("conversations"),
                count(db, query, Measure(("flow_started",), value="events"), "flow", k,
                      totals=False, noise=noise)),
        Section("completed", _("Conversations completed, by flow"), _("conversations"),
                count(db, query, Measure(("flow_completed",), value="events"), "flow", k,
                      totals=False, noise=noise)),
        Section("funnel", _("How far residents get in a flow (the funnel)"), _("residents"),
                count(db, query, funnel, "node", k, totals=False, noise=noise),
                _("Residents who reached each step, in the flow's order: where the numbers "
                  "drop, people stop."), order=order),
    ]  # fmt: skip


def topics(
    db: Database, query: Query, topic_nodes: Sequence[str], k: int, noise: CellKeys | None = None
) -> list[Section]:
    """Which information residents read, and the programmes they were referred to."""
    marks = ", ".join("?" for _ in topic_nodes) or "NULL"
    viewed = Measure(
        ("node_visited",), where=f"flow || '/' || node IN ({marks})", params=tuple(topic_nodes)
    )
    return [
        Section("topics", _("Topics viewed"), _("residents"),
                count(db, query, viewed, "node", k, totals=False, noise=noise)),
        Section("referrals", _("Referrals, by programme"), _("referrals"),
                count(db, query, Measure(("referral_given",), value="events"), "programme", k,
                      totals=False, noise=noise)),
    ]  # fmt: skip


def quality(db: Database, query: Query, k: int, noise: CellKeys | None = None) -> list[Section]:
    """Where residents were not understood: a keyword or a translation to improve."""
    not_understood = Measure(("input_not_understood",), value="events")
    return [
        Section("not_understood_language", _("Messages not understood, by language"),
                _("messages"), count(db, query, not_understood, "language", k, noise=noise)),
        Section("not_understood_node", _("Messages not understood, by step"), _("messages"),
                count(db, query, not_understood, "node", k, totals=False, noise=noise),
                _("The steps where a keyword list or a translation needs work.")),
    ]  # fmt: skip


def not_understood_rates(
    db: Database, query: Query, k: int, by: str = "language", noise: CellKeys | None = None
) -> dict[str, float | None]:
    """Messages not understood as a percentage: per language, of the messages received;
    per node (``by="node"``), of the visits to that step. Hidden where either count is."""
    whole_query = Query(query.since, query.until, ALL, query.filters)
    overlapping = by == "node"  # one resident, several steps: rows only, as on the page
    # The very table the page shows (same split), so a rate never reveals what it hides.
    lost = count(db, query, Measure(("input_not_understood",), value="events"), by, k,
                 totals=not overlapping, noise=noise)  # fmt: skip
    if overlapping:
        whole = count(db, whole_query, Measure(("node_visited",), value="events"), by, k,
                      totals=False, noise=noise)  # fmt: skip
    else:
        whole = count(db, whole_query, MESSAGES_IN, by, k, noise=noise)
    rates: dict[str, float | None] = {}
    for name in lost.rows:
        part, base = lost.row_totals[name], whole.row_totals.get(name)
        rates[name] = None if part is None or not base else round(100 * part / base, 1)
    return dict(sorted(rates.items(), key=lambda item: -(item[1] or 0)))


def erasures(db: Database, query: Query, k: int, noise: CellKeys | None = None) -> int | None:
    """Residents who deleted their data (anonymous counts: nothing else is left of them).
    Filters on language and channel apply; the department went with the data. Perturbed
    by keys of the counted buckets (day, language, channel), as a cell of residents is."""
    where = ["metric = 'erasure'", "day >= ?", "day <= ?"]
    params = [query.since.isoformat(), query.until.isoformat()]
    for name, wanted in query.filters:
        if name == "department":
            return None
        where.append(f"{name} = ?")
        params.append(wanted)
    buckets = [
        (f"{day}:{language}:{channel}", int(n))
        for day, language, channel, n in db.execute(
            "SELECT day, language, channel, count FROM anonymous_counts"
            f" WHERE {' AND '.join(where)}",
            params,
        )
    ]
    erased = sum(n for _, n in buckets) if noise is None else noise.anonymous_count(buckets)
    return None if 0 < erased < k else erased


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
    #: The topics page: programme names for the referral rows (their ids).
    labels: dict[str, str] = field(default_factory=dict)
    #: The quality page: messages not understood, in percent, per language and per step.
    rates: dict[str, float | None] = field(default_factory=dict)
    node_rates: dict[str, float | None] = field(default_factory=dict)

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
    default the first of the deployment); ``period``: the bars of the overview's series.
    Raises UnknownPage or UnknownFlow."""
    if page == "overview":
        headline, sections = overview(db, query, period, k, noise)
        return Page(page, sections, headline=headline)
    if page == "flows":
        chosen = flow or next(iter(content.flows), "")
        if chosen not in content.flows:
            raise UnknownFlow(chosen)
        order = node_order(content.flows[chosen])
        return Page(page, flows(db, query, chosen, order, k, noise), flow=chosen,
                    flow_ids=list(content.flows))  # fmt: skip
    if page == "topics":
        nodes = topic_nodes(content.flows.values())
        names = {
            programme.id: programme.name
            for directory in content.directories.values()
            for programme in directory.programmes
        }
        return Page(page, topics(db, query, nodes, k, noise), labels=names)
    if page == "quality":
        return Page(page, quality(db, query, k, noise),
                    rates=not_understood_rates(db, query, k, noise=noise),
                    node_rates=not_understood_rates(db, query, k, "node", noise))  # fmt: skip
    raise UnknownPage(page)


def page_figures(shown: Page, price: float | None, currency: str) -> list[dict[str, object]]:
    """Every published figure of a page, one row each: what its exports hold (the
    overview's headline, with the estimated cost at ``price`` per segment; the quality
    page's rates), before :func:`with_note` says what they are."""
    figures = rows_of(shown.sections)
    if shown.headline is not None:
        figures = headline_rows(shown.headline, price, currency) + figures
    if shown.name == "quality":
        figures += rate_rows("not_understood_rate_by_language", shown.rates)
        figures += rate_rows("not_understood_rate_by_node", shown.node_rates)
    return figures


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
        "channel": ["sms", "whatsapp", "web"],
        "department": [*dict.fromkeys(departments), "unknown"],
    }


def topic_nodes(flows: Iterable[Flow]) -> list[str]:
    """The information residents read, as flow/node: the messages and programme listings
    of the flows a menu offers (risks, pathways, programmes...). Not the welcome, which
    every resident gets, nor the closing question's answers."""
    flows = list(flows)
    offered = {
        option.flow
        for flow in flows
        for node in flow.nodes.values()
        if isinstance(node, MenuNode)
        for option in node.options
        if option.flow
    }
    return [
        f"{flow.id}/{node.id}"
        for flow in flows
        if flow.id in offered
        for node in flow.nodes.values()
        if isinstance(node, MessageNode | DirectoryNode)
    ]


def node_order(flow: Flow) -> list[str]:
    """A flow's nodes as flow/node, in the order the file has them: the funnel's order."""
    return [f"{flow.id}/{node}" for node in flow.nodes]


def _new_or_returning(since: str) -> str:
    # An ISO date compared as text: safe to inline, and it keeps the query one statement.
    date.fromisoformat(since)
    return f"CASE WHEN first_seen_on >= '{since}' THEN 'new' ELSE 'returning' END"


#: One row per resident and day carries their messages in and out and SMS segments.
MESSAGES_IN = Measure(("resident_day",), value="events")
MESSAGES_OUT = Measure(("resident_day",), value="messages")
SEGMENTS = Measure(("resident_day",), value="segments", where="channel = 'sms'")
REACHED = Measure(("resident_day",))


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


__all__ = ["Headline", "Page", "Section", "UnknownFlow", "UnknownPage", "auto_period",
           "earlier_trend", "erasures", "filter_values", "flows", "headline_rows", "node_order",
           "not_understood_rates", "overview", "page_figures", "page_sections", "quality",
           "rate_rows", "rows_of", "series",
           "suppress_series", "topic_nodes", "topics", "with_note"]  # fmt: skip
