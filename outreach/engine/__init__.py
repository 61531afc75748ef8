"""The conversation engine: pure, with no I/O. See README.md in this folder."""

from .events import Event, MessageCreated
from .model import FlowSet
from .runner import Engine, Inbound, Sprint, counter_ids
from .session import Session

__all__ = [
    "Engine",
    "Event",
    "FlowSet",
    "Inbound",
    "MessageCreated",
    "Session",
    "Sprint",
    "counter_ids",
]
