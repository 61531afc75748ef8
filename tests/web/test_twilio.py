"""The Twilio webhook: signed requests only, each message exactly once, TwiML always."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import AUTH_TOKEN, PUBLIC_URL, TEST_CONFIG
from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from twilio_helpers import OTHER_RESIDENT, RESIDENT, Phone, messages_of, post_signed, signature

from outreach import create_app
from outreach.settings import SettingError
from outreach.web.signature import verify_signature


def rows(app: Flask, table: str) -> list[dict[str, object]]:
    conn = sqlite3.connect(app.config["DATABASE"])
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(f"select * from {table}")]
    finally:
        conn.close()


@pytest.fixture
def phone(client: FlaskClient) -> Phone:
    return Phone(client)


def test_twilios_published_vector() -> None:
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert (
        RequestValidator("12345").compute_signature(url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    )


def test_our_url_rebuilding_passes_the_published_vector(tmp_path: Path) -> None:
    app = create_app(
        TEST_CONFIG
        | {
            "DATABASE": str(tmp_path / "db.sqlite3"),
            "TWILIO_AUTH_TOKEN": "12345",
            "PUBLIC_URL": "https://mycompany.com",
        }
    )
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    # Flask sees the internal address behind the proxy; the public one is configured.
    with app.test_request_context(
        "/myapp.php?foo=1&bar=2",
        method="POST",
        base_url="http://10.0.0.5:8000",
        data=params,
        headers={"X-Twilio-Signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8="},
    ):
        verify_signature()  # does not abort


def test_an_sms_gets_a_twiml_answer(phone: Phone) -> None:
    replies = phone.says("hola")
    assert len(replies) >= 1
    text = "\n".join(replies)
    assert "¿Sobre qué quiere saber?" in text  # é and ¿ are GSM-7 and stay
    assert "migracion segura" in text  # shaped for SMS: ó is not GSM-7
    assert "á" not in text and "ó" not in text


def test_whatsapp_keeps_the_text_as_written(client: FlaskClient) -> None:
    whatsapp = Phone(client, whatsapp=True)
    text = "\n".join(whatsapp.says("hola"))
    assert "¿Sobre qué quiere saber?" in text


@pytest.mark.parametrize(
    "tamper",
    ["missing", "body", "scheme", "token", "extra-param"],
)
def test_unsigned_or_tampered_requests_get_403_and_store_nothing(
    app: Flask, client: FlaskClient, tamper: str
) -> None:
    phone = Phone(client)
    params = phone.params("hola")
    headers = {"X-Twilio-Signature": signature("/twilio/messages", params)}
    if tamper == "missing":
        headers = {}
    elif tamper == "body":
        params["Body"] = "borrar"
    elif tamper == "scheme":
        headers["X-Twilio-Signature"] = signature(
            "/twilio/messages", params, base=PUBLIC_URL.replace("https", "http")
        )
    elif tamper == "token":
        headers["X-Twilio-Signature"] = signature("/twilio/messages", params, token="guess")
    else:
        params["Injected"] = "1"
    response = client.post(
        "/twilio/messages",
        data=urlencode(params),
        headers=headers,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 403
    assert response.mimetype == "application/xml"
    assert messages_of(response) == []
    assert rows(app, "residents") == [] and rows(app, "events") == []


def test_behind_a_proxy_the_configured_public_url_is_what_counts(client: FlaskClient) -> None:
    phone = Phone(client)
    params = phone.params("hola")
    headers = {
        "X-Twilio-Signature": signature("/twilio/messages?rc=2", params),
        "X-Forwarded-Proto": "http",
        "Host": "internal-host:8000",
    }
    response = client.post(
        "/twilio/messages?rc=2",
        data=urlencode(params),
        headers=headers,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert messages_of(response)


def test_a_signature_over_the_url_with_its_default_port_is_accepted(client: FlaskClient) -> None:
    """Twilio has signed some URLs with the scheme's default port written out: the URL as
    configured is tried first, then RequestValidator.validate's two variants."""
    params = Phone(client).params("hola")

    def send(base: str) -> int:
        return client.post(
            "/twilio/messages",
            data=urlencode(params),
            headers={"X-Twilio-Signature": signature("/twilio/messages", params, base=base)},
            content_type="application/x-www-form-urlencoded",
        ).status_code

    assert send(PUBLIC_URL + ":443") == 200  # https://outreach.example.org:443
    assert send(PUBLIC_URL + ":8443") == 403  # another port is another URL
    assert send(PUBLIC_URL.replace("https:", "http:")) == 403  # and so is another scheme


