"""The dashboard's error pages, in the interface's language: a wrong address, a bad
filter, a missing role, a wrong method or a fault is said to staff in Spanish or
English, on a page of the dashboard, never as Werkzeug's bare English "Bad Request".

Only paths under /dashboard get them: every other path keeps the handler the app had
before (Twilio's webhooks answer TwiML even for an error, see web/sessions.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, g, render_template, request
from werkzeug.exceptions import HTTPException

from outreach.i18n import ui
from outreach.i18n.ui import gettext

log = logging.getLogger(__name__)

#: Where the dashboard lives (its blueprints' url_prefix).
DASHBOARD_PREFIX = "/dashboard"


def N_(word: str) -> str:
    """Marks a word for translation where it is a value, translated when shown."""
    return word


#: Each error's title, and what it means when the view said nothing more.
ERRORS = {
    400: (N_("This request is not valid"),
          N_("Something in the address or the form is not valid.")),
    403: (N_("Not allowed"), N_("Your account cannot open this page: ask an admin.")),
    404: (N_("Page not found"), N_("There is no such page of the dashboard.")),
    405: (N_("Not allowed here"), N_("This page cannot be used this way.")),
    413: (N_("Too large"), N_("What was sent is too large.")),
    500: (N_("Something went wrong"),
          N_("The dashboard could not show this page. It is in the service's log; try "
             "again, or tell whoever runs the service.")),
}  # fmt: skip
#: Any other error: the same words as a fault's.
OTHER = ERRORS[500]

Handler = Callable[[HTTPException], Any]


def error_page(error: HTTPException) -> tuple[str, int, list[tuple[str, str]]]:
    """The error as a page of the dashboard, in the staff member's language."""
    if "ui_language" not in g:
        # A wrong address or method never reached a view (nor its before_request).
        ui.choose_language()
    code = error.code or 500
    title, default = ERRORS.get(code, OTHER)
    # A view's own description is already translated (abort(400, gettext(...)));
    # Werkzeug's generic one is English, and is replaced.
    said = error.description
    generic = said is None or said == type(error).description or code >= 500
    headers = [(name, value) for name, value in error.get_headers() if name != "Content-Type"]
    try:
        page = render_template(
            "dashboard/error.html",
            code=code,
            title=gettext(title),
            description=gettext(default) if generic else said,
        )
    except Exception:
        # The page itself failed (the template, the database behind a context
        # processor): the words still go out, translated, as plain text.
        log.exception("the error page could not be rendered")
        text = gettext(title) + "\n"
        return text, code, [*headers, ("Content-Type", "text/plain; charset=utf-8")]
    return page, code, headers


def init_app(app: Flask) -> None:
    """After every other error handler of the app: the dashboard's paths get a page,
    the others whatever handled them before."""
    earlier: Handler | None = app.error_handler_spec[None][None].get(HTTPException)

    def http_error(error: HTTPException) -> Any:
        path = request.path
        if path == DASHBOARD_PREFIX or path.startswith(DASHBOARD_PREFIX + "/"):
            return error_page(error)
        return earlier(error) if earlier is not None else error

    app.register_error_handler(HTTPException, http_error)
