"""Every dashboard query parameter, as anyone may write it: a clear 400 (in the
interface's language) or a page, never a 500."""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from conftest import TEST_CONFIG
from conversation_helpers import talk
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outreach import create_app, staff
from outreach.storage import connect

PASSWORD = "correct horse battery"
_PLACE = tempfile.TemporaryDirectory()


def _app() -> Flask:
    app = create_app(TEST_CONFIG | {"DATABASE": str(Path(_PLACE.name) / "outreach.sqlite3")})
    staff.add(connect(app.config["DATABASE"]), "ana", PASSWORD, "admin", datetime.now(UTC))
    talk(app, {f"r{n}": ["hola", "3", "Petén"] for n in range(12)})
    return app


APP = _app()


def _client() -> FlaskClient:
    client = APP.test_client()
    page = client.get("/dashboard/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    answer = client.post(
        "/dashboard/login", data={"name": "ana", "password": PASSWORD, "csrf": csrf.group(1)}
    )
    assert answer.status_code == 302
    return client


CLIENT = _client()
PATHS = ["/dashboard/", "/dashboard/flows", "/dashboard/topics", "/dashboard/quality",
         "/dashboard/export.csv", "/dashboard/export.json", "/dashboard/staff"]  # fmt: skip
NAMES = ["since", "until", "period", "split", "language", "channel", "department", "flow",
         "page", "ui", "audit_before"]  # fmt: skip
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
VALUES = st.one_of(
    TEXT,
    st.dates().map(date.isoformat),
    st.integers().map(str),
    st.sampled_from(["", "all", "auto", "day", "week", "month", "language", "channel",
                     "department", "es", "en", "sms", "whatsapp", "Petén", "main",
                     "overview", "flows", "topics", "quality", "9" * 30, "0001-01-01",
                     "9999-12-31", "2026-11-20"]),
)  # fmt: skip


@given(st.sampled_from(PATHS), st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=7))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_query_parameter_gives_a_500(path: str, args: dict[str, str]) -> None:
    answer = CLIENT.get(path, query_string=args)
    assert answer.status_code in (200, 400, 404), (path, args, answer.status_code)


def test_impossible_ranges_are_a_clear_400_in_the_interface_language() -> None:
    cases = {
        "/dashboard/?until=0001-01-01": "Elija fechas del 2000-01-01 al 2099-12-31.",
        "/dashboard/?since=9999-12-31&until=9999-12-31": "Elija fechas",
        "/dashboard/?since=9999-12-31&until=9999-12-31&period=week": "Elija fechas",
        "/dashboard/export.csv?since=0001-01-01&until=9999-12-30&period=day": "Elija fechas",
        "/dashboard/?since=2000-01-01&until=2099-12-31&period=day": "como mucho 120 meses",
        "/dashboard/staff?audit_before=" + "9" * 30: "No existe esa página del registro",
    }
    for address, message in cases.items():
        answer = CLIENT.get(address + "&ui=es")
        assert answer.status_code == 400, address
        assert message in answer.get_data(as_text=True), address
    english = CLIENT.get("/dashboard/?until=0001-01-01&ui=en")
    assert english.status_code == 400
    assert "Choose dates from 2000-01-01 to 2099-12-31." in english.get_data(as_text=True)
