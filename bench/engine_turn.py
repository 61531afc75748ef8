"""Engine speed: the median time of one turn on the shipped flows, on one core.

Target: under 200 µs per turn. The baseline, measured in the same run, is the cheapest
possible turn (a global HELP command), so the ratio shows what walking flows costs.

    .venv/bin/python bench/engine_turn.py
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from outreach.engine import Engine, Inbound, Session, counter_ids
from outreach.flowfile import load_or_raise

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 12, 3)

#: A realistic walk through every shipped flow, with wrong answers and commands.
SCRIPT = [
    "hola", "1", "1", "si", "2", "no", "3", "regular", "menu", "2", "1", "1", "no",
    "3", "huehue", "1", "si", "trabajo", "2", "Petén", "2", "sí", "progarmas", "xyz",
    "AYUDA", "menú", "extorsion", "3", "no", "h2", "2", "más o menos",
]  # fmt: skip


def time_turns(engine: Engine, script: list[str], rounds: int) -> list[float]:
    now = datetime(2026, 11, 28, 12, tzinfo=UTC)
    samples = []
    for _ in range(rounds):
        session: Session | None = None
        for text in script:
            message = Inbound(text)
            start = time.perf_counter()
            sprint = engine.resume(session, message, now)
            samples.append(time.perf_counter() - start)
            session = sprint.session
            now += timedelta(seconds=30)
    return samples


def main() -> None:
    flows = load_or_raise([ROOT / "flows"], TODAY)
    engine = Engine(flows, new_id=counter_ids())
    time_turns(engine, SCRIPT, 50)  # warm up
    turns = time_turns(engine, SCRIPT, 300)
    baseline = time_turns(engine, ["ayuda"], 3000)
    median = statistics.median(turns) * 1e6
    p95 = statistics.quantiles(turns, n=20)[-1] * 1e6
    base = statistics.median(baseline) * 1e6
    print(f"turns measured:            {len(turns)}")
    print(f"median per turn:           {median:8.1f} µs   (target < 200 µs)")
    print(f"95th percentile per turn:  {p95:8.1f} µs")
    print(f"baseline (HELP command):   {base:8.1f} µs")
    print(f"ratio median / baseline:   {median / base:8.2f}")
    print("PASS" if median < 200 else "FAIL")


if __name__ == "__main__":
    main()
