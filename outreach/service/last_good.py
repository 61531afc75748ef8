"""The content a starting worker serves: the files on disk, or the last good copy of them.

A worker starts whenever gunicorn replaces one (a reload, a crash, ``max_requests``),
possibly while someone edits a flow or runs ``git pull``. Content with an error must not
take the service down then: the residents texting at that moment would get nothing. So
every worker that loads good content keeps a copy of it under the instance folder, and a
worker that finds errors on disk serves that copy, logs every error with its place and
says so on ``/healthz`` and on the dashboard, until the files are mended and the workers
reloaded. Only a first start with broken content fails: there is nothing to serve yet.

A ``review_by`` date that passes while the service runs is a warning here, shown on the
dashboard's quality page: ``outreach check`` still fails on it, so it is caught before a
deployment, but a date on a calendar never stops the service.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from outreach.engine import FlowSet
from outreach.flowfile import ContentError, LoadResult, load
from outreach.flowfile.checks import is_passed_review
from outreach.flowfile.problems import Problem, Severity

log = logging.getLogger(__name__)

#: Under the instance folder: one folder per saved version, named by its content's hash,
#: and ``CURRENT`` naming the latest; a version is never changed once written, so workers
#: starting together never read a half-written copy.
SNAPSHOTS = "last-good-flows"
POINTER = "CURRENT"
#: Versions kept besides the current one, for a look at what changed.
KEPT_VERSIONS = 3
#: Conversation tests are not served content.
NOT_SERVED = ("tests",)


@dataclass(frozen=True)
class ServedContent:
    flows: FlowSet
    #: The folder the flows were read from: the content folder, or a saved copy.
    folder: Path
    #: The errors of the files on disk when a saved copy is served instead; else empty.
    disk_errors: tuple[Problem, ...] = ()
    #: Review dates passed, and other warnings, of what is served.
    warnings: tuple[Problem, ...] = ()

    @property
    def is_last_good(self) -> bool:
        return bool(self.disk_errors)

    @property
    def reviews_overdue(self) -> int:
        return sum(map(is_passed_review, self.warnings))


def load_served(flows_dir: Path, instance_dir: Path, today: date) -> ServedContent:
    """The content to serve, as the module docstring says; :class:`ContentError` only if
    the files have errors and no good copy was ever saved."""
    result, files = _load_steady(flows_dir, today)
    if result.flowset is not None:
        if files is not None:
            _save(files, flows_dir, instance_dir / SNAPSHOTS)
        else:
            log.warning("the content in %s kept changing while it was read: not saved "
                        "as the last good copy this time", flows_dir)  # fmt: skip
        return ServedContent(result.flowset, flows_dir, (), tuple(_warned(result)))
    errors = result.errors
    for problem in errors:
        log.error("content error: %s", problem)
    saved = _current(instance_dir / SNAPSHOTS, flows_dir)
    if saved is not None:
        old = _load(saved, today)
        if old.flowset is not None:
            log.error(
                "the content in %s has %d error(s) (above): serving the last good copy "
                "(%s) until they are mended and the workers reloaded",
                flows_dir, len(errors), saved,
            )  # fmt: skip
            return ServedContent(old.flowset, saved, tuple(errors), tuple(_warned(old)))
    raise ContentError(errors)


def _load_steady(
    flows_dir: Path, today: date, attempts: int = 3
) -> tuple[LoadResult, list[tuple[str, bytes]] | None]:
    """The content loaded, and the exact files it was loaded from, read before and after.

    A worker may start while ``git pull`` or an editor rewrites the folder. Saving the
    folder as it is *after* a good load could keep a half-saved file as the "good" copy
    (it happened: a test reloading gunicorn mid-edit lost the service). So the files are
    saved only if they were the same before and after the load; else the load is tried
    again, and after ``attempts`` the content is served but not saved (``None``).
    """
    for _ in range(attempts):
        before = _served_files(flows_dir)
        result = _load(flows_dir, today)
        if result.flowset is None or _served_files(flows_dir) == before:
            return result, before
    return result, None


def _load(folder: Path, today: date) -> LoadResult:
    return load([folder], today, passed_review=Severity.WARNING)


def _warned(result: LoadResult) -> list[Problem]:
    warnings = [p for p in result.problems if p.severity is Severity.WARNING]
    for problem in warnings:
        if is_passed_review(problem):
            log.warning("content: %s", problem)
    return warnings


def _fingerprint(files: list[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    for name, data in files:
        digest.update(name.encode() + b"\0" + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()[:16]


def _served_files(flows_dir: Path) -> list[tuple[str, bytes]]:
    found = []
    for path in sorted(flows_dir.rglob("*")):
        relative = path.relative_to(flows_dir)
        if path.is_file() and relative.parts[0] not in NOT_SERVED:
            try:
                found.append((relative.as_posix(), path.read_bytes()))
            except FileNotFoundError:
                continue  # removed while listed: the next read will differ
    return found


def _save(files: list[tuple[str, bytes]], flows_dir: Path, snapshots: Path) -> None:
    """Keep a copy of good content; a failure to write it is logged, never raised."""
    try:
        version = snapshots / _fingerprint(files)
        if not version.exists():
            partial = snapshots / f".{version.name}.{os.getpid()}"
            shutil.rmtree(partial, ignore_errors=True)
            for name, data in files:
                target = partial / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            try:
                partial.rename(version)
            except OSError:  # another worker saved the same version first
                shutil.rmtree(partial, ignore_errors=True)
        pointer = snapshots / f".{POINTER}.{os.getpid()}"
        pointer.write_text(f"{version.name}\t{flows_dir.resolve()}\n", encoding="utf-8")
        pointer.replace(snapshots / POINTER)
        _prune(snapshots, keep=version.name)
    except OSError as exc:
        log.warning("could not keep a copy of the good content in %s: %s", snapshots, exc)


def _current(snapshots: Path, flows_dir: Path) -> Path | None:
    """The saved copy of ``flows_dir``'s content; never one of another content folder
    that used the same instance folder."""
    try:
        name, _, source = (snapshots / POINTER).read_text(encoding="utf-8").strip().partition("\t")
    except OSError:
        return None
    version = snapshots / name
    if not name or source != str(flows_dir.resolve()) or not version.is_dir():
        return None
    return version


def _prune(snapshots: Path, keep: str) -> None:
    versions = sorted(
        (p for p in snapshots.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in [v for v in versions if v.name != keep][KEPT_VERSIONS:]:
        shutil.rmtree(old, ignore_errors=True)
