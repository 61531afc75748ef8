"""Everything `outreach check` looks at: the content files, then (when they load) the
translations and what each message costs as SMS."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .engine import Engine, counter_ids
from .flowfile import LoadResult, Severity, load
from .flowfile.problems import Place, Problem, sort_key
from .i18n import load_translations
from .i18n.check import check_keyword_clashes, check_translations
from .i18n.messages import flowset_messages
from .sms.costs import SYSTEM, Cost, message_costs


@dataclass
class CheckReport:
    result: LoadResult
    problems: list[Problem] = field(default_factory=list)
    costs: list[tuple[Place | None, Cost]] = field(default_factory=list)


def check_content(
    paths: Sequence[Path],
    today: date,
    locales_dir: Path,
    min_coverage_percent: int,
    *,
    list_missing: bool = False,
) -> CheckReport:
    result = load(paths, today)
    report = CheckReport(result, list(result.problems))
    flows = result.flowset
    if flows is None:
        return report
    messages = flowset_messages(flows)
    report.problems += check_translations(
        flows, messages, locales_dir, min_coverage_percent, list_missing=list_missing
    )
    codes = [lang.code for lang in flows.deployment.languages]
    report.problems += check_keyword_clashes(flows, locales_dir, codes)
    state = load_translations(flows, messages, locales_dir, min_coverage_percent)
    codes = [lang.code for lang in flows.deployment.languages]
    engine = Engine(flows, new_id=counter_ids(), translate=state.translations, languages=codes)
    budget = flows.deployment.sms.budget
    deployment_place = result.index.deployment_place
    for cost in message_costs(engine, codes):
        place = result.index.node_places.get((cost.flow, cost.node))
        if cost.flow == SYSTEM and deployment_place is not None:
            line = result.index.system_text_lines.get(cost.node, deployment_place.line)
            place = Place(deployment_place.path, line, 3)
        report.costs.append((place, cost))
        if place is None or not cost.translated or cost.info.segments <= budget:
            continue
        info = cost.info
        why = ""
        if info.non_gsm:
            why = "; UCS-2 because of " + " ".join(repr(c) for c in info.non_gsm)
        report.problems.append(
            Problem(
                place,
                Severity.WARNING,
                f"{cost.flow}/{cost.node} ({cost.language}) takes {info.segments} SMS "
                f"({info.encoding}, {info.characters} characters), "
                f"over the budget of {budget}{why}",
            )
        )
    report.problems.sort(key=sort_key)
    return report
