"""The staff dashboard's metrics pages and their exports: thin views over
:mod:`outreach.metrics` (metrics.report.page_sections decides what a page shows). The
login is web/auth.py's; accounts and the audit log are web/staff_pages.py's.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, g, render_template, request
from markupsafe import Markup

from outreach import staff
from outreach.i18n.ui import current_language, gettext
from outreach.metrics import charts, report
from outreach.metrics.cellkey import USUAL_NOISE, CellKeys
from outreach.metrics.names import Names
from outreach.metrics.periods import MAX_BARS, PERIODS, bounded
from outreach.metrics.queries import ALL, FILTERS, SPLITS, Query
from outreach.metrics.rollup import close_days
from outreach.service import utc_now

from . import auth, exports
from .auth import login_required
from .db import get_db

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


def N_(word: str) -> str:
    """Marks a word for translation where it is a value, translated when shown."""
    return word


#: Words the pages show from data: dimensions, periods, roles, audit actions.
SHOWN_WORDS = (
    N_("language"), N_("channel"), N_("department"), N_("day"), N_("week"), N_("month"),
    N_("viewer"), N_("admin"), N_("login"), N_("login_failed"), N_("login_throttled"),
    N_("view"), N_("export"), N_("staff_added"), N_("staff_removed"), N_("password_changed"),
    N_("unlocked"),
)  # fmt: skip
auth.protect(bp)


@bp.app_context_processor
def template_helpers() -> dict[str, Any]:
    return {
        "share": charts.share,
        "in_language": in_language,
        # A row, column or filter value by its name (outreach.metrics.names): dimension
        # is what the value is (a table's rows_by, the split, the filter).
        "shown_name": lambda value, dimension="": exports.shown_name(
            value, dimension, display_names()
        ),
        "is_word": lambda value, dimension="": exports.is_word(value, dimension, display_names()),
        # Which content residents are getting: the files, or the last good copy of them.
        "content_served": current_app.extensions["outreach.content"].served,
        # Every page a staff member sees (the staff page and new pages too) says so
        # when the figures are made up.
        "demo_data": getattr(g, "staff", None) is not None and _demo_data(get_db()),
    }


def display_names() -> Names:
    """Names from the content and the interface, in the page's language: one per
    request (the catalogs may change between requests)."""
    if "display_names" not in g:
        content = current_app.extensions["outreach.content"]
        g.display_names = Names(
            content.flows, current_language(), content.state.translations, gettext
        )
    names: Names = g.display_names
    return names


def in_language(code: str) -> str:
    """This very page, with its filters, in another interface language."""
    args = request.args.to_dict() | {"ui": code}
    return f"{request.path}?{urlencode(args)}"


def _query() -> tuple[Query, str, int]:
    """The page's date range, split and filters, from the address, so a view can be
    bookmarked and shared; and the period of its time series."""
    today = utc_now().date()
    try:
        until = date.fromisoformat(request.args.get("until") or today.isoformat())
        given = request.args.get("since")
        since = date.fromisoformat(given) if given else None
    except ValueError:
        abort(400, gettext("Dates are written YYYY-MM-DD."))
    if not all(FIRST_DATE <= day <= LAST_DATE for day in (until, since or until)):
        abort(400, gettext("Choose dates from %(first)s to %(last)s.",
                           first=FIRST_DATE.isoformat(), last=LAST_DATE.isoformat()))  # fmt: skip
    since = since or max(FIRST_DATE, until - timedelta(days=29))
    if until < since:
        abort(400, gettext("The range ends before it starts."))
    split = request.args.get("split", ALL)
    if split != ALL and split not in SPLITS:
        abort(400, gettext("There is no such split: choose one from the list."))
    filters = tuple(
        (name, value) for name in FILTERS if (value := request.args.get(name, "")) not in ("", ALL)
    )
    chosen = request.args.get("period", AUTO)
    period = report.auto_period(since, until) if chosen in ("", AUTO) else chosen
    if period not in PERIODS:
        abort(400, gettext("Unknown period."))
    # Whole periods, and never more bars than MAX_BARS: a long range gets weeks or months.
    fitted = bounded(since, until, period)
    if fitted is None:
        abort(400, gettext("A range is at most %(n)s months.", n=MAX_BARS))
    since, until, period = fitted
    if split in PERIODS:
        # A table split by a period has a column per period: bounded the same way.
        split = bounded(since, until, split)[2]  # type: ignore[index]
    try:
        query = Query(since, until, split, filters)
    except ValueError:
        abort(400)  # the error page says it in the interface's language
    return query, period, int(current_app.config["METRICS_K"])


#: The dates a range may start and end on: nothing was counted before, and far-off dates
#: only make the arithmetic of calendars fail.
FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2099, 12, 31)


#: The period of the bars chosen from the range's length (see report.auto_period).
AUTO = "auto"


def _fresh_db() -> Any:
    """The database with every finished day rolled up (quick when none is left)."""
    db = get_db()
    close_days(db, utc_now().date())
    return db


def cell_keys() -> CellKeys:
    """The deployment's record keys, derived from the pseudonym key: one per app, so that
    each resident's key is computed once per worker."""
    extensions = current_app.extensions
    if "outreach.cell_keys" not in extensions:
        extensions["outreach.cell_keys"] = CellKeys(extensions["outreach.pseudonym_key"])
    keys: CellKeys = extensions["outreach.cell_keys"]
    return keys


