"""Bad input gets a clear answer: mutated content files and strange messages never crash."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

from conftest import FLOWS, NOON, TODAY

from outreach.engine import Engine, FlowSet, Inbound, Session, counter_ids
from outreach.flowfile import load

STRANGE = [
    "", " ", "\n", "🙂🙂", "¿¿¿", "0", "-1", "999999999999999999999", "1 2", "uno dos",
    "Menú" * 200, "\x00", "ñ", "ʼ", "q'eqchi'", "https://example.org", "STOP please",
    "<Response/>", "{department}", "%s", "SÍ", "nO", "1.5", "١", "Ⅻ",
]  # fmt: skip


def test_random_and_strange_messages_never_crash_the_engine(shipped: FlowSet) -> None:
    rng = random.Random(7)
    engine = Engine(shipped, new_id=counter_ids())
    session: Session | None = None
    vocabulary = [*STRANGE, "1", "2", "3", "hola", "menu", "ayuda", "huehue", "no", "si"]
    replies = 0
    for _ in range(3000):
        text = rng.choice(vocabulary)
        if rng.random() < 0.2:
            text = "".join(rng.choice("abcñáé 0123.)?¿!") for _ in range(rng.randrange(12)))
        sprint = engine.resume(session, Inbound(text), NOON)
        session = Session.from_dict(json.loads(json.dumps(sprint.session.to_dict())))
        replies += len(sprint.messages)
        if session.opted_out:
            session.opted_out = False  # keep the walk going
    assert replies > 3000


def test_mutated_content_files_give_problems_not_exceptions(tmp_path: Path) -> None:
    rng = random.Random(11)
    files = sorted(FLOWS.glob("*.yaml"))
    found_problems = 0
    for attempt in range(250):
        folder = tmp_path / str(attempt)
        folder.mkdir()
        for path in files:
            shutil.copy(path, folder / path.name)
        victim = folder / rng.choice(files).name
        lines = victim.read_text(encoding="utf-8").splitlines(keepends=True)
        where = rng.randrange(len(lines))
        mutation = rng.randrange(4)
        if mutation == 0:
            del lines[where]
        elif mutation == 1:
            lines[where] = lines[where].replace(":", "", 1)
        elif mutation == 2:
            lines[where] = " " + lines[where]
        else:
            column = rng.randrange(len(lines[where]) + 1)
            mark = rng.choice("&*!|>-:{}[]'\"\t%@`#,?")
            lines[where] = lines[where][:column] + mark + lines[where][column:]
        victim.write_text("".join(lines), encoding="utf-8")
        result = load([folder], TODAY)
        found_problems += bool(result.problems)
        for problem in result.problems:
            assert problem.place.line >= 1 and problem.place.col >= 1
    assert found_problems > 100  # most mutations break something, and are reported