def test_raw_query_string_is_signed_as_sent(client: FlaskClient) -> None:
    phone = Phone(client)
    params = phone.params("hola")
    path = "/twilio/messages?note=it%27s"
    response = client.post(
        path,
        data=urlencode(params),
        headers={"X-Twilio-Signature": signature(path, params)},
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200


def test_hmac_sha256_signatures_with_a_shared_key(tmp_path: Path) -> None:
    app = create_app(
        TEST_CONFIG
        | {"DATABASE": str(tmp_path / "db.sqlite3"), "TWILIO_WEBHOOK_SECRET": "shared-key-secret"}
    )
    client = app.test_client()
    params = Phone(client).params("hola")
    settings = "key=webhooks_sharedkey_test,algorithm=HMAC_SHA256"

    def send(secret: str) -> int:
        sig = signature("/twilio/messages", params, token=secret, algorithm="HMAC_SHA256")
        return client.post(
            "/twilio/messages",
            data=urlencode(params),
            headers={"X-Twilio-Signature": sig, "X-Twilio-Webhooks-Signature-Settings": settings},
            content_type="application/x-www-form-urlencoded",
        ).status_code

    assert send("wrong-secret") == 403
    assert send(AUTH_TOKEN) == 403  # signed with the auth token: not what the header says
    assert send("shared-key-secret") == 200


def test_a_retried_message_gets_the_same_answer_and_changes_nothing(
    app: Flask, phone: Phone
) -> None:
    params = phone.params("hola")
    first = post_signed(phone.client, "/twilio/messages", params)
    events = len(rows(app, "events"))
    second = post_signed(phone.client, "/twilio/messages", params)
    assert messages_of(second) == messages_of(first)
    assert len(rows(app, "events")) == events
    assert len(rows(app, "processed_messages")) == 1
    # The next real message continues from the first one's state, not from a second step.
    assert "Riesgos" in "\n".join(phone.says("1"))


@pytest.mark.parametrize(
    ("stop", "start"),
    [("STOP", "START"), ("baja", "alta"), ("Cancelar", "Iniciar"), ("unsubscribe", "unstop")],
)
def test_stop_then_silence_until_start(phone: Phone, stop: str, start: str) -> None:
    phone.says("hola")
    confirmation = phone.says(stop)
    assert confirmation and "No le enviaremos mensajes" in confirmation[0]
    assert phone.says("hola") == []
    assert phone.says("ayuda") == []
    assert "Le damos la bienvenida de nuevo" in "\n".join(phone.says(start))


@pytest.mark.parametrize("word", ["HELP", "info", "AYUDA"])
def test_help_words(phone: Phone, word: str) -> None:
    phone.says("hola")
    assert "Responda con el numero de una opcion" in "\n".join(phone.says(word))


def test_delete_my_data_removes_every_row(app: Flask, client: FlaskClient) -> None:
    phone, other = Phone(client), Phone(client, OTHER_RESIDENT)
    phone.says("hola")
    phone.says("3")
    phone.says("Huehuetenango")
    other.says("hola")
    before = len(rows(app, "events"))
    assert "Borramos todos sus datos" in "\n".join(phone.says("BORRAR"))
    residents = rows(app, "residents")
    assert len(residents) == 1  # only the other resident
    assert all(r["resident"] == residents[0]["id"] for r in rows(app, "events"))
    processed = [r["resident"] for r in rows(app, "processed_messages")]
    # The other resident's messages, and the erasure's own id linked to no one.
    assert processed.count(None) == 1
    assert all(r in (residents[0]["id"], None) for r in processed)
    assert 0 < len(rows(app, "events")) < before


def test_status_callbacks_keep_the_furthest_status(app: Flask, client: FlaskClient) -> None:
    def callback(status: str, error: str = "") -> int:
        params = {
            "MessageSid": "SM" + "1" * 32,
            "MessageStatus": status,
            "To": RESIDENT,
            "From": "+15005550001",
            "AccountSid": "AC" + "0" * 32,
        }
        if error:
            params["ErrorCode"] = error
        return post_signed(client, "/twilio/status", params).status_code

    assert callback("sent") == 200
    assert callback("delivered") == 200
    assert callback("sending") == 200  # late and out of order
    assert [r["status"] for r in rows(app, "outbound_messages")] == ["delivered"]


def test_error_21610_marks_the_resident_opted_out(app: Flask, phone: Phone) -> None:
    phone.says("hola")
    params = {
        "MessageSid": "SM" + "2" * 32,
        "MessageStatus": "failed",
        "ErrorCode": "21610",
        "To": RESIDENT,
        "From": "+15005550001",
    }
    assert post_signed(phone.client, "/twilio/status", params).status_code == 200
    assert rows(app, "residents")[0]["opted_out"] == 1
    assert phone.says("hola") == []


@pytest.mark.parametrize(
    "params",
    [
        {"Body": "hola", "MessageSid": "SM1"},  # no From
        {"From": "not a number", "Body": "hola", "MessageSid": "SM2"},
        {"From": RESIDENT, "Body": "hola"},  # no MessageSid
    ],
)
def test_requests_without_a_sender_get_an_empty_response(
    client: FlaskClient, params: dict[str, str]
) -> None:
    response = post_signed(client, "/twilio/messages", params)
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert messages_of(response) == []


@pytest.mark.parametrize(
    "body",
    [
        "",
        "x" * 1600,
        "hola\x00\x01\x1b",
        "🙂🙂🙂",
        "<script>alert(1)</script>",
        "'; DROP TABLE residents; --",
        "%ZZ",
        "\u202e\u200b",
        "١٢٣",
    ],
)
def test_strange_messages_get_a_helpful_twiml_answer(phone: Phone, body: str) -> None:
    phone.says("hola")
    replies = phone.says(body)
    assert replies, "a strange message still gets an answer"
    assert all(len(r) <= 1600 for r in replies)


def test_invalid_percent_encoding_is_not_a_500(client: FlaskClient) -> None:
    raw = "From=%2B50255550100&MessageSid=SM9&Body=%ZZ%E0%A4"
    params = {"From": RESIDENT, "MessageSid": "SM9", "Body": "%ZZ\ufffd"}
    response = client.post(
        "/twilio/messages",
        data=raw,
        headers={"X-Twilio-Signature": signature("/twilio/messages", params)},
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in (200, 403)
    assert response.mimetype == "application/xml"


def test_a_one_megabyte_post_is_refused_with_413(client: FlaskClient) -> None:
    response = client.post(
        "/twilio/messages", data={"Body": "x" * 1_000_000}, headers={"X-Twilio-Signature": "x"}
    )
    assert response.status_code == 413
    assert response.mimetype == "application/xml"


def test_no_number_and_no_message_text_is_stored_or_logged(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    phone, whatsapp = Phone(client), Phone(client, OTHER_RESIDENT, whatsapp=True)
    secret_words = ["mi vecino secreto", "zanahoria morada", "Rafael Ejemplo"]
    for text in ["hola", secret_words[0], "3", "Huehuetenango", secret_words[1], "1"]:
        phone.says(text)
    for text in ["hello", secret_words[2], "menu"]:
        whatsapp.says(text)
    database = Path(app.config["DATABASE"])
    stored = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    for number in (RESIDENT, OTHER_RESIDENT):
        digits = number.lstrip("+")
        for form in (
            number,
            digits,
            digits[3:],
            f"{digits[3:7]} {digits[7:]}",
            f"{digits[3:7]}-{digits[7:]}",
            f"whatsapp:{number}",
        ):
            assert form.encode() not in stored, form
            assert form not in caplog.text, form
    for text in secret_words:
        assert text.encode() not in stored and text.lower().encode() not in stored
        assert text not in caplog.text
    assert b"Huehuetenango" in stored  # a field the resident chose to give is kept


def test_production_refuses_to_start_without_its_secrets(tmp_path: Path) -> None:
    base = {
        "ENV": "production",
        "DATABASE": str(tmp_path / "db.sqlite3"),
        "FLOWS_DIR": TEST_CONFIG["FLOWS_DIR"],
        "LOCALES_DIR": TEST_CONFIG["LOCALES_DIR"],
        "SECRET_KEY": "s" * 32,
        "ALERTS_KEY": "a" * 32,
    }
    with pytest.raises(SettingError) as refused:
        create_app(
            base
            | {"TWILIO_AUTH_TOKEN": "", "PSEUDONYM_KEY": "", "PUBLIC_URL": "", "SECRET_KEY": "",
               "ALERTS_KEY": ""}
        )  # fmt: skip
    message = str(refused.value)
    assert "TWILIO_AUTH_TOKEN" in message and "OUTREACH_PSEUDONYM_KEY" in message
    assert "OUTREACH_PUBLIC_URL" in message and "OUTREACH_SECRET_KEY" in message
    assert "OUTREACH_ALERTS_KEY" in message
    with pytest.raises(ValueError, match="at least 32 bytes"):
        create_app(
            base | {"TWILIO_AUTH_TOKEN": "t", "PSEUDONYM_KEY": "short", "PUBLIC_URL": PUBLIC_URL}
        )
    assert create_app(
        base | {"TWILIO_AUTH_TOKEN": "t", "PUBLIC_URL": PUBLIC_URL, "PSEUDONYM_KEY": "k" * 32}
    )


def test_erased_residents_leave_no_trace_in_the_files(app: Flask, client: FlaskClient) -> None:
    phone = Phone(client)
    phone.says("hola")
    phone.says("3")
    phone.says("Totonicapán")
    resident = rows(app, "residents")[0]["id"]
    phone.says("BORRAR")
    # A delivery status for the confirmation arrives after the erasure.
    params = {
        "MessageSid": "SM" + "3" * 32,
        "MessageStatus": "delivered",
        "To": RESIDENT,
        "From": "+15005550001",
    }
    assert post_signed(client, "/twilio/status", params).status_code == 200
    assert rows(app, "residents") == [] and rows(app, "events") == []
    assert all(r["resident"] is None for r in rows(app, "outbound_messages"))
    database = Path(app.config["DATABASE"])
    stored = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    assert resident.encode() not in stored
    assert "Totonicapán".encode() not in stored


def test_a_strange_error_code_is_not_a_500(client: FlaskClient) -> None:
    params = {
        "MessageSid": "SM" + "4" * 32,
        "MessageStatus": "failed",
        "ErrorCode": "²",
        "To": RESIDENT,
    }
    response = post_signed(client, "/twilio/status", params)
    assert response.status_code == 200 and response.mimetype == "application/xml"


@pytest.mark.parametrize(
    "bodies",
    [
        [],
        ["Hola"],
        ["", "¿Sobre qué quiere saber?\n1. Riesgos\n2. Vías legales"],
        ["a & b < c > d \"e\" 'f'", "tab\there\r\nand CR", "👨\u200d👩\u200d👧 ñ", "\ud83d lone"],
        ["x" * 1600, "]]> <![CDATA[ &amp; &#38;"],
    ],
)
@pytest.mark.parametrize(
    "public_url", ["https://example.org", 'https://h.example/a?b=1&c="2"\t<3>\r\n']
)
def test_twiml_is_what_the_twilio_package_writes(
    tmp_path: Path, bodies: list[str], public_url: str
) -> None:
    from twilio.twiml.messaging_response import MessagingResponse

    from outreach.web.twilio import twiml

    app = create_app(
        TEST_CONFIG | {"DATABASE": str(tmp_path / "db.sqlite3"), "PUBLIC_URL": public_url}
    )
    expected = MessagingResponse()
    for body in bodies:
        expected.message(body, action=public_url + "/twilio/status")
    with app.test_request_context("/twilio/messages", method="POST"):
        response = twiml(bodies)
    assert response.get_data(as_text=True) == str(expected)
    assert response.mimetype == "application/xml"


def test_every_value_of_a_repeated_parameter_is_signed(app: Flask, client: FlaskClient) -> None:
    """Twilio signs each value of a parameter sent more than once (media URLs): all of
    them must be checked, and a changed or added one refused."""
    from werkzeug.datastructures import MultiDict

    params = Phone(client).params("hola")
    pairs = [*params.items(), ("MediaUrl0", "https://a.example/1"), ("Extra", "x"), ("Extra", "y")]
    signed = RequestValidator(AUTH_TOKEN).compute_signature(
        PUBLIC_URL + "/twilio/messages", MultiDict(pairs)
    )

    def post(fields: list[tuple[str, str]]) -> int:
        return client.post(
            "/twilio/messages",
            data=urlencode(fields),
            headers={"X-Twilio-Signature": signed},
            content_type="application/x-www-form-urlencoded",
        ).status_code

    assert post([*pairs[:-1], ("Extra", "z")]) == 403
    assert post([*pairs, ("Extra", "z")]) == 403
    assert rows(app, "residents") == []
    assert post(pairs) == 200
