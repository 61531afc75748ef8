"""A Babel extraction method for content files, so that the standard
``pybabel extract -F babel.cfg -o messages.pot .`` finds every flow message.

Registered in pyproject.toml as the ``babel.extractors`` entry point ``outreach_flows``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from .messages import file_messages


def extract_flows(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str, tuple[str, str], list[str]]]:
    """Yield ``(line, "pgettext", (context, message), [translator comment])`` per message."""
    encoding = options.get("encoding", "utf-8")
    source = fileobj.read().decode(encoding)
    path = getattr(fileobj, "name", "flows")
    for message in file_messages(str(path), source):
        yield message.line, "pgettext", (message.context, message.text), [message.comment]
