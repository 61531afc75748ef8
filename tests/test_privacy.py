"""Inbound text hygiene: what the service may read of what a resident sent."""

from __future__ import annotations


def test_cleaning_keeps_letters_joiners_and_spaces() -> None:
    from outreach.privacy import clean_text

    assert clean_text("hola\u00a0mundo\x00\x1b") == "hola mundo"
    assert clean_text("👨\u200d👩\u200d👧 ñ\n") == "👨\u200d👩\u200d👧 ñ\n"
