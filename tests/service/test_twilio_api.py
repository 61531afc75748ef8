"""The one REST client, against the fake Twilio on 127.0.0.1: retries with backoff where
nothing can be doubled, none where Twilio may have accepted, a timeout, and no number in
what it logs or raises."""

from __future__ import annotations

import logging
import socket

import pytest
from fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

from outreach.service.twilio_api import (
    BACKOFF_MAX_SECONDS,
    BACKOFF_SECONDS,
    TwilioApi,
    TwilioApiError,
    backoff,
)

RESIDENT = "+50255550101"
SERVICE = "+15005550001"
VOICE_URL = "https://outreach.example.org/twilio/voice"


def api(fake: FakeTwilio, pauses: list[float], **kwargs: float) -> TwilioApi:
    return TwilioApi(
        ACCOUNT_SID, AUTH_TOKEN, base_url=fake.url, sleep=pauses.append,
        timeout=kwargs.get("timeout", 5.0), retries=int(kwargs.get("retries", 3)),
    )  # fmt: skip


def place(client: TwilioApi) -> str:
    return client.create_call(
        to=RESIDENT, from_=SERVICE, url=VOICE_URL, status_callback=VOICE_URL + "/status"
    )


def test_a_call_reaches_twilio_with_its_parameters_and_basic_auth(
    fake_twilio: FakeTwilio,
) -> None:
    pauses: list[float] = []
    sid = place(api(fake_twilio, pauses))
    (call,) = fake_twilio.calls
    assert sid == call.sid and sid.startswith("CA")
    assert call.authorized
    assert call.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
    assert call.form["To"] == RESIDENT and call.form["From"] == SERVICE
    assert call.form["Url"] == VOICE_URL
    assert call.form["StatusCallback"] == VOICE_URL + "/status"
    assert pauses == []


def test_from_config_points_the_client_at_the_setting(fake_twilio: FakeTwilio) -> None:
    client = TwilioApi.from_config(fake_twilio.config() | {"TWILIO_API_TIMEOUT_SECONDS": 5})
    sid = client.create_message(to=RESIDENT, from_=SERVICE, body="Hola")
    (message,) = fake_twilio.messages
    assert message.sid == sid and message.form["Body"] == "Hola"


def test_a_template_message_sends_its_content_sid_and_variables(
    fake_twilio: FakeTwilio,
) -> None:
    client = api(fake_twilio, [])
    client.create_message(
        to="whatsapp:" + RESIDENT, from_="whatsapp:" + SERVICE,
        content_sid="HX" + "0" * 32, content_variables={"1": "Chimaltenango"},
    )  # fmt: skip
    (message,) = fake_twilio.messages
    assert message.form["ContentSid"] == "HX" + "0" * 32
    assert message.form["ContentVariables"] == '{"1": "Chimaltenango"}'
    assert "Body" not in message.form


def test_wrong_credentials_are_refused_and_not_retried(fake_twilio: FakeTwilio) -> None:
    pauses: list[float] = []
    client = TwilioApi(ACCOUNT_SID, "not-the-token", base_url=fake_twilio.url, sleep=pauses.append)
    with pytest.raises(TwilioApiError) as caught:
        place(client)
    assert (caught.value.status, caught.value.code) == (401, 20003)
    assert not caught.value.retryable and not caught.value.maybe_accepted
    assert len(fake_twilio.requests) == 1 and not fake_twilio.requests[0].authorized
    assert pauses == []


@pytest.mark.parametrize(("status", "code"), [(429, 20429), (503, 30001), (500, None), (502, None)])
def test_a_refusal_for_now_is_retried_with_growing_pauses(
    fake_twilio: FakeTwilio, status: int, code: int | None
) -> None:
    pauses: list[float] = []
    fake_twilio.fail_next(status, code, n=3)
    sid = place(api(fake_twilio, pauses, retries=3))
    assert len(fake_twilio.requests) == 4
    assert [c.sid for c in fake_twilio.calls] == [sid]
    assert len(pauses) == 3
    for attempt, pause in enumerate(pauses):
        step = min(BACKOFF_MAX_SECONDS, BACKOFF_SECONDS * 2**attempt)
        assert step / 2 <= pause <= step


