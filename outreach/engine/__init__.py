"""The conversation engine: pure, with no I/O. See README.md in this folder."""

from .engine import Engine, counter_ids
from .events import Event, MessageCreated
from .model import FlowSet
from .session import Inbound, Session, Sprint
from .texts import ListingPage, Said
from .understanding import MORE_WORDS, answer_words
from .walk import LANGUAGE_MENU

__all__ = [
    "LANGUAGE_MENU",
    "MORE_WORDS",
    "Engine",
    "Event",
    "FlowSet",
    "Inbound",
    "ListingPage",
    "MessageCreated",
    "Said",
    "Session",
    "Sprint",
    "answer_words",
    "counter_ids",
]
