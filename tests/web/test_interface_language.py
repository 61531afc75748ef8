"""Every page and every error of the dashboard, rendered in Spanish, says nothing but
the Spanish of its catalog and data: a string added in English, inside gettext without
its translation or outside gettext altogether, fails here.

Every visible text (text nodes, and the title, aria-label, placeholder and alt
attributes) must be made of the catalog's Spanish (placeholders filled by anything),
numbers, dates and punctuation, or sit inside an element marked ``translate="no"``
(HTML's own mark for data: names from the content, ids, staff names, the audit log).
The pages are found from the app's own routes, so a new page is checked too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conversation_helpers import talk
from flask import Flask
from flask.testing import FlaskClient
from interface_text import untranslated
from staff_helpers import app_with_accounts, log_in, token

from outreach.metrics.report import PAGES
from outreach.service.alerts import AlertDraft, create_alert
from outreach.storage import connect

RANGE = {"since": "2026-11-01", "until": "2026-11-30"}


def test_the_check_catches_english_and_passes_spanish() -> None:
    """The check itself: English is caught, in a text or a label; Spanish, data and
    marked data pass."""
    assert untranslated("<p>Residents reached</p>") == ["Residents reached"]
    assert untranslated('<p>12 <span title="Hidden: fewer">×</span></p>') == ["Hidden: fewer"]
    assert untranslated("<p><b>1,234</b> personas alcanzadas · 2026-11-20</p>") == []
    assert untranslated('<p translate="no">Huehuetenango <b>es</b></p><p>×</p>') == []
    assert untranslated("<button>Salir (ana)</button>") == []
    assert untranslated("<p>personas alcanzadas per day</p>") == ["per day"]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    app = app_with_accounts(tmp_path_factory.mktemp("ui"), {"ana": "admin", "beto": "viewer"})
    talk(app, {f"r{n}": ["hola", "3", "Huehuetenango" if n < 11 else "Petén", "1", "¿qué?"]
               for n in range(14)})  # fmt: skip

    draft = AlertDraft("scams", None, {"es": "Aviso de prueba."}, "Fuente de prueba",
                       date.today(), date.today() + timedelta(days=30),
                       datetime.now(UTC) + timedelta(days=2), None)  # fmt: skip
    create_alert(connect(app.config["DATABASE"]), draft, "ana", datetime.now(UTC))

    @app.get("/dashboard/fault-for-the-test")
    def fault() -> str:
        raise RuntimeError("a fault in a view")

    app.config["PROPAGATE_EXCEPTIONS"] = False  # the 500 page, as production shows it
    return app


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert log_in(client, "ana") == 302
    return client


def pages(app: Flask) -> list[str]:
    """Every page of the dashboard, from the app's routes: a GET route under /dashboard
    that the test cannot fill in fails, so a new page cannot be left unchecked."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/dashboard") or "GET" not in (rule.methods or ()):
            continue
        if rule.endpoint in ("dashboard.export", "alerts.export") or rule.rule.endswith(
            "fault-for-the-test"
        ):
            continue  # files, not pages (tests/web/test_exports.py)
        if rule.endpoint == "dashboard.index":
            found += [f"/dashboard/{page}" if page != "overview" else "/dashboard/"
                      for page in PAGES if (page == "overview") == bool(rule.defaults)]  # fmt: skip
            continue
        if rule.rule in FILLED_IN:
            found.append(FILLED_IN[rule.rule])
            continue
        assert not rule.arguments, f"{rule.rule}: give this test a way to open it"
        found.append(rule.rule)
    return found


#: Pages whose address names something: one of each, from the fixture's data.
FILLED_IN = {
    "/dashboard/staff/<path:name>": "/dashboard/staff/beto",
    # The fixture's alert, a draft: its page with the preview.
    "/dashboard/alerts/<int:alert_id>": "/dashboard/alerts/1",
}


