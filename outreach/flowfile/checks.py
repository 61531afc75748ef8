"""Checks across all content files, on what the readers indexed: references, keywords,
command, menu and danger words, and review dates; the checks that follow the nodes are in
:mod:`.graph_checks`. They run on the index, so a broken node still counts as present and
does not cause a second, confusing report."""

from __future__ import annotations

from datetime import date

from outreach.engine.matching import PhraseSpotter, is_typo_of, normalize, parse_number
from outreach.engine.model import BranchNode, Command, Flow, MessageNode, flows_run_from

from .graph_checks import check_directories, check_fields, check_loops, check_reachable_nodes
from .index import SourceIndex
from .problems import Place, Problem, Severity, did_you_mean, error, warning

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
    problems += check_twilio_notice(index, flows)
    problems += check_reminders(index, flows, today, passed_review)
    return problems


def check_reminders(
    index: SourceIndex, flows: dict[str, Flow], today: date, passed_review: Severity
) -> list[Problem]:
    """A reminder is asked for by reaching its node, so only a menu option (the
    resident's choice) may lead there: never a ``next``, a branch or the flow's start.
    And one whose time has passed would promise what cannot come."""
    problems: list[Problem] = []
    for ref, at, place in index.reminders:
        flow = flows.get(ref.flow)
        if flow is None:
            continue
        if at.date() < today:
            problems.append(
                Problem(
                    place,
                    passed_review,
                    f"the reminder's time has passed ({at.isoformat()}): it can no longer be "
                    "sent; take remind: (or the node) out",
                )
            )
        if flow.start == ref.node:
            problems.append(
                error(place, f"node '{ref.node}' offers a reminder: it cannot start the flow "
                      "(only a menu option, the resident's choice, may lead to it)")
            )  # fmt: skip
        for node in flow.nodes.values():
            targets = [getattr(node, "next", None)]
            if isinstance(node, BranchNode):
                targets += [case.go for case in node.cases] + [node.otherwise, node.unset]
            if ref.node in targets:
                problems.append(
                    error(place, f"node '{ref.node}' offers a reminder, and node '{node.id}' "
                          "leads to it without the resident choosing: only a menu option may")
                )  # fmt: skip
    return problems


def check_twilio_notice(index: SourceIndex, flows: dict[str, Flow]) -> list[Problem]:
    """The node that says what Twilio keeps must be a message node: its text is what
    changes with OUTREACH_TWILIO_FORGET."""
    if index.twilio_notice is None:
        return []
    flow_id, node_id, place = index.twilio_notice
    node = flows[flow_id].nodes.get(node_id) if flow_id in flows else None
    if node is None or isinstance(node, MessageNode):
        return []  # a missing node is a reference error already
    return [
        error(
            place,
            f"twilio_notice: node '{node_id}' of flow '{flow_id}' is not a message node: "
            "only a message's text can change with OUTREACH_TWILIO_FORGET",
        )
    ]


def check_references(index: SourceIndex) -> list[Problem]:
    problems = []
    nodes = index.nodes_by_flow()
    for ref in index.refs:
        if ref.kind == "node":
            known = nodes.get(ref.flow or "", [])
            if ref.target not in known:
                problems.append(
                    error(
                        ref.place,
                        f"no node '{ref.target}' in flow "
                        f"'{ref.flow}'{did_you_mean(ref.target, known)}",
                    )
                )
        elif ref.kind == "flow" and ref.target not in index.flow_places:
            problems.append(
                error(
                    ref.place,
                    f"no flow '{ref.target}'{did_you_mean(ref.target, index.flow_places)}",
                )
            )
        elif ref.kind == "directory" and ref.target not in index.directory_places:
            problems.append(
                error(
                    ref.place,
                    f"no directory '{ref.target}'"
                    f"{did_you_mean(ref.target, index.directory_places)}",
                )
            )
        elif ref.kind == "list" and ref.target not in index.list_places:
            problems.append(
                error(
                    ref.place,
                    f"no list '{ref.target}'{did_you_mean(ref.target, index.list_places)}",
                )
            )
    return problems


def check_reachable_flows(index: SourceIndex, main_flow: str | None) -> list[Problem]:
    # main_flow and welcome_flow are references of the deployment, so they count as used.
    called = {ref.target for ref in index.refs if ref.kind == "flow"}
    with_keywords = {keyword.flow for keyword in index.keywords}
    return [
        warning(
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
                error(
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
                error(
                    place,
                    f"keyword '{word}' is one letter from the "
                    f"'{near[0][1]}' command word '{near[0][0]}': residents "
                    "typing it would get that command",
                )
            )
        if key in commands:
            command_name, first = commands[key]
            problems.append(
                error(place, f"keyword '{word}' is already the '{command_name}' command ({first})")
            )
        elif key in owners and owners[key][0] != flow_id:
            owner, first = owners[key]
            problems.append(
                error(
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
                error(
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
                error(
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
                warning(
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
                    error(
                        place,
                        f"'{word}' is a word of the '{commands[key]}' "
                        "command, which wins over any menu: residents typing "
                        "it would not choose this option",
                    )
                )
            number = parse_number(key)
            if number is not None and str(number) != position:
                problems.append(
                    error(
                        place, f"'{word}' reads as option number {number}, not as option {position}"
                    )
                )
            if key in seen and seen[key][0] != position:
                problems.append(
                    error(
                        place,
                        f"'{word}' would choose two options of this "
                        f"menu (first at line {seen[key][1].line})",
                    )
                )
            seen.setdefault(key, (position, place))
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
                error(
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
                warning(place, f"{what} is due for review in {days} days ({provenance.review_by})")
            )
    return problems
