"""What there is to record: every text a call can say, with where it is used and how long
it may take, for `outreach audio script` (a speaker's worksheet), `outreach audio status`
and the seconds of `outreach check --costs`."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from outreach.engine.model import ChoiceList, FlowSet, placeholders
from outreach.i18n.messages import SourceMessage, flowset_messages

from .keys import PHRASES
from .phrases import NOTES
from .recordings import Recordings, State, source_hash, suggested_file_name

#: Spanish read clearly on the phone: 150 words a minute. Twilio's <Say> voices speak
#: about this fast at their default rate; a recording's own duration replaces it.
WORDS_PER_SECOND = 2.5
#: Room for a language that needs more words than the Spanish, and for a clear pace.
BUDGET_FACTOR = 1.5

_WORD = re.compile(r"\w+")


def estimate_seconds(text: str) -> float:
    """How long the Spanish ``text`` takes to say (words at :data:`WORDS_PER_SECOND`; a
    number counts one word per digit group, as "1 1 0" is said)."""
    return len(_WORD.findall(text)) / WORDS_PER_SECOND


def budget_seconds(text: str) -> int:
    """The longest a recording of ``text`` should be, in whole seconds (at least 2)."""
    return max(2, math.ceil(estimate_seconds(text) * BUDGET_FACTOR))


def spoken(message: SourceMessage) -> bool:
    """Whether a call says this message: not word lists (keywords, commands, yes/no words
    are typed, never said), and not a text with a placeholder ({department}), which
    changes per resident and so cannot be recorded once (the call says it in Spanish)."""
    if message.for_staff:
        return False  # a name on the dashboard, never said
    context = message.context
    if context.endswith("/keywords") or context.startswith("command/"):
        return False
    if context.startswith("system/") and context.endswith("_words"):
        return False
    return not placeholders(message.text)


@dataclass(frozen=True)
class Source:
    """One text to record."""

    key: str
    text: str
    #: Where it is used: a file place and what it is, or the phrase's note.
    where: str


def list_key(list_id: str, value: str) -> str:
    """The key of one value of an answer list, said as a choice (``list/departments/Petén``)."""
    return f"list/{list_id}/{value}"


def sources(messages: Iterable[SourceMessage], lists: Iterable[ChoiceList] = ()) -> list[Source]:
    """The texts a call says: the call's own phrases first (every call needs them), then
    the content's spoken messages in catalog order, then the values of answer lists a
    call reads as choices (departments)."""
    found = [
        Source(key, text, NOTES.get(key, "A phrase of the call (outreach/voice/keys.py)."))
        for key, text in PHRASES.items()
    ]
    for message in messages:
        if not spoken(message):
            continue
        what = message.comment.split(". ")[0].rstrip(".")
        place = f"{message.path}:{message.line}: " if message.path else ""
        found.append(Source(message.context, message.text, place + what))
    for choices in lists:
        for item in choices.items:
            found.append(
                Source(
                    list_key(choices.id, item.value),
                    item.value,
                    f"One answer of the list '{choices.id}', read as a choice before its key.",
                )
            )
    return found


def flow_sources(flows: FlowSet) -> dict[str, str]:
    """key -> Spanish text of everything a call says (for Recordings.coverage)."""
    return {s.key: s.text for s in sources(flowset_messages(flows), flows.lists.values())}


@dataclass(frozen=True)
class ScriptItem:
    source: Source
    state: State
    #: The file to record into: the stale recording's own, or the suggested name.
    file: str


def script_items(
    recordings: Recordings, language: str, found: Sequence[Source], *, everything: bool = False
) -> list[ScriptItem]:
    """What to record in ``language``: each stale or missing text (with ``everything``,
    the current ones too)."""
    items = []
    for source in found:
        state = recordings.state(source.key, language, source.text)
        if state is State.CURRENT and not everything:
            continue
        entry = recordings.entry(source.key, language)
        name = entry.file if entry is not None else suggested_file_name(source.key)
        items.append(ScriptItem(source, state, name))
    return items


def script_text(language: str, name: str, items: Sequence[ScriptItem], audio: str) -> list[str]:
    """A speaker's worksheet: per text its file, the Spanish, where it is used, a budget,
    and the manifest entry to add once it is recorded."""
    stale = sum(1 for i in items if i.state is State.STALE)
    missing = sum(1 for i in items if i.state is State.MISSING)
    lines = [
        f"# What to record in {name} ({language}): {len(items)} text(s), {stale} stale, "
        f"{missing} missing.",
        f"# Say each Spanish text below in {name}, as a speaker would say it on the phone",
        "# (not word by word), within its budget. Save it under its file name in",
        f"# {audio}/ and add its manifest entry to {audio}/manifest.yaml, with your name",
        "# and the day you recorded it. source_hash ties the recording to this exact",
        "# Spanish: if the Spanish changes, the recording is stale and not played.",
    ]
    for number, item in enumerate(items, start=1):
        source = item.source
        lines += [
            "",
            f"{number}. {item.file}  [{item.state.value}]",
            f"   key:      {source.key}",
            f"   Spanish:  {source.text}",
            f"   where:    {source.where}",
            f"   budget:   at most {budget_seconds(source.text)} seconds",
            "   manifest entry:",
            f"     {item.file}:",
            f"       key: {source.key}",
            f"       source_hash: {source_hash(source.text)}",
            "       recorded_by: ",
            "       recorded_on: ",
        ]
    return lines
