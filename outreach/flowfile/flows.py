"""The readers of a flow file: the flow, and each node kind with what it needs (a menu's
options, a question's check, a branch's cases, a directory node's texts)."""

from __future__ import annotations

import re
from datetime import datetime

import yaml

from outreach.engine.model import (
    BranchNode,
    Case,
    Check,
    CheckKind,
    DirectoryNode,
    EndNode,
    Flow,
    FlowNode,
    MenuNode,
    MessageNode,
    Node,
    Option,
    Provenance,
    QuestionNode,
    Reminder,
    placeholders,
)

from . import spec
from .index import (
    BranchValue,
    ContentReader,
    FieldUse,
    Keyword,
    Menu,
    MenuWord,
    NodeRef,
    PlacedText,
    Ref,
    SavedField,
)
from .problems import Place, did_you_mean
from .yamlvalues import Fields

#: A WhatsApp template's content_sid, as Twilio's Content API gives it.
CONTENT_SID = re.compile(r"HX[0-9a-fA-F]{32}")


class FlowReader(ContentReader):
    """Reads a file that starts with ``flow:``."""

    def read_flow(self, root: yaml.MappingNode) -> Flow | None:
        f = self.fields(root, spec.FLOW, "the flow")
        if f is None:
            return None
        flow_id = self.ident(f.get("flow"), "the flow id")
        name = self.text(f.get("name"), "name")
        provenance = self.reviewed(f.get("provenance"), f"flow '{flow_id}'")
        keywords = self.words(f.get("keywords"), "keywords")
        if flow_id is None:
            return None
        if flow_id in self.index.flow_places:
            first = self.index.flow_places[flow_id]
            self.error(f.place("flow"), f"flow '{flow_id}' is defined twice (first at {first})")
            return None
        self.index.flow_places[flow_id] = f.place("flow")
        for word, place in self.word_places(f.get("keywords")):
            self.index.keywords.append(Keyword(word, flow_id, place))
        nodes_node = f.get("nodes")
        nodes: dict[str, Node] = {}
        labels: dict[str, str] = {}
        if nodes_node is not None:
            if not isinstance(nodes_node, yaml.MappingNode) or not nodes_node.value:
                self.error(nodes_node, "nodes must be a mapping of node ids to nodes")
            else:
                seen: dict[str, Place] = {}
                for key_node, value_node in nodes_node.value:
                    node_id = self.ident(key_node, "a node id")
                    if node_id is None:
                        continue
                    if node_id in seen:
                        self.error(
                            key_node,
                            f"duplicate node id '{node_id}' (first at line {seen[node_id].line})",
                        )
                        continue
                    seen[node_id] = self.place(key_node)
                    self.index.node_places[NodeRef(flow_id, node_id)] = self.place(key_node)
                    node = self.read_node(flow_id, node_id, value_node, labels)
                    if node is not None:
                        nodes[node_id] = node
        if name is None or provenance is None or not nodes:
            return None
        return Flow(flow_id, name, nodes, provenance, keywords, labels)

    def read_node(
        self, flow_id: str, node_id: str, node: yaml.Node, labels: dict[str, str]
    ) -> Node | None:
        """One node; its ``label:``, if it has one, goes into ``labels``."""
        what = f"node '{node_id}'"
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} must be a mapping of keys and values")
            return None
        type_node = next((v for k, v in node.value if getattr(k, "value", None) == "type"), None)
        if type_node is None:
            self.error(
                node, f"{what} is missing the required key 'type' ({', '.join(spec.NODE_TYPES)})"
            )
            return None
        node_type = self.scalar(type_node, "type")
        if node_type is None:
            return None
        if node_type not in spec.NODE:
            self.error(
                type_node,
                f"unknown node type '{node_type}'{did_you_mean(node_type, spec.NODE_TYPES)}",
            )
            return None
        f = self.fields(node, spec.NODE[node_type], f"a {node_type} node")
        if f is None:
            return None
        provenance = self.reviewed(f.get("provenance"), what)
        label = self.text(f.get("label"), "label")
        if label is not None:
            labels[node_id] = label
        text = self.text(f.get("text"), "text") if "text" in spec.NODE[node_type] else None
        if text is not None:
            self.note_text(flow_id, node_id, text, f.get("text"))
        next_id = self.node_ref(flow_id, node_id, f.get("next"), "next")
        match node_type:
            case "message":
                remind = self.read_remind(flow_id, node_id, f.get("remind"))
                return MessageNode(node_id, text, next_id, provenance, remind) if text else None
            case "end":
                return EndNode(node_id, text, provenance)
            case "flow":
                target = self.flow_ref(f.get("flow"))
                return FlowNode(node_id, target, next_id, provenance) if target else None
            case "menu":
                options = self.read_options(flow_id, node_id, f.get("options"))
                return MenuNode(node_id, text, options, provenance) if text and options else None
            case "question":
                return self.read_question(flow_id, node_id, f, text, next_id, provenance)
            case "directory":
                return self.read_directory_node(flow_id, node_id, f, text, next_id, provenance)
            case _:
                assert node_type == "branch", node_type  # spec.NODE has no other kind
                return self.read_branch(flow_id, node_id, f, provenance)

    def read_question(
        self,
        flow_id: str,
        node_id: str,
        f: Fields,
        text: str | None,
        next_id: str | None,
        provenance: Provenance | None,
    ) -> QuestionNode | None:
        check = self.read_check(f.get("check"))
        save = self.ident(f.get("save"), "save")
        retry = self.text(f.get("retry"), "retry")
        if retry is not None:
            self.note_text(flow_id, node_id, retry, f.get("retry"))
        if save is not None:
            self.index.saves.append(SavedField(NodeRef(flow_id, node_id), save, f.place("save")))
            if check is not None:
                self.index.save_checks.setdefault(save, []).append(check)
        if text is None or check is None or save is None:
            return None
        return QuestionNode(node_id, text, check, save, next_id, retry, provenance)

    def read_check(self, node: yaml.Node | None) -> Check | None:
        if node is None:
            return None
        if isinstance(node, yaml.ScalarNode):
            kind = self.scalar(node, "check")
            if kind in ("yes_no", "text"):
                return Check(CheckKind(kind))
            if kind is not None:
                self.error(
                    node,
                    f"check '{kind}' needs more: write it as a mapping with "
                    "type: number (min, max) or type: one_of (list)"
                    if kind in spec.CHECK_TYPES
                    else f"unknown check '{kind}'{did_you_mean(kind, spec.CHECK_TYPES)}",
                )
            return None
        f = self.fields(node, spec.CHECK, "the check")
        if f is None:
            return None
        kind = self.scalar(f.get("type"), "the check type")
        if kind is None:
            return None
        if kind not in spec.CHECK_TYPES:
            self.error(
                f.place("type"),
                f"unknown check type '{kind}'{did_you_mean(kind, spec.CHECK_TYPES)}",
            )
            return None
        minimum = self.integer(f.get("min"), "min")
        maximum = self.integer(f.get("max"), "max")
        list_id = self.ident(f.get("list"), "list")
        if kind == "one_of":
            if f.get("list") is None:
                self.error(f.node, "a one_of check is missing the required key 'list'")
                return None
            if list_id:
                self.index.refs.append(Ref("list", None, list_id, f.place("list")))
        elif f.get("list") is not None:
            self.error(f.place("list"), f"list only goes with type: one_of, not {kind}")
        if kind != "number":
            for key in ("min", "max"):
                if f.get(key) is not None:
                    self.error(f.place(key), f"{key} only goes with type: number, not {kind}")
        if minimum is not None and maximum is not None and minimum > maximum:
            self.error(f.place("min"), f"min ({minimum}) is larger than max ({maximum})")
        return Check(CheckKind(kind), minimum, maximum, list_id)

    def read_options(
        self, flow_id: str, node_id: str, node: yaml.Node | None
    ) -> tuple[Option, ...]:
        options: list[Option] = []
        numbers: dict[str, Place] = {}
        words: list[MenuWord] = []
        for position, item in enumerate(self.sequence(node, "options"), start=1):
            f = self.fields(item, spec.OPTION, "an option")
            if f is None:
                continue
            label = self.text(f.get("label"), "label")
            number = self.integer(f.get("number"), "number")
            number_text = str(number if number is not None else position)
            if label is not None:
                self.note_text(flow_id, node_id, label, f.get("label"))
                words.append(MenuWord(label, number_text, f.place("label")))
            if number_text in numbers:
                self.error(
                    f.place("number") if f.get("number") else f.place(),
                    f"option number {number_text} is used twice in this menu "
                    f"(first at line {numbers[number_text].line})",
                )
            numbers[number_text] = f.place("number") if f.get("number") else f.place()
            keywords = self.words(f.get("keywords"), "keywords")
            words += [MenuWord(w, number_text, p) for w, p in self.word_places(f.get("keywords"))]
            go = self.node_ref(flow_id, node_id, f.get("go"), "go")
            target_flow = self.flow_ref(f.get("flow"))
            after = self.node_ref(flow_id, node_id, f.get("next"), "next")
            if (f.get("go") is None) == (f.get("flow") is None):
                self.error(
                    f.place(), "an option needs exactly one of go: (a node) or flow: (another flow)"
                )
                continue
            if f.get("next") is not None and f.get("flow") is None:
                self.error(f.place("next"), "next: only goes with flow: in an option")
            if label is None or (go is None and target_flow is None):
                continue
            options.append(Option(number_text, label, keywords, go, target_flow, after))
        self.index.menus.append(Menu(NodeRef(flow_id, node_id), tuple(words)))
        return tuple(options)

    def read_branch(
        self, flow_id: str, node_id: str, f: Fields, provenance: Provenance | None
    ) -> BranchNode | None:
        field_name = self.ident(f.get("field"), "field")
        if field_name:
            self.index.branch_fields.append(
                FieldUse(NodeRef(flow_id, node_id), field_name, f.place("field"))
            )
        cases = []
        for item in self.sequence(f.get("cases"), "cases"):
            case = self.fields(item, spec.CASE, "a case")
            if case is None:
                continue
            values = self.words(case.get("value"), "value")
            if field_name:
                self.index.branch_values += [
                    BranchValue(field_name, word, place)
                    for word, place in self.word_places(case.get("value"))
                ]
            go = self.node_ref(flow_id, node_id, case.get("go"), "go")
            if values and go:
                cases.append(Case(values, go))
        otherwise = self.node_ref(flow_id, node_id, f.get("otherwise"), "otherwise")
        unset = self.node_ref(flow_id, node_id, f.get("unset"), "unset")
        if f.get("cases") is None and f.get("unset") is None:
            self.error(f.place(), "a branch needs cases:, unset: or both")
            return None
        if field_name is None or otherwise is None:
            return None
        if unset is not None:
            self.index.guarded_branches.append(
                FieldUse(NodeRef(flow_id, node_id), field_name, f.place("field"))
            )
        return BranchNode(node_id, field_name, tuple(cases), otherwise, unset, provenance)

    def node_ref(self, flow_id: str, node_id: str, node: yaml.Node | None, what: str) -> str | None:
        """The node ``node`` names, a reference written in node ``node_id`` (an edge of the
        flow, for the reachability and field checks)."""
        target = self.ident(node, what)
        if target is not None and node is not None:
            self.index.refs.append(Ref("node", flow_id, target, self.place(node), node_id))
        return target

    def read_remind(self, flow_id: str, node_id: str, node: yaml.Node | None) -> Reminder | None:
        """A message node's reminder: when (with its zone), what, and the dated item's
        source."""
        if node is None:
            return None
        rf = self.fields(node, spec.REMIND, "a reminder")
        if rf is None:
            return None
        written = self.scalar(rf.get("at"), "at")
        text = self.text(rf.get("text"), "text")
        provenance = self.reviewed(rf.get("provenance"), f"the reminder of node '{node_id}'")
        at = None
        if written is not None:
            try:
                at = datetime.fromisoformat(written)
            except ValueError:
                self.error(
                    rf.place("at"),
                    f"'{written}' is not a date and time such as 2027-02-09T09:00:00-06:00",
                )
            else:
                if at.tzinfo is None:
                    self.error(
                        rf.place("at"),
                        f"'{written}' needs its time zone, e.g. {written}-06:00 (Guatemala)",
                    )
                    at = None
        if text is not None and placeholders(text):
            self.error(
                rf.place("text"),
                f"a reminder cannot use placeholders ({{{placeholders(text)[0]}}}): it is "
                "sent later, on its own",
            )
            text = None
        template = self.scalar(rf.get("whatsapp_template"), "whatsapp_template")
        if template is not None and not CONTENT_SID.fullmatch(template):
            self.error(
                rf.place("whatsapp_template"),
                f"'{template}' is not a template's content_sid (HX and 32 hex digits)",
            )
            template = None
        if at is None or text is None or provenance is None:
            return None
        self.index.reminders.append((NodeRef(flow_id, node_id), at, rf.place("at")))
        return Reminder(at, text, provenance, template)

    def note_text(self, flow_id: str, node_id: str, text: str, node: yaml.Node | None) -> None:
        if isinstance(node, yaml.ScalarNode) and placeholders(text):
            self.index.texts.append(
                PlacedText(NodeRef(flow_id, node_id), text, node, self.source, self.path)
            )

    def read_directory_node(
        self,
        flow_id: str,
        node_id: str,
        f: Fields,
        text: str | None,
        next_id: str | None,
        provenance: Provenance | None,
    ) -> DirectoryNode | None:
        directory = self.ident(f.get("directory"), "directory")
        if directory is not None:
            self.index.refs.append(Ref("directory", None, directory, f.place("directory")))
        field_name = self.ident(f.get("field"), "field")
        if field_name is not None:
            self.index.directory_fields.append(
                FieldUse(NodeRef(flow_id, node_id), field_name, f.place("field"))
            )
        kind = self.programme_kind(f.get("kind"))
        texts = {}
        for name in ("empty", "more"):
            value = self.text(f.get(name), name)
            if value is not None:
                self.note_text(flow_id, node_id, value, f.get(name))
                texts[name] = value
        page_size = self.integer(f.get("page_size"), "page_size")
        if page_size is not None and not 1 <= page_size <= 10:
            self.error(f.place("page_size"), "page_size must be between 1 and 10")
            page_size = None
        if text is None or directory is None or field_name is None or len(texts) < 2:
            return None
        return DirectoryNode(
            node_id, directory, field_name, text, texts["empty"], texts["more"], kind,
            page_size or 3, next_id, provenance,
        )  # fmt: skip
