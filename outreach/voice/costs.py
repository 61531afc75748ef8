"""What a call costs in seconds: each prompt, each path through a flow, a whole call, for
`outreach check --costs`.

A phrase lasts as long as its recording (in the language, else in Spanish); without one,
its Spanish text is said by <Say>, estimated at :data:`~outreach.voice.script.WORDS_PER_SECOND`.
A prompt that waits for a key adds :data:`KEY_SECONDS`, the time a caller takes to press
one. These are estimates for planning (Twilio bills whole minutes per call), not bills.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from outreach.engine.model import (
    BranchNode,
    CheckKind,
    DirectoryNode,
    EndNode,
    Flow,
    FlowNode,
    FlowSet,
    MenuNode,
    MessageNode,
    Node,
    QuestionNode,
)
from outreach.languages import SOURCE_LANGUAGE

from .keys import CHOICE_KEYS, MORE_KEY, PAGE_SIZE, PHRASES, press
from .recordings import Recordings
from .script import estimate_seconds, list_key

#: How long a caller takes to press a key at a prompt that waits (Twilio's <Gather> waits
#: up to 6 s; most callers press within about half of that).
KEY_SECONDS = 3.0
#: Paths of a flow followed at most: a flow of many branches is summed up by these.
MAX_PATHS = 500


@dataclass(frozen=True)
class PromptCost:
    flow: str
    node: str
    language: str
    seconds: float
    #: Phrases said from a recording, of all the prompt's phrases.
    recorded: int
    phrases: int


def _phrase(key: str) -> tuple[str, str]:
    return key, PHRASES[key]


def node_phrases(flows: FlowSet, flow: Flow, node: Node) -> tuple[list[tuple[str, str]], bool]:
    """The (key, Spanish) phrases a call says at ``node`` (a list's first page), and
    whether it waits for a key."""
    context = f"{flow.id}/{node.id}"
    match node:
        case MessageNode():
            return [(context, node.text)], False
        case EndNode():
            return ([(context, node.text)] if node.text else []), False
        case MenuNode():
            said = [(context, node.text)]
            for key, option in zip(CHOICE_KEYS, node.options, strict=False):
                said += [(f"{context}/option/{option.number}", option.label), _phrase(press(key))]
            return said, True
        case QuestionNode():
            said = [(context, node.text)]
            check = node.check
            if check.kind is CheckKind.YES_NO:
                said += [_phrase("voice/yes"), _phrase(press("1"))]
                said += [_phrase("voice/no"), _phrase(press("2"))]
            elif check.kind is CheckKind.ONE_OF and check.list_id in flows.lists:
                items = flows.lists[check.list_id].items
                shown = items if len(items) <= len(CHOICE_KEYS) else items[:PAGE_SIZE]
                for key, item in zip(CHOICE_KEYS, shown, strict=False):
                    said += [(list_key(check.list_id, item.value), item.value), _phrase(press(key))]
                if len(shown) < len(items):
                    said += [_phrase("voice/more"), _phrase(press(MORE_KEY))]
            elif check.kind is CheckKind.TEXT:
                return [*said, _phrase("voice/typed_answer")], False
            return said, True
        case DirectoryNode():
            said = [(context, node.text)]
            directory = flows.directories.get(node.directory)
            for programme in directory.programmes[: node.page_size] if directory else ():
                base = f"directory/{node.directory}/{programme.id}"
                said += [(f"{base}/name", programme.name), (f"{base}/contact", programme.contact)]
            said += [_phrase("voice/more"), _phrase(press("1"))]
            said += [_phrase("voice/continue"), _phrase(press("2"))]
            return said, True
    return [], False


def phrase_seconds(
    recordings: Recordings, key: str, text: str, language: str
) -> tuple[float, bool]:
    """A phrase's seconds, and whether a recording says it."""
    for code in dict.fromkeys((language, SOURCE_LANGUAGE)):
        found = recordings.current(key, code, text)
        if found is not None:
            return found.seconds, True
    return estimate_seconds(text), False


def prompt_costs(
    flows: FlowSet, recordings: Recordings, language: str
) -> dict[tuple[str, str], PromptCost]:
    """Each node's prompt in ``language``: (flow, node) -> its cost."""
    costs = {}
    for flow in flows.flows.values():
        for node in flow.nodes.values():
            said, waits = node_phrases(flows, flow, node)
            if not said:
                continue
            seconds = KEY_SECONDS if waits else 0.0
            recorded = 0
            for key, text in said:
                length, found = phrase_seconds(recordings, key, text, language)
                seconds += length
                recorded += found
            costs[flow.id, node.id] = PromptCost(
                flow.id, node.id, language, seconds, recorded, len(said)
            )
    return costs


def _successors(node: Node) -> list[tuple[str | None, str | None]]:
    """(node in this flow, flow called) for each way on from ``node``; (None, None) ends."""
    match node:
        case MenuNode():
            return [(o.next, o.flow) if o.flow else (o.go, None) for o in node.options]
        case BranchNode():
            goes = [c.go for c in node.cases] + [node.otherwise]
            return [(go, None) for go in dict.fromkeys([*goes, node.unset] if node.unset else goes)]
        case FlowNode():
            return [(node.next, node.flow)]
        case EndNode():
            return []
        case MessageNode() | QuestionNode() | DirectoryNode():
            return [(node.next, None)]
    return []


def flow_paths(
    flows: FlowSet, costs: Mapping[tuple[str, str], PromptCost], flow_id: str
) -> Iterator[tuple[list[str], float, list[str]]]:
    """Each path through a flow from its start, as (node ids, seconds of its prompts,
    flows it calls); a node already on the path ends it (a loop back to a menu)."""
    flow = flows.flows[flow_id]
    count = 0

    def walk(
        node_id: str, path: list[str], seconds: float, calls: list[str]
    ) -> Iterator[tuple[list[str], float, list[str]]]:
        nonlocal count
        node = flow.nodes.get(node_id)
        if node is None or node_id in path or count >= MAX_PATHS:
            count += 1
            yield path, seconds, calls
            return
        here = costs.get((flow_id, node_id))
        path = [*path, node_id]
        seconds += here.seconds if here else 0.0
        ways = _successors(node)
        if not ways:
            count += 1
            yield path, seconds, calls
            return
        for go, called in ways:
            more = [*calls, called] if called else calls
            if go is None:
                count += 1
                yield path, seconds, more
            else:
                yield from walk(go, path, seconds, more)

    yield from walk(flow.start, [], 0.0, [])


@dataclass(frozen=True)
class FlowSeconds:
    flow: str
    paths: int
    shortest: float
    median: float
    longest: float
    longest_path: tuple[str, ...]


def flow_seconds(
    flows: FlowSet, costs: Mapping[tuple[str, str], PromptCost]
) -> dict[str, FlowSeconds]:
    """Per flow: its paths' seconds, each path with the median seconds of the flows it
    calls (a flow calling itself, directly or not, counts 0 there)."""
    done: dict[str, FlowSeconds] = {}
    active: set[str] = set()

    def of(flow_id: str) -> float:
        if flow_id in done:
            return done[flow_id].median
        if flow_id in active or flow_id not in flows.flows:
            return 0.0
        active.add(flow_id)
        totals = []
        for path, seconds, calls in flow_paths(flows, costs, flow_id):
            # The flows a path calls are shown in brackets after it.
            shown = path + [f"[{called}]" for called in calls]
            totals.append((seconds + sum(of(c) for c in calls), shown))
        active.discard(flow_id)
        values = sorted(t for t, _ in totals)
        longest = max(totals, key=lambda t: t[0])
        done[flow_id] = FlowSeconds(
            flow_id,
            len(totals),
            values[0],
            statistics.median(values),
            longest[0],
            tuple(longest[1]),
        )
        return done[flow_id].median

    for flow_id in flows.flows:
        of(flow_id)
    return done


def call_seconds(
    flows: FlowSet,
    recordings: Recordings,
    language: str,
    per_flow: Mapping[str, FlowSeconds],
    languages_offered: int,
) -> float:
    """A typical call: the language menu (when more than one language is offered), the
    keys, the welcome flow, a median path from the main menu, and goodbye."""
    deployment = flows.deployment

    def said(key: str, text: str) -> float:
        return phrase_seconds(recordings, key, text, language)[0]

    seconds = said("voice/keys", PHRASES["voice/keys"]) + said(
        "voice/goodbye", PHRASES["voice/goodbye"]
    )
    if languages_offered > 1:
        menu = deployment.texts.get("language_menu", "")
        seconds += said("system/language_menu", menu) + KEY_SECONDS
        seconds += languages_offered * (
            said("voice/language_name", PHRASES["voice/language_name"])
            + said(press("1"), PHRASES[press("1")])
        )
    for flow_id in (deployment.welcome_flow, deployment.main_flow):
        if flow_id and flow_id in per_flow:
            seconds += per_flow[flow_id].median
    return seconds
