"""Everything `outreach check` looks at: the content files, then (when they load) the
translations and what each message costs as SMS, directory listings included (each page
for each department, in each offered language)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from outreach.engine import Engine, counter_ids
from outreach.flowfile import LoadResult, Severity, load
from outreach.flowfile.index import NodeRef, ProgrammeRef
from outreach.flowfile.problems import Place, Problem, sort_key
from outreach.i18n import load_translations
from outreach.i18n.check import (
    check_keyword_clashes,
    check_translated_danger_answers,
    check_translations,
)
from outreach.i18n.messages import flowset_messages
from outreach.sms.misreading import misreadings
from outreach.voice.costs import (
    KEY_SECONDS,
    FlowSeconds,
    PromptCost,
    call_seconds,
    flow_seconds,
    prompt_costs,
)
from outreach.voice.recordings import Recordings
from outreach.voice.script import WORDS_PER_SECOND, flow_sources

from .costs import SYSTEM, Cost, listing_costs, message_costs


@dataclass
class CheckReport:
    result: LoadResult
    problems: list[Problem] = field(default_factory=list)
    costs: list[tuple[Place | None, Cost]] = field(default_factory=list)
    #: The voice line's seconds: per prompt (with its place), per flow, per call; for
    #: Spanish and each language that has recordings.
    voice_prompts: list[tuple[Place | None, PromptCost]] = field(default_factory=list)
    voice_flows: dict[str, dict[str, FlowSeconds]] = field(default_factory=dict)
    voice_calls: dict[str, float] = field(default_factory=dict)


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
    report.problems += check_translated_danger_answers(flows, locales_dir, codes)
    # Recordings as translations are: stale ones (the Spanish changed) are warnings at
    # their manifest entry; missing or unreadable files are errors.
    recordings = Recordings.load(locales_dir)
    report.problems += recordings.check(flow_sources(flows))
    codes = [lang.code for lang in flows.deployment.languages]
    spoken = [c for c in codes if c == flows.deployment.default_language or c in recordings.entries]
    for code in spoken:
        prompts = prompt_costs(flows, recordings, code)
        for (flow_id, node_id), prompt in prompts.items():
            report.voice_prompts.append(
                (result.index.node_places.get(NodeRef(flow_id, node_id)), prompt)
            )
        report.voice_flows[code] = flow_seconds(flows, prompts)
        report.voice_calls[code] = call_seconds(
            flows, recordings, code, report.voice_flows[code], len(spoken)
        )
    state = load_translations(flows, messages, locales_dir, min_coverage_percent)
    codes = [lang.code for lang in flows.deployment.languages]
    engine = Engine(flows, new_id=counter_ids(), translate=state.translations, languages=codes)
    budget = flows.deployment.sms.budget
    deployment_place = result.index.deployment_place
    for cost in [*message_costs(engine, codes), *listing_costs(engine, state.offered)]:
        listing = cost.listing
        what = f"{cost.flow}/{cost.node} ({cost.language})"
        if listing is None:
            place = result.index.node_places.get(NodeRef(cost.flow, cost.place_node or cost.node))
        else:
            # A page over budget is mended in the directory entry that makes it long.
            place = result.index.node_places.get(NodeRef(cost.flow, listing.node))
            if listing.cause is not None:
                key = ProgrammeRef(listing.directory, listing.cause.id)
                place = result.index.programme_places.get(key, place)
            shown = ", ".join(p.id for p in listing.programmes) or "none found"
            what = (
                f"{cost.flow}/{listing.node} ({cost.language}) listing for "
                f"{listing.department}, page {listing.page + 1} of {listing.pages} ({shown})"
            )
        if cost.flow == SYSTEM and deployment_place is not None:
            line = result.index.system_text_lines.get(cost.node, deployment_place.line)
            place = Place(deployment_place.path, line, 3)
        report.costs.append((place, cost))
        if place is not None and cost.translated and cost.written is not None:
            for found in misreadings(cost.written, cost.language, flows.deployment.sms):
                report.problems.append(
                    Problem(
                        place,
                        Severity.WARNING,
                        f"{what}: SMS shaping sends '{found.written}' as '{found.sent}': "
                        f"{found.why}; reword it",
                    )
                )
        if place is None or not cost.translated or cost.info.segments <= budget:
            continue
        info = cost.info
        why = ""
        if info.non_gsm:
            why = "; UCS-2 because of " + " ".join(repr(c) for c in info.non_gsm)
            if listing is not None and listing.cause is None:
                why += " (in the node's text or the department's name, not a programme)"
        report.problems.append(
            Problem(
                place,
                Severity.WARNING,
                f"{what} takes {info.segments} SMS "
                f"({info.encoding}, {info.characters} characters), "
                f"over the budget of {budget}{why}",
            )
        )
    report.problems.sort(key=sort_key)
    return report


def cost_lines(report: CheckReport) -> list[str]:
    """``outreach check --costs``: every translated message's cost as sent, then each
    language's median and how many messages need more than one SMS."""
    lines: list[str] = []
    per_language: dict[str, list[int]] = {}
    for place, cost in report.costs:
        if cost.translated:
            info = cost.info
            per_language.setdefault(cost.language, []).append(info.segments)
            lines.append(
                f"{place or '-'}: {cost.flow}/{cost.node} {cost.language:<4} "
                f"{info.encoding} {info.segments} SMS {info.characters:>4} characters"
            )
    for language, sizes in per_language.items():
        lines.append(
            f"{language}: median {statistics.median(sizes):g} SMS per message, "
            f"{sum(1 for s in sizes if s > 1)} of {len(sizes)} messages need more than one"
        )
    return lines


def voice_cost_lines(report: CheckReport) -> list[str]:
    """``outreach check --costs``, the voice line: seconds per prompt (recordings' own
    durations, else the Spanish at WORDS_PER_SECOND, plus KEY_SECONDS where it waits for a
    key), per path through each flow, and minutes per call, per language spoken."""
    lines = [
        f"Seconds a call takes (a recording's duration; else the Spanish said at "
        f"{WORDS_PER_SECOND:g} words a second; {KEY_SECONDS:g} s to press a key):"
    ]
    for place, prompt in report.voice_prompts:
        lines.append(
            f"{place or '-'}: {prompt.flow}/{prompt.node} {prompt.language:<4} voice "
            f"{prompt.seconds:5.1f} s, {prompt.recorded} of {prompt.phrases} phrases recorded"
        )
    for language, flows in report.voice_flows.items():
        for found in flows.values():
            lines.append(
                f"voice {language}: {found.flow}: {found.paths} path(s), {found.shortest:.0f} "
                f"to {found.longest:.0f} s (median {found.median:.0f} s); longest: "
                + " > ".join(found.longest_path)
            )
    for language, seconds in report.voice_calls.items():
        lines.append(
            f"voice {language}: about {seconds / 60:.1f} minutes a call (language menu, keys, "
            "welcome, a median path from the main menu, goodbye)"
        )
    return lines
