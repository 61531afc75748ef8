"""The tables each dashboard page is made of, as data: reach, messages and opt-outs;
flows and their funnels; topics and referrals; what was not understood.

Every table is counted by :mod:`.queries` (suppressed, and perturbed with the
deployment's cell keys); :mod:`.report` decides which of them a page shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlite_utils import Database

from outreach.engine.model import DirectoryNode, Flow, MenuNode, MessageNode

from .cellkey import CellKeys
from .queries import ALL, Measure, Query, Request, count, count_many
from .suppression import Published

#: Translatable titles are marked with this no-op, so Babel's extractor finds them; the
#: dashboard translates them when it renders.
_: Callable[[str], str] = lambda text: text  # noqa: E731


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
    #: What the rows are, for their names (outreach.metrics.names.Names.of): "flow",
    #: "node" (steps of one flow), "topic" (steps of several flows), "programme",
    #: "language"...; "" for rows the interface names itself (new, returning...).
    rows_by: str = ""
    #: What the columns are when they are not the query's split (the usefulness
    #: question's answers: "node").
    columns_by: str = ""
    #: The step a table is about (a menu's choices), named after its title.
    subject: str = ""
    #: Residents the shares of the rows are of (a menu's visitors, as its funnel row
    #: publishes them); None: the rows have no shares.
    base: int | None = None

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
    menus: Sequence[tuple[str, Sequence[str]]] = (),
) -> list[Section]:
    """Conversations started and completed per flow, one flow's funnel (every step of
    ``order``, 0 where no one arrived), and the choices made at each of its ``menus``
    (see :func:`menu_choices`)."""
    funnel = Measure(("node_visited",), where="flow = ?", params=(flow,))
    steps = count(db, query, funnel, "node", k, totals=False, noise=noise, expected_rows=order)
    sections = [
        Section("started", _("Conversations started, by flow"), _("conversations"),
                count(db, query, Measure(("flow_started",), value="events"), "flow", k,
                      totals=False, noise=noise), rows_by="flow"),
        Section("completed", _("Conversations completed, by flow"), _("conversations"),
                count(db, query, Measure(("flow_completed",), value="events"), "flow", k,
                      totals=False, noise=noise), rows_by="flow"),
        Section("funnel", _("How far residents get in a flow (the funnel)"), _("residents"),
                steps,
                _("Residents who reached each step, in the flow's order: where the numbers "
                  "drop, people stop. 0: no one reached it."), order=order, rows_by="node"),
    ]  # fmt: skip
    for menu, choices in menus:
        chosen = Measure(("node_visited",), where=f"flow || '/' || node IN ({_marks(choices)})",
                         params=tuple(choices))  # fmt: skip
        table = count(db, query, chosen, "node", k, totals=False, noise=noise,
                      expected_rows=choices)  # fmt: skip
        sections.append(
            Section(f"choices_{menu.replace('/', '_')}", _("What residents chose at a menu"),
                    _("residents"), table,
                    _("Residents who went on to each choice, and their share of those who "
                      "reached the menu (a flow a choice opens can also be opened by its "
                      "keyword)."), order=choices, rows_by="node", subject=menu,
                    base=steps.row_totals.get(menu))
        )  # fmt: skip
    return sections


def menu_choices(flow: Flow, flows: dict[str, Flow]) -> list[tuple[str, list[str]]]:
    """Each menu of ``flow`` (as flow/node) with the steps its options lead to, in the
    options' order: a step of the flow, or the first step of the flow an option runs. An
    option back to the flow's start or to the menu itself is not a choice of content."""
    found = []
    for node in flow.nodes.values():
        if not isinstance(node, MenuNode):
            continue
        steps: list[str] = []
        for option in node.options:
            if option.go and option.go not in (flow.start, node.id):
                step = f"{flow.id}/{option.go}"
            elif option.flow and option.flow in flows:
                step = f"{option.flow}/{flows[option.flow].start}"
            else:
                continue
            if step not in steps:
                steps.append(step)
        if steps:
            found.append((f"{flow.id}/{node.id}", steps))
    return found


def _marks(values: Sequence[str]) -> str:
    return ", ".join("?" for _ in values) or "NULL"


def topics(
    db: Database, query: Query, topic_nodes: Sequence[str], k: int, noise: CellKeys | None = None
) -> list[Section]:
    """Which information residents read, and the programmes they were referred to."""
    viewed = Measure(
        ("node_visited",),
        where=f"flow || '/' || node IN ({_marks(topic_nodes)})",
        params=tuple(topic_nodes),
    )
    return [
        Section("topics", _("Topics viewed"), _("residents"),
                count(db, query, viewed, "node", k, totals=False, noise=noise,
                      expected_rows=topic_nodes),
                _("0: no one read it in this range."), order=topic_nodes, rows_by="topic"),
        Section("referrals", _("Referrals, by programme"), _("referrals"),
                count(db, query, Measure(("referral_given",), value="events"), "programme", k,
                      totals=False, noise=noise), rows_by="programme"),
    ]  # fmt: skip


def quality(
    db: Database,
    query: Query,
    k: int,
    noise: CellKeys | None = None,
    order: Sequence[str] = (),
) -> list[Section]:
    """Where residents were not understood: a keyword or a translation to improve.
    ``order``: the steps in the content's order (every flow's, one after the other)."""
    not_understood = Measure(("input_not_understood",), value="events")
    return [
        Section("not_understood_language", _("Messages not understood, by language"),
                _("messages"), count(db, query, not_understood, "language", k, noise=noise),
                rows_by="language"),
        Section("not_understood_node", _("Messages not understood, by step"), _("messages"),
                count(db, query, not_understood, "node", k, totals=False, noise=noise),
                _("The steps where a keyword list or a translation needs work."),
                order=order, rows_by="topic"),
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
