"""Translations of the flows: gettext catalogs in ``locales/``, read without a compile step,
for every language residents speak, including those CLDR does not know."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from outreach.engine.model import FlowSet
from outreach.languages import SOURCE_LANGUAGE

from .catalogs import (
    Coverage,
    Key,
    LoadedCatalog,
    catalog_path,
    coverage,
    read_catalog,
    serve,
)
from .messages import SourceMessage

logger = logging.getLogger(__name__)

__all__ = ["TranslationState", "Translations", "catalog_stamps", "load_translations"]


class Translations:
    """Served translations by language: a pure lookup the engine calls.

    Anything not served, for whatever reason, falls back to the Spanish source.
    """

    def __init__(self, served: dict[str, dict[Key, str]] | None = None) -> None:
        self._served = served or {}

    def __call__(self, text: str, context: str, language: str) -> str:
        catalog = self._served.get(language)
        if not catalog:
            return text
        return catalog.get((context, text), text)


#: What tells one version of a file from another without reading it: modification time,
#: size and inode (an editor's save-by-rename gives a new inode within the same tick of a
#: coarse clock); None for a missing file.
Stamp = tuple[int, int, int] | None


@dataclass
class TranslationState:
    """Everything known about the catalogs at one moment."""

    translations: Translations
    coverage: dict[str, Coverage]
    catalogs: dict[str, LoadedCatalog] = field(default_factory=dict)
    #: The codes offered to residents: the source language, then every language whose
    #: catalog covers at least the minimum share of messages.
    offered: list[str] = field(default_factory=list)
    #: The catalog files' stamps as they were before they were read, to notice an edit.
    stamps: dict[Path, Stamp] = field(default_factory=dict)


def catalog_stamps(locales_dir: Path, codes: Sequence[str]) -> dict[Path, Stamp]:
    return file_stamps([catalog_path(locales_dir, code) for code in codes])


def file_stamps(paths: Sequence[Path]) -> dict[Path, Stamp]:
    """Each file's :data:`Stamp`: cheap enough to ask on every message."""
    stamps: dict[Path, Stamp] = {}
    for path in paths:
        try:
            found = os.stat(path)  # noqa: PTH116 - on every message; cheaper
        except OSError:
            stamps[path] = None
        else:
            stamps[path] = (found.st_mtime_ns, found.st_size, found.st_ino)
    return stamps


#: A file modified this recently may be saved again within the same tick of a coarse
#: clock, in place and at the same size, which no stamp could tell apart: such a stamp is
#: not trusted (it matches nothing), so the next check reads the file again (git's
#: "racy clean" rule). Reloads happen only in the second after a save.
RACY_NS = 1_000_000_000
UNTRUSTED: Stamp = (-1, -1, -1)


def trusted_stamps(paths: Sequence[Path]) -> dict[Path, Stamp]:
    """Stamps to take just before reading the files, recent ones replaced by
    :data:`UNTRUSTED` (see :data:`RACY_NS`)."""
    now = time.time_ns()
    stamps = file_stamps(paths)
    return {
        path: UNTRUSTED if stamp is not None and now - stamp[0] < RACY_NS else stamp
        for path, stamp in stamps.items()
    }


def load_translations(
    flows: FlowSet,
    messages: Sequence[SourceMessage],
    locales_dir: Path,
    min_coverage_percent: int,
) -> TranslationState:
    codes = [lang.code for lang in flows.deployment.languages]
    # Stamped before reading: a save landing while the catalogs are read then differs
    # from the stamp and is read at the next check. Stamped after, it would count as
    # read while the old text is served.
    stamps = trusted_stamps([catalog_path(locales_dir, code) for code in codes])
    served: dict[str, dict[Key, str]] = {}
    loaded: dict[str, LoadedCatalog] = {}
    covered: dict[str, Coverage] = {}
    for code in codes:
        catalog = None
        if code != SOURCE_LANGUAGE:
            path = catalog_path(locales_dir, code)
            if path.exists():
                catalog = read_catalog(code, path)
                loaded[code] = catalog
                served_here = serve(catalog)
                if served_here.problems:
                    # Served as `outreach check` judges it: an invalid catalog serves nothing.
                    logger.warning(
                        "%s: the catalog %s is invalid (%s); its residents get Spanish until "
                        "it is mended (outreach check shows where)",
                        code,
                        path,
                        served_here.problems[0],
                    )
                served[code] = served_here.translations
        covered[code] = coverage(code, served.get(code, {}), catalog, messages)
    offered = [code for code in codes if covered[code].offered(min_coverage_percent)]
    return TranslationState(Translations(served), covered, loaded, offered, stamps)
