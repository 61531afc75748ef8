"""Checks that follow the nodes: which nodes can be reached, which loop without ever
waiting for the resident, and which fields are saved before a placeholder, a branch or a
directory listing reads them (and with values a branch can match)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from outreach.engine.matching import normalize
from outreach.engine.model import BranchNode, CheckKind, EndNode, Flow, FlowNode, MessageNode, Node

from .index import NodeRef, SourceIndex
from .problems import Place, Problem, did_you_mean, error, warning


def _node_edges(index: SourceIndex) -> dict[NodeRef, list[str]]:
    """Which nodes each node leads to, within its flow, as written (broken nodes too)."""
    edges: dict[NodeRef, list[str]] = defaultdict(list)
    for ref in index.refs:
        if ref.kind == "node" and ref.flow and ref.source:
            edges[NodeRef(ref.flow, ref.source)].append(ref.target)
    return edges


def check_reachable_nodes(index: SourceIndex) -> list[Problem]:
    edges = _node_edges(index)
    problems = []
    for flow_id, node_ids in index.nodes_by_flow().items():
        reached = {node_ids[0]}
        todo = [node_ids[0]]
        while todo:
            for target in edges[NodeRef(flow_id, todo.pop())]:
                if target not in reached:
                    reached.add(target)
                    todo.append(target)
        for node_id in node_ids:
            if node_id not in reached:
                problems.append(
                    error(
                        index.node_places[NodeRef(flow_id, node_id)],
                        f"node '{node_id}' can never be reached: no node of "
                        f"flow '{flow_id}' leads to it",
                    )
                )
    return problems


def _completes_without_waiting(flows: dict[str, Flow]) -> set[str]:
    """Flows that can run from start to completion without waiting for the resident."""
    quiet: set[str] = set()
    changed = True
    while changed:
        changed = False
        for flow in flows.values():
            if flow.id not in quiet and _can_complete(flow, flows, quiet):
                quiet.add(flow.id)
                changed = True
    return quiet


def _can_complete(flow: Flow, flows: dict[str, Flow], quiet: set[str]) -> bool:
    todo, seen = [flow.start], {flow.start}
    while todo:
        node = flow.nodes.get(todo.pop())
        if node is None or isinstance(node, EndNode):
            continue
        nexts: list[str | None] = []
        if isinstance(node, MessageNode):
            nexts = [node.next]
        elif isinstance(node, BranchNode):
            targets = [c.go for c in node.cases] + [node.otherwise, node.unset]
            nexts = [t for t in targets if t]
        elif isinstance(node, FlowNode) and node.flow in quiet:
            nexts = [node.next]
        for target in nexts:
            if target is None:
                return True
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return False


def check_loops(index: SourceIndex, flows: dict[str, Flow]) -> list[Problem]:
    """Cycles of nodes that never wait would run forever (the engine's guard stops them)."""
    quiet = _completes_without_waiting(flows)

    def passing(flow: Flow, node: Node) -> list[NodeRef]:
        out: list[NodeRef] = []
        if isinstance(node, MessageNode) and node.next:
            out = [NodeRef(flow.id, node.next)]
        elif isinstance(node, BranchNode):
            targets = [c.go for c in node.cases] + [node.otherwise, node.unset]
            out = [NodeRef(flow.id, t) for t in targets if t]
        elif isinstance(node, FlowNode) and node.flow in flows:
            out = [NodeRef(node.flow, flows[node.flow].start)]
            if node.flow in quiet and node.next:
                out.append(NodeRef(flow.id, node.next))
        return [
            ref
            for ref in out
            if ref.node in flows[ref.flow].nodes
            and isinstance(flows[ref.flow].nodes[ref.node], MessageNode | BranchNode | FlowNode)
        ]

    graph = {
        NodeRef(flow.id, node.id): passing(flow, node)
        for flow in flows.values()
        for node in flow.nodes.values()
        if isinstance(node, MessageNode | BranchNode | FlowNode)
    }
    problems = []
    reported: set[NodeRef] = set()
    state: dict[NodeRef, int] = {}  # 1: on the current path, 2: done
    for start in graph:
        if start in state:
            continue
        path: list[NodeRef] = [start]
        iters = [iter(graph[start])]
        state[start] = 1
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
                continue
            if state.get(nxt) == 1:
                loop = path[path.index(nxt) :]
                if not reported.intersection(loop):
                    reported.update(loop)
                    first = min(loop, key=lambda k: index.node_places.get(k, Place("", 0, 0)))
                    names = " -> ".join(str(ref) for ref in [*loop, nxt])
                    problems.append(
                        error(
                            index.node_places[first],
                            f"these nodes loop without ever waiting for the resident: {names}",
                        )
                    )
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(graph[nxt]))
    return problems


