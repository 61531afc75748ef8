"""The dashboard's voice page: calls, minutes, completed calls and call backs, in the
interface's language, with the other pages' filters, its exports, and in a real browser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from conftest import ROOT, chromium_path, launch_chromium, serving
from flask import Flask
from flask.testing import FlaskClient
from interface_text import untranslated
from openpyxl import load_workbook
from sqlite_utils import Database
from staff_helpers import PASSWORD, app_with_accounts, log_in

from outreach.storage import connect
from outreach.storage.callbacks import (
    REFUSAL_REASONS,
    CallbackLimits,
    claim_next,
    count_refusal,
    finish,
    request_callback,
)
from outreach.storage.calls import record_status, record_step

NOVEMBER = {"since": "2026-11-01", "until": "2026-11-30"}


def calls_and_callbacks(db: Database) -> None:
    """Fourteen Spanish callers and three K'iche' ones in November, in two departments;
    call backs of every outcome and missed calls refused for every reason."""
    for n in range(17):
        resident = f"caller-{n}"
        department = "Huehuetenango" if n < 12 else "Petén"
        db.execute("INSERT INTO residents (id, department) VALUES (?, ?)", [resident, department])
        day = f"2026-11-{10 + n % 7:02d}"
        for call in range(1 + n % 3):
            call_id = f"call-{n}-{call}"
            language = "es" if n < 14 else "quc"
            flow = ("risks", "pathways", "programmes")[call]
            record_step(db, call_id, day, language, flow, f"{day}T15:00:00", resident)
            record_status(db, call_id, day, "completed" if call < 2 else "no-answer",
                          95 if call < 2 else 0, f"{day}T15:05:00")  # fmt: skip
    at = datetime(2026, 11, 20, 15, tzinfo=UTC)
    limits = CallbackLimits(("+502",), per_caller_day=3, per_hour=100, per_day=200)
    for n in range(40):
        assert request_callback(db, f"+5025555{n:04d}", f"caller-{n}", at, limits) is None
        claimed = claim_next(db, at, timedelta(minutes=10))
        assert claimed is not None
        finish(db, claimed[0], at, ("placed", "placed", "failed", "uncertain")[n % 4])
        count_refusal(db, at, REFUSAL_REASONS[n % len(REFUSAL_REASONS)])


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    app = app_with_accounts(tmp_path, {"beto": "viewer"})
    app.config["VOICE_PRICE_PER_MINUTE"] = "0.09"
    app.config["VOICE_PRICE_CURRENCY"] = "GTQ"
    calls_and_callbacks(connect(app.config["DATABASE"]))
    return app


@pytest.fixture
def viewer(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert log_in(client, "beto") == 302
    return client


@pytest.mark.parametrize(
    "args",
    [{}, {"split": "department"}, {"split": "week"}, {"split": "language"},
     {"language": "quc"}, {"department": "Petén", "split": "day"}, {"channel": "voice"}],
)  # fmt: skip
def test_the_voice_page_speaks_only_spanish(viewer: FlaskClient, args: dict[str, str]) -> None:
    """With calls, call backs of every outcome and refusals of every reason on it, in
    every split and filter: every word is the catalog's Spanish, every row named."""
    answer = viewer.get("/dashboard/voice", query_string=NOVEMBER | args | {"ui": "es"})
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert untranslated(html) == []
    assert "Línea de voz" in html and "llamadas" in html
    for word in ("refused_", "callback_"):
        assert word not in html.replace('id="callback_refusals"', "")


