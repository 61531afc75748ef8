"""Every page of the dashboard in a real browser, as programme staff use it: in Spanish
and English, on a phone (390x844) and a desktop (1366x900), logged in as an admin, over
`outreach demo-data`'s residents.

The top bar's links are followed, not listed here, so a page added to it later is checked
too; so are the account page, the error pages, the login page and the simulator. On each
page: no sideways scroll, every field labelled and on screen (not behind a table's
scroll), charts whose text is not cut, overlapping or too small to read, nothing outside
the interface's catalog, no id where a name exists (tests/content_ids.py), and a
screenshot, kept in tests/screenshots/every-page/ (ignored by git) to look at. The
exports are downloaded from the overview's own links and read back: the spreadsheet with
openpyxl, the CSV with its byte-order mark and separator.
"""

from __future__ import annotations

import csv
import io
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import ROOT, TEST_CONFIG, chromium_path, copy_database, launch_chromium, serving
from content_ids import ids_shown
from flask import Flask
from interface_text import untranslated
from openpyxl import load_workbook
from staff_helpers import PASSWORD

from outreach import create_app, staff
from outreach.engine.model import FlowSet
from outreach.storage import connect, immediate
from outreach.storage.alerts import insert_alert

pytestmark = pytest.mark.skipif(
    chromium_path() is None,
    reason="Chromium is not installed; `make test` installs it where it can",
)

SIZES = {"phone": (390, 844), "desktop": (1366, 900)}
LANGUAGES = {"es": "es-GT", "en": "en-US"}
SHOTS = ROOT / "tests" / "screenshots" / "every-page"

#: What a page's browser is asked about it, in one go (see check_page).
MEASURE = """() => {
  const fields = [...document.querySelectorAll("input, select, textarea")]
    .filter(f => f.type !== "hidden");
  const unlabelled = fields
    .filter(f => f.labels.length === 0 && !f.getAttribute("aria-label"))
    .map(f => f.outerHTML);
  // A field past the screen's edge is one a table's sideways scroll hides.
  const offscreen = fields
    .filter(f => f.getClientRects().length)
    .filter(f => { const r = f.getBoundingClientRect();
                   return r.left < 0 || r.right > window.innerWidth + 0.5; })
    .map(f => f.outerHTML);
  const charts = [...document.querySelectorAll("svg.chart")].map(svg => {
    const box = svg.getBoundingClientRect();
    const texts = [...svg.querySelectorAll("text")].map(t => {
      const r = t.getBoundingClientRect();
      return {text: t.textContent, left: r.left, right: r.right, top: r.top,
              bottom: r.bottom};
    });
    return {left: box.left, right: box.right, top: box.top, bottom: box.bottom, texts};
  });
  return {scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth,
          unlabelled, offscreen, charts, html: document.documentElement.outerHTML};
}"""

#: Chart text smaller than this (its box's height, in CSS pixels) is not read on a phone.
SMALLEST_TEXT = 9


def chart_problems(chart: dict[str, Any]) -> list[str]:
    """Texts of a chart cut by its edges, too small, or over one another."""
    problems = []
    texts = chart["texts"]
    for t in texts:
        if t["left"] < chart["left"] - 1 or t["right"] > chart["right"] + 1:
            problems.append(f"{t['text']!r} cut at the chart's side")
        if t["top"] < chart["top"] - 1 or t["bottom"] > chart["bottom"] + 1:
            problems.append(f"{t['text']!r} cut at the chart's top or bottom")
        if t["bottom"] - t["top"] < SMALLEST_TEXT:
            problems.append(f"{t['text']!r} too small ({t['bottom'] - t['top']:.1f} px)")
    for n, a in enumerate(texts):
        for b in texts[n + 1 :]:
            apart = (a["right"] <= b["left"] or b["right"] <= a["left"]
                     or a["bottom"] <= b["top"] or b["bottom"] <= a["top"])  # fmt: skip
            if not apart:
                problems.append(f"{a['text']!r} over {b['text']!r}")
    return problems


