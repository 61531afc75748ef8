"""The conversation engine: pure, with no I/O. See README.md in this folder."""

from .events import Event, MessageCreated
from .model import FlowSet
from .runner import Engine, Inbound, Sprint, counter_ids
from .session import Session
from .texts import ListingPage, Said
from .understanding import MORE_WORDS, answer_words

__all__ = [
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