def test_retries_end_with_a_retryable_error(fake_twilio: FakeTwilio) -> None:
    pauses: list[float] = []
    fake_twilio.fail_next(429, 20429, n=5)
    with pytest.raises(TwilioApiError) as caught:
        place(api(fake_twilio, pauses, retries=2))
    assert caught.value.retryable and not caught.value.maybe_accepted
    assert (caught.value.status, caught.value.code) == (429, 20429)
    assert len(fake_twilio.requests) == 3 and len(pauses) == 2
    assert fake_twilio.calls == []


def test_a_final_error_is_not_retried(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next(400, 21215)  # geo permissions: not allowed to call that country
    pauses: list[float] = []
    with pytest.raises(TwilioApiError) as caught:
        place(api(fake_twilio, pauses))
    assert caught.value.code == 21215 and not caught.value.retryable
    assert len(fake_twilio.requests) == 1 and pauses == []


def test_a_post_left_unanswered_may_have_been_accepted_and_is_not_retried(
    fake_twilio: FakeTwilio,
) -> None:
    """The fake records the call, then answers too late: the timeout ends the wait, and
    a retry would place a second call."""
    fake_twilio.delay(1.0)
    pauses: list[float] = []
    with pytest.raises(TwilioApiError) as caught:
        place(api(fake_twilio, pauses, timeout=0.2))
    assert caught.value.maybe_accepted and not caught.value.retryable
    assert caught.value.status is None
    assert len(fake_twilio.requests) == 1 and pauses == []


def test_a_connection_dropped_after_a_post_may_have_been_accepted(
    fake_twilio: FakeTwilio,
) -> None:
    fake_twilio.drop_next()
    pauses: list[float] = []
    with pytest.raises(TwilioApiError) as caught:
        place(api(fake_twilio, pauses))
    assert caught.value.maybe_accepted and not caught.value.retryable
    assert len(fake_twilio.requests) == 1 and pauses == []


def test_a_gateway_timeout_after_a_post_may_have_been_accepted(
    fake_twilio: FakeTwilio,
) -> None:
    fake_twilio.fail_next(504)
    with pytest.raises(TwilioApiError) as caught:
        place(api(fake_twilio, []))
    assert caught.value.maybe_accepted and len(fake_twilio.requests) == 1


def test_a_refused_connection_never_reached_twilio_and_is_retried() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pauses: list[float] = []
    client = TwilioApi(
        ACCOUNT_SID, AUTH_TOKEN, base_url=f"http://127.0.0.1:{port}", sleep=pauses.append,
        retries=2,
    )  # fmt: skip
    with pytest.raises(TwilioApiError) as caught:
        place(client)
    assert caught.value.retryable and not caught.value.maybe_accepted
    assert len(pauses) == 2


def test_a_delete_is_retried_even_when_unanswered_and_404_is_done(
    fake_twilio: FakeTwilio,
) -> None:
    pauses: list[float] = []
    client = api(fake_twilio, pauses)
    fake_twilio.drop_next()
    client.delete_message("SM" + "1" * 32)
    assert [r.method for r in fake_twilio.requests] == ["DELETE", "DELETE"]
    assert fake_twilio.requests[-1].status == 204 and len(pauses) == 1
    fake_twilio.fail_next(404, 20404)
    client.delete_message("SM" + "2" * 32)  # already gone: nothing to do


def test_no_number_or_text_in_logs_or_errors(
    fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_twilio.fail_next(400, 21211)  # Twilio's message would quote the number
    client = api(fake_twilio, [])
    with pytest.raises(TwilioApiError) as caught:
        client.create_message(to=RESIDENT, from_=SERVICE, body="mi secreto")
    client.create_message(to=RESIDENT, from_=SERVICE, body="mi secreto")
    said = caplog.text + str(caught.value) + repr(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert caplog.records, "the failure is logged"
    for secret in ("55550101", "mi secreto", "5005550001"):
        assert secret not in said


def test_backoff_grows_to_its_ceiling_and_jitters() -> None:
    assert backoff(0, lambda: 0.0) == BACKOFF_SECONDS / 2
    assert backoff(0, lambda: 1.0) == BACKOFF_SECONDS
    assert backoff(2, lambda: 0.0) == BACKOFF_SECONDS * 2
    assert backoff(20, lambda: 1.0) == BACKOFF_MAX_SECONDS


def test_a_timeout_is_required() -> None:
    with pytest.raises(ValueError):
        TwilioApi(ACCOUNT_SID, AUTH_TOKEN, timeout=0)