def png_size(path: Path) -> tuple[int, int]:
    """A PNG's width and height, from its header."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


class Visit:
    """One browser session, in one language at one size; checks each page it opens."""

    def __init__(self, page: Any, language: str, size: str, content: FlowSet) -> None:
        self.page, self.language, self.size = page, language, size
        self.content = content
        self.problems: list[str] = []
        self.shots: list[Path] = []

    def check(self, name: str) -> str:
        """Checks the open page; saves its screenshot as ``name``; returns its HTML."""
        seen = self.page.evaluate(MEASURE)
        where = f"{self.language} {self.size} {name}"
        if seen["scrollWidth"] > seen["width"]:
            self.problems.append(f"{where}: scrolls sideways ({seen['scrollWidth']} px)")
        self.problems += [f"{where}: field without a label: {f}" for f in seen["unlabelled"]]
        self.problems += [f"{where}: field off the screen: {f}" for f in seen["offscreen"]]
        for chart in seen["charts"]:
            self.problems += [f"{where}: chart: {p}" for p in chart_problems(chart)]
        self.problems += [
            f"{where}: not in the catalog: {text!r}"
            for text in untranslated(seen["html"], self.language)
        ]
        if "/dashboard" in self.page.url:
            # No id where a name exists (tests/content_ids.py): tooltips may hold them.
            self.problems += [
                f"{where}: an id where a name exists: {shown!r}"
                for shown in ids_shown(seen["html"], self.content)
            ]
        shot = SHOTS / f"{self.language}-{self.size}-{name}.png"
        self.page.screenshot(path=str(shot), full_page=True)
        self.shots.append(shot)
        return str(seen["html"])

    def open(self, address: str, name: str, status: int = 200) -> str:
        answer = self.page.goto(address)
        assert answer is not None and answer.status == status, (address, answer)
        return self.check(name)


@pytest.fixture(scope="module")
def app(demo_database: Path, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The demo data (a copy), with an admin and a viewer to manage."""
    path = copy_database(demo_database, tmp_path_factory.mktemp("every-page"))
    app = create_app(TEST_CONFIG | {"DATABASE": str(path)})
    db = connect(path)
    now = datetime.now(UTC)
    staff.add(db, "ana", PASSWORD, "admin", now)
    staff.add(db, "beto", PASSWORD, "viewer", now)
    # A draft alert, so that an alert's own page (its preview) is checked too.
    with immediate(db):
        insert_alert(
            db, topic="scams", departments=("Quiché", "Petén"),
            texts={"es": "Aviso de prueba: nadie del consulado cobra por una cita.",
                   "en": "Test notice: nobody at the consulate charges for an appointment."},
            source="Ejemplo (contenido de prueba)", verified_on=now.date().isoformat(),
            review_by=(now + timedelta(days=30)).date().isoformat(),
            send_at=(now + timedelta(days=2)).isoformat(), content_sid=None,
            created_by="ana", now=now,
        )  # fmt: skip
    return app


