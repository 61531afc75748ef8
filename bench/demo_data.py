"""How long `outreach demo-data` takes, as `make run` runs it on a new database: 3,000
synthetic residents over 89 days, every message and call through the service.

Prints the wall time, the process's CPU time (the machine may be busy with other work)
and what was played, per message too.

    .venv/bin/python bench/demo_data.py
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from outreach.cli import current_settings, load_content
from outreach.service.demo import fill
from outreach.storage import connect

RESIDENTS = 3000


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.sqlite3"
        db = connect(path, migrate=True)
        content = load_content(current_settings()["FLOWS_DIR"])
        wall, cpu = time.perf_counter(), time.process_time()
        filled = fill(db, content, RESIDENTS, datetime.now(UTC))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        size = path.stat().st_size / 1e6
    turns = filled.messages
    print(f"demo data: {filled.residents} residents, {turns} messages, {filled.calls} calls")
    print(f"  wall {wall:.1f} s, CPU {cpu:.1f} s ({1000 * cpu / turns:.2f} ms CPU a message)")
    print(f"  database {size:.1f} MB")


if __name__ == "__main__":
    main()
