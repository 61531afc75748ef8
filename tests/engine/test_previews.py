"""The engine's previews show exactly what a resident at that point of a conversation
gets: `outreach check --costs` prices the previews, so they must not drift from the walk."""

from __future__ import annotations

from conftest import NOON, ROOT

from outreach.engine import MORE_WORDS, Engine, FlowSet, Inbound, Said, Session, counter_ids
from outreach.engine.events import MessageCreated
from outreach.engine.model import DirectoryNode, QuestionNode
from outreach.engine.session import Frame
from outreach.i18n import load_translations
from outreach.i18n.messages import flowset_messages


def sent_by(engine: Engine, session: Session, text: str, flow: str, node: str) -> list[Said]:
    """What the node sends, in a conversation, to a resident at ``session`` who writes
    ``text``."""
    return [
        Said(event.text, event.text_language or event.language)
        for event in engine.resume(session, Inbound(text), NOON).events
        if isinstance(event, MessageCreated) and (event.flow, event.node) == (flow, node)
    ]


def engines(shipped: FlowSet) -> list[Engine]:
    """The shipped flows, untranslated and with the shipped catalogs (a fallback text is
    said in the source language)."""
    state = load_translations(shipped, flowset_messages(shipped), ROOT / "locales", 90)
    assert "en" in state.offered
    translated = Engine(shipped, new_id=counter_ids(), translate=state.translations)
    return [Engine(shipped, new_id=counter_ids()), translated]


def test_a_listing_page_preview_is_the_page_more_shows(shipped: FlowSet) -> None:
    checked = 0
    for engine in engines(shipped):
        for flow in shipped.flows.values():
            for node in flow.nodes.values():
                if not isinstance(node, DirectoryNode):
                    continue
                for item in shipped.lists["departments"].items:
                    for language in ("es", "en"):
                        first = engine.preview_listing_page(
                            flow.id, node.id, item.value, 0, language
                        )
                        pages = max(1, -(-first.found // node.page_size))
                        for page in range(pages):
                            preview = engine.preview_listing_page(
                                flow.id, node.id, item.value, page, language
                            )
                            # One page earlier, the resident asks for more.
                            session = Session(
                                language, language_chosen=True, fields={node.field: item.value},
                                stack=[Frame(flow.id, node.id, "run")], page=page - 1,
                            )  # fmt: skip
                            said = sent_by(engine, session, MORE_WORDS[0], flow.id, node.id)
                            assert said[:1] == [preview.said], (node.id, item.value, page)
                            checked += 1
    assert checked > 100


def test_a_numbered_list_preview_is_what_an_answer_naming_nothing_gets(shipped: FlowSet) -> None:
    checked = 0
    for engine in engines(shipped):
        for flow in shipped.flows.values():
            for node in flow.nodes.values():
                if not isinstance(node, QuestionNode):
                    continue
                for language in ("es", "en"):
                    preview = engine.preview_numbered_list(flow.id, node.id, language)
                    choice_list = shipped.lists.get(node.check.list_id or "")
                    if choice_list is None or not choice_list.numbered:
                        assert preview == []
                        continue
                    session = Session(
                        language, language_chosen=True, stack=[Frame(flow.id, node.id, "run")]
                    )
                    assert sent_by(engine, session, "?", flow.id, node.id) == preview
                    assert len(preview) > 1  # the 22 departments take several SMS
                    checked += 1
    assert checked >= 2