def _page_sections(page: str, db: Any, query: Query, period: str, k: int) -> report.Page:
    """What one page shows, as metrics.report.page_sections decides it; every figure is
    perturbed by the deployment's cell keys (see outreach.metrics.cellkey)."""
    content = current_app.extensions["outreach.content"]
    try:
        return report.page_sections(
            page, db, query, period, k, cell_keys(), content.flows, request.args.get("flow")
        )
    except report.UnknownFlow:
        abort(400, gettext("Unknown flow."))
    except report.UnknownPage:
        abort(404)


@bp.get("/", defaults={"page": "overview"})
@bp.get("/<any(flows, topics, quality, voice):page>")
@login_required()
def index(page: str) -> Any:
    query, period, k = _query()
    db = _fresh_db()
    shown = _page_sections(page, db, query, period, k)
    staff.record(db, utc_now(), g.staff.name, "view", f"{page} {_describe(query)}")
    chart = earlier = ""
    if page == "overview":
        over_time = next(s for s in shown.sections if s.id == "reach_over_time")
        chart = charts.bar_chart(
            report.series(over_time.table, query.since, query.until, period),
            gettext("Residents reached over time"),
            gettext("Nothing in this range."),
        )
        if kept := report.earlier_trend(db, query):
            earlier = charts.bar_chart(
                kept, gettext("Before the retention window"), gettext("Nothing in this range.")
            )
    price = current_app.config["SMS_SEGMENT_PRICE"]
    per_minute = _voice_price()
    return render_template(
        f"dashboard/{page}.html",
        page=page,
        query=query,
        period=period,
        k=k,
        filters=dict(query.filters),
        splits=SPLITS,
        periods=PERIODS,
        choices=report.filter_values(current_app.extensions["outreach.content"].flows),
        chart=Markup(chart),  # built from numbers and escaped labels only
        earlier=Markup(earlier),
        price=float(price) if price else None,
        currency=current_app.config["SMS_PRICE_CURRENCY"],
        voice_price=per_minute,
        voice_currency=current_app.config["VOICE_PRICE_CURRENCY"],
        args=_args(query, period),
        demo_data=_demo_data(db),
        perturbed=gettext(report.PERTURBED, n=USUAL_NOISE),
        health=content_health() if page == "quality" else None,
        **shown.context(),
    )


def _voice_price() -> float | None:
    """What a minute of a call costs (OUTREACH_VOICE_PRICE_PER_MINUTE), if set."""
    price = current_app.config["VOICE_PRICE_PER_MINUTE"]
    return float(price) if price else None


def _args(query: Query, period: str) -> dict[str, str]:
    """The query as address parameters, for links (exports, other pages)."""
    # The period as chosen: "auto" stays auto on the next page, whatever its range.
    chosen = request.args.get("period") or AUTO
    args = {"since": query.since.isoformat(), "until": query.until.isoformat(),
            "split": query.split, "period": chosen if chosen == AUTO else period}  # fmt: skip
    args.update(dict(query.filters))
    if request.args.get("flow"):
        args["flow"] = request.args["flow"]
    return args


def _describe(query: Query) -> str:
    filters = " ".join(f"{name}={value}" for name, value in query.filters)
    return f"{query.since}..{query.until} split={query.split} {filters}".strip()


def content_health() -> dict[str, Any]:
    """For the NGO's editors: reviews due, and how much of each language is translated."""
    content = current_app.extensions["outreach.content"]
    today = utc_now().date()
    # Every dated piece: flows, messages with a source of their own, directory entries;
    # each by its name (its id in the tooltip).
    names = display_names()
    dated = [
        (names.flow(flow.id), flow.id, flow.provenance) for flow in content.flows.flows.values()
    ]
    dated += [
        (names.step(f"{flow.id}/{node.id}", with_flow=True), f"{flow.id}/{node.id}",
         node.provenance)
        for flow in content.flows.flows.values()
        for node in flow.nodes.values()
        if getattr(node, "provenance", None) is not None
    ]  # fmt: skip
    dated += [
        (names.programme(programme.id), f"{directory.id}/{programme.id}", programme.provenance)
        for directory in content.flows.directories.values()
        for programme in directory.programmes
    ]
    reviews = []
    for name, thing, provenance in dated:
        days = (provenance.review_by - today).days
        # The same window as `outreach check`'s warning: one answer to "due for review".
        if days <= content.review_notice_days:
            reviews.append((name, thing, provenance.review_by.isoformat(), days))
    coverage = [
        (lang.name, content.state.coverage[lang.code].percent,
         lang.code in content.state.offered)
        for lang in content.flows.deployment.languages
    ]  # fmt: skip
    return {
        "reviews": sorted(reviews, key=lambda r: r[3]),
        "notice_days": content.review_notice_days,
        "coverage": coverage,
    }


