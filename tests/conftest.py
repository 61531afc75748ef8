from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fake_twilio import fake_twilio  # noqa: F401  (the fixture, for every test)
from flask import Flask
from flask.testing import FlaskClient

from outreach import create_app
from outreach.engine import Engine, FlowSet, Inbound, Session, counter_ids
from outreach.flowfile import load

ROOT = Path(__file__).resolve().parent.parent
FLOWS = ROOT / "flows"
#: Checks run "today" at a fixed date, so a test gives the same answer on any day.
TODAY = date(2026, 12, 3)
NOON = datetime(2026, 12, 3, 12, 0)
AUTH_TOKEN = "test-auth-token-not-a-real-one"
PUBLIC_URL = "https://outreach.example.org"
TEST_CONFIG = {
    "FLOWS_DIR": str(FLOWS),
    "LOCALES_DIR": str(ROOT / "locales"),
    "PSEUDONYM_KEY": "a-test-pseudonym-key-of-32-bytes-or-more",
    "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    "PUBLIC_URL": PUBLIC_URL,
    "SECRET_KEY": "a-test-session-secret-of-32-bytes-or-more",
    "ALERTS_KEY": "a-test-alerts-address-key-of-32-bytes-or-more",
}


@pytest.fixture(scope="session")
def shipped() -> FlowSet:
    result = load([FLOWS], TODAY)
    assert result.flowset is not None, "\n".join(map(str, result.errors))
    return result.flowset


@pytest.fixture
def engine(shipped: FlowSet) -> Engine:
    # Spanish only, as if no catalog were complete: the engine tests do not depend on
    # translations (tests/i18n/test_i18n.py covers them with the real catalogs).
    return Engine(shipped, new_id=counter_ids(), languages=["es"])


class Resident:
    """Talks to an engine the way a channel would: one message at a time, state kept."""

    def __init__(self, engine: Engine, language: str | None = None) -> None:
        self.engine = engine
        self.session: Session = engine.new_session(language)
        self.now = NOON
        self.events: list = []

    def says(self, text: str) -> str:
        sprint = self.engine.resume(self.session, Inbound(text), self.now)
        # Every turn's state must survive the trip through JSON a store makes.
        self.session = Session.from_dict(sprint.session.to_dict())
        self.events = sprint.events
        return "\n".join(sprint.messages)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


@pytest.fixture
def resident(engine: Engine) -> Resident:
    return Resident(engine)


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    for key in list(__import__("os").environ):
        if key.startswith("OUTREACH_"):
            monkeypatch.delenv(key)
    yield create_app(TEST_CONFIG | {"DATABASE": str(tmp_path / "outreach.sqlite3")})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


def write_flows(folder: Path, files: dict[str, str]) -> Path:
    """Write content files for a test, next to a copy of a small valid deployment."""
    folder.mkdir(parents=True, exist_ok=True)
    base = ROOT / "tests" / "broken_flows" / "base"
    for source in base.glob("*.yaml"):
        (folder / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def launch_chromium(playwright: Any) -> Any:
    """Debian's headless Chromium, quiet on a machine without network."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app on a real threaded server on a free loopback port; yields its address."""
    import threading

    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)


@dataclass(frozen=True)
class Distributions:
    """The sdist and the wheel, built as a release would be, from the tracked files only."""

    sdist: Path
    wheel: Path


def tracked_files() -> list[str]:
    """Every file git tracks in the checkout, as it is in the work tree."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True
    ).stdout
    return [name for name in listed.split("\0") if name and (ROOT / name).exists()]


@pytest.fixture(scope="session")
def distributions(tmp_path_factory: pytest.TempPathFactory) -> Distributions:
    """`python -m build` on a copy of the tracked files: an untracked or stale file of the
    checkout (build/, *.egg-info) cannot slip into the result, and the wheel is built from
    the sdist, as pip builds it from a source release."""
    source = tmp_path_factory.mktemp("source")
    for name in tracked_files():
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target, follow_symlinks=False)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True,
        check=True,
    )
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return Distributions(sdist, wheel)


#: The demo data's size: what `outreach demo-data` (and so `make run`) plays by default.
DEMO_RESIDENTS = 3000


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database filled by `outreach demo-data`'s default run, up to now, made once for
    the session: copy it (``copy_database``) before changing anything in it."""
    from outreach.engine import counter_ids
    from outreach.service.content import Content
    from outreach.service.demo import fill
    from outreach.storage import connect

    path = tmp_path_factory.mktemp("demo") / "outreach.sqlite3"
    app = create_app(TEST_CONFIG | {"DATABASE": str(path)})
    content = Content(dict(app.config), new_id=counter_ids())
    fill(connect(path), content, DEMO_RESIDENTS, datetime.now(UTC))
    return path


def copy_database(source: Path, folder: Path) -> Path:
    """A copy of the database at ``source`` in ``folder`` (SQLite's own backup)."""
    import sqlite3

    target = folder / source.name
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target
