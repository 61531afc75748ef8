"""The staff dashboard: logins, roles, CSRF, throttling, the audit log and exports."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FLOWS, ROOT, TEST_CONFIG, chromium_path, launch_chromium, serving
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from staff_helpers import NOW, PASSWORD, app_with_accounts, dashboard_clock, log_in, token
from werkzeug.security import generate_password_hash

from outreach import create_app, staff
from outreach.cli import main
from outreach.flowfile import load
from outreach.metrics.cellkey import USUAL_NOISE, CellKeys
from outreach.storage import connect, immediate


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return app_with_accounts(tmp_path, {"ana": "admin", "beto": "viewer"})


def audit(app: Flask) -> list[tuple[str, str, str, str]]:
    return staff.audit_entries(connect(app.config["DATABASE"]))


def test_the_dashboard_needs_a_login(client: FlaskClient) -> None:
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/dashboard/login" in response.headers["Location"]


def test_a_viewer_sees_metrics_but_not_the_admin_pages(app: Flask, client: FlaskClient) -> None:
    assert log_in(client, "beto") == 302
    for path in ("/dashboard/", "/dashboard/flows", "/dashboard/topics", "/dashboard/quality"):
        page = client.get(f"{path}?since=2026-11-01&until=2026-11-30&split=language&ui=en")
        assert page.status_code == 200, path
    assert "Residents reached" in client.get("/dashboard/").get_data(as_text=True)
    assert client.get("/dashboard/staff").status_code == 403
    actions = [entry[2] for entry in audit(app)]
    assert "login" in actions and "view" in actions


def test_an_admin_sees_accounts_and_the_audit_log(client: FlaskClient) -> None:
    log_in(client, "ana")
    page = client.get("/dashboard/staff?ui=en").get_data(as_text=True)
    assert "beto" in page and "login" in page


def test_an_admin_manages_accounts_from_the_staff_page(app: Flask, client: FlaskClient) -> None:
    log_in(client, "ana")
    new = "a long new password"

    def post(path: str, **fields: str) -> str:
        response = client.post(
            path, data={"csrf": token(client, "/dashboard/staff?ui=en"), **fields}
        )
        assert response.status_code == 302, response.status_code
        return client.get("/dashboard/staff?ui=en").get_data(as_text=True)

    page = post("/dashboard/staff/add", name="carla", role="viewer", password=new,
                password_again=new)  # fmt: skip
    assert "Account carla added." in page
    page = post("/dashboard/staff/add", name="dora", role="viewer", password="short",
                password_again="short")  # fmt: skip
    assert "at least 10 characters" in page
    assert "The two passwords differ." in post(
        "/dashboard/staff/beto/password", password=new, password_again=new + "!"
    )
    assert "New password set for beto." in post(
        "/dashboard/staff/beto/password", password=new, password_again=new
    )
    assert "You cannot remove your own account." in post("/dashboard/staff/ana/remove")
    assert "Account carla removed." in post("/dashboard/staff/carla/remove", confirm="yes")
    names = [name for name, _, _ in staff.listing(connect(app.config["DATABASE"]))]
    assert names == ["ana", "beto"]
    other = app.test_client()
    assert log_in(other, "beto", new) == 302  # the new password works
    # Who did what is in the audit log, under the admin's name.
    done = [(actor, action, detail) for _, actor, action, detail in audit(app)]
    assert ("ana", "staff_added", "carla (viewer)") in done
    assert ("ana", "password_changed", "beto") in done
    assert ("ana", "staff_removed", "carla") in done
    # A viewer cannot, and neither can a form without its token.
    assert (
        other.post("/dashboard/staff/add", data={"csrf": token(other, "/dashboard/")}).status_code
        == 403
    )
    assert client.post("/dashboard/staff/beto/remove", data={}).status_code == 400


def test_the_last_admin_cannot_be_removed(app: Flask) -> None:
    db = connect(app.config["DATABASE"])
    with pytest.raises(staff.StaffError, match="last admin"):
        staff.remove(db, "ana", NOW)
    staff.add(db, "eva", PASSWORD, "admin", NOW)
    staff.remove(db, "ana", NOW)  # another admin is left


def test_a_form_without_its_token_is_refused(client: FlaskClient) -> None:
    response = client.post("/dashboard/login", data={"name": "ana", "password": PASSWORD})
    assert response.status_code == 400
    log_in(client, "ana")
    assert client.post("/dashboard/logout", data={"csrf": "forged"}).status_code == 400
    assert client.get("/dashboard/").status_code == 200  # still logged in


def test_failed_logins_are_throttled(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    dashboard_clock(monkeypatch, NOW)  # no delay runs out
    for _ in range(staff.FREE_FAILURES_PER_NAME):
        log_in(client, "ana", "wrong password!")
    # Even the right password is refused for a while now, from this address.
    assert log_in(client, "ana") == 200
    assert client.get("/dashboard/").status_code == 302
    actions = [entry[2] for entry in audit(app)]
    assert actions.count("login_failed") == staff.FREE_FAILURES_PER_NAME
    assert "login" not in actions


@pytest.mark.parametrize("hops", [0, 1])
def test_behind_a_proxy_failed_logins_slow_down_an_address_not_everyone(
    tmp_path: Path, hops: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    dashboard_clock(monkeypatch, NOW)  # no delay runs out
    app = create_app(TEST_CONFIG | {"DATABASE": str(tmp_path / "db.sqlite3"), "PROXY_HOPS": hops})
    staff.add(connect(app.config["DATABASE"]), "beto", PASSWORD, "viewer", NOW)

    def attempt(address: str, name: str, password: str) -> bool:
        client = app.test_client()
        client.environ_base["HTTP_X_FORWARDED_FOR"] = address  # as nginx sets it
        client.post("/dashboard/login", data={"name": name, "password": password,
                                              "csrf": token(client)})  # fmt: skip
        return client.get("/dashboard/").status_code == 200

    for n in range(staff.FREE_FAILURES_PER_ADDRESS):
        assert not attempt("198.51.100.7", f"guess{n}", "wrong password!")
    # With the proxy declared, only the guessing address is slowed down; without it the
    # header is not trusted (anyone could send it), and all share the proxy's address.
    assert attempt("203.0.113.20", "beto", PASSWORD) is bool(hops)
    assert not attempt("198.51.100.7", "beto", PASSWORD)


def test_exports_hold_only_suppressed_aggregates_and_are_audited(
    app: Flask, client: FlaskClient
) -> None:
    log_in(client, "beto")
    csv_export = client.get("/dashboard/export.csv?since=2026-11-01&until=2026-11-30")
    assert csv_export.status_code == 200 and csv_export.mimetype == "text/csv"
    json_export = client.get("/dashboard/export.json?since=2026-11-01&until=2026-11-30")
    assert json_export.mimetype == "application/json"
    xlsx_export = client.get("/dashboard/export.xlsx?since=2026-11-01&until=2026-11-30")
    assert xlsx_export.status_code == 200 and xlsx_export.data.startswith(b"PK")
    assert [entry[2] for entry in audit(app)].count("export") == 3


def test_the_users_command(tmp_path: Path) -> None:
    runner = CliRunner(env={"OUTREACH_DATABASE": str(tmp_path / "db.sqlite3")})
    added = runner.invoke(
        main,
        ["users", "add", "carla", "--role", "viewer", "--password-stdin"],
        input="a long password\n",
    )
    assert added.exit_code == 0, added.output
    short = runner.invoke(main, ["users", "add", "dora", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    prompted = runner.invoke(
        main,
        ["users", "add", "eva", "--role", "admin"],
        input="another password\nanother password\n",
    )
    assert prompted.exit_code == 0, prompted.output
    listed = runner.invoke(main, ["users", "list"]).output
    assert "carla" in listed and "viewer" in listed and "eva" in listed and "admin" in listed
    assert (
        runner.invoke(
            main, ["users", "passwd", "carla", "--password-stdin"], input="a newer password\n"
        ).exit_code
        == 0
    )
    assert runner.invoke(main, ["users", "remove", "carla"]).exit_code == 0
    assert "carla" not in runner.invoke(main, ["users", "list"]).output
    db = connect(tmp_path / "db.sqlite3")
    stored = db.execute("select password_hash from staff where name = 'eva'").fetchone()[0]
    assert "another password" not in stored and stored.startswith(("scrypt:", "pbkdf2:"))


@pytest.mark.skipif(
    chromium_path() is None,
    reason="Chromium is not installed; `make test` installs it where it can",
)
def test_a_staff_member_uses_the_dashboard_in_a_real_browser(app: Flask, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    from outreach.service.conversations import Conversations
    from outreach.web.db import get_db

    with app.app_context():
        conversations = Conversations(get_db(), app.extensions["outreach.content"])
        for n in range(14):
            for step, text in enumerate(["hola", "3", "Huehuetenango" if n < 11 else "Petén"]):
                conversations.handle(
                    f"r{n}", text, channel="sms", message_id=f"m{n}-{step}", rendering="sms"
                )
    shots = ROOT / "tests" / "screenshots"
    shots.mkdir(exist_ok=True)
    with serving(app) as base, sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(
            viewport={"width": 1000, "height": 750}, accept_downloads=True, locale="en-US"
        )
        page = context.new_page()
        page.goto(base + "/dashboard/")
        page.get_by_label("Name").fill("beto")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Overview")).to_be_visible()
        today = datetime.now(UTC).date().isoformat()
        page.get_by_label("From", exact=True).fill("2020-01-01")
        page.get_by_label("To", exact=True).fill(today)
        page.get_by_label("Split by").select_option("department")
        page.get_by_role("button", name="Show").click()
        reach = page.locator("#reach table")
        expect(reach).to_contain_text("Huehuetenango")
        expect(reach).to_contain_text("×")  # Petén's 3 are hidden
        # 14 residents, shown perturbed by their cell key (never by more than USUAL_NOISE).
        keys = CellKeys(TEST_CONFIG["PSEUDONYM_KEY"].encode())
        shown = keys.count(14, keys.cell_key(f"r{n}" for n in range(14)))
        assert abs(shown - 14) <= USUAL_NOISE
        expect(page.locator(".tile").first).to_contain_text(str(shown))
        expect(page.locator(".perturbed")).to_contain_text("perturbed by a small amount")
        expect(page.locator("svg.chart")).to_be_visible()
        page.screenshot(path=str(shots / "dashboard.png"), full_page=True)
        with page.expect_download() as download:
            page.get_by_role("link", name="CSV").click()
        saved = tmp_path / "export.csv"
        download.value.save_as(saved)
        text = saved.read_text(encoding="utf-8-sig")
        assert (
            "Huehuetenango" in text
            and "residents" in text
            and "reach,residents,new,new,Petén,Petén,,yes" in text
        )
        # The spreadsheet, read back with the library: definitions first, then the tables.
        with page.expect_download() as download:
            page.get_by_role("link", name="Spreadsheet (.xlsx)").click()
        download.value.save_as(tmp_path / "export.xlsx")
        book = load_workbook(tmp_path / "export.xlsx")
        assert book.sheetnames[0] == "Definitions"
        reach = next(s for s in book.worksheets if s["A1"].value.startswith("Residents reached"))
        assert "Huehuetenango" in [cell.value for cell in reach[2]]
        # The funnel of the programmes flow, in Spanish.
        page.get_by_role("link", name="Español").click()
        page.get_by_role("link", name="Flujos").click()
        page.get_by_label("Embudo del flujo").select_option("programmes")
        page.get_by_role("button", name="Mostrar").last.click()
        expect(page.get_by_role("heading", name="Flujos", exact=True)).to_be_visible()
        # Its steps by their names, in Spanish (the ids only in the tooltips).
        expect(page.locator("#funnel")).to_contain_text("Preguntar el departamento")
        expect(page.locator("#funnel")).not_to_contain_text("programmes/")
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(shots / "dashboard-phone-es.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, f"the page scrolls sideways on a phone ({width}px)"
        browser.close()


def test_demo_data_fills_a_development_database(tmp_path: Path) -> None:
    runner = CliRunner(env={"OUTREACH_DATABASE": str(tmp_path / "db.sqlite3")})
    result = runner.invoke(main, ["demo-data", "--residents", "60"])
    assert result.exit_code == 0, result.output
    assert "demo / demo-password" in result.output
    db = connect(tmp_path / "db.sqlite3")
    ids = [row[0] for row in db.execute("select distinct resident from events")]
    assert len(ids) >= 50 and all(i.startswith("demo-") for i in ids)
    refused = CliRunner(
        env={"OUTREACH_DATABASE": str(tmp_path / "db.sqlite3"), "OUTREACH_ENV": "production"}
    ).invoke(main, ["demo-data"])
    assert refused.exit_code == 1 and "development databases only" in refused.output

    # Every page and export says the figures are made up.
    app = create_app(TEST_CONFIG | {"DATABASE": str(tmp_path / "db.sqlite3")})
    client = app.test_client()
    assert log_in(client, "demo", "demo-password") == 302
    assert "Synthetic demo data" in client.get("/dashboard/?ui=en").get_data(as_text=True)
    exported = client.get("/dashboard/export.json").get_json()
    assert exported and all(row["synthetic_demo_data"] is True for row in exported)


def test_exports_hold_the_headline_and_the_rates_too(tmp_path: Path) -> None:
    app = create_app(
        TEST_CONFIG | {"DATABASE": str(tmp_path / "db.sqlite3"), "SMS_SEGMENT_PRICE": "0.05"}
    )
    staff.add(connect(app.config["DATABASE"]), "beto", PASSWORD, "viewer", NOW)
    client = app.test_client()
    log_in(client, "beto")
    overview = client.get("/dashboard/export.json").get_json()
    headline = {row["row"]: row for row in overview if row["table"] == "headline"}
    assert {"reached", "erasures", "estimated_cost"} <= set(headline)
    assert headline["estimated_cost"]["unit"] == "USD"
    assert not any(row["synthetic_demo_data"] for row in overview)
    assert "Synthetic demo data" not in client.get("/dashboard/?ui=en").get_data(as_text=True)
    quality = client.get("/dashboard/export.csv?page=quality&ui=en").data.decode("utf-8-sig")
    assert quality.splitlines()[0].startswith("page,from,to,split by,filters,k ")


def test_demo_data_if_empty_leaves_a_used_database_alone(tmp_path: Path) -> None:
    runner = CliRunner(env={"OUTREACH_DATABASE": str(tmp_path / "db.sqlite3")})
    assert runner.invoke(main, ["demo-data", "--residents", "5", "--if-empty"]).exit_code == 0
    # The dashboard was looked at: every past day is closed, the events table emptied.
    from outreach.metrics.rollup import close_days

    db = connect(tmp_path / "db.sqlite3")
    close_days(db, datetime.now(UTC).date() + timedelta(days=1))
    assert db.execute("select count(*) from events").fetchone()[0] == 0
    again = runner.invoke(main, ["demo-data", "--residents", "5", "--if-empty"])
    assert again.exit_code == 0 and again.output == ""


def test_the_interface_speaks_spanish_and_english(client: FlaskClient) -> None:
    log_in(client, "beto")
    spanish = client.get("/dashboard/", headers={"Accept-Language": "es-GT,es;q=0.9"})
    text = spanish.get_data(as_text=True)
    assert '<html lang="es">' in text and "Personas alcanzadas" in text
    english = client.get("/dashboard/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Residents reached" in english.get_data(as_text=True)
    # A choice made on the page outlasts the browser's preference.
    client.get("/dashboard/?ui=es", headers={"Accept-Language": "en"})
    again = client.get("/dashboard/flows", headers={"Accept-Language": "en"})
    assert "Conversaciones iniciadas, por flujo" in again.get_data(as_text=True)


def test_every_interface_string_has_its_spanish() -> None:
    """Extracted from the code and templates as `make ui-messages` does: a string added
    without its translation fails here."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg
    from babel.messages.pofile import read_po

    from outreach.i18n.ui import CATALOGS

    root = ROOT
    # The files `make ui-messages` reads: its own babel.cfg, not a copy of it.
    with (root / "outreach" / "translations" / "babel.cfg").open(encoding="utf-8") as config:
        mapping, _ = parse_mapping_cfg(config)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(
            str(root), method_map=mapping, keywords=keywords
        )
    }
    assert len(found) > 80
    # A table's title, marked where the pages' tables are built (metrics/sections.py).
    assert "Residents reached, new and returning" in found
    with (CATALOGS / "es" / "LC_MESSAGES" / "dashboard.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert sorted(found - translated) == []


def test_a_long_range_gets_monthly_bars_unless_another_period_is_chosen(
    app: Flask, client: FlaskClient
) -> None:
    log_in(client, "beto")

    def bars(address: str) -> int:
        page = client.get(address).get_data(as_text=True)
        chart = page.split('<svg class="chart"', 1)[1].split("</svg>", 1)[0]
        return chart.count("<rect") + chart.count(">×<")

    # What the form sends by default: "auto", 83 months from January 2020.
    assert bars("/dashboard/?since=2020-01-01&until=2026-11-28&period=auto") == 83
    # Ranges are whole months (or one whole week) now: 1-28 November is all of November,
    # whose days fall in six weeks (Monday 26 October to Monday 30 November) and 30 days.
    assert bars("/dashboard/?since=2026-11-01&until=2026-11-28&period=week") == 6
    assert bars("/dashboard/?since=2026-11-01&until=2026-11-28") == 30


def test_a_chart_with_few_bars_shows_its_values_and_scale() -> None:
    from outreach.metrics.charts import bar_chart

    svg = bar_chart([("2026-11-01", 12), ("2026-11-02", None), ("2026-11-03", 30)], "x", "-")
    assert ">30</text>" in svg and ">12</text>" in svg  # values, and 30 tops the scale
    assert svg.count(">×<") == 1
    many = bar_chart([(f"d{n}", 20 + n) for n in range(40)], "x", "-")
    assert ">21</text>" not in many  # too many bars to label each


def test_a_chart_labels_its_bars_only_where_the_values_fit_on_a_phone() -> None:
    """Sixteen bars hold three digits each at a phone's text size, not four: four-digit
    values side by side would run into one another and read as one number."""
    from outreach.metrics.charts import bar_chart

    hundreds = bar_chart([(f"w{n}", 900 + n) for n in range(16)], "x", "-")
    assert ">915</text>" in hundreds and ">900</text>" in hundreds
    thousands = bar_chart([(f"w{n}", 1900 + n) for n in range(16)], "x", "-")
    assert ">1900</text>" not in thousands and ">1915</text>" in thousands  # the scale
    assert ">1900</text>" in bar_chart([(f"m{n}", 1900 + n) for n in range(6)], "x", "-")


def test_hidden_days_too_narrow_for_a_cross_are_marked_one_by_one() -> None:
    from outreach.metrics.charts import bar_chart

    days = bar_chart([(f"2026-11-{n:02d}", None if n % 2 else 40) for n in range(1, 61)],
                     "x", "-")  # fmt: skip
    assert ">×<" not in days  # sixty crosses a few pixels apart would run together
    assert days.count('class="hidden"><title>') == 30
    assert "<title>2026-11-01: ×</title>" in days


def test_content_health_lists_flows_messages_and_directory_entries_due_for_review(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Most shipped content is due for review by 2027-05-28 (US policy sooner): ten days
    # before, all of it shows, the overdue too.
    dashboard_clock(monkeypatch, datetime(2027, 5, 18, 12, tzinfo=UTC))
    log_in(client, "beto")
    page = client.get("/dashboard/quality?ui=en&since=2027-05-01&until=2027-05-18")
    text = page.get_data(as_text=True)
    # Each by its name, its id in the tooltip: a flow,
    assert 'title="main">Main menu</span>: review by 2027-05-28 (in 10 days)' in text
    # a message with a source of its own,
    assert 'title="pathways/h2">Legal pathways › H-2A and H-2B work visas</span>:' in text
    # a directory entry, its name translated as residents read it.
    assert "Temporary Work Abroad (Ministry of Labour)</span>: review by" in text


def test_the_dashboard_and_the_check_agree_on_what_is_due_for_review(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The shipped flow 'main' is due for review by 2027-05-28. On 2027-04-13 (45 days
    # before, between the check's old 30-day window and the dashboard's old 60 days) both
    # must give the same answer, as they must 10 days before (when both list it).
    answers = {}
    for today in (date(2027, 4, 13), date(2027, 5, 18)):
        noon = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
        dashboard_clock(monkeypatch, noon)
        log_in(client, "beto")  # a staff session started 35 days earlier has expired
        page = client.get(f"/dashboard/quality?ui=en&since=2027-04-01&until={today}")
        assert "Content health" in page.get_data(as_text=True)
        text = page.get_data(as_text=True)
        listed = 'title="main">Main menu</span>: review by 2027-05-28' in text
        checked = load([FLOWS], today).problems
        warned = any("flow 'main' is due for review" in str(p) for p in checked)
        answers[today] = (listed, warned)
    assert answers == {date(2027, 4, 13): (False, False), date(2027, 5, 18): (True, True)}


def test_the_audit_log_pages_back_to_the_first_entry(app: Flask, client: FlaskClient) -> None:
    from outreach.web import staff_pages

    db = connect(app.config["DATABASE"])
    for n in range(7):
        staff.record(db, NOW, "ana", "view", f"entry {n}")
    log_in(client, "ana")
    staff_pages.AUDIT_PAGE, saved = 3, staff_pages.AUDIT_PAGE
    try:
        seen: list[str] = []
        address = "/dashboard/staff?ui=en"
        while address:
            page = client.get(address).get_data(as_text=True)
            seen += re.findall(r'<td translate="no">(entry \d)</td>', page)
            older = re.search(r'href="([^"]+)">Older entries', page)
            address = older.group(1).replace("&amp;", "&") if older else ""
        assert seen == [f"entry {n}" for n in range(6, -1, -1)]
    finally:
        staff_pages.AUDIT_PAGE = saved


@pytest.mark.parametrize("name", ["a/b", "..", ".hidden", "ana lópez", "ana\u200b", "x" * 65, ""])
def test_account_names_are_letters_digits_dots_dashes_and_underscores(
    tmp_path: Path, name: str
) -> None:
    runner = CliRunner(env={"OUTREACH_DATABASE": str(tmp_path / "db.sqlite3")})
    refused = runner.invoke(main, ["users", "add", name, "--password-stdin"], input=PASSWORD)
    assert refused.exit_code == 1 and "letters (a-z, A-Z), digits" in refused.output
    fine = runner.invoke(main, ["users", "add", "ana.lopez_2-b", "--password-stdin"],
                         input=PASSWORD)  # fmt: skip
    assert fine.exit_code == 0, fine.output


def test_the_dashboard_refuses_a_bad_name_but_manages_an_old_one(
    app: Flask, client: FlaskClient
) -> None:
    """Accounts named before the rule (here "a/b", as an old database holds it) log in,
    get a new password and are removed from the staff page."""
    db = connect(app.config["DATABASE"])
    with immediate(db):
        db.execute(
            "INSERT INTO staff (name, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
            ["a/b", generate_password_hash(PASSWORD), "viewer", NOW.isoformat()],
        )
    assert log_in(app.test_client(), "a/b") == 302
    log_in(client, "ana")

    def post(path: str, **fields: str) -> str:
        response = client.post(
            path, data={"csrf": token(client, "/dashboard/staff?ui=en"), **fields}
        )
        assert response.status_code == 302, (path, response.status_code)
        return client.get("/dashboard/staff?ui=en").get_data(as_text=True)

    new = "a long new password"
    page = post("/dashboard/staff/add", name="c/d", role="viewer", password=new,
                password_again=new)  # fmt: skip
    assert "Give a name of 1 to 64 letters, digits" in page
    assert "New password set for a/b." in post(
        "/dashboard/staff/a/b/password", password=new, password_again=new
    )
    assert log_in(app.test_client(), "a/b", new) == 302
    assert "Account a/b removed." in post("/dashboard/staff/a/b/remove", confirm="yes")
    assert [n for n, _, _ in staff.listing(db)] == ["ana", "beto"]
