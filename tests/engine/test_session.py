"""A session's fields are listed once: the dataclass. Copying, clearing a conversation and
the JSON round trip all follow from it, so a field added to Session cannot be forgotten
by one of them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

import pytest

from outreach.engine.session import Frame, Session


def full_session() -> Session:
    """A session whose every field holds something other than its default."""
    return Session(
        language="quc",
        language_chosen=True,
        fields={"department": "Petén"},
        stack=[Frame("main", "menu", "run-1"), Frame("jobs", None, "run-2")],
        pending="language",
        page=2,
        list_shown=True,
        place_choices=["Escuintla", "Petén"],
        not_understood=1,
        opted_out=True,
        welcomed=True,
        ran_once=["feedback"],
        last_seen=datetime(2026, 12, 3, 12, tzinfo=UTC),
    )


def test_the_example_sets_every_field_away_from_its_default() -> None:
    default = Session(language="es")
    session = full_session()
    assert [
        f.name for f in fields(Session) if getattr(session, f.name) == getattr(default, f.name)
    ] == []


def test_a_session_round_trips_through_json_and_copies_deeply() -> None:
    session = full_session()
    assert Session.from_dict(json.loads(json.dumps(session.to_dict()))) == session
    copy = session.copy()
    assert copy == session
    copy.fields["department"] = "Escuintla"
    copy.stack[0].node = "elsewhere"
    copy.stack.append(Frame("x", "y", "z"))
    copy.place_choices.clear()
    copy.ran_once.append("other")
    assert session == full_session()


def test_clearing_the_conversation_keeps_what_belongs_to_the_resident() -> None:
    session = full_session()
    session.clear_conversation()
    assert session.stack == [] and session.pending is None and session.not_understood == 0
    assert session.place_choices == [] and session.ran_once == []
    # What the resident told us and chose stays.
    assert (session.language, session.language_chosen, session.fields) == (
        "quc",
        True,
        {"department": "Petén"},
    )
    assert (session.opted_out, session.welcomed) == (True, True)


@dataclass
class _Grown(Session):
    """Session with one field more, as a later change would add it."""

    nickname: str = ""
    seen_flows: list[str] = field(default_factory=list)


def test_a_new_field_is_copied_saved_and_read_back_without_editing_a_list() -> None:
    grown = _Grown(language="es", nickname="Ana", seen_flows=["jobs"])
    data = json.loads(json.dumps(grown.to_dict()))
    assert data["nickname"] == "Ana" and data["seen_flows"] == ["jobs"]
    assert _Grown.from_dict(data) == grown
    copy = grown.copy()
    assert isinstance(copy, _Grown) and copy == grown
    copy.seen_flows.append("other")
    assert grown.seen_flows == ["jobs"]


def test_a_session_saved_before_a_field_existed_reads_with_its_default() -> None:
    old = Session.from_dict({"language": "es", "language_chosen": True})
    assert old == Session(language="es", language_chosen=True, welcomed=True)
    # Sessions saved before the welcome existed belong to residents already greeted.
    assert old.welcomed is True


@dataclass
class _Odd(Session):
    scores: dict[str, int] = field(default_factory=dict)


def test_a_field_of_a_type_with_no_known_copy_and_json_is_refused() -> None:
    # Better a loud error at the first turn than a field silently shared or lost.
    odd = _Odd(language="es")
    with pytest.raises(TypeError, match="scores"):
        odd.copy()
    with pytest.raises(TypeError, match="scores"):
        odd.to_dict()
    with pytest.raises(TypeError, match="scores"):
        _Odd.from_dict({"language": "es"})
