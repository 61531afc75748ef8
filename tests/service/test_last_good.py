"""A worker that starts while the content is broken, or past a review date, keeps serving.

The attacks are the ordinary accidents of an NGO's week: a flow file saved half-way, a
``git pull`` that brings a typo, a review date that passes on a weekend. Each used to make
every new worker fail to boot, and gunicorn then shut the whole service down.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import FLOWS, ROOT, TEST_CONFIG
from flask import Flask
from staff_helpers import NOW, PASSWORD, post_login
from twilio_helpers import Phone

from outreach import create_app, staff
from outreach.flowfile import ContentError
from outreach.storage import connect


def deployment(tmp_path: Path) -> Path:
    """A content folder of its own, as `outreach init` makes one."""
    folder = tmp_path / "flows"
    shutil.copytree(FLOWS, folder)
    return folder


def start(tmp_path: Path, flows: Path) -> Flask:
    """A worker starting: the app built from the folder as it is now."""
    return create_app(
        TEST_CONFIG
        | {
            "FLOWS_DIR": str(flows),
            "INSTANCE_DIR": str(tmp_path / "instance"),
            "DATABASE": str(tmp_path / "instance" / "outreach.sqlite3"),
        }
    )


def break_mid_edit(flows: Path) -> None:
    """main.yaml as an editor leaves it half-saved: cut in the middle of a line."""
    main = flows / "main.yaml"
    text = main.read_text(encoding="utf-8")
    main.write_text(text[: len(text) // 2], encoding="utf-8")


def test_a_worker_starting_on_a_broken_file_serves_the_last_good_content(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    flows = deployment(tmp_path)
    good = start(tmp_path, flows)
    assert good.test_client().get("/healthz").json["content"] == "current"  # type: ignore[index]
    welcome = Phone(good.test_client()).says("hola")

    break_mid_edit(flows)
    with caplog.at_level(logging.ERROR, logger="outreach"):
        restarted = start(tmp_path, flows)
    client = restarted.test_client()
    assert Phone(client, "+50255550199").says("hola") == welcome  # residents get answers
    health = client.get("/healthz").json
    assert health is not None
    assert health["status"] == "ok" and health["content_errors"] >= 1
    assert health["content"].startswith("last good copy")
    # The log says what is wrong, with its place, and what is served instead.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"{flows / 'main.yaml'}:" in logged and ": error: " in logged
    assert "serving the last good copy" in logged


def test_a_file_broken_while_a_worker_loads_is_never_kept_as_the_good_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race gunicorn's reload met: the load read good files, then an editor saved half
    a file before the copy was written. The copy must be of what was loaded."""
    import outreach.service.last_good as last_good
    from outreach.flowfile import load as real_load

    flows = deployment(tmp_path)
    edits = iter([lambda: break_mid_edit(flows)])

    def load_then_an_edit_lands(*args: object, **kwargs: object) -> object:
        result = real_load(*args, **kwargs)  # type: ignore[arg-type]
        next(edits, lambda: None)()
        return result

    monkeypatch.setattr(last_good, "load", load_then_an_edit_lands)
    with pytest.raises(ContentError):
        start(tmp_path, flows)  # loaded again, found broken: no copy was ever good
    monkeypatch.undo()
    shutil.rmtree(flows)
    flows = deployment(tmp_path)
    start(tmp_path, flows)
    break_mid_edit(flows)
    restarted = start(tmp_path, flows)
    health = restarted.test_client().get("/healthz").json
    assert health is not None and health["content"].startswith("last good copy")


def test_the_dashboard_says_the_last_good_content_is_served(tmp_path: Path) -> None:
    flows = deployment(tmp_path)
    start(tmp_path, flows)
    break_mid_edit(flows)
    app = start(tmp_path, flows)
    staff.add(connect(app.config["DATABASE"]), "beto", PASSWORD, "viewer", NOW)
    client = app.test_client()
    assert post_login(client, "beto").status_code == 302
    overview = client.get("/dashboard/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "residents are getting the last good copy of the content" in overview
    spanish = client.get("/dashboard/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "la última copia buena del contenido" in spanish


def test_a_first_start_on_broken_content_still_fails(tmp_path: Path) -> None:
    """Nothing good was ever served from this folder: there is nothing to fall back on."""
    flows = deployment(tmp_path)
    break_mid_edit(flows)
    with pytest.raises(ContentError):
        start(tmp_path, flows)


def test_another_folders_copy_is_never_served(tmp_path: Path) -> None:
    """One instance folder, two content folders: a broken one never gets the other's."""
    start(tmp_path, deployment(tmp_path))
    other = tmp_path / "other-flows"
    shutil.copytree(FLOWS, other)
    break_mid_edit(other)
    with pytest.raises(ContentError):
        start(tmp_path, other)


def test_a_passed_review_date_is_a_warning_at_run_time_not_an_outage(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    flows = deployment(tmp_path)
    welcome = flows / "welcome.yaml"
    text = welcome.read_text(encoding="utf-8")
    # The flow's own dates: verified in January, due for review at its end.
    dated = re.sub(r"verified_on: \S+", "verified_on: 2026-01-02", text, count=1)
    welcome.write_text(re.sub(r"review_by: \S+", "review_by: 2026-01-31", dated, count=1), "utf-8")
    with caplog.at_level(logging.WARNING, logger="outreach"):
        app = start(tmp_path, flows)
    client = app.test_client()
    assert Phone(client).says("hola")
    health = client.get("/healthz").json
    assert health is not None and health["content"] == "current"
    assert health["reviews_overdue"] >= 1
    assert any("2026-01-31" in r.getMessage() for r in caplog.records)
    # `outreach check` still fails on it: it is caught before a deployment.
    result = subprocess.run(
        [str(Path(sys.executable).parent / "outreach"), "check", str(flows)],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1 and "(2026-01-31) has passed" in result.stdout


def test_gunicorn_keeps_serving_when_a_reload_finds_a_broken_file(tmp_path: Path) -> None:
    """The documented command, for real: reload (HUP) with a half-saved flow on disk."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    flows = deployment(tmp_path)
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    env |= {"OUTREACH_FLOWS_DIR": str(flows), "OUTREACH_LOCALES_DIR": str(tmp_path / "locales"),
            "OUTREACH_INSTANCE_DIR": str(tmp_path / "instance")}  # fmt: skip
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", "2", "outreach:create_app()"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip

    def health() -> dict[str, object] | None:
        import json

        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                return dict(json.load(r))
        except OSError:
            return None

    def wait_for(condition: object) -> dict[str, object] | None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and server.poll() is None:
            found = health()
            if found is not None and callable(condition) and condition(found):
                return found
            time.sleep(0.1)
        return None

    try:
        assert wait_for(lambda h: h["content"] == "current") is not None
        break_mid_edit(flows)
        server.send_signal(signal.SIGHUP)  # what `systemctl reload outreach` does
        served = wait_for(lambda h: str(h["content"]).startswith("last good copy"))
        stopped = server.poll()
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    # gunicorn's own log, so that a failure on another machine says what happened.
    log = errors.decode(errors="replace")
    assert served is not None and stopped is None, f"gunicorn stopped serving:\n{log}"
    assert "serving the last good copy" in log
