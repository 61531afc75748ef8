"""The benchmarks still run against the current content (their timings are not tested)."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import ROOT, TODAY

from outreach.flowfile import load

sys.path.insert(0, str(ROOT / "bench"))

import check_speed
import engine_turn


def test_the_check_benchmark_corpus_is_valid_content(tmp_path: Path) -> None:
    check_speed.make_corpus(tmp_path)
    result = load([tmp_path], TODAY)
    assert result.errors == []
    assert result.files == check_speed.FLOWS + 4


def test_the_engine_benchmark_script_walks_the_shipped_flows() -> None:
    from outreach.engine import Engine, counter_ids
    from outreach.flowfile import load_or_raise

    engine = Engine(load_or_raise([ROOT / "flows"], TODAY), new_id=counter_ids())
    samples = engine_turn.time_turns(engine, engine_turn.SCRIPT, 1)
    assert len(samples) == len(engine_turn.SCRIPT)
