"""What each message costs as SMS, per node and language: the cost preview of
`outreach check --costs` and its warnings above the deployment's budget.

Directory listings are priced page by page, for every department a resident can have:
their text depends on the programmes listed, so no single preview tells their cost.
A question's numbered list (shown after an answer it did not understand) is priced part
by part, as each part goes as its own SMS.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from outreach.engine import Engine, FlowSet
from outreach.engine.model import CheckKind, DirectoryNode, MessageNode, Programme, QuestionNode
from outreach.sms.packing import render
from outreach.sms.segments import SegmentInfo, segment_info
from outreach.sms.shaping import shape


@dataclass(frozen=True)
class Listing:
    """Which page of a directory listing a cost is."""

    #: The directory node's id.
    node: str
    directory: str
    department: str
    #: Counted from 0.
    page: int
    pages: int
    #: The programmes on the page (none: the node's ``empty`` text).
    programmes: tuple[Programme, ...]
    #: The programme whose line makes the page cost what it does: the first whose name or
    #: contact holds a character that forces UCS-2, else (all GSM-7) the longest line;
    #: None when the node's own text does (an accent in the department's name).
    cause: Programme | None


@dataclass(frozen=True)
class Cost:
    flow: str
    node: str
    language: str
    #: The text as it will really be sent by SMS (after shaping).
    text: str
    info: SegmentInfo
    #: True when this language has its own translation of every text of the node; a
    #: listing page of an offered language always counts (it is what its residents get,
    #: shaped as the language its text is in).
    translated: bool
    #: For a page of a directory listing: which one (``node`` then also names the
    #: department and page, for the cost lines of `outreach check --costs`).
    listing: Listing | None = None
    #: The node whose file place this cost belongs to, when ``node`` is a label such as
    #: ``ask_department[list 2/3]`` (a part of a numbered list).
    place_node: str | None = None
    #: The text as written (before shaping), when it is one of the content's messages.
    written: str | None = None


def widest_fields(flows: FlowSet) -> dict[str, str]:
    """For each saved field, the longest value it can hold, to price placeholders."""
    widest: dict[str, str] = {}
    for flow in flows.flows.values():
        for node in flow.nodes.values():
            if not isinstance(node, QuestionNode):
                continue
            check = node.check
            if check.kind is CheckKind.ONE_OF and check.list_id in flows.lists:
                values = [item.value for item in flows.lists[check.list_id].items]
                value = max(values, key=len)
            elif check.kind is CheckKind.NUMBER:
                value = str(check.maximum if check.maximum is not None else 999)
            elif check.kind is CheckKind.YES_NO:
                value = "yes"
            else:
                value = "x" * 20  # free text: a short answer
            if len(value) > len(widest.get(node.save, "")):
                widest[node.save] = value
    return widest


#: The ``flow`` of costs that belong to the service's own texts.
SYSTEM = "system"


def message_costs(engine: Engine, languages: Sequence[str]) -> Iterator[Cost]:
    """Every message in every language, as it will be sent by SMS: the nodes' messages,
    the service's own texts, and the language menu a new resident sees."""
    flows = engine.flows
    fields = widest_fields(flows)
    settings = flows.deployment.sms
    source_language = engine.source_language
    texts = dict(flows.deployment.texts)
    if flows.deployment.danger is not None:
        texts["danger"] = flows.deployment.danger.text
    for name, source in texts.items():
        for language in languages:
            text = engine.translate(source, f"{SYSTEM}/{name}", language)
            translated = language == source_language or text is not source
            sent = shape(text, language if translated else source_language, "sms", settings)
            info = segment_info(sent)
            yield Cost(SYSTEM, name, language, sent, info, translated, written=text)
    menu = shape(engine.language_menu(), source_language, "sms", settings)
    yield Cost(SYSTEM, "first_language_menu", source_language, menu, segment_info(menu), True)
    for flow in flows.flows.values():
        for node in flow.nodes.values():
            original = engine.preview(flow.id, node.id, engine.source_language, fields)
            if original is None:
                continue
            for language in languages:
                text = engine.preview(flow.id, node.id, language, fields) or ""
                translated = language == source_language or text != original
                sent = shape(text, language if translated else source_language, "sms", settings)
                info = segment_info(sent)
                yield Cost(flow.id, node.id, language, sent, info, translated, written=text)
            if isinstance(node, QuestionNode):
                yield from _numbered_list_costs(engine, flow.id, node, languages)
            if isinstance(node, MessageNode) and node.remind is not None:
                # The reminder goes alone, later: one SMS of its own (label node/remind).
                context = f"{flow.id}/{node.id}/remind"
                for language in languages:
                    text = engine.translate(node.remind.text, context, language)
                    translated = language == source_language or text is not node.remind.text
                    sent = shape(text, language if translated else source_language, "sms",
                                 settings)  # fmt: skip
                    yield Cost(flow.id, f"{node.id}/remind", language, sent, segment_info(sent),
                               translated, place_node=node.id, written=text)  # fmt: skip


