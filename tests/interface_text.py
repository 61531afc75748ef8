"""The check that a rendered page says nothing outside its catalog: every visible text
(text nodes, and the title, aria-label, placeholder and alt attributes) must be made of
the catalog's translations (placeholders filled by anything), numbers, dates and
punctuation, or sit inside an element marked ``translate="no"`` (HTML's own mark for
data: names from the content, ids, staff names, the audit log)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from babel.messages.pofile import read_po

from outreach.i18n.ui import CATALOGS

#: Elements whose text is not shown, and attributes that are shown.
UNSHOWN = {"script", "style"}
SHOWN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}  # fmt: skip
#: Between the catalog's words: spaces, punctuation, the hidden mark.
SEPARATORS = re.compile(r"[\s:;·(),.×%/|\-–—]*")
#: Numbers as the pages write them (1,234 · 12.5 · 1 234), dates and times, ISO style.
DATA = [
    re.compile(r"\d[\d.,\u00a0\u202f]*"),
    re.compile(r"\d{4}-\d{2}(-\d{2})?([T ]\d{2}:\d{2}(:\d{2})?)?"),
]


def catalog_patterns(language: str) -> list[re.Pattern[str]]:
    """Each translation of the catalog as a pattern, its placeholders matching words."""
    with (CATALOGS / language / "LC_MESSAGES" / "dashboard.po").open("rb") as handle:
        catalog = read_po(handle)
    forms = []
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        forms += message.string if isinstance(message.string, tuple) else [message.string]
    return text_patterns(forms)


def source_patterns() -> list[re.Pattern[str]]:
    """The interface's own English (the catalog's ids) as patterns: an English page says
    nothing that was not marked for translation."""
    with (CATALOGS / "es" / "LC_MESSAGES" / "dashboard.po").open("rb") as handle:
        catalog = read_po(handle)
    forms = []
    for message in catalog:
        if message.id:
            forms += message.id if isinstance(message.id, tuple) else [message.id]
    return text_patterns(forms)


def text_patterns(forms: list[str]) -> list[re.Pattern[str]]:
    patterns = []
    for form in forms:
        if not form:
            continue
        parts = re.split(r"(%\(\w+\)[sd]|%%)", form)
        pattern = "".join(
            r"\S+(?: \S+)*?" if part.startswith("%(") else "%" if part == "%%"
            else re.escape(part)
            for part in parts
        )  # fmt: skip
        patterns.append(re.compile(pattern))
    return patterns


SPANISH = catalog_patterns("es")
ENGLISH = source_patterns()


def unexplained(text: str, patterns: list[re.Pattern[str]] = SPANISH) -> str | None:
    """What of a visible text is neither the catalog's words nor data: None if nothing."""
    at = 0
    while True:
        at = SEPARATORS.match(text, at).end()  # type: ignore[union-attr]
        if at == len(text):
            return None
        ends = [m.end() for p in (*patterns, *DATA) if (m := p.match(text, at)) and m.end() > at]
        if not ends:
            return text[at:]
        at = max(ends)


def shown_attributes(attrs: list[tuple[str, str | None]]) -> list[str]:
    """Labels, and the words a page's script shows (data-*)."""
    return [v for k, v in attrs if (k in SHOWN_ATTRIBUTES or k.startswith("data-")) and v]


class VisibleText(HTMLParser):
    """The texts a person sees or hears (a screen reader reads the labels) on a page,
    outside the elements marked translate="no"."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.texts: list[str] = []

    def _data_only(self) -> bool:
        return any(no or tag in UNSHOWN for tag, no in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        marked = dict(attrs).get("translate") == "no"
        if not (self._data_only() or marked):
            self.texts += [
                v for k, v in attrs if (k in SHOWN_ATTRIBUTES or k.startswith("data-")) and v
            ]
        if tag not in VOID:
            self.stack.append((tag, marked))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._data_only() and dict(attrs).get("translate") != "no":
            self.texts += [
                v for k, v in attrs if (k in SHOWN_ATTRIBUTES or k.startswith("data-")) and v
            ]

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if data.strip() and not self._data_only():
            self.texts.append(" ".join(data.split()))


def untranslated(html: str, language: str = "es") -> list[str]:
    """What a page in ``language`` (es, or en: the catalog's own English) shows that is
    not the interface's words."""
    patterns = ENGLISH if language == "en" else SPANISH
    parser = VisibleText()
    parser.feed(html)
    return [left for text in parser.texts if (left := unexplained(text, patterns)) is not None]