@pytest.fixture(scope="module")
def browser(app: Flask) -> Iterator[tuple[Any, str]]:
    """One Chromium for the module, and the app's address."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with serving(app) as base, sync_playwright() as p:
        chromium = launch_chromium(p)
        yield chromium, base
        chromium.close()


def log_in(page: Any, base: str, language: str) -> None:
    page.goto(f"{base}/dashboard/login?ui={language}")
    page.locator("input[name=name]").fill("ana")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form.login button[type=submit]").click()
    page.wait_for_url(f"{base}/dashboard/**")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_reads_well(
    browser: tuple[Any, str], language: str, size: str, tmp_path: Path, shipped: FlowSet
) -> None:
    chromium, base = browser
    width, height = SIZES[size]
    context = chromium.new_context(
        viewport={"width": width, "height": height}, locale=LANGUAGES[language],
        accept_downloads=True,
    )  # fmt: skip
    page = context.new_page()
    visit = Visit(page, language, size, shipped)
    # Before logging in: the login page and the simulator (anyone's pages).
    visit.open(f"{base}/dashboard/login?ui={language}", "login")
    visit.open(f"{base}/simulator/?ui={language}", "simulator")
    log_in(page, base, language)
    # The top bar's links, whatever they are: a new page is checked once it is there.
    links = page.eval_on_selector_all("header.bar nav > a", "as => as.map(a => a.href)")
    names = [urlsplit(link).path.strip("/").split("/")[-1] for link in links]
    assert {"dashboard", "flows", "topics", "quality", "voice", "staff"} <= set(names)
    assert len(links) >= 6
    for link, name in zip(links, names, strict=True):
        visit.open(link, "overview" if name == "dashboard" else name)
    # An account's own page, from the staff page's link.
    page.goto(f"{base}/dashboard/staff")
    page.locator("a[href$='/dashboard/staff/beto']").click()
    visit.check("account")
    # The alerts' own pages, from the alerts page's links: the form and a draft's preview.
    page.goto(f"{base}/dashboard/alerts/")
    page.locator("a[href$='/dashboard/alerts/new']").click()
    page.wait_for_url("**/dashboard/alerts/new")
    page.wait_for_load_state("load")
    visit.check("alert-new")
    page.goto(f"{base}/dashboard/alerts/")
    page.locator("a[href$='/dashboard/alerts/1']").click()
    page.wait_for_url("**/dashboard/alerts/1")
    page.wait_for_load_state("load")
    visit.check("alert-detail")
    # The error pages: a filter that is not one, and a page that does not exist.
    visit.open(f"{base}/dashboard/?split=nowhere", "error-400", status=400)
    visit.open(f"{base}/dashboard/nowhere", "error-404", status=404)
    # Every screenshot is a real picture of the page, as wide as the screen.
    assert len(visit.shots) == len(links) + 7
    for shot in visit.shots:
        shot_width, shot_height = png_size(shot)
        assert shot_width == width and shot_height >= height, shot.name
        assert shot.stat().st_size > 5_000, f"{shot.name} is all but empty"
    if size == "desktop":
        read_back_the_exports(page, base, language, tmp_path)
    context.close()
    assert visit.problems == []


def read_back_the_exports(page: Any, base: str, language: str, folder: Path) -> None:
    """The overview split by department, exported from its own links and opened as a
    donor would: names with their accents, headers in the interface's language."""
    page.goto(f"{base}/dashboard/?ui={language}")
    page.locator("select[name=split]").select_option("department")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**split=department**")
    with page.expect_download() as download:
        page.locator("a[href*='/dashboard/export.xlsx']").click()
    download.value.save_as(folder / "export.xlsx")
    book = load_workbook(folder / "export.xlsx")
    words = {"es": ("Definiciones", "Datos de demostración sintéticos"),
             "en": ("Definitions", "Synthetic demo data")}[language]  # fmt: skip
    assert book.sheetnames[0] == words[0]
    cells = {str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row}
    assert words[1] in cells and "Petén" in cells
    with page.expect_download() as download:
        page.locator("a[href*='/dashboard/export.csv']").click()
    download.value.save_as(folder / "export.csv")
    raw = (folder / "export.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "no byte-order mark: Excel would show PetÃ©n"
    # Guatemala's Spanish and English write 12.5, so their spreadsheets split on commas.
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8")), delimiter=","))
    header = {"es": ["página", "desde", "hasta"], "en": ["page", "from", "to"]}[language]
    assert rows[0][:3] == header
    assert all(len(row) == len(rows[0]) for row in rows)
    assert any("Petén" in row for row in rows)


def test_an_account_is_removed_only_once_confirmed_even_without_script(
    app: Flask, browser: tuple[Any, str]
) -> None:
    """On a phone with script off: the removal's box must be ticked (the browser's own
    form check, then the server's); then the account is gone."""
    chromium, base = browser
    context = chromium.new_context(viewport={"width": 390, "height": 844},
                                   java_script_enabled=False, locale="es-GT")  # fmt: skip
    page = context.new_page()
    log_in(page, base, "es")
    page.goto(f"{base}/dashboard/staff")
    form = page.locator("form.fields").first
    form.locator("#new-name").fill("carla")
    form.locator("#new-role").select_option("viewer")
    form.locator("#new-password").fill(PASSWORD)
    form.locator("#new-password-again").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    assert "Cuenta carla agregada." in page.content()
    page.locator("a[href$='/dashboard/staff/carla']").click()
    remove = page.get_by_role("button", name="Quitar la cuenta")
    remove.click()  # the box is not ticked: the browser does not send the form
    assert page.url.endswith("/dashboard/staff/carla")
    assert "carla" in [n for n, _, _ in staff.listing(connect(app.config["DATABASE"]))]
    page.get_by_label("Sí, quitar esta cuenta: sus sesiones terminan de inmediato.").check()
    remove.click()
    page.wait_for_url(f"{base}/dashboard/staff")
    assert "Cuenta carla quitada." in page.content()
    assert "carla" not in [n for n, _, _ in staff.listing(connect(app.config["DATABASE"]))]
    context.close()
