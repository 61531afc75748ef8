"""Translations the way translators work: gettext catalogs, read without compiling,
stale ones never served, and languages CLDR does not know."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po
from click.testing import CliRunner
from conftest import FLOWS, NOON, ROOT

from outreach.cli import main
from outreach.engine import Engine, Inbound, Session
from outreach.i18n.messages import all_messages
from outreach.i18n.update import Update, update_catalogs
from outreach.service.content import Content
from outreach.settings import load_settings

PYBABEL = Path(sys.executable).parent / "pybabel"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped flows and catalogs to edit, as the current directory."""
    shutil.copytree(FLOWS, tmp_path / "flows")
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    monkeypatch.chdir(tmp_path)
    for key in [k for k in __import__("os").environ if k.startswith("OUTREACH_")]:
        monkeypatch.delenv(key)
    return tmp_path


def update(site: Path) -> Update:
    """``outreach i18n update`` of the site, as the library does it."""
    languages = [lang.code for lang in content(site).flows.deployment.languages]
    return update_catalogs(site / "flows", site / "locales", languages)


def content(site: Path, min_coverage: int = 90) -> Content:
    settings = load_settings(
        {},
        {
            "FLOWS_DIR": str(site / "flows"),
            "LOCALES_DIR": str(site / "locales"),
            "LANGUAGE_MIN_COVERAGE": min_coverage,
            "CATALOG_CHECK_SECONDS": 0,
        },
    )
    return Content(settings)


def say(engine: Engine, session: Session, text: str) -> tuple[Session, str]:
    sprint = engine.resume(session, Inbound(text), NOON)
    return sprint.session, "\n".join(sprint.messages)


