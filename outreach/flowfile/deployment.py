"""The reader of the deployment file: languages (the first is the source), commands, system
texts, the danger section and the SMS settings."""

from __future__ import annotations

from typing import Any

import yaml

from outreach.engine.model import (
    OPTIONAL_COMMANDS,
    OPTIONAL_TEXTS,
    SYSTEM_TEXTS,
    Alerts,
    Command,
    Danger,
    Deployment,
    Language,
    SmsSettings,
    placeholders,
)
from outreach.languages import LANGUAGES, SOURCE_LANGUAGE

from . import spec
from .index import CommandWord, ContentReader, DangerWord, Ref
from .problems import Place, did_you_mean
from .yamlvalues import Fields

#: The channels text can be shaped for.
CHANNELS = ("sms", "whatsapp", "web")


class DeploymentReader(ContentReader):
    """Reads a file that starts with ``deployment:``."""

    def read_deployment(self, root: yaml.MappingNode) -> Deployment | None:
        f = self.fields(root, spec.DEPLOYMENT, "the deployment")
        if f is None:
            return None
        deployment_id = self.ident(f.get("deployment"), "the deployment id")
        main_flow = self.flow_ref(f.get("main_flow"))
        welcome_flow = self.flow_ref(f.get("welcome_flow"))
        usefulness = self.flow_ref(f.get("usefulness"))
        self.index.deployment_place = f.place("deployment")
        languages: list[Language] = []
        for item in self.sequence(f.get("languages"), "languages"):
            lf = self.fields(item, spec.LANGUAGE, "a language")
            if lf is None:
                continue
            code = self.ident(lf.get("code"), "code")
            name = self.text(lf.get("name"), "name") if lf.get("name") else None
            if code is None:
                continue
            if code not in LANGUAGES:
                self.error(
                    lf.place("code"),
                    f"unknown language '{code}' (known: "
                    f"{', '.join(LANGUAGES)}); add it to outreach/languages.py"
                    f"{did_you_mean(code, LANGUAGES)}",
                )
                continue
            if not languages and code != SOURCE_LANGUAGE:
                # The engine marks and shapes fallback text as the first language, while the
                # catalogs translate from SOURCE_LANGUAGE: the two must be the same language.
                self.error(
                    lf.place("code"),
                    f"the first language is '{code}', but the flows and the catalogs are "
                    f"written in '{SOURCE_LANGUAGE}': list '{SOURCE_LANGUAGE}' first under "
                    "languages:",
                )
            languages.append(Language(code, name or LANGUAGES[code].endonym))
        commands: dict[Command, tuple[str, ...]] = {}
        commands_node = f.get("commands")
        if commands_node is not None:
            cf = self.fields(commands_node, spec.COMMANDS, "commands")
            if cf is not None:
                for command in Command:
                    if command in OPTIONAL_COMMANDS and cf.get(command.value) is None:
                        commands[command] = ()  # no words: never matched
                        continue
                    commands[command] = self.words(cf.get(command.value), command.value)
                    for word, place in self.word_places(cf.get(command.value)):
                        self.index.command_words.append(CommandWord(word, command, place))
        texts: dict[str, str] = {}
        text_places: dict[str, Place] = {}
        texts_node = f.get("texts")
        if texts_node is not None:
            tf = self.fields(texts_node, spec.TEXTS, "texts")
            if tf is not None:
                for name in SYSTEM_TEXTS + OPTIONAL_TEXTS:
                    if name in OPTIONAL_TEXTS and tf.get(name) is None:
                        continue
                    value = self.text(tf.get(name), name)
                    if value is not None:
                        texts[name] = value
                        text_places[name] = tf.place(name)
                        self.index.system_text_lines[name] = tf.place(name).line
                        if placeholders(value):
                            self.error(
                                tf.place(name),
                                f"the '{name}' text cannot use "
                                f"placeholders ({{{placeholders(value)[0]}}}): it is sent "
                                "at any point, when no field is sure to be known",
                            )
        sms = self.read_sms(f.get("sms"), [lang.code for lang in languages])
        yes_words = self.words(f.get("yes_words"), "yes_words")
        no_words = self.words(f.get("no_words"), "no_words")
        danger = self.read_danger(f.get("danger"), [lang.code for lang in languages])
        alerts = self.read_alerts(f.get("alerts"), commands, texts)
        twilio_notice = self.read_twilio_notice(f, welcome_flow or main_flow, text_places)
        once = frozenset(
            flow
            for item in self.sequence_or_word(f.get("once_per_conversation"))
            if (flow := self.flow_ref(item)) is not None
        )
        complete = (
            deployment_id
            and main_flow
            and languages
            and len(commands) == len(Command)
            and all(name in texts for name in SYSTEM_TEXTS)
        )
        if not complete:
            return None
        extra: dict[str, Any] = {
            "welcome_flow": welcome_flow, "sms": sms, "danger": danger,
            "once_per_conversation": once, "alerts": alerts, "twilio_notice": twilio_notice,
            "usefulness": usefulness,
        }  # fmt: skip
        if yes_words:
            extra["yes_words"] = yes_words
        if no_words:
            extra["no_words"] = no_words
        assert deployment_id and main_flow
        return Deployment(deployment_id, main_flow, tuple(languages), commands, texts, **extra)

    def read_twilio_notice(
        self, f: Fields, welcome_flow: str | None, texts: dict[str, Place]
    ) -> str | None:
        """The welcome's node that says what Twilio keeps, and the texts it says instead
        of its own (model.OPTIONAL_TEXTS): each needs the other."""
        cases = [name for name in OPTIONAL_TEXTS if name.startswith("twilio_")]
        node_id = self.ident(f.get("twilio_notice"), "twilio_notice")
        if node_id is None:
            for name in cases:
                if name in texts:
                    self.error(
                        texts[name],
                        f"the '{name}' text is never said: name the welcome flow's node "
                        "that says what Twilio keeps with twilio_notice:",
                    )
            return None
        place = f.place("twilio_notice")
        for name in cases:
            if name not in texts:
                self.error(
                    place,
                    f"twilio_notice needs the '{name}' text under texts: (what the node says "
                    f"with OUTREACH_TWILIO_FORGET={name.removeprefix('twilio_')})",
                )
        if welcome_flow is not None:
            self.index.refs.append(Ref("node", welcome_flow, node_id, place))
            self.index.twilio_notice = (welcome_flow, node_id, place)
        return node_id

    def read_alerts(
        self,
        node: yaml.Node | None,
        commands: dict[Command, tuple[str, ...]],
        texts: dict[str, str],
    ) -> Alerts | None:
        if node is None:
            return None
        f = self.fields(node, spec.ALERTS, "alerts")
        if f is None:
            return None
        flow = self.flow_ref(f.get("flow"))
        topics: dict[str, str] = {}
        for item in self.sequence(f.get("topics"), "topics"):
            tf = self.fields(item, spec.TOPIC, "a topic")
            if tf is None:
                continue
            topic = self.ident(tf.get("topic"), "topic")
            node_id = self.ident(tf.get("node"), "node")
            if topic is None or node_id is None:
                continue
            if topic in topics.values():
                self.error(tf.place("topic"), f"topic '{topic}' is listed twice")
                continue
            if flow is not None:
                self.index.refs.append(Ref("node", flow, node_id, tf.place("node")))
            topics[node_id] = topic
        for command in OPTIONAL_COMMANDS:
            if not commands.get(command):
                self.error(
                    f.place("flow"),
                    f"alerts need the '{command.value}' command's words under commands:",
                )
        if "alerts_ended" not in texts:
            self.error(
                f.place("flow"),
                "alerts need the 'alerts_ended' text under texts: (said after ALERTAS NO)",
            )
        return Alerts(flow, topics) if flow is not None and topics else None

    def read_danger(self, node: yaml.Node | None, codes: list[str]) -> Danger | None:
        if node is None:
            return None
        f = self.fields(node, spec.DANGER, "danger")
        if f is None:
            return None
        text = self.text(f.get("text"), "the danger text")
        if text is not None:
            self.index.system_text_lines["danger"] = f.place("text").line
            if placeholders(text):
                self.error(
                    f.place("text"),
                    f"the danger text cannot use placeholders ({{{placeholders(text)[0]}}}):"
                    " it is sent at any point, when no field is sure to be known",
                )
        provenance = self.reviewed(f.get("provenance"), "the danger text")
        flow = self.flow_ref(f.get("flow"))
        self.index.danger_flow = flow
        words: dict[str, tuple[str, ...]] = {}
        not_danger: dict[str, tuple[str, ...]] = {}
        for item in self.sequence(f.get("words"), "danger words"):
            wf = self.fields(item, spec.DANGER_WORDS, "danger words")
            if wf is None:
                continue
            found = self.known_words(wf.get("language"), "language", codes, "language")
            if not found:
                continue
            code = found[0]
            if code in words:
                self.error(wf.place("language"), f"the danger words of '{code}' are given twice")
                continue
            words[code] = self.words(wf.get("words"), "danger words")
            for word, place in self.word_places(wf.get("words")):
                self.index.danger_words.append(DangerWord(word, code, place))
            if wf.get("not_danger") is not None:
                not_danger[code] = self.words(wf.get("not_danger"), "not-danger phrases")
        if text is None or provenance is None or not words:
            return None
        return Danger(text, words, provenance, flow, not_danger)

    def read_sms(self, node: yaml.Node | None, codes: list[str]) -> SmsSettings:
        default = SmsSettings()
        if node is None:
            return default
        f = self.fields(node, spec.SMS, "sms")
        if f is None:
            return default
        budget = self.integer(f.get("budget"), "budget")
        if budget is not None and budget < 1:
            self.error(f.place("budget"), "budget must be at least 1 segment")
            budget = None
        punctuation: frozenset[str] | None = None
        written = f.get("punctuation")
        if isinstance(written, yaml.ScalarNode) and written.value in ("true", "false"):
            punctuation = None if written.value == "true" else frozenset()
        elif written is not None:
            punctuation = frozenset(self.known_words(written, "punctuation", codes, "language"))
        return SmsSettings(
            budget=budget if budget is not None else default.budget,
            punctuation=punctuation,
            plain_vowels=frozenset(
                self.known_words(f.get("plain_vowels"), "plain_vowels", codes, "language")
            ),
            channels=frozenset(self.known_words(f.get("channels"), "channels", CHANNELS, "channel"))
            or default.channels,
        )
