"""Checks across all content files: references, reachability, loops, placeholders,
keywords and review dates. They run on what the reader indexed, so a broken node still
counts as present and does not cause a second, confusing report."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from outreach.engine.matching import PhraseSpotter, is_typo_of, normalize, parse_number
from outreach.engine.model import (
    BranchNode,
    CheckKind,
    Command,
    EndNode,
    Flow,
    FlowNode,
    MessageNode,
    Node,
    flows_run_from,
)

from .index import NodeRef, SourceIndex
from .problems import Place, Problem, Severity, did_you_mean

#: A review date closer than this is announced as a warning.
REVIEW_NOTICE_DAYS = 30


def check_all(
    index: SourceIndex,
    flows: dict[str, Flow],
    main_flow: str | None,
    today: date,
    *,
    passed_review: Severity = Severity.ERROR,
) -> list[Problem]:
    problems: list[Problem] = []
    problems += check_references(index)
    problems += check_reachable_nodes(index)
    problems += check_reachable_flows(index, main_flow)
    problems += check_keywords(index)
    problems += check_menu_words(index)
    problems += check_danger_words(index, flows)
    problems += check_loops(index, flows)
    problems += check_fields(index)
    problems += check_reviews(index, today, passed_review)
    problems += check_directories(index)
    return problems


def _error(place: Place, message: str) -> Problem:
    return Problem(place, Severity.ERROR, message)


def _warning(place: Place, message: str) -> Problem:
    return Problem(place, Severity.WARNING, message)


def check_references(index: SourceIndex) -> list[Problem]:
    problems = []
    nodes = index.nodes_by_flow()
    for ref in index.refs:
        if ref.kind == "node":
            known = nodes.get(ref.flow or "", [])
            if ref.target not in known:
                problems.append(
                    _error(
                        ref.place,
                        f"no node '{ref.target}' in flow "
                        f"'{ref.flow}'{did_you_mean(ref.target, known)}",
                    )
                )
        elif ref.kind == "flow" and ref.target not in index.flow_places:
            problems.append(
                _error(
                    ref.place,
                    f"no flow '{ref.target}'{did_you_mean(ref.target, index.flow_places)}",
                )
            )
        elif ref.kind == "directory" and ref.target not in index.directory_places:
            problems.append(
                _error(
                    ref.place,
                    f"no directory '{ref.target}'"
                    f"{did_you_mean(ref.target, index.directory_places)}",
                )
            )
        elif ref.kind == "list" and ref.target not in index.list_places:
            problems.append(
                _error(
                    ref.place,
                    f"no list '{ref.target}'{did_you_mean(ref.target, index.list_places)}",
                )
            )
    return problems


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
                    _error(
                        index.node_places[NodeRef(flow_id, node_id)],
                        f"node '{node_id}' can never be reached: no node of "
                        f"flow '{flow_id}' leads to it",
                    )
                )
    return problems


def check_reachable_flows(index: SourceIndex, main_flow: str | None) -> list[Problem]:
    # main_flow and welcome_flow are references of the deployment, so they count as used.
    called = {ref.target for ref in index.refs if ref.kind == "flow"}
    with_keywords = {keyword.flow for keyword in index.keywords}
    return [
        _warning(
            place, f"flow '{flow_id}' is never used: no flow leads to it and it has no keywords"
        )
        for flow_id, place in index.flow_places.items()
        if flow_id != main_flow and flow_id not in called and flow_id not in with_keywords
    ]


def check_keywords(index: SourceIndex) -> list[Problem]:
    problems = []
    commands: dict[str, tuple[str, Place]] = {}
    for command_word in index.command_words:
        word, command, place = command_word.word, command_word.command, command_word.place
        key = normalize(word)
        if key in commands and commands[key][0] != command.value:
            first_command, first = commands[key]
            problems.append(
                _error(
                    place,
                    f"'{word}' is a word of both the '{first_command}' "
                    f"and '{command.value}' commands (first at {first})",
                )
            )
        commands.setdefault(key, (command.value, place))
    forgiving = [
        (key, name)
        for key, (name, _) in commands.items()
        if name not in (Command.STOP.value, Command.DELETE.value)
    ]
    owners: dict[str, tuple[str, Place]] = {}
    for keyword in index.keywords:
        word, flow_id, place = keyword.word, keyword.flow, keyword.place
        key = normalize(word)
        near = [(c, name) for c, name in forgiving if c != key and is_typo_of(key, c)]
        if near and key not in commands:
            problems.append(
                _error(
                    place,
                    f"keyword '{word}' is one letter from the "
                    f"'{near[0][1]}' command word '{near[0][0]}': residents "
                    "typing it would get that command",
                )
            )
        if key in commands:
            command_name, first = commands[key]
            problems.append(
                _error(place, f"keyword '{word}' is already the '{command_name}' command ({first})")
            )
        elif key in owners and owners[key][0] != flow_id:
            owner, first = owners[key]
            problems.append(
                _error(
                    place,
                    f"keyword '{word}' is claimed by flows '{owner}' "
                    f"and '{flow_id}' (first at {first})",
                )
            )
        owners.setdefault(key, (flow_id, place))
    return problems


def check_danger_words(index: SourceIndex, flows: dict[str, Flow]) -> list[Problem]:
    """Danger words are looked for before anything else, except a reply that is, as a
    whole, an answer to the current wait. So a command word or a flow keyword holding a
    danger word would never work (an error), and a danger word that is an answer as a
    whole (an option's label or keyword, a list's value) gets no emergency message at
    that menu or question (a warning: say it some other way, or drop the answer word).
    The danger flow's own menus, and those of the flows it runs, are meant to answer
    danger words: nothing is reported there."""
    problems: list[Problem] = []
    if not index.danger_words:
        return problems
    places = {normalize(danger.word): danger.place for danger in index.danger_words}
    danger_flows = flows_run_from(flows, index.danger_flow) if index.danger_flow else set()
    spotter = PhraseSpotter([(d.word, normalize(d.word)) for d in index.danger_words])
    for command_word in index.command_words:
        word = command_word.word
        for found in sorted(spotter.spot(normalize(word))):
            problems.append(
                _error(
                    command_word.place,
                    f"the '{command_word.command.value}' command word '{word}' holds the "
                    f"danger word '{found}' ({places[found]}): residents typing it get the "
                    "emergency message, never the command",
                )
            )
    for keyword in index.keywords:
        word = keyword.word
        for found in sorted(spotter.spot(normalize(word))):
            problems.append(
                _error(
                    keyword.place,
                    f"keyword '{word}' of flow '{keyword.flow}' holds the danger word '{found}' "
                    f"({places[found]}): residents typing it get the emergency message, "
                    "never the flow",
                )
            )
    answers: list[tuple[str, str, Place]] = [
        (menu_word.word, f"an answer of {menu.at}", menu_word.place)
        for menu in index.menus
        if menu.at.flow not in danger_flows
        for menu_word in menu.words
    ]
    for list_id, values in index.list_values.items():
        answers += [(value, f"a value of list '{list_id}'", index.list_places[list_id])
                    for value in values]  # fmt: skip
    for word, what, place in answers:
        # The engine takes a whole answer for that answer, typos forgiven as the spotter
        # forgives them: "Secuestros" at a menu is the topic, not the danger "secuestro".
        for key in sorted(spotter.whole(normalize(word))):
            problems.append(
                _warning(
                    places[key],
                    f"danger word '{word}' is also {what} ({place}): typed alone there it "
                    "is that answer, and the resident gets no emergency message",
                )
            )
    return problems


def check_menu_words(index: SourceIndex) -> list[Problem]:
    commands = {normalize(c.word): c.command.value for c in index.command_words}
    problems = []
    for menu in index.menus:
        seen: dict[str, tuple[str, Place]] = {}
        for menu_word in menu.words:
            word, position, place = menu_word.word, menu_word.option, menu_word.place
            key = normalize(word)
            if key in commands:
                problems.append(
                    _error(
                        place,
                        f"'{word}' is a word of the '{commands[key]}' "
                        "command, which wins over any menu: residents typing "
                        "it would not choose this option",
                    )
                )
            number = parse_number(key)
            if number is not None and str(number) != position:
                problems.append(
                    _error(
                        place, f"'{word}' reads as option number {number}, not as option {position}"
                    )
                )
            if key in seen and seen[key][0] != position:
                problems.append(
                    _error(
                        place,
                        f"'{word}' would choose two options of this "
                        f"menu (first at line {seen[key][1].line})",
                    )
                )
            seen.setdefault(key, (position, place))
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
                        _error(
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
                    _warning(
                        place,
                        f"placeholder {{{name}}} is empty unless the "
                        f"resident answered {elsewhere[0]} before; guard it "
                        f"with a branch on '{name}' that has unset:",
                    )
                )
            elif savers:
                problems.append(
                    _error(
                        place,
                        f"placeholder {{{name}}}: no question before "
                        f"node '{text.at.node}' saves '{name}'",
                    )
                )
            else:
                problems.append(
                    _error(place, f"placeholder {{{name}}}: no question saves '{name}'{hint}")
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
        _error(place, message.format(field=field) + did_you_mean(field, known))
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
                _error(
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
                _error(
                    place,
                    f"'{value}' never matches: the questions that save "
                    f"'{field}' ({kinds}) cannot give that value{hint}",
                )
            )
    return problems


PASSED_REVIEW = "has passed: check the content against its source and set new dates"


def is_passed_review(problem: Problem) -> bool:
    return problem.message.endswith(PASSED_REVIEW)


def check_reviews(
    index: SourceIndex, today: date, passed: Severity = Severity.ERROR
) -> list[Problem]:
    problems = []
    for review in index.reviews:
        provenance, place, what = review.provenance, review.place, review.what
        if provenance.verified_on > today:
            problems.append(
                _error(
                    place,
                    f"{what} says it was verified on "
                    f"{provenance.verified_on}, which is in the future",
                )
            )
        days = (provenance.review_by - today).days
        if days < 0:
            problems.append(
                Problem(
                    place,
                    passed,
                    f"the review date of {what} ({provenance.review_by}) {PASSED_REVIEW}",
                )
            )
        elif days <= REVIEW_NOTICE_DAYS:
            problems.append(
                _warning(place, f"{what} is due for review in {days} days ({provenance.review_by})")
            )
    return problems
