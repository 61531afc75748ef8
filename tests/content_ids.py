"""The ids of the shipped content, and where a page shows one where a name exists (issue
#19): for tests/web/test_no_ids.py (the Flask test client) and the browser's tour of
every page (tests/web/test_every_page.py)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from outreach.engine.model import FlowSet

#: The elements whose whole text is one figure's name.
NAMED = {"th", "td", "li", "option", "h2", "h3", "span"}


def step_ids(content: FlowSet) -> set[str]:
    return {f"{flow.id}/{node}" for flow in content.flows.values() for node in flow.nodes}


def word_ids(content: FlowSet) -> set[str]:
    ids = set(content.flows)
    ids |= {p.id for d in content.directories.values() for p in d.programmes}
    if content.deployment.alerts is not None:
        ids |= set(content.deployment.alerts.topics.values())
    return ids


class _Visible(HTMLParser):
    """The visible text of a page (attributes, title= tooltips included, are not text),
    and the whole text of each element that names one thing."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.cells: list[str] = []
        self._open: list[tuple[str, list[str]]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        if tag in NAMED:
            self._open.append((tag, []))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1
        if self._open and self._open[-1][0] == tag:
            _, parts = self._open.pop()
            self.cells.append("".join(parts).strip())

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        for _, parts in self._open:
            parts.append(data)


def ids_shown(html: str, content: FlowSet) -> list[str]:
    page = _Visible()
    page.feed(html)
    text = " ".join(page.text)
    found = [
        step for step in step_ids(content) if re.search(rf"(?<![\w/]){re.escape(step)}\b", text)
    ]
    words = word_ids(content)
    found += [cell for cell in page.cells if cell in words]
    return sorted(set(found))
