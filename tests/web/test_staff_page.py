"""The staff page on a phone's terms: every field labelled, a removal confirmed (without
script too), and every time in the deployment's zone, saying so."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from interface_text import untranslated
from staff_helpers import app_with_accounts, log_in, token

from outreach import staff
from outreach.settings import SettingError, load_settings
from outreach.storage import connect


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return app_with_accounts(tmp_path, {"ana": "admin", "beto": "viewer"})


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert log_in(client, "ana") == 302
    return client


def names(app: Flask) -> list[str]:
    return [name for name, _, _ in staff.listing(connect(app.config["DATABASE"]))]


def test_a_removal_needs_its_box_ticked(app: Flask, admin: FlaskClient) -> None:
    csrf = token(admin, "/dashboard/staff/beto?ui=en")
    # A tap on the button alone (a browser ignoring "required", a form posted twice).
    refused = admin.post("/dashboard/staff/beto/remove", data={"csrf": csrf})
    assert refused.status_code == 302 and refused.location.endswith("/dashboard/staff/beto")
    assert names(app) == ["ana", "beto"]
    page = admin.get("/dashboard/staff/beto?ui=en").get_data(as_text=True)
    assert "Tick the box to confirm the removal: nothing was removed." in page
    done = admin.post("/dashboard/staff/beto/remove", data={"csrf": csrf, "confirm": "yes"})
    assert done.status_code == 302 and names(app) == ["ana"]
    assert admin.get("/dashboard/staff/beto").status_code == 404


def test_an_admin_cannot_remove_themself_from_their_page(admin: FlaskClient) -> None:
    page = admin.get("/dashboard/staff/ana?ui=en").get_data(as_text=True)
    assert "You cannot remove your own account." in page
    assert "/dashboard/staff/ana/remove" not in page


def test_a_mistyped_password_goes_back_to_the_account_page(admin: FlaskClient) -> None:
    csrf = token(admin, "/dashboard/staff/beto?ui=en")
    typed = {"csrf": csrf, "password": "a long new password", "password_again": "another"}
    answer = admin.post("/dashboard/staff/beto/password", data=typed)
    assert answer.location.endswith("/dashboard/staff/beto")
    assert "The two passwords differ." in admin.get(answer.location + "?ui=en").get_data(
        as_text=True
    )


@pytest.mark.parametrize("path", ["/dashboard/staff", "/dashboard/staff/beto"])
def test_every_field_of_the_staff_pages_has_a_label_for_it(admin: FlaskClient, path: str) -> None:
    html = admin.get(path + "?ui=es").get_data(as_text=True)
    fields = re.findall(r"<(?:input|select|textarea)\b[^>]*>", html)
    shown = [field for field in fields if 'type="hidden"' not in field]
    assert shown, html
    for field in shown:
        found = re.search(r'\bid="([^"]+)"', field)
        assert found, f"no id to label: {field}"
        assert f'<label for="{found.group(1)}">' in html, f"no <label for>: {field}"
    assert untranslated(html) == []


def test_times_are_shown_in_the_deployment_zone_with_it(app: Flask, admin: FlaskClient) -> None:
    # The accounts were made at 12:00 UTC (staff_helpers.NOW): 06:00 in Guatemala.
    page = admin.get("/dashboard/staff?ui=es").get_data(as_text=True)
    assert (
        '<time datetime="2026-11-28T12:00:00+00:00">2026-11-28 06:00 '
        '<span class="zone">hora de Guatemala</span></time>'
    ) in page
    assert "2026-11-28T12:00" not in page.replace('datetime="2026-11-28T12:00', "")
    app.config["TIME_ZONE"] = "America/El_Salvador"  # the same offset, another place
    assert '06:00 <span class="zone">El Salvador time' in admin.get(
        "/dashboard/staff/beto?ui=en"
    ).get_data(as_text=True)
    app.config["TIME_ZONE"] = "UTC"
    assert '12:00 <span class="zone">UTC</span>' in admin.get("/dashboard/staff").get_data(
        as_text=True
    )


def test_the_metrics_pages_say_when_their_days_begin(admin: FlaskClient) -> None:
    page = admin.get("/dashboard/?ui=es").get_data(as_text=True)
    assert "desde las 18:00, hora de Guatemala, hasta la misma hora" in page


def test_an_unknown_time_zone_is_refused() -> None:
    assert load_settings({})["TIME_ZONE"] == "America/Guatemala"
    for wrong in ("Guatemala", "America/Nowhere", "../etc/passwd", ""):
        with pytest.raises(SettingError, match="TIME_ZONE must be an IANA zone"):
            load_settings({"OUTREACH_TIME_ZONE": wrong})
