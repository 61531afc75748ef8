"""`outreach check` speed on 200 generated flow files.

Target: under 1 s for 200 flows. The baseline, measured in the same run, is reading and
YAML-composing the same 200 files without any checking, so the ratio shows what the
checks cost on top of parsing.

    .venv/bin/python bench/check_speed.py
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import yaml

from outreach.flowfile import content_files, load

ROOT = Path(__file__).resolve().parent.parent
# The day `outreach check` would use: the shipped content's dates are checked against it.
TODAY = date.today()
FLOWS = 200

FLOW = """\
# Generated flow {n} for the benchmark.
flow: generated_{n}
name: Generated {n}
keywords: [palabra{n}]
provenance:
  source: benchmark
  verified_on: 2026-11-01
  review_by: 2027-06-01
  sample: true
nodes:
  menu:
    type: menu
    text: "Elija un tema {n}:"
    options:
      - label: Información uno
        keywords: [uno{n}]
        go: info
      - label: Pregunta
        go: ask
      - label: Siguiente flujo
        flow: {next_flow}
  info:
    type: message
    text: >-
      Un texto largo de información que ocupa casi un segmento de SMS, con acentos y
      números como 1574 y Q5,000.
    next: check_known
  check_known:
    type: branch
    field: department
    unset: ask
    otherwise: show
  ask:
    type: question
    text: "¿En qué departamento vive?"
    check: {{type: one_of, list: departments}}
    save: department
    retry: No conozco ese departamento.
    next: show
  show:
    type: message
    text: "Programas en {{department}}."
    next: age
  age:
    type: question
    text: "¿Cuántos años tiene?"
    check: {{type: number, min: 15, max: 99}}
    save: age_{n}
    next: done
  done:
    type: end
    text: Gracias.
"""


def make_corpus(folder: Path) -> None:
    shutil.copy(ROOT / "flows" / "departments.yaml", folder / "departments.yaml")
    shutil.copytree(ROOT / "flows" / "data", folder / "data", dirs_exist_ok=True)  # its places
    # The deployment asks the feedback flow once per conversation: it must be here too.
    shutil.copy(ROOT / "flows" / "feedback.yaml", folder / "feedback.yaml")
    # ... and its alerts: section names the alerts flow.
    shutil.copy(ROOT / "flows" / "alerts.yaml", folder / "alerts.yaml")
    deployment = (ROOT / "flows" / "deployment.yaml").read_text(encoding="utf-8")
    # The danger words lead to a generated flow too (the shipped emergencies flow is not here).
    deployment = deployment.replace("\n  flow: emergencies\n", "\n  flow: generated_4\n")
    (folder / "deployment.yaml").write_text(deployment, encoding="utf-8")
    main = (ROOT / "flows" / "main.yaml").read_text(encoding="utf-8")
    # The main menu leads into the generated flows instead of the shipped ones.
    for n, flow in enumerate(["risks", "pathways", "programmes", "returnees", "emergencies"]):
        main = main.replace(f"flow: {flow}\n", f"flow: generated_{n}\n")
    (folder / "main.yaml").write_text(main, encoding="utf-8")
    welcome = (ROOT / "flows" / "welcome.yaml").read_text(encoding="utf-8")
    (folder / "welcome.yaml").write_text(welcome, encoding="utf-8")
    for n in range(FLOWS):
        next_flow = f"generated_{(n + 1) % FLOWS}"
        text = FLOW.format(n=n, next_flow=next_flow)
        (folder / f"generated_{n:03}.yaml").write_text(text, encoding="utf-8")


def parse_only(folder: Path) -> None:
    for path in content_files([folder]):
        yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_corpus(folder)
        result = load([folder], TODAY)
        assert not result.errors, result.errors[:5]
        checks, parses = [], []
        for _ in range(7):
            start = time.perf_counter()
            load([folder], TODAY)
            checks.append(time.perf_counter() - start)
            start = time.perf_counter()
            parse_only(folder)
            parses.append(time.perf_counter() - start)
    check_s = statistics.median(checks)
    parse_s = statistics.median(parses)
    print(f"files checked:              {result.files} ({FLOWS} generated flows)")
    print(f"problems found:             {len(result.problems)}")
    print(f"check time (median of 7):   {check_s * 1000:8.1f} ms   (target < 1000 ms)")
    print(f"baseline (YAML parse only): {parse_s * 1000:8.1f} ms")
    print(f"ratio check / parse:        {check_s / parse_s:8.2f}")
    print("PASS" if check_s < 1.0 else "FAIL")


if __name__ == "__main__":
    main()
