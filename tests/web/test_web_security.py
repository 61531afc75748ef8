"""What a browser is told, and what an attacker's link or a formula in an export can do.

Each test is an attack: framing the dashboard, running script injected into a page,
reading a staff page from a shared computer's cache, a forged ``next`` link, and a
spreadsheet formula in a CSV export that a donor opens.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from babel.core import Locale
from conftest import ROOT, chromium_path, launch_chromium, serving
from flask import Flask
from flask.testing import FlaskClient
from staff_helpers import PASSWORD, app_with_accounts, post_login

from outreach.i18n.ui import choose_language
from outreach.spreadsheet import FORMULA_STARTS
from outreach.web.exports import csv_bytes


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return app_with_accounts(tmp_path, {"beto": "viewer"})


STAFF_PAGES = [
    "/dashboard/",
    "/dashboard/flows",
    "/dashboard/export.csv",
    "/dashboard/export.json",
    "/dashboard/export.xlsx",
]


def test_every_response_forbids_framing_sniffing_and_foreign_or_inline_script(
    client: FlaskClient,
) -> None:
    post_login(client, "beto")
    for path in ["/dashboard/login", *STAFF_PAGES, "/healthz"]:
        response = client.get(path)
        assert response.status_code == 200, path
        policy = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in policy, path
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, path
        assert response.headers.get("X-Content-Type-Options") == "nosniff", path
        assert response.headers.get("Referrer-Policy") == "no-referrer", path


def test_staff_pages_and_exports_are_never_cached(client: FlaskClient) -> None:
    """A shared office computer's cache must not show the last viewer's figures."""
    assert client.get("/dashboard/login").headers.get("Cache-Control") == "no-store"
    post_login(client, "beto")
    for path in STAFF_PAGES:
        assert client.get(path).headers.get("Cache-Control") == "no-store", path


def test_no_template_holds_inline_script_style_or_event_handlers() -> None:
    """What the policy forbids, the templates must not need: it would break the page."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.I)
    templates = sorted((ROOT / "outreach" / "templates").rglob("*.html"))
    assert templates
    offending = [
        f"{path.relative_to(ROOT)}: {match.group(0).strip()}"
        for path in templates
        for match in inline.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offending == []


@pytest.mark.skipif(chromium_path() is None, reason="needs chromium (make test installs it)")
def test_the_dashboard_works_in_a_browser_under_its_policy(app: Flask) -> None:
    """A real browser enforces the policy: nothing on the page is refused, bars are drawn."""
    from playwright.sync_api import sync_playwright

    from outreach.service.conversations import Conversations
    from outreach.web.db import get_db

    with app.app_context():
        conversations = Conversations(get_db(), app.extensions["outreach.content"])
        for n in range(12):
            conversations.handle(
                f"r{n}", "hola", channel="sms", message_id=f"m{n}", rendering="sms"
            )
    refused: list[str] = []
    with serving(app) as base, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(locale="en-US")
        page.on(
            "console",
            lambda message: (
                refused.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        page.goto(base + "/dashboard/login")
        page.get_by_label("Name").fill("beto")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_selector("svg.bar rect")
        widths = page.eval_on_selector_all(
            "svg.bar rect", "rects => rects.map(r => r.getBoundingClientRect().width)"
        )
        browser.close()
    assert refused == []
    assert widths and max(widths) > 0


@pytest.mark.parametrize(
    ("language", "words"),
    [("es", "Este enlace no es válido"), ("en", "This link is not valid")],
)
def test_a_forged_next_with_a_line_break_is_a_clear_400(
    client: FlaskClient, language: str, words: str
) -> None:
    """CR/LF in ``next`` would split the Location header: refused, in the page's language."""
    response = post_login(
        client, "beto", next_path="/dashboard/%0d%0aSet-Cookie:%20x=1",
        headers={"Accept-Language": language},
    )  # fmt: skip
    assert response.status_code == 400
    assert words in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("next_path", "goes_to"),
    [
        ("/dashboard/flows", "/dashboard/flows"),
        ("//evil.example/dashboard/", "/dashboard/"),
        ("/dashboard.evil.example/", "/dashboard/"),
        ("/dashboard/%5C%5Cevil.example", "/dashboard/"),
        ("https://evil.example/dashboard/", "/dashboard/"),
        ("/dashboard/../simulator/", "/dashboard/"),
    ],
)
def test_a_login_goes_on_only_to_a_dashboard_page_of_this_site(
    client: FlaskClient, next_path: str, goes_to: str
) -> None:
    response = post_login(client, "beto", next_path=next_path)
    assert response.status_code == 302
    assert response.headers["Location"] == goes_to


def test_csv_cells_never_start_a_spreadsheet_formula(app: Flask) -> None:
    """OWASP's CSV injection: a donor's spreadsheet would run these."""
    attacks = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    rows = [{"label": attack, "value": 3} for attack in attacks] + [{"label": "Petén", "value": -2}]
    with app.test_request_context("/dashboard/?ui=en"):
        choose_language()
        text = csv_bytes(rows, Locale.parse("en")).decode("utf-8-sig")
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert [row["label"] for row in parsed] == ["'" + attack for attack in attacks] + ["Petén"]
    assert not any(row["label"].startswith(FORMULA_STARTS) for row in parsed)
    # Numbers stay numbers: a negative one is not text that begins with "-".
    assert [row["value"] for row in parsed] == ["3"] * len(attacks) + ["-2"]