def test_the_voice_page_shows_calls_cost_and_call_backs(viewer: FlaskClient) -> None:
    page = viewer.get("/dashboard/voice", query_string=NOVEMBER | {"ui": "en"})
    html = page.get_data(as_text=True)
    for words in ("Calls, by language", "Minutes of calls, by language",
                  "Completed calls, by language", "Calls, by the last flow reached",
                  "Call backs, by outcome", "Missed calls not called back, by reason",
                  "country not allowed", "GTQ", "estimated"):  # fmt: skip
        assert words in html, words
    filtered = viewer.get("/dashboard/voice", query_string=NOVEMBER | {"language": "es"})
    assert 'id="callbacks-filtered"' in filtered.get_data(as_text=True)
    assert 'id="callbacks"' not in filtered.get_data(as_text=True)
    # The voice channel is one to filter by on every page.
    overview = viewer.get("/dashboard/", query_string=NOVEMBER | {"ui": "en"})
    assert '<option value="voice"' in overview.get_data(as_text=True)


def test_the_voice_exports_hold_the_page(viewer: FlaskClient) -> None:
    exported = viewer.get("/dashboard/export.json", query_string=NOVEMBER | {"page": "voice"})
    rows = exported.get_json()
    tables = {row["table"] for row in rows}
    assert {"headline", "voice_calls", "voice_minutes_by_flow", "callbacks",
            "callback_refusals"} <= tables  # fmt: skip
    figures = {(row["table"], row["row"]): row for row in rows}
    minutes = figures[("headline", "minutes")]
    cost = figures[("headline", "estimated_cost")]
    assert cost["unit"] == "GTQ" and cost["value"] == round(minutes["value"] * 0.09, 2)
    # The spreadsheet, in Spanish: the summary and the call backs named, ids last.
    book = load_workbook(
        BytesIO(
            viewer.get(
                "/dashboard/export.xlsx", query_string=NOVEMBER | {"page": "voice", "ui": "es"}
            ).data
        )
    )
    summary = next(s for s in book.worksheets if s["A1"].value == "Cifras principales")
    names = [row[0].value for row in summary.iter_rows(min_row=3)]
    assert "minutos" in names and "llamadas completadas" in names
    refusals = next(s for s in book.worksheets if str(s["A1"].value).startswith("Llamadas perd"))
    shown = {row[0].value: row[-1].value for row in refusals.iter_rows(min_row=3)}
    assert shown["país no permitido"] == "refused_country"


@pytest.mark.skipif(
    chromium_path() is None,
    reason="Chromium is not installed; `make test` installs it where it can",
)
def test_a_staff_member_reads_the_voice_figures_in_a_real_browser(app: Flask) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = ROOT / "tests" / "screenshots"
    shots.mkdir(exist_ok=True)
    with serving(app) as base, sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(viewport={"width": 1000, "height": 750}, locale="en-US")
        page = context.new_page()
        page.goto(base + "/dashboard/?since=2026-11-01&until=2026-11-30")
        page.get_by_label("Name").fill("beto")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("link", name="Voice line").click()
        expect(page.get_by_role("heading", name="Voice line")).to_be_visible()
        # The range went along with the link, as between the other pages.
        expect(page.get_by_label("From", exact=True)).to_have_value("2026-11-01")
        # Each language by its own name, not its code.
        expect(page.locator("#voice_calls table")).to_contain_text("Español")
        expect(page.locator(".tiles")).to_contain_text("GTQ")
        expect(page.locator("#callbacks table")).to_contain_text("placed")
        page.get_by_label("Split by").select_option("department")
        page.get_by_role("button", name="Show").click()
        expect(page.locator("#voice_calls table")).to_contain_text("Huehuetenango")
        expect(page.locator("#voice_calls table")).to_contain_text("×")  # Petén's 5
        page.locator("select[name=language]").select_option("quc")
        page.get_by_role("button", name="Show").click()
        expect(page.locator("#callbacks-filtered")).to_be_visible()
        page.screenshot(path=str(shots / "dashboard-voice.png"), full_page=True)
        page.get_by_role("link", name="Español").click()
        expect(page.get_by_role("heading", name="Línea de voz")).to_be_visible()
        expect(page.locator("#callbacks-filtered")).to_contain_text("quite esos filtros")
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(shots / "dashboard-voice-phone-es.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, f"the page scrolls sideways on a phone ({width}px)"
        browser.close()
