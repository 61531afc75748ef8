"""The display name of anything a figure is counted by, in the interface's language: the
one place that answers "what do staff call this?" for the dashboard's pages, its exports
and ``outreach metrics``.

Flows, steps and programmes are named by the content (a flow's ``name:``, a step's
``label:`` or the menu option that leads to it: :func:`outreach.engine.model.step_label`),
translated through the flows' catalogs like any message, so a missing translation falls
back to the Spanish the editors wrote. Languages go by their own name (the deployment's),
channels and the words for "not given" by the interface's own catalog. Ids stay what the
exports' id column and the pages' tooltips show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from outreach.engine.model import FlowSet, Label, flow_title, step_label

#: The content's catalogs: (Spanish text, context, language) -> the text to show.
Translate = Callable[[str, str, str], str]
#: The interface's catalog: an English word of the interface -> the word to show.
Word = Callable[[str], str]


def N_(word: str) -> str:
    """Marks a word for the interface's catalog (``make ui-messages``); translated when
    shown."""
    return word


#: Channels: the two brands keep their names in every language; the others are words of
#: the interface.
BRANDS = {"sms": "SMS", "whatsapp": "WhatsApp"}
CHANNELS = BRANDS | {"voice": N_("Voice"), "web": N_("simulator")}
#: What the rows say where a figure has no value of a dimension: the resident did not
#: give a department; the message came before any flow or step (first contact, or after
#: a conversation ended).
NOT_GIVEN = {
    "department": N_("no department given"),
    "flow": N_("(outside the flows)"),
    "node": N_("(outside the flows)"),
    "programme": N_("(no programme)"),
    "language": N_("(no language)"),
}
#: What the scan calls a missing flow, step or programme (outreach.metrics.scan), and
#: the rollup a missing department.
MISSING = ("-", "unknown")
#: Between a flow's name and a step's, where a step is shown away from its flow.
STEP_SEPARATOR = " › "


@dataclass(frozen=True)
class Names:
    """Display names in one language. ``translate``: the flows' catalogs (the
    service's served translations); ``word``: the interface's catalog in the same
    language."""

    content: FlowSet
    language: str
    translate: Translate
    word: Word

    def _label(self, label: Label) -> str:
        return self.translate(label.text, label.context, self.language)

    def flow(self, flow_id: str) -> str:
        flow = self.content.flows.get(flow_id)
        if flow is None:
            return self._missing("flow", flow_id)
        return self._label(flow_title(flow))

    def step(self, step: str, with_flow: bool = False) -> str:
        """A step, written ``flow/node`` as the figures are; ``with_flow``: after its
        flow's name, where steps of several flows are listed together."""
        flow_id, _, node_id = step.partition("/")
        flow = self.content.flows.get(flow_id)
        label = step_label(self.content.flows, flow, node_id) if flow is not None else None
        if label is None:
            return self._missing("node", step)
        name = self._label(label)
        if with_flow and node_id != flow_id and label != flow_title(flow):  # type: ignore[arg-type]
            return self.flow(flow_id) + STEP_SEPARATOR + name
        return name

    def programme(self, programme_id: str) -> str:
        for directory in self.content.directories.values():
            for programme in directory.programmes:
                if programme.id == programme_id:
                    context = f"directory/{directory.id}/{programme.id}/name"
                    return self.translate(programme.name, context, self.language)
        return self._missing("programme", programme_id)

    def language_name(self, code: str) -> str:
        """A language by the name its speakers know it by (deployment.yaml's)."""
        for language in self.content.deployment.languages:
            if language.code == code:
                return language.name
        return self._missing("language", code)

    def channel(self, code: str) -> str:
        if code in BRANDS:
            return BRANDS[code]
        return self.word(CHANNELS[code]) if code in CHANNELS else code

    def department(self, value: str) -> str:
        return self._missing("department", value)

    def alert_topic(self, topic: str) -> str:
        """An alerts topic (deployment.yaml's ``alerts:``), by the step residents choose
        it at."""
        alerts = self.content.deployment.alerts
        if alerts is not None:
            for node, named in alerts.topics.items():
                if named == topic:
                    return self.step(f"{alerts.flow}/{node}")
        return topic

    def of(self, dimension: str, value: str) -> str:
        """The name of ``value`` of a figure's ``dimension`` (a table's rows or its
        split): flow, node (a step), topic (a step shown with its flow), programme,
        language, channel, department; anything else (a day, a word of the interface
        the page names) is returned as it is."""
        match dimension:
            case "flow":
                return self.flow(value)
            case "node":
                return self.step(value)
            case "topic":
                return self.step(value, with_flow=True)
            case "programme":
                return self.programme(value)
            case "language":
                return self.language_name(value)
            case "channel":
                return self.channel(value)
            case "department":
                return self.department(value)
            case "alert_topic":
                return self.alert_topic(value)
        return value

    def named(self, dimension: str, value: str) -> bool:
        """Whether ``of`` gives a name from the content or the interface, not the value
        itself (a day, or an id nothing names)."""
        return self.of(dimension, value) != value or value in MISSING

    def is_word(self, dimension: str, value: str) -> bool:
        """Whether the name is a word of the interface (its catalog's), not a name from
        the content or a brand: what pages need not mark ``translate="no"``."""
        if dimension == "channel":
            return value in CHANNELS and value not in BRANDS
        return value in MISSING and dimension in NOT_GIVEN

    def _missing(self, dimension: str, value: str) -> str:
        if value in MISSING and dimension in NOT_GIVEN:
            return self.word(NOT_GIVEN[dimension])
        return value
