"""The engine: one resident message in, the new session state and events out.

It is pure: no I/O, no clock, no randomness. The time of the message and a generator of
run ids are passed in, so the same inputs always give the same sprint.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import assert_never

from .model import (
    BranchNode,
    DirectoryNode,
    EndNode,
    FlowNode,
    FlowSet,
    MenuNode,
    MessageNode,
    QuestionNode,
)
from .session import Inbound, Session, Sprint
from .texts import ListingPage, Said, Texts, Translate, untranslated
from .turn import Turn
from .understanding import Understanding
from .walk import Prepared

DEFAULT_MAX_STEPS = 100
DEFAULT_SESSION_TIMEOUT = timedelta(days=3)


def counter_ids(prefix: str = "run") -> Callable[[], str]:
    """Predictable ids (``run-1``, ``run-2``...) for tests and simulators."""
    numbers = itertools.count(1)
    return lambda: f"{prefix}-{next(numbers)}"


class Engine:
    """Runs conversations over a loaded :class:`FlowSet`.

    Building an engine prepares matchers for every menu, list and keyword once; each
    :meth:`resume` then only walks nodes.
    """

    def __init__(
        self,
        flows: FlowSet,
        *,
        new_id: Callable[[], str],
        translate: Translate = untranslated,
        languages: Sequence[str] | None = None,
        max_steps: int = DEFAULT_MAX_STEPS,
        session_timeout: timedelta = DEFAULT_SESSION_TIMEOUT,
        twilio: str = "keep",
    ) -> None:
        """``languages`` are the codes offered to residents (by default every language of
        the deployment); the deployment's first language is the source of the flows.
        ``twilio`` is what Twilio keeps (OUTREACH_TWILIO_FORGET: keep, redaction or
        delete): the welcome's notice node says so."""
        self.flows = flows
        self.translate = translate
        deployment = flows.deployment
        by_code = {lang.code: lang for lang in deployment.languages}
        codes = list(languages) if languages is not None else list(by_code)
        self.languages = tuple(by_code[c] for c in codes if c in by_code)
        self.source_language = deployment.default_language
        self.texts = Texts(flows, translate, self.source_language, self.languages)
        #: Message nodes that say a deployment text instead of their own.
        self.replaced: dict[tuple[str, str], str] = {}
        if deployment.twilio_notice and deployment.welcome_flow and twilio != "keep":
            name = f"twilio_{twilio}"
            if name in deployment.texts:
                self.replaced[(deployment.welcome_flow, deployment.twilio_notice)] = name
        self._prepared = Prepared(
            flows,
            Understanding(flows, self.languages, translate, self.source_language),
            self.texts,
            self.languages,
            new_id,
            max_steps,
            session_timeout,
            self.replaced,
        )

    def new_session(self, language: str | None = None) -> Session:
        """A session for a resident never seen before. Given a ``language`` (a simulator,
        a test), the resident is not asked to choose one."""
        if language is not None:
            return Session(language=language, language_chosen=True)
        return Session(language=self.source_language)

    def resume(self, session: Session | None, message: Inbound, now: datetime) -> Sprint:
        """Handle one message from a resident and return what happened."""
        state = self.new_session() if session is None else session.copy()
        turn = Turn(self._prepared, state, now)
        turn.handle(message)
        turn.session.last_seen = now  # a new session, after erasure
        return Sprint(turn.session, turn.events)

    # -- previews: what a resident would get, without a conversation ----------------

    def preview(
        self, flow_id: str, node_id: str, language: str, fields: Mapping[str, str]
    ) -> str | None:
        """The message a node sends to a resident of ``language`` with these fields, or
        None for nodes that send nothing (for cost previews and translators)."""
        node = self.flows.flows[flow_id].nodes[node_id]
        texts = self.texts
        match node:
            case MenuNode() | QuestionNode():
                return texts.prompt(flow_id, node, language, fields).text
            case MessageNode() if (flow_id, node_id) in self.replaced:
                return texts.system(self.replaced[(flow_id, node_id)], language, fields).text
            case MessageNode():
                return texts.text(node.text, f"{flow_id}/{node.id}", language, fields).text
            case EndNode() if node.text:
                return texts.text(node.text, f"{flow_id}/{node.id}", language, fields).text
            case DirectoryNode():
                return texts.listing(flow_id, node, 0, language, fields).said.text
            case EndNode() | BranchNode() | FlowNode():
                return None
            case _:
                assert_never(node)

    def preview_numbered_list(self, flow_id: str, node_id: str, language: str) -> list[Said]:
        """The parts a question with a numbered list sends a resident of ``language`` after
        an answer that names nothing: the retry text, then the list, each part one SMS.
        Empty for a question whose list is not shown numbered."""
        node = self.flows.flows[flow_id].nodes[node_id]
        if not isinstance(node, QuestionNode):
            return []
        choice_list = self.flows.lists.get(node.check.list_id or "")
        if choice_list is None or not choice_list.numbered:
            return []
        return self.texts.retry(flow_id, node, language, {})

    def preview_listing_page(
        self, flow_id: str, node_id: str, department: str, page: int, language: str
    ) -> ListingPage:
        """Page ``page`` (from 0) of a directory listing, as a resident of ``language``
        whose department is ``department`` gets it."""
        node = self.flows.flows[flow_id].nodes[node_id]
        if not isinstance(node, DirectoryNode):
            raise TypeError(f"{flow_id}/{node_id} is not a directory listing")
        return self.texts.listing(flow_id, node, page, language, {node.field: department})

    def language_menu(self) -> str:
        """The language menu a new resident gets: its prompt in every offered language."""
        return self.texts.language_menu(None, self.source_language).text
