"""Usefulness per topic (issue #19): the answers to the deployment's usefulness question
(deployment.yaml ``usefulness:``, the feedback flow: "Me sirvió" / "Un poco" / "No") by
the topic the resident read, counted from the events that exist, published as every
figure is: cell keys, then cells under k hidden.

A resident counts for a topic and an answer when, on the same day, they read the topic
and gave that answer: the question comes after the first topic of a conversation, so a
resident who read two topics that day counts for both (rows overlap: no totals).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlite_utils import Database

from outreach.engine.model import FlowSet, MenuNode

from .cellkey import CellKeys
from .queries import Measure, Query, Request, publish_cells
from .scan import DIMENSIONS, Amounts, Cells
from .sections import Section

_: Callable[[str], str] = lambda text: text  # noqa: E731

#: Who is counted: distinct residents, as in any table of steps.
USEFULNESS = Measure(("node_visited",))


def answers(content: FlowSet) -> list[str]:
    """The usefulness question's answers, as the steps (flow/node) each option leads to,
    in the options' order; none when the deployment asks no such question."""
    flow = content.flows.get(content.deployment.usefulness or "")
    if flow is None:
        return []
    menu = flow.nodes[flow.start]
    if not isinstance(menu, MenuNode):
        return []
    return list(dict.fromkeys(f"{flow.id}/{o.go}" for o in menu.options if o.go))


def usefulness(
    db: Database,
    query: Query,
    content: FlowSet,
    topic_nodes: Sequence[str],
    k: int,
    noise: CellKeys | None = None,
) -> Section | None:
    """Residents per topic (rows) and answer (columns); None without a question."""
    given = answers(content)
    if not given or not topic_nodes:
        return None
    where = [
        "t.kind = 'node_visited'", "a.kind = 'node_visited'", "t.day >= ?", "t.day <= ?",
        f"t.flow || '/' || t.node IN ({_marks(topic_nodes)})",
        f"a.flow || '/' || a.node IN ({_marks(given)})",
    ]  # fmt: skip
    params = [query.since.isoformat(), query.until.isoformat(), *topic_nodes, *given]
    for name, value in query.filters:
        # The filters are of the topic's row (its day's language, channel, department).
        where.append(f"t.{DIMENSIONS[name]} = ?")
        params.append(value)
    sql = (
        "SELECT DISTINCT t.resident, t.flow || '/' || t.node, a.flow || '/' || a.node "
        "FROM activity t JOIN activity a ON a.resident = t.resident AND a.day = t.day "
        f"WHERE {' AND '.join(where)}"
    )
    residents: Cells = {}
    amounts: Amounts = {}
    for resident, topic, answer in db.execute(sql, params):
        residents.setdefault((str(topic), str(answer)), set()).add(str(resident))
        amounts.setdefault((str(topic), str(answer)), [])
    request = Request(query, (USEFULNESS,), "node", k, totals=False, noise=noise,
                      expected_rows=tuple(topic_nodes), columns=tuple(given))  # fmt: skip
    [table] = publish_cells(residents, amounts, request)
    return Section(
        "usefulness", _("Was it useful? Answers by topic"), _("residents"), table,
        _("Residents who read the topic and answered the question the same day, by their "
          "answer. Someone who read two topics that day counts for both."),
        order=topic_nodes, rows_by="topic", columns_by="node",
    )  # fmt: skip


def _marks(values: Sequence[str]) -> str:
    return ", ".join("?" for _ in values)