ERRORS = {
    "/dashboard/?until=2026-13-01": 400,
    "/dashboard/?split=nowhere": 400,
    "/dashboard/?period=fortnight": 400,
    "/dashboard/?since=2026-11-30&until=2026-11-01": 400,
    "/dashboard/flows?flow=nowhere": 400,
    "/dashboard/staff?audit_before=x": 400,
    "/dashboard/nowhere": 404,
    "/dashboard/export.pdf": 404,
    "/dashboard/export.csv?page=nowhere": 404,
    "/dashboard/fault-for-the-test": 500,
}


@pytest.mark.parametrize("split", ["all", "department", "week"])
def test_every_page_speaks_only_spanish(app: Flask, admin: FlaskClient, split: str) -> None:
    addresses = pages(app)
    assert {"/dashboard/", "/dashboard/flows", "/dashboard/staff"} <= set(addresses)
    for address in addresses:
        answer = admin.get(address, query_string=RANGE | {"split": split, "ui": "es"})
        assert answer.status_code == 200, address
        assert untranslated(answer.get_data(as_text=True)) == [], address
    # With the messages the staff page flashes, and the login page of someone logged out.
    csrf = token(admin, "/dashboard/staff")
    admin.post("/dashboard/staff/add", data={"csrf": csrf, "name": "x", "password": "short"})
    assert untranslated(admin.get("/dashboard/staff").get_data(as_text=True)) == []
    visitor = app.test_client()
    login = visitor.get("/dashboard/login?ui=es").get_data(as_text=True)
    assert untranslated(login) == []
    visitor.post("/dashboard/login", data={"csrf": token(visitor), "name": "ana", "password": "x"})
    wrong = visitor.post("/dashboard/login", data={"csrf": token(visitor), "name": "ana",
                                                   "password": "wrong"})  # fmt: skip
    assert untranslated(wrong.get_data(as_text=True)) == []


@pytest.mark.parametrize("ui", ["es", "en"])
def test_every_error_is_a_page_in_the_interface_language(
    app: Flask, admin: FlaskClient, ui: str
) -> None:
    viewer = app.test_client()
    log_in(viewer, "beto")
    visitor = app.test_client()
    answers = {
        address: admin.get(address + ("&" if "?" in address else "?") + f"ui={ui}")
        for address in ERRORS
    }
    answers["403 staff page for a viewer"] = viewer.get(f"/dashboard/staff?ui={ui}")
    answers["405 wrong method"] = admin.put(f"/dashboard/?ui={ui}")
    answers["400 form without its token"] = visitor.post(f"/dashboard/login?ui={ui}")
    expected = ERRORS | {"403 staff page for a viewer": 403, "405 wrong method": 405,
                         "400 form without its token": 400}  # fmt: skip
    titles = {400: "Esta solicitud no es válida", 403: "No permitido", 404: "Página no encontrada",
              405: "No se permite aquí", 500: "Algo salió mal"}  # fmt: skip
    english = {400: "This request is not valid", 403: "Not allowed", 404: "Page not found",
               405: "Not allowed here", 500: "Something went wrong"}  # fmt: skip
    for address, answer in answers.items():
        code = expected[address]
        assert answer.status_code == code, address
        html = answer.get_data(as_text=True)
        assert answer.mimetype == "text/html", address
        assert f'<html lang="{ui}">' in html, address
        assert f"<h1>{(titles if ui == 'es' else english)[code]}</h1>" in html, address
        assert "Bad Request" not in html and "Werkzeug" not in html, address
        if ui == "es":
            assert untranslated(html) == [], address
    assert "Allow" in answers["405 wrong method"].headers
    assert "a fault in a view" not in answers["/dashboard/fault-for-the-test"].get_data(
        as_text=True
    )


def test_other_paths_keep_their_own_errors(client: FlaskClient) -> None:
    """The webhook answers TwiML even for an error; the simulator's API its plain 400."""
    twilio = client.get("/twilio/nowhere")
    assert twilio.status_code == 404 and twilio.mimetype == "application/xml"
    assert client.post("/simulator/messages", json={}).status_code == 400
    assert "Página no encontrada" not in client.get("/nowhere").get_data(as_text=True)


def test_error_pages_are_never_cached(admin: FlaskClient, tmp_path: Path) -> None:
    assert admin.get("/dashboard/nowhere").headers["Cache-Control"] == "no-store"