def check_fields(index: SourceIndex) -> list[Problem]:
    edges = _node_edges(index)

    def after(start: NodeRef) -> set[str]:
        reached: set[str] = set()
        todo = list(edges[start])
        while todo:
            target = todo.pop()
            if target not in reached:
                reached.add(target)
                todo += edges[NodeRef(start.flow, target)]
        return reached

    saved_in: dict[str, list[NodeRef]] = defaultdict(list)
    for saved in index.saves:
        saved_in[saved.field].append(saved.at)
    # A branch with an ``unset`` exit guards what follows it: past it the field has a value.
    guards: dict[str, list[NodeRef]] = defaultdict(list)
    for guard in index.guarded_branches:
        guards[guard.field].append(guard.at)
    problems = []
    for text in index.texts:
        for name, place in text.placeholder_places():
            savers = saved_in.get(name, [])
            if any(text.at.node in after(ref) for ref in savers + guards[name]):
                continue
            hint = did_you_mean(name, saved_in)
            elsewhere = sorted({str(ref) for ref in savers if ref.flow != text.at.flow})
            if elsewhere:
                problems.append(
                    warning(
                        place,
                        f"placeholder {{{name}}} is empty unless the "
                        f"resident answered {elsewhere[0]} before; guard it "
                        f"with a branch on '{name}' that has unset:",
                    )
                )
            elif savers:
                problems.append(
                    error(
                        place,
                        f"placeholder {{{name}}}: no question before "
                        f"node '{text.at.node}' saves '{name}'",
                    )
                )
            else:
                problems.append(
                    error(place, f"placeholder {{{name}}}: no question saves '{name}'{hint}")
                )
    problems += check_branch_values(index)
    problems += _unsaved_fields(
        ((use.field, use.place) for use in index.branch_fields),
        saved_in,
        "branch on field '{field}' that no question saves",
    )
    return problems


def _unsaved_fields(
    uses: Iterable[tuple[str, Place]], saved: Iterable[str], message: str
) -> list[Problem]:
    """Fields read (by a branch, by a directory listing) that no question ever saves."""
    known = set(saved)
    return [
        error(place, message.format(field=field) + did_you_mean(field, known))
        for field, place in uses
        if field not in known
    ]


def check_directories(index: SourceIndex) -> list[Problem]:
    """Departments a programme serves must be values of the directory's list, as the
    resident's saved answer is; a directory node's field must be saved somewhere."""
    problems = []
    for served in index.directory_departments:
        department = served.department
        values = index.list_canonical.get(served.list_id)
        if values is None:
            continue  # the missing list is reported with its reference
        if department not in values:
            problems.append(
                error(
                    served.place,
                    f"'{department}' is not a value of the list "
                    f"'{served.list_id}'{did_you_mean(department, values)}",
                )
            )
    problems += _unsaved_fields(
        ((use.field, use.place) for use in index.directory_fields),
        (saved.field for saved in index.saves),
        "field '{field}' is listed by department but no question saves it",
    )
    return problems


def check_branch_values(index: SourceIndex) -> list[Problem]:
    """A case value the field's questions can never save would silently never match."""
    problems = []
    for branch_value in index.branch_values:
        field, value, place = branch_value.field, branch_value.value, branch_value.place
        checks = index.save_checks.get(field, [])
        if not checks or any(c.kind is CheckKind.TEXT for c in checks):
            continue
        allowed: set[str] = set()
        for check in checks:
            if check.kind is CheckKind.YES_NO:
                allowed |= {"yes", "no"}
            elif check.kind is CheckKind.ONE_OF and check.list_id in index.list_values:
                allowed |= {normalize(v) for v in index.list_values[check.list_id]}
            elif check.kind is CheckKind.NUMBER:
                if value.lstrip("-").isdigit():
                    allowed.add(normalize(value))
            else:
                allowed.add(normalize(value))  # an unknown list is reported elsewhere
        if normalize(value) not in allowed:
            kinds = ", ".join(sorted({c.kind.value for c in checks}))
            hint = " (yes/no questions save 'yes' or 'no')" if "yes_no" in kinds else ""
            problems.append(
                error(
                    place,
                    f"'{value}' never matches: the questions that save "
                    f"'{field}' ({kinds}) cannot give that value{hint}",
                )
            )
    return problems