@bp.get("/export.<fmt>")
@login_required()
def export(fmt: str) -> Response:
    """Exactly the figures of a page, suppressed as they are on screen: ready to share.
    JSON for machines; a spreadsheet (.xlsx) and a CSV for people, in the interface's
    language (see outreach.web.exports)."""
    if fmt not in ("csv", "json", "xlsx"):
        abort(404)
    page = request.args.get("page", "overview")
    if page not in report.PAGES:
        abort(404)
    query, period, k = _query()
    db = _fresh_db()
    shown = _page_sections(page, db, query, period, k)
    staff.record(db, utc_now(), g.staff.name, "export", f"{fmt} {page} {_describe(query)}")
    price = current_app.config["SMS_SEGMENT_PRICE"]
    figures = report.page_figures(
        shown, float(price) if price else None, current_app.config["SMS_PRICE_CURRENCY"],
        _voice_price(), current_app.config["VOICE_PRICE_CURRENCY"],
    )  # fmt: skip
    demo = _demo_data(db)
    perturbed = gettext(report.PERTURBED, n=USUAL_NOISE)
    rows = report.with_note(
        figures, perturbed, page=page,
        since=query.since.isoformat(), until=query.until.isoformat(), split=query.split,
        filters=_describe_filters(query), k=k, synthetic_demo_data=demo,
    )  # fmt: skip
    name = f"outreach-{page}-{query.since}-{query.until}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "json":
        return Response(json.dumps(rows, ensure_ascii=False, indent=2),
                        mimetype="application/json", headers=headers)  # fmt: skip
    # Nothing a donor opens in a spreadsheet runs as a formula (see outreach.spreadsheet).
    if fmt == "csv":
        named = exports.with_names(rows, report.row_dimensions(shown),
                                   report.column_dimensions(shown, query.split),
                                   display_names())  # fmt: skip
        return Response(exports.csv_bytes(named), mimetype="text/csv", headers=headers)
    about = [
        (gettext("Page"), _page_title(page)),
        (gettext("From"), query.since.isoformat()),
        (gettext("To"), query.until.isoformat()),
        (gettext("Split by"), gettext(query.split) if query.split != ALL else gettext("nothing")),
        (gettext("Filters"), _describe_filters(query) or gettext("none")),
        (gettext("Hidden figures (%(hidden)s)", hidden=exports.HIDDEN),
         gettext("hidden: a count under %(k)s residents, or one that would let such a count "
                 "be worked out from the totals.", k=k)),
        (gettext("Perturbation"), perturbed),
    ]  # fmt: skip
    if demo:
        about.insert(0, (gettext("Synthetic demo data"), gettext(DEMO_WARNING)))
    names = display_names()
    # A menu's choices are titled with the menu's name.
    titles = {s.id: gettext(s.title) + (f": {names.step(s.subject)}" if s.subject else "")
              for s in shown.sections}  # fmt: skip
    notes = {s.id: gettext(s.note) for s in shown.sections if s.note}
    return Response(exports.xlsx_bytes(rows, titles, notes, report.row_dimensions(shown),
                                       report.column_dimensions(shown, query.split),
                                       display_names(), about),
                    mimetype=exports.XLSX_MIMETYPE, headers=headers)  # fmt: skip


#: The warning every page and spreadsheet of demo data carries.
DEMO_WARNING = N_(
    "Synthetic demo data (outreach demo-data): these figures count made-up residents, not "
    "real people. Do not share them as results."
)


def _page_title(page: str) -> str:
    titles = {
        "overview": N_("Overview"),
        "flows": N_("Flows"),
        "topics": N_("Topics and referrals"),
        "quality": N_("Quality and content"),
        "voice": N_("Voice line"),
    }
    return gettext(titles[page])


def _demo_data(db: Any) -> bool:
    """Whether the database holds `outreach demo-data`'s synthetic residents (ids
    "demo-..."), so that no page or export passes them off as real."""
    found = db.execute(
        "SELECT 1 FROM residents WHERE id >= 'demo-' AND id < 'demo.' LIMIT 1"
    ).fetchone()
    return found is not None


def _describe_filters(query: Query) -> str:
    return " ".join(f"{name}={value}" for name, value in query.filters)
