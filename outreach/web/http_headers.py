"""Headers every response carries, so a page cannot be framed, sniffed or cached.

The policy allows scripts and styles from our own static files only: no inline script,
no inline style (the dashboard draws its bars with SVG attributes instead), nothing
from elsewhere. Staff pages and exports are never stored by a browser or a proxy: a
shared computer in an NGO office must not show the last viewer's figures to the next.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.wrappers import Response

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # For browsers that predate frame-ancestors.
    "X-Frame-Options": "DENY",
}

#: Blueprints whose every response is for staff eyes only.
STAFF_BLUEPRINTS = frozenset({"auth", "dashboard", "staff_pages"})


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    # By path too: a wrong address under /dashboard/ matched no blueprint, and its
    # error page still shows who is logged in.
    if request.blueprint in STAFF_BLUEPRINTS or request.path.startswith("/dashboard/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
