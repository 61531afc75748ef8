"""What the whole app gives every request under /twilio/: no cookie session, TwiML errors."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from twilio_helpers import Phone, messages_of


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/twilio/messages"), ("POST", "/twilio/messages/"), ("POST", "/twilio/other")],
)
def test_wrong_paths_and_methods_under_twilio_still_answer_twiml(
    client: FlaskClient, method: str, path: str
) -> None:
    response = client.open(path, method=method)
    assert response.status_code in (404, 405)
    assert response.mimetype == "application/xml"
    assert messages_of(response) == []


def test_twilio_requests_open_no_session_and_get_no_cookie(app: Flask, client: FlaskClient) -> None:
    from flask import session
    from flask.sessions import NullSession

    with app.test_request_context("/twilio/messages", method="POST"):
        assert isinstance(session._get_current_object(), NullSession)
    with app.test_request_context("/dashboard/login"):
        assert not isinstance(session._get_current_object(), NullSession)
    response = Phone(client).send("hola")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert "Set-Cookie" in client.get("/dashboard/login").headers  # staff pages keep theirs