def set_translation(po: Path, context: str, translation: str) -> None:
    """Edit a catalog as a translator's tool would: just the msgstr of one entry."""
    lines = po.read_text(encoding="utf-8").splitlines()
    start = lines.index(f'msgctxt "{context}"')
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("msgstr"))
    following = end + 1
    while following < len(lines) and lines[following].startswith('"'):
        following += 1
    lines[end:following] = [f'msgstr "{translation}"']
    po.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_pybabel_extract_finds_every_flow_message_with_its_context(tmp_path: Path) -> None:
    out = tmp_path / "x.pot"
    subprocess.run(
        [str(PYBABEL), "extract", "-F", "babel.cfg", "-o", str(out), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with out.open("rb") as pot:
        template = read_po(pot)
    extracted = {(m.context, m.id) for m in template if m.id}
    expected = {(m.context, m.text) for m in all_messages([FLOWS])}
    assert extracted == expected
    assert len(expected) > 60
    menu = template.get("¿Sobre qué quiere saber?", context="main/menu")
    assert menu is not None
    assert any("Menu prompt" in c for c in menu.auto_comments)
    menu_line = (FLOWS / "main.yaml").read_text(encoding="utf-8").splitlines().index("  menu:")
    assert menu.locations == [("flows/main.yaml", menu_line + 1)]


def test_same_words_in_two_places_are_two_messages() -> None:
    messages = [m for m in all_messages([FLOWS]) if m.text == "Trata de personas"]
    assert {m.context for m in messages} == {
        "emergencies/menu/option/2",
        "risks/menu/option/5",
        # The flow's name, for staff.
        "flow/trafficking/name",
    }


def test_catalogs_are_looked_at_again_once_the_check_interval_has_passed(site: Path) -> None:
    settings = load_settings(
        {},
        {
            "FLOWS_DIR": str(site / "flows"),
            "LOCALES_DIR": str(site / "locales"),
            "LANGUAGE_MIN_COVERAGE": 0,
            "CATALOG_CHECK_SECONDS": 1,
        },
    )
    clock = [100.0]
    live = Content(settings, monotonic=lambda: clock[0])
    po = site / "locales" / "mam" / "LC_MESSAGES" / "flows.po"
    set_translation(po, "welcome/hello", "TRADUCCION DE PRUEBA MAM")  # a test marker, not Mam

    def welcome() -> str:
        engine = live.engine()
        return engine.resume(engine.new_session("mam"), Inbound("hola"), NOON).messages[0]

    clock[0] = 100.5
    assert welcome().startswith("Hola. Servicio sobre migración")  # within the interval: not yet
    clock[0] = 101.0
    assert welcome().startswith("TRADUCCION DE PRUEBA MAM")


def test_a_new_mam_translation_is_served_at_once_and_stale_ones_never(site: Path) -> None:
    live = content(site, min_coverage=0)
    engine = live.engine()
    session = engine.new_session("mam")
    session, reply = say(engine, session, "hola")
    assert reply.startswith("Hola. Servicio sobre migración")  # nothing translated: Spanish

    po = site / "locales" / "mam" / "LC_MESSAGES" / "flows.po"
    set_translation(po, "welcome/hello", "TRADUCCION DE PRUEBA MAM")  # a test marker, not Mam
    engine = live.engine()  # no compile step, no restart
    sprint = engine.resume(engine.new_session("mam"), Inbound("hola"), NOON)
    assert sprint.messages[0].startswith("TRADUCCION DE PRUEBA MAM")
    # The welcome is "in Mam" now; what follows is still Spanish, and shaped as such.
    assert [lang for _, lang in sprint.outgoing] == ["mam", "es", "es", "es"]

    # The Spanish source changes: the translation turns fuzzy and Spanish is sent again.
    welcome = site / "flows" / "welcome.yaml"
    welcome.write_text(
        welcome.read_text(encoding="utf-8").replace(
            "Servicio sobre migración", "Un servicio sobre migración"
        ),
        encoding="utf-8",
    )
    runner = CliRunner()
    assert runner.invoke(main, ["i18n", "update"]).exit_code == 0
    with po.open("rb") as handle:
        entry = next(m for m in read_po(handle) if m.context == "welcome/hello")
    assert entry.fuzzy and entry.string == "TRADUCCION DE PRUEBA MAM"
    comments = " ".join(entry.auto_comments)  # wrapped over several lines in the file
    assert (
        "REVIEW: the Spanish was: Hola. Servicio sobre migración segura y "
        "programas cerca de usted. CONTENIDO DE EJEMPLO." in comments
    )
    fresh = content(site, min_coverage=0).engine()
    session, reply = say(fresh, fresh.new_session("mam"), "hola")
    assert reply.startswith("Hola. Un servicio sobre migración")

    result = runner.invoke(main, ["check", "--today", "2026-12-03"])
    assert "mam: fuzzy, not served: the Spanish of welcome/hello changed" in result.output
    line = next(row for row in result.output.splitlines() if "mam: fuzzy" in row)
    assert line.startswith("locales/mam/LC_MESSAGES/flows.po:")
    number = int(line.split(":")[1])
    assert po.read_text(encoding="utf-8").splitlines()[number - 1] == 'msgctxt "welcome/hello"'


def test_a_save_landing_while_catalogs_are_read_is_read_at_the_next_check(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A translator saves again just as the service reads the catalogs (a fixed phone
    number, say): the second save must not be taken as read while the first is served."""
    import outreach.i18n as i18n

    live = content(site, min_coverage=0)
    po = site / "locales" / "mam" / "LC_MESSAGES" / "flows.po"
    real_read = i18n.read_catalog
    saves = iter(["SEGUNDA VERSION DE PRUEBA"])

    def read_then_save_lands(code: str, path: Path) -> object:
        loaded = real_read(code, path)
        if code == "mam" and (text := next(saves, None)):
            set_translation(po, "welcome/hello", text)  # a test marker, not Mam
        return loaded

    monkeypatch.setattr(i18n, "read_catalog", read_then_save_lands)
    set_translation(po, "welcome/hello", "PRIMERA VERSION DE PRUEBA")

    def welcome() -> str:
        engine = live.engine()
        return engine.resume(engine.new_session("mam"), Inbound("hola"), NOON).messages[0]

    assert welcome().startswith("PRIMERA VERSION DE PRUEBA")  # read; the second save landed
    assert welcome().startswith("SEGUNDA VERSION DE PRUEBA")


def test_quick_successive_saves_are_each_served(site: Path) -> None:
    """Saves in quick succession, as an editor's autosave makes them: each is served."""
    live = content(site, min_coverage=0)
    po = site / "locales" / "mam" / "LC_MESSAGES" / "flows.po"
    for n in range(8):
        marker = f"VERSION {n} DE PRUEBA" + "!" * (n % 2)  # test markers, not Mam
        set_translation(po, "welcome/hello", marker)
        engine = live.engine()
        served = engine.resume(engine.new_session("mam"), Inbound("hola"), NOON).messages[0]
        assert served.startswith(marker), n


def test_one_catalog_update_never_leaks_into_the_next(site: Path) -> None:
    welcome = site / "flows" / "welcome.yaml"
    welcome.write_text(
        welcome.read_text(encoding="utf-8").replace("Hola.", "Buenas."), encoding="utf-8"
    )
    assert not update(site).failed
    for code in ("quc", "kek", "cak", "mam"):
        po = site / "locales" / code / "LC_MESSAGES" / "flows.po"
        with po.open("rb") as handle:
            assert [m.string for m in read_po(handle) if m.id and m.string] == []


def test_old_spanish_nobody_translated_leaves_the_catalog(site: Path) -> None:
    """An obsolete (#~) entry is kept only for the translation it holds: an empty one is
    old Spanish that nobody translated, and kept it filled the Mayan catalogs with every
    superseded sentence."""
    set_translation(site / "locales" / "mam" / "LC_MESSAGES" / "flows.po", "welcome/hello", "X")
    welcome = site / "flows" / "welcome.yaml"
    welcome.write_text(
        welcome.read_text(encoding="utf-8")
        .replace("Hola. Servicio", "Buenas. Servicio")
        .replace("Este servicio no guarda", "El servicio no guarda"),
        encoding="utf-8",
    )
    assert not update(site).failed
    for code in ("quc", "kek", "cak"):
        with (site / "locales" / code / "LC_MESSAGES" / "flows.po").open("rb") as handle:
            assert list(read_po(handle).obsolete) == []
    with (site / "locales" / "mam" / "LC_MESSAGES" / "flows.po").open("rb") as handle:
        catalog = read_po(handle)
    # The translated welcome came back for review; nothing else of the old Spanish stays.
    hello = next(m for m in catalog if m.context == "welcome/hello")
    assert hello.fuzzy and hello.string == "X"
    assert list(catalog.obsolete) == []


def test_placeholders_must_match_and_broken_catalogs_are_reported(site: Path) -> None:
    en = site / "locales" / "en" / "LC_MESSAGES" / "flows.po"
    set_translation(en, "programmes/kind", "What are you looking for in {departamento}?")
    runner = CliRunner()
    out = runner.invoke(main, ["check", "--today", "2026-12-03"]).output
    assert (
        "en: placeholders differ from the Spanish (missing {department}; added "
        "{departamento}); this translation is not served"
    ) in out
    engine = content(site).engine()
    session = engine.new_session("en")
    session, _ = say(engine, session, "trabajo")
    session, reply = say(engine, session, "Zacapa")
    assert reply.startswith("¿Qué busca en Zacapa?")  # Spanish, not a broken sentence

    kek = site / "locales" / "kek" / "LC_MESSAGES" / "flows.po"
    kek.write_text(kek.read_text(encoding="utf-8") + '\nmsgctxt "x"\nmsgid "y"\n', encoding="utf-8")
    result = runner.invoke(main, ["check", "--today", "2026-12-03"])
    assert result.exit_code == 1
    assert "locales/kek/LC_MESSAGES/flows.po:" in result.output
    assert "invalid catalog: missing msgstr" in result.output


@pytest.mark.skipif(
    shutil.which("msgfmt") is None,
    reason="GNU gettext is not installed here "
    "(.ci/run installs it); Babel's own checks ran in the test above",
)
def test_what_msgfmt_rejects_is_reported_with_its_line(site: Path) -> None:
    kek = site / "locales" / "kek" / "LC_MESSAGES" / "flows.po"
    lines = kek.read_text(encoding="utf-8").count("\n")
    kek.write_text(
        kek.read_text(encoding="utf-8") + 'msgctxt "x"\nmsgid "y"\nmsgstr "z" junk\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", "--today", "2026-12-03"])
    assert result.exit_code == 1
    assert (
        f"locales/kek/LC_MESSAGES/flows.po:{lines + 3}:1: error: msgfmt --check: syntax error"
    ) in result.output


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext is not installed here")
def test_every_shipped_catalog_passes_msgfmt_check() -> None:
    for path in [*ROOT.glob("locales/*/LC_MESSAGES/*.po"), ROOT / "locales" / "flows.pot"]:
        run = subprocess.run(
            ["msgfmt", "--check", "-o", "/dev/null", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stderr


def test_duplicate_definitions_are_rejected_as_msgfmt_would(site: Path) -> None:
    en = site / "locales" / "en" / "LC_MESSAGES" / "flows.po"
    text = en.read_text(encoding="utf-8")
    en.write_text(
        text + '\nmsgctxt "main/menu"\nmsgid "¿Sobre qué quiere saber?"\nmsgstr "Again"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", "--today", "2026-12-03"])
    assert result.exit_code == 1
    assert "duplicate message definition (first at line" in result.output


def test_check_and_the_service_agree_on_an_invalid_catalog(site: Path) -> None:
    """One rule decides what is served (i18n.catalogs.serve): a catalog with a duplicate
    entry serves nothing, so English residents get Spanish, and `outreach check` must
    not call the language offered (it did: it counted the translations anyway)."""
    en = site / "locales" / "en" / "LC_MESSAGES" / "flows.po"
    en.write_text(
        en.read_text(encoding="utf-8")
        + '\nmsgctxt "main/menu"\nmsgid "¿Sobre qué quiere saber?"\nmsgstr "Again"\n',
        encoding="utf-8",
    )
    live = content(site)
    assert "en" not in live.state.offered
    result = CliRunner().invoke(main, ["check", "--today", "2026-12-03"])
    summary = next(
        line
        for line in result.output.splitlines()
        if ": en: " in line and "messages translated" in line
    )
    assert "not offered to residents until the catalog is mended" in summary, summary
    # A catalog that is fine again is offered by both.
    en.write_text(en.read_text(encoding="utf-8").rsplit('\nmsgctxt "main/menu"', 1)[0] + "\n")
    assert "en" in content(site).state.offered
    again = CliRunner().invoke(main, ["check", "--today", "2026-12-03"])
    assert not any(": en: " in line and "messages translated" in line
                   for line in again.output.splitlines())  # 100%: nothing to say  # fmt: skip


def test_kaqchikel_and_mam_work_without_cldr(site: Path) -> None:
    for code in ("cak", "mam"):
        with pytest.raises(UnknownLocaleError):
            Locale.parse(code)
    shutil.rmtree(site / "locales" / "cak")
    result = CliRunner().invoke(main, ["i18n", "init", "cak"])
    assert result.exit_code == 0, result.output
    po = site / "locales" / "cak" / "LC_MESSAGES" / "flows.po"
    text = po.read_text(encoding="utf-8")
    assert '"Language: cak\\n"' in text
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in text
    with po.open("rb") as handle:
        catalog = read_po(handle)
    assert len([m for m in catalog if m.id]) == len(all_messages([site / "flows"]))
    assert all(not m.string for m in catalog if m.id)  # never guessed text
    assert CliRunner().invoke(main, ["i18n", "init", "xx"]).exit_code == 1


def test_languages_below_the_coverage_threshold_are_not_offered(site: Path) -> None:
    state = content(site).state
    assert state.offered == ["es", "en"]
    assert state.coverage["mam"].translated == 0
    assert content(site, min_coverage=0).state.offered == ["es", "en", "quc", "kek", "cak", "mam"]


def test_a_new_resident_chooses_among_offered_languages(site: Path) -> None:
    engine = content(site).engine()
    session, reply = say(engine, engine.new_session(), "x")
    assert reply == "Elija su idioma: / Choose your language:\n1. Español\n2. English"
    session, reply = say(engine, session, "english")
    assert reply.startswith("Hello. A service about safe migration")
    assert session.language == "en" and session.language_chosen
    session, reply = say(engine, session, "riesgos")  # Spanish words always work too
    assert reply.startswith("Risks. Choose a topic:")
    session, reply = say(engine, session, "extortion")  # a translated keyword
    assert reply.startswith("If someone threatens you to get money")


def test_a_first_message_in_english_settles_the_language(site: Path) -> None:
    engine = content(site).engine()
    session, reply = say(engine, engine.new_session(), "hello")
    assert reply.startswith("Hello. A service about safe migration")
    session, reply = say(engine, session, "IDIOMA")  # the Spanish command works for all
    assert reply.startswith("Choose your language:")
    session, reply = say(engine, session, "1")
    assert reply.startswith("Idioma cambiado.")
    session, reply = say(engine, session, "language")  # and the English one
    assert reply.startswith("Elija su idioma:")


def test_a_translated_command_word_never_overrides_an_answer(site: Path) -> None:
    en = site / "locales" / "en" / "LC_MESSAGES" / "flows.po"
    set_translation(en, "command/stop", "stop, stopall, unsubscribe, cancel, end, quit, no")
    set_translation(en, "risks/menu/option/2/keywords", "threat, help")
    result = CliRunner().invoke(main, ["check", "--today", "2026-12-03"])
    assert result.exit_code == 1
    assert (
        "en: 'no' for the 'stop' command is also an answer in the flows; commands win "
        "everywhere, so this word is not used"
    ) in result.output
    assert (
        "en: 'help' for option 2 of risks/menu is the command 'help' (Spanish): residents "
        "typing it would get the command"
    ) in result.output
    engine = content(site).engine()
    session = engine.new_session("es")
    for text in ["hola", "1", "2"]:
        session, _ = say(engine, session, text)
    session, reply = say(engine, session, "no")  # the feedback menu's own "no"
    assert reply.startswith("Gracias por decirnos.")
    assert not session.opted_out


def test_two_quick_saves_within_one_mtime_tick_both_reach_residents(site: Path) -> None:
    """Some file systems keep coarse modification times: a second save may carry the same
    mtime as the first, and an in-place save of the same size keeps size and inode too.
    A stamp that recent is not trusted, so the second text is read."""
    import os

    po = site / "locales" / "mam" / "LC_MESSAGES" / "flows.po"
    set_translation(po, "welcome/hello", "PRIMERA PRUEBA MAM")  # test markers, not Mam
    first = po.stat().st_mtime_ns
    live = content(site, min_coverage=0)
    set_translation(po, "welcome/hello", "SEGUNDA PRUEBA MAM")
    os.utime(po, ns=(first, first))  # the same tick as the first save
    engine = live.engine()
    reply = engine.resume(engine.new_session("mam"), Inbound("hola"), NOON).messages[0]
    assert reply.startswith("SEGUNDA PRUEBA MAM")
