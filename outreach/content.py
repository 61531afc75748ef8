"""The content a running service uses: the checked flows and an engine built on them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .engine import Engine, FlowSet
from .flowfile import load_or_raise


def today() -> Any:
    return datetime.now(UTC).date()


def load_flows(flows_dir: str | Path) -> FlowSet:
    """The flows in ``flows_dir``; :class:`~outreach.flowfile.ContentError` if any error."""
    return load_or_raise([flows_dir], today())


def build_engine(flows: FlowSet, config: dict[str, Any]) -> Engine:
    return Engine(
        flows,
        new_id=lambda: uuid.uuid4().hex,
        max_steps=int(config["MAX_STEPS_PER_TURN"]),
        session_timeout=timedelta(hours=int(config["SESSION_TIMEOUT_HOURS"])),
    )
