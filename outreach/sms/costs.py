"""What each message costs as SMS, per node and language: the cost preview of
`outreach check --costs` and its warnings above the deployment's budget."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from outreach.engine import Engine, FlowSet
from outreach.engine.model import CheckKind, QuestionNode

from .segments import SegmentInfo, segment_info
from .shaping import shape


@dataclass(frozen=True)
class Cost:
    flow: str
    node: str
    language: str
    #: The text as it will really be sent by SMS (after shaping).
    text: str
    info: SegmentInfo
    #: True when this language has its own translation of every text of the node.
    translated: bool


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
    for name, source in flows.deployment.texts.items():
        for language in languages:
            text = engine.translate(source, f"{SYSTEM}/{name}", language)
            translated = language == source_language or text is not source
            sent = shape(text, language if translated else source_language, "sms", settings)
            yield Cost(SYSTEM, name, language, sent, segment_info(sent), translated)
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
                yield Cost(flow.id, node.id, language, sent, segment_info(sent), translated)
