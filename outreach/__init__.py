"""outreach: community outreach over SMS and WhatsApp, in residents' own languages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["create_app"]


def create_app(test_config: Any = None) -> Flask:
    """Build the Flask app (``gunicorn 'outreach:create_app()'``)."""
    # Imported here so that importing outreach.engine never pulls in Flask.
    from .web.app import create_app as factory

    return factory(test_config)
