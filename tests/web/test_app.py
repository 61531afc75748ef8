from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import FLOWS, ROOT, write_flows
from flask import Flask
from flask.testing import FlaskClient

from outreach import create_app
from outreach.flowfile import ContentError
from outreach.settings import SETTINGS, SettingError, load_settings


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "content": "current",
        "content_errors": 0,
        "reviews_overdue": 0,
        "deployment": "sample_guatemala",
        "flows": 12,
        "languages": ["es", "en"],
    }


def test_the_first_page_is_the_simulator(client: FlaskClient) -> None:
    response = client.get("/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/simulator/"
    assert (
        "simulador de outreach" in page
    )  # Spanish: no browser preference and "sample_guatemala" in page
    assert '<option value="en"' in page and '<option value="mam"' not in page


def test_test_config_overrides_defaults(app: Flask) -> None:
    assert app.config["FLOWS_DIR"] == str(FLOWS)
    assert app.config["SESSION_TIMEOUT_HOURS"] == 72


def test_settings_come_from_outreach_variables() -> None:
    values = load_settings({"OUTREACH_SESSION_TIMEOUT_HOURS": "24", "HOME": "/x"})
    assert values["SESSION_TIMEOUT_HOURS"] == 24
    with pytest.raises(SettingError, match="must be a whole number"):
        load_settings({"OUTREACH_MAX_STEPS_PER_TURN": "many"})


def test_a_misspelt_setting_is_refused_with_a_suggestion() -> None:
    with pytest.raises(SettingError, match="did you mean OUTREACH_FLOWS_DIR"):
        load_settings({"OUTREACH_FLOW_DIR": "flows"})


def test_every_setting_has_help_and_is_documented() -> None:
    docs = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert len(setting.help) > 20, setting.name
        assert f"`{setting.env}`" in docs, f"{setting.env} missing from docs/settings.md"


def test_every_setting_the_code_reads_is_in_the_table() -> None:
    names = {s.name for s in SETTINGS}
    used: set[str] = set()
    for path in (ROOT / "outreach").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"(?:config|settings)\[\"([A-Z_]+)\"\]", text))
    assert used, "the scan found nothing: it must be broken"
    flask_own = set(Flask(__name__).config)  # such as MAX_CONTENT_LENGTH
    assert used - flask_own <= names, used - flask_own - names


def test_app_refuses_to_start_on_broken_flows(tmp_path: Path) -> None:
    folder = write_flows(tmp_path, {"bad.yaml": "flow: bad\nname: Bad\n"})
    with pytest.raises(ContentError) as caught:
        create_app(
            {
                "FLOWS_DIR": str(folder),
                "DATABASE": str(tmp_path / "db.sqlite3"),
                "PSEUDONYM_KEY": "k" * 32,
            }
        )
    assert "bad.yaml:1:1: error: the flow is missing the required key 'provenance'" in str(
        caught.value
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_outreach_serve_answers_healthz() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "outreach.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = b""
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    body = r.read()
                break
            except OSError:
                time.sleep(0.1)
        assert b'"status":"ok"' in body
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_simulator_is_off_in_production_unless_asked_for(tmp_path: Path) -> None:
    from conftest import TEST_CONFIG

    production = TEST_CONFIG | {"ENV": "production", "DATABASE": str(tmp_path / "db.sqlite3")}
    client = create_app(production).test_client()
    assert client.get("/simulator/").status_code == 404
    assert client.get("/").get_data(as_text=True).startswith("outreach is running")
    client = create_app(production | {"SIMULATOR": "on"}).test_client()
    assert client.get("/simulator/").status_code == 200


def production_settings(tmp_path: Path) -> dict[str, object]:
    """A correctly configured production, as docs/deploy.md sets it."""
    from conftest import TEST_CONFIG

    return TEST_CONFIG | {"ENV": "production", "DATABASE": str(tmp_path / "db.sqlite3")}


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"PUBLIC_URL": "http://outreach.example.org"}, "must be an https:// address"),
        ({"PSEUDONYM_KEY": "0" * 64}, "OUTREACH_PSEUDONYM_KEY is all zeros: generate one"),
        ({"SECRET_KEY": "0" * 64}, "OUTREACH_SECRET_KEY is all zeros: generate one"),
        ({"SECRET_KEY": "the-same-key-for-both-of-32-bytes-x",
          "PSEUDONYM_KEY": "the-same-key-for-both-of-32-bytes-x"},
         "OUTREACH_SECRET_KEY is the same as OUTREACH_PSEUDONYM_KEY: give each its own"),
        ({"ALERTS_KEY": ""}, "OUTREACH_ALERTS_KEY is not set"),
        ({"ALERTS_KEY": "0" * 64}, "OUTREACH_ALERTS_KEY is all zeros: generate one"),
        ({"ALERTS_KEY": "a-test-pseudonym-key-of-32-bytes-or-more"},
         "OUTREACH_ALERTS_KEY is the same as OUTREACH_PSEUDONYM_KEY"),
    ],
)  # fmt: skip
def test_production_refuses_unsafe_settings_and_says_what_to_do(
    tmp_path: Path, change: dict[str, str], says: str
) -> None:
    settings = production_settings(tmp_path)
    assert create_app(settings)  # correctly configured, it starts
    with pytest.raises(SettingError, match="refusing to start in production") as refused:
        create_app(settings | change)
    assert says in str(refused.value)


def test_production_refuses_a_database_with_demo_data(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from outreach import staff
    from outreach.cli import main
    from outreach.storage import connect

    settings = production_settings(tmp_path)
    runner = CliRunner(env={"OUTREACH_DATABASE": str(settings["DATABASE"])})
    assert runner.invoke(main, ["demo-data", "--residents", "3"]).exit_code == 0
    with pytest.raises(SettingError) as refused:
        create_app(settings)
    assert "the demo account 'demo' (password in the README) exists" in str(refused.value)
    assert "outreach users remove demo" in str(refused.value)
    assert "synthetic residents" in str(refused.value)
    db = connect(str(settings["DATABASE"]))
    staff.add(db, "ana", "a long password", "admin", datetime.now(UTC))
    staff.remove(db, "demo", datetime.now(UTC))
    with pytest.raises(SettingError) as still:
        create_app(settings)
    assert "demo account" not in str(still.value) and "synthetic residents" in str(still.value)
    assert create_app(settings | {"DATABASE": str(tmp_path / "new.sqlite3")})
