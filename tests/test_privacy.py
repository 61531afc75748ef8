"""Inbound text hygiene: what the service may read of what a resident sent; keyed
pseudonyms and the development key."""

from __future__ import annotations

import stat
from pathlib import Path

from outreach.privacy import KEY_FILE, development_key, e164, keyed_id, pseudonymise


def test_cleaning_keeps_letters_joiners_and_spaces() -> None:
    from outreach.privacy import clean_text

    assert clean_text("hola\u00a0mundo\x00\x1b") == "hola mundo"
    assert clean_text("👨\u200d👩\u200d👧 ñ\n") == "👨\u200d👩\u200d👧 ñ\n"


def test_numbers_in_any_writing_give_one_pseudonym() -> None:
    key = b"k" * 32
    forms = [
        "+50255550100",
        "whatsapp:+50255550100",
        "+502 5555 0100",
        "+502-5555-0100",
        "0050255550100",
        " +502 (5555) 0100 ",
    ]
    assert {e164(f) for f in forms} == {"+50255550100"}
    assert len({pseudonymise(key, e164(f) or "") for f in forms}) == 1
    assert e164("hello") is None and e164("+0123") is None
    assert pseudonymise(key, "+50255550100") != pseudonymise(b"j" * 32, "+50255550100")
    assert keyed_id(key, "SM1", "message") != keyed_id(key, "SM1", "resident")


def test_the_development_key_is_made_once_and_only_its_owner_reads_it(tmp_path: Path) -> None:
    first = development_key(tmp_path)
    assert len(first) >= 32
    assert development_key(tmp_path) == first
    mode = (tmp_path / KEY_FILE).stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_processes_starting_together_share_one_development_key(tmp_path: Path) -> None:
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=6) as pool:
        keys = list(pool.map(development_key, [tmp_path] * 12))
    assert len(set(keys)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [KEY_FILE]
