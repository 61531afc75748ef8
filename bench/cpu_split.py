"""A WSGI middleware for ``bench/webhook.py --split``: the CPU a worker's thread spends
inside the app, per path, kept in a file per worker process, so the bench can tell the
app's share of a message's CPU from gunicorn's and the kernel's."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any


def read_totals(folder: Path, path: str) -> tuple[float, float]:
    """Requests to ``path`` and CPU seconds spent on them inside the app so far, over
    every worker that wrote to ``folder``."""
    requests = seconds = 0.0
    for stats in folder.iterdir():
        for row in stats.read_text().splitlines():
            name, count, spent = row.rsplit(" ", 2)
            if name == path:
                requests, seconds = requests + float(count), seconds + float(spent)
    return requests, seconds


class CpuInsideApp:
    """WSGI middleware: thread CPU seconds spent in the app, and requests, per path,
    rewritten after every request to ``folder/<pid>`` as ``path count seconds`` lines."""

    def __init__(self, wsgi: Callable[..., Iterable[bytes]], folder: Path) -> None:
        self.wsgi = wsgi
        self.folder = folder
        self.totals: dict[str, list[float]] = {}
        self.descriptor: int | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start = time.thread_time()
        body = b"".join(self.wsgi(environ, start_response))  # the response is built here
        spent = time.thread_time() - start
        total = self.totals.setdefault(environ.get("PATH_INFO", ""), [0, 0.0])
        total[0] += 1
        total[1] += spent
        if self.descriptor is None:  # opened in the worker, after gunicorn forked it
            path = self.folder / str(os.getpid())
            self.descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        text = "".join(f"{p} {n:.0f} {s:.6f}\n" for p, (n, s) in self.totals.items()).encode()
        os.pwrite(self.descriptor, text, 0)
        os.ftruncate(self.descriptor, len(text))
        return [body]
