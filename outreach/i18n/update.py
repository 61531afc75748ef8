"""``outreach i18n update`` and ``outreach i18n init`` as library functions: the flows'
messages extracted into locales/flows.pot, and every language's catalog brought up to
date with it (or a new, empty one made), each language's outcome returned."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from outreach.flowfile.problems import Problem
from outreach.languages import SOURCE_LANGUAGE

from .catalogs import (
    TEMPLATE_NAME,
    build_template,
    catalog_path,
    new_catalog,
    read_catalog,
    update_catalog,
    write_catalog,
)
from .messages import all_messages


@dataclass(frozen=True)
class LanguageUpdate:
    """One language's catalog after an update: its messages translated and fuzzy (not
    served until reviewed), and whether the file changed. A catalog that cannot be read
    is left alone (``mend_first``), with the problems found reading it."""

    code: str
    path: Path
    translated: int = 0
    fuzzy: int = 0
    written: bool = False
    mend_first: bool = False
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Update:
    template: Path
    messages: int
    languages: list[LanguageUpdate]

    @property
    def failed(self) -> bool:
        return any(lang.mend_first for lang in self.languages)


class CatalogExists(Exception):
    """``i18n init`` of a language that has a catalog already."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{relative(path)} exists already; use 'outreach i18n update'")
        self.path = path


def relative(path: Path) -> Path:
    """A path as from the current folder where it is under it: how the catalogs name
    the flow files their messages come from, so they do not change from one machine to
    the next."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def update_catalogs(flows_dir: Path, locales_dir: Path, languages: Iterable[str]) -> Update:
    """Extract every flow message into the template and update every language's
    catalog from it (the source language has none); a message whose source text changed
    keeps its old translation, marked fuzzy."""
    messages = all_messages([relative(flows_dir)])
    template = build_template(messages)
    template_path = locales_dir / TEMPLATE_NAME
    write_catalog(template, template_path)
    done: list[LanguageUpdate] = []
    for code in languages:
        if code == SOURCE_LANGUAGE:
            continue
        path = catalog_path(locales_dir, code)
        if path.exists():
            loaded = read_catalog(code, path)
            if loaded.catalog is None or loaded.problems:
                done.append(
                    LanguageUpdate(code, path, mend_first=True, problems=tuple(loaded.problems))
                )
                continue
            catalog = loaded.catalog
            update_catalog(catalog, template)
        else:
            catalog = new_catalog(code, template)
        written = write_catalog(catalog, path)
        fuzzy = sum(1 for m in catalog if m.id and m.fuzzy)
        translated = sum(1 for m in catalog if m.id and m.string and not m.fuzzy)
        done.append(LanguageUpdate(code, path, translated, fuzzy, written))
    return Update(template_path, len(messages), done)


def init_catalog(flows_dir: Path, locales_dir: Path, code: str) -> Path:
    """An empty catalog for ``code``, even one CLDR does not know; its path. Raises
    CatalogExists, or UnknownLanguage for a code the language registry does not know."""
    path = catalog_path(locales_dir, code)
    if path.exists():
        raise CatalogExists(path)
    catalog = new_catalog(code, build_template(all_messages([relative(flows_dir)])))
    write_catalog(catalog, path)
    return path
