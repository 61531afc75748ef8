"""Recorded audio, each recording tied to the exact Spanish text it was recorded from.

A language's recordings live in ``locales/<lang>/audio/`` beside a ``manifest.yaml`` that
says, for each file, which message it says (its key: the catalog's msgctxt, or
``voice/<name>`` for the call's own phrases), the hash of the reviewed Spanish text the
speaker worked from, who recorded it and when::

    system.help.wav:
      key: system/help
      source_hash: 0f3c61d2a9b84e57
      recorded_by: Asociación X, speaker 2
      recorded_on: 2026-11-20

When the Spanish text changes, its hash changes and the recording is stale: it is never
played (the call falls back to Spanish), and `outreach check` says where, as it does for
a fuzzy translation. Durations are read by mutagen from the files' own headers.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any

import yaml

from outreach.flowfile.problems import Place, Problem, Severity
from outreach.languages import UnknownLanguage, language

#: The manifest's name in each language's audio folder.
MANIFEST = "manifest.yaml"
#: What Twilio's <Play> and browsers both play, by file suffix (Twilio plays no OGG).
MIMETYPES = {".mp3": "audio/mpeg", ".wav": "audio/wav"}
#: A recording's file name: no folder, no leading dot, one of the suffixes above. Names
#: are also URLs (/voice/audio/<lang>/<name>), so nothing else is allowed.
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.(?:mp3|wav)")
#: The manifest fields every entry must have.
FIELDS = ("key", "source_hash", "recorded_by", "recorded_on")


def source_hash(text: str) -> str:
    """The hash a recording of ``text`` (the reviewed Spanish source) is tied to.

    NFC first, so that an editor saving the same letters in another Unicode form does not
    make every recording stale; any other change, even one comma, does (a speaker must
    hear every edit of a reviewed text). 16 hex digits: enough to tell a text's versions
    apart, short enough to read in a manifest.
    """
    normal = unicodedata.normalize("NFC", text)
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:16]


def audio_dir(locales_dir: Path, language: str) -> Path:
    return locales_dir / language / "audio"


def suggested_file_name(key: str) -> str:
    """The file name `outreach audio script` proposes for a key (``system/help`` ->
    ``system.help.wav``, ``list/departments/Petén`` -> ``list.departments.Peten.wav``):
    any name works, the manifest ties it to its key."""
    plain = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9_-]+", ".", plain).strip(".") + ".wav"


@dataclass(frozen=True)
class Recording:
    key: str
    language: str
    path: Path
    seconds: float
    #: The manifest's hash of the Spanish it says: the audio route's version (``v=``), so
    #: that a file recorded again under the same name is a new URL to every cache.
    source_hash: str = ""


class State(Enum):
    CURRENT = "current"
    STALE = "stale"
    MISSING = "missing"


@dataclass(frozen=True)
class Entry:
    """One file of a manifest, as read (with the line it starts on)."""

    language: str
    file: str
    key: str
    source_hash: str
    recorded_by: str
    recorded_on: str
    line: int
    path: Path
    #: None when the file is missing or unreadable (``problem`` says which).
    seconds: float | None
    problem: str | None = None

    def recording(self) -> Recording | None:
        if self.seconds is None:
            return None
        return Recording(self.key, self.language, self.path, self.seconds, self.source_hash)


def audio_seconds(path: Path) -> float:
    """The duration of an MP3 or WAV file from its headers, by mutagen; ValueError when it
    is not a readable file of that kind (a WAV renamed .mp3, a truncated upload)."""
    from mutagen import MutagenError
    from mutagen.mp3 import MP3
    from mutagen.wave import WAVE

    # mutagen's type hints are partial (its readers' __init__ is untyped): Any here.
    reader: Any = {".mp3": MP3, ".wav": WAVE}.get(path.suffix.lower())
    if reader is None:
        raise ValueError(f"not MP3 or WAV (Twilio plays {', '.join(MIMETYPES)})")
    try:
        info = reader(path).info
        length = float(info.length)
        size = path.stat().st_size
    except (MutagenError, OSError) as exc:
        raise ValueError(f"unreadable {path.suffix[1:].upper()} audio: {exc}") from None
    if length <= 0:
        raise ValueError("no sound: the file's duration is 0 seconds")
    if reader is WAVE and info.bitrate:
        # A WAV's header states its length; a cut upload keeps the header but not the
        # sound (Twilio would play silence or fail): the file must hold what it states.
        held = (size * 8) / info.bitrate
        if held < length * 0.99:
            raise ValueError(
                f"truncated WAV audio: its header says {length:.1f} s, the file holds "
                f"at most {held:.1f} s"
            )
    return length


@dataclass
class Recordings:
    """Every language's manifest, read once; what the call plays comes from here."""

    #: language -> its entries, in manifest order.
    entries: dict[str, list[Entry]] = field(default_factory=dict)
    #: What is wrong with the manifests and files, each with its place (outreach check).
    problems: list[Problem] = field(default_factory=list)
    #: language -> (the sources it was worked out over, the coverage): every call step
    #: asks which languages to offer, with the same sources object until the flows change,
    #: so the texts are hashed once per language and snapshot, not on every key pressed.
    _coverage: dict[str, tuple[Mapping[str, str], float]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def load(cls, locales_dir: Path) -> Recordings:
        """Read ``locales_dir/<lang>/audio/manifest.yaml`` of every language that has an
        audio folder, and every listed file's duration. No folder, no recordings."""
        found = cls()
        if not locales_dir.is_dir():
            return found
        for folder in sorted(locales_dir.iterdir()):
            audio = audio_dir(locales_dir, folder.name)
            if audio.is_dir():
                found._read_language(folder.name, audio)
        return found

    def _read_language(self, code: str, audio: Path) -> None:
        manifest = audio / MANIFEST
        shown = str(manifest)
        try:
            language(code)
        except UnknownLanguage as exc:
            self.problems.append(Problem(Place(str(audio), 1, 1), Severity.ERROR, exc.args[0]))
            return
        entries: list[Entry] = []
        # Every name the manifest lists, even in an invalid entry (said there, not twice).
        listed: set[str] = set()
        if manifest.exists():
            entries = list(self._read_manifest(code, manifest, listed))
        for path in sorted(audio.iterdir()):
            if path.name == MANIFEST or path.name.startswith(".") or path.name in listed:
                continue
            self.problems.append(
                Problem(
                    Place(str(path), 1, 1),
                    Severity.WARNING,
                    f"{code}: {path.name} is not in {MANIFEST}, so it is never played "
                    "(add an entry for it, or remove it)",
                )
            )
        if not manifest.exists() and any(p for p in audio.iterdir() if p.name != MANIFEST):
            self.problems.append(
                Problem(
                    Place(shown, 1, 1),
                    Severity.WARNING,
                    f"{code}: no {MANIFEST} in {audio}: none of its files is played",
                )
            )
        keys: dict[str, Entry] = {}
        for entry in entries:
            first = keys.setdefault(entry.key, entry)
            if first is not entry:
                self.problems.append(
                    Problem(
                        Place(shown, entry.line, 1),
                        Severity.ERROR,
                        f"{code}: {entry.file} says {entry.key}, as {first.file} "
                        f"(line {first.line}) does: one recording per key and language",
                    )
                )
        self.entries[code] = entries

    def _read_manifest(self, code: str, manifest: Path, seen: set[str]) -> Iterator[Entry]:
        shown = str(manifest)
        try:
            root = yaml.compose(manifest.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            # One line, as every problem is: what the parser found, at the place shown.
            what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            self.problems.append(
                Problem(Place(shown, line, 1), Severity.ERROR, f"{code}: not valid YAML: {what}")
            )
            return
        if root is None:
            return
        if not isinstance(root, yaml.MappingNode):
            self.problems.append(
                Problem(
                    Place(shown, root.start_mark.line + 1, 1),
                    Severity.ERROR,
                    f"{code}: the manifest must map each file name to its key, source_hash, "
                    "recorded_by and recorded_on",
                )
            )
            return
        for name_node, value in root.value:
            line = name_node.start_mark.line + 1
            place = Place(shown, line, 1)
            name = str(name_node.value)
            if name in seen:
                self.problems.append(
                    Problem(place, Severity.ERROR, f"{code}: {name} is listed twice")
                )
                continue
            seen.add(name)
            if not isinstance(name_node, yaml.ScalarNode) or not FILE_NAME.fullmatch(name):
                self.problems.append(
                    Problem(
                        place,
                        Severity.ERROR,
                        f"{code}: {name!r} is not a recording's file name (letters, digits, "
                        "'.', '_', '-', ending .mp3 or .wav; no folders)",
                    )
                )
                continue
            fields = _scalars(value)
            missing = [f for f in FIELDS if not fields.get(f)]
            if missing:
                self.problems.append(
                    Problem(
                        place,
                        Severity.ERROR,
                        f"{code}: {name} has no {', '.join(missing)} (each entry needs "
                        f"{', '.join(FIELDS)})",
                    )
                )
                continue
            try:
                date.fromisoformat(fields["recorded_on"])
            except ValueError:
                self.problems.append(
                    Problem(
                        place,
                        Severity.ERROR,
                        f"{code}: {name}: recorded_on {fields['recorded_on']!r} is not a "
                        "date (YYYY-MM-DD)",
                    )
                )
                continue
            path = manifest.parent / name
            seconds: float | None = None
            problem: str | None = None
            if not path.is_file():
                problem = f"{code}: {name} is in the manifest but there is no such file"
            else:
                try:
                    seconds = audio_seconds(path)
                except ValueError as exc:
                    problem = f"{code}: {name}: {exc}; it is not played"
            if problem is not None:
                self.problems.append(Problem(place, Severity.ERROR, problem))
            yield Entry(
                code,
                name,
                fields["key"],
                fields["source_hash"],
                fields["recorded_by"],
                fields["recorded_on"],
                line,
                path,
                seconds,
                problem,
            )

    def entry(self, key: str, language: str) -> Entry | None:
        """The manifest's (first) entry for ``key`` in ``language``, current or not."""
        for entry in self.entries.get(language, ()):
            if entry.key == key:
                return entry
        return None

    def state(self, key: str, language: str, source_text: str) -> State:
        entry = self.entry(key, language)
        if entry is None or entry.seconds is None:
            return State.MISSING
        if entry.source_hash != source_hash(source_text):
            return State.STALE
        return State.CURRENT

    def current(self, key: str, language: str, source_text: str) -> Recording | None:
        """The recording to play for ``key`` in ``language``: None when there is none, its
        file is missing or unreadable, or it is stale (recorded from another version of
        ``source_text``, the reviewed Spanish text)."""
        entry = self.entry(key, language)
        if entry is None or entry.source_hash != source_hash(source_text):
            return None
        return entry.recording()

    def coverage(self, language: str, sources: Mapping[str, str]) -> float:
        """The percentage (0 to 100, as OUTREACH_LANGUAGE_MIN_COVERAGE counts) of
        ``sources`` (key -> reviewed Spanish text) that have a current recording in
        ``language``; 0 for no sources."""
        if not sources:
            return 0.0
        known = self._coverage.get(language)
        if known is not None and known[0] is sources:
            return known[1]
        current = sum(
            1 for key, text in sources.items() if self.current(key, language, text) is not None
        )
        percent = 100.0 * current / len(sources)
        self._coverage[language] = (sources, percent)
        return percent

    def check(self, sources: Mapping[str, str]) -> list[Problem]:
        """What `outreach check` says: the manifests' and files' problems, then each stale
        recording (a warning at its manifest entry, as a fuzzy translation is: the call
        plays Spanish instead until it is recorded again) and each entry whose key no
        message has any more."""
        problems = list(self.problems)
        for code, entries in self.entries.items():
            for entry in entries:
                if entry.problem is not None:
                    continue  # said above
                place = Place(str(entry.path.parent / MANIFEST), entry.line, 1)
                text = sources.get(entry.key)
                if text is None:
                    problems.append(
                        Problem(
                            place,
                            Severity.WARNING,
                            f"{code}: {entry.file} says {entry.key}, which no message is "
                            "any more; it is never played (remove it)",
                        )
                    )
                elif entry.source_hash != source_hash(text):
                    problems.append(
                        Problem(
                            place,
                            Severity.WARNING,
                            f"{code}: stale, not played: the Spanish of {entry.key} changed "
                            f"since {entry.file} was recorded; record it again from "
                            f"`outreach audio script --lang {code}`",
                        )
                    )
        return problems

    def file(self, language: str, name: str) -> Entry | None:
        """The entry of a file listed in ``language``'s manifest and readable, by its name
        (what the audio route serves: nothing else)."""
        for entry in self.entries.get(language, ()):
            if entry.file == name and entry.seconds is not None:
                return entry
        return None


class LiveRecordings:
    """The recordings as they are on disk now, for a running service: read again when an
    audio folder or a manifest changes (adding, renaming or removing a file changes its
    folder; recording a text again changes its manifest entry), looked at no more often
    than every ``check_seconds``."""

    def __init__(
        self,
        locales_dir: Path,
        check_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.locales_dir = locales_dir
        self.check_seconds = check_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._stamps: tuple[tuple[str, int, int, int], ...] | None = None
        self._checked = float("-inf")
        self._recordings = Recordings()

    def _stamp(self) -> tuple[tuple[str, int, int, int], ...]:
        found = []
        try:
            folders = sorted(self.locales_dir.iterdir())
        except OSError:
            return ()
        for folder in folders:
            audio = audio_dir(self.locales_dir, folder.name)
            for path in (audio, audio / MANIFEST):
                try:
                    stat = os.stat(path)  # noqa: PTH116 - on every request; cheaper
                except OSError:
                    continue
                found.append((str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino))
        return tuple(found)

    def get(self) -> Recordings:
        with self._lock:
            now = self._clock()
            if now - self._checked >= self.check_seconds:
                self._checked = now
                stamps = self._stamp()
                if stamps != self._stamps:
                    self._recordings = Recordings.load(self.locales_dir)
                    self._stamps = stamps
            return self._recordings

    def current(self, key: str, language: str, source_text: str) -> Recording | None:
        return self.get().current(key, language, source_text)

    def coverage(self, language: str, sources: Mapping[str, str]) -> float:
        return self.get().coverage(language, sources)


def _scalars(node: yaml.Node) -> dict[str, str]:
    """An entry's fields as strings (a date stays as written), ignoring non-scalars."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {
        str(k.value): str(v.value).strip()
        for k, v in node.value
        if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode)
    }