def _numbered_list_costs(
    engine: Engine, flow_id: str, node: QuestionNode, languages: Sequence[str]
) -> Iterator[Cost]:
    """The parts of ``node``'s numbered list, as a resident of each language gets them
    after an answer that names nothing ("?")."""
    settings = engine.flows.deployment.sms
    for language in languages:
        parts = engine.preview_numbered_list(flow_id, node.id, language)
        for number, part in enumerate(parts, start=1):
            translated = language == engine.source_language or part.language == language
            sent = shape(part.text, part.language, "sms", settings)
            label = f"{node.id}[list {number}/{len(parts)}]"
            info = segment_info(sent)
            yield Cost(
                flow_id,
                label,
                language,
                sent,
                info,
                translated,
                place_node=node.id,
                written=part.text,
            )


def field_values(flows: FlowSet, field: str, directory: str) -> list[str]:
    """The values a saved field can hold, from the answer lists of the questions that save
    it; without such a question, the departments the directory names."""
    values: dict[str, None] = {}
    for flow in flows.flows.values():
        for node in flow.nodes.values():
            if (
                isinstance(node, QuestionNode)
                and node.save == field
                and node.check.kind is CheckKind.ONE_OF
                and node.check.list_id in flows.lists
            ):
                values.update(dict.fromkeys(i.value for i in flows.lists[node.check.list_id].items))
    if not values:
        for programme in flows.directories[directory].programmes:
            values.update(dict.fromkeys(programme.departments or ()))
    return list(values)


def listing_costs(engine: Engine, languages: Sequence[str]) -> Iterator[Cost]:
    """Every page of every directory listing, for every department, in each of
    ``languages`` (the offered ones), rendered for SMS as the service renders a turn."""
    flows = engine.flows
    settings = flows.deployment.sms
    for flow in flows.flows.values():
        for node in flow.nodes.values():
            if not isinstance(node, DirectoryNode) or node.directory not in flows.directories:
                continue
            for department in field_values(flows, node.field, node.directory):
                first = engine.preview_listing_page(
                    flow.id, node.id, department, 0, engine.source_language
                )
                pages = max(1, -(-first.found // node.page_size))
                for page in range(pages):
                    label = f"{node.id}[{department} {page + 1}/{pages}]"
                    for language in languages:
                        shown = engine.preview_listing_page(
                            flow.id, node.id, department, page, language
                        )
                        programmes = shown.programmes
                        text, text_language = shown.said.text, shown.said.language
                        rendered = render([(text, text_language)], "sms", language, settings)
                        sent = "\n".join(m.body for m in rendered.messages)
                        infos = [m.info for m in rendered.messages if m.info is not None]
                        info = segment_info(sent)
                        if infos:
                            # Over 1,600 characters a page goes as several SMS: their total.
                            segments = sum(i.segments for i in infos)
                            info = dataclasses.replace(infos[0], segments=segments)
                        cause = _cause(engine, node, programmes, text_language, info)
                        listing = Listing(
                            node.id, node.directory, department, page, pages, programmes, cause
                        )
                        yield Cost(flow.id, label, language, sent, info, True, listing)


def _cause(
    engine: Engine,
    node: DirectoryNode,
    programmes: tuple[Programme, ...],
    language: str,
    info: SegmentInfo,
) -> Programme | None:
    settings = engine.flows.deployment.sms
    longest: tuple[int, Programme] | None = None
    for programme in programmes:
        base = f"directory/{node.directory}/{programme.id}"
        line = " ".join(
            shape(engine.translate(text, f"{base}/{part}", language), language, "sms", settings)
            for text, part in ((programme.name, "name"), (programme.contact, "contact"))
        )
        if any(ch in line for ch in info.non_gsm):
            return programme
        if longest is None or len(line) > longest[0]:
            longest = (len(line), programme)
    if info.non_gsm or longest is None:
        return None
    return longest[1]
