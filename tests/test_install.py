"""The install test: what an NGO's server does, from the built wheel to a live service.

The wheel is installed into a fresh virtualenv (no system site-packages, nothing of the
checkout on the path), `outreach init` makes a deployment folder, a staff account is
added through a real pipe, and gunicorn serves from that folder in production mode with
production's settings. Then: the dashboard's login page in Spanish and in English, a
login with the account the command added, a webhook signed by the twilio package's
RequestValidator answered in TwiML, and the simulator refused.

Marked `install` (`pytest -m install` runs it alone); `make test` runs it with the rest.
pip installs the dependencies as this machine's pip is configured (its indexes and
find-links); only the wheel under test comes from the checkout.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from conftest import Distributions
from twilio.request_validator import RequestValidator

pytestmark = pytest.mark.install

PUBLIC_URL = "https://outreach.example.org"
#: A made-up token: the service only checks signatures with it, and nothing calls Twilio.
AUTH_TOKEN = "install-test-auth-token-not-real"
RESIDENT = "whatsapp:+50255550142"
STAFF = ("coordinadora", "una contraseña larga")


@dataclass(frozen=True)
class Service:
    venv: Path
    folder: Path
    port: int
    log: Path

    def request(
        self,
        method: str,
        path: str,
        body: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], str]:
        # http.client, not a cookie jar: production's cookies are Secure, and a jar would
        # not send them back over the test's plain http to 127.0.0.1.
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            connection.close()


def _clean_env(venv: Path) -> dict[str, str]:
    """This process's environment without anything that would point Python or outreach
    at the checkout (pip's own settings stay: they say where packages come from)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OUTREACH_", "PYTHON", "VIRTUAL_ENV", "TWILIO_"))
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def service(
    distributions: Distributions, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    base = tmp_path_factory.mktemp("install")
    venv = base / "venv"
    # No pip inside (ensurepip takes seconds): the test's own pip installs into it, and
    # compiles nothing ahead (half the install's time; Python compiles what it imports).
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--quiet", "--no-compile", f"{distributions.wheel}[prod]"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    env = _clean_env(venv)
    outreach = str(venv / "bin" / "outreach")
    subprocess.run([outreach, "init", "ngo"], cwd=base, env=env, check=True, capture_output=True)
    folder = base / "ngo"
    # The password through a real pipe, as a provisioning script gives it.
    subprocess.run(
        [outreach, "users", "add", STAFF[0], "--role", "admin", "--password-stdin"],
        input=STAFF[1] + "\n",
        text=True,
        cwd=folder,
        env=env,
        check=True,
        capture_output=True,
    )
    # Production as docs/deploy.md sets it: https, two different random secrets.
    env |= {
        "OUTREACH_ENV": "production",
        "OUTREACH_PUBLIC_URL": PUBLIC_URL,
        "OUTREACH_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "OUTREACH_PSEUDONYM_KEY": secrets.token_hex(32),
        "OUTREACH_SECRET_KEY": secrets.token_hex(32),
        "OUTREACH_ALERTS_KEY": secrets.token_hex(32),
    }
    port = _free_port()
    log = base / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(venv / "bin" / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2",
             "outreach:create_app()"],
            cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    running = Service(venv, folder, port, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "gunicorn stopped:\n" + log.read_text()
            try:
                if running.request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer:\n" + log.read_text()
            time.sleep(0.05)
        yield running
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_installed_package_is_the_wheel_not_the_checkout(service: Service) -> None:
    where = subprocess.run(
        [str(service.venv / "bin" / "python"), "-c", "import outreach; print(outreach.__file__)"],
        cwd=service.folder,
        env=_clean_env(service.venv),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(service.venv), where


def test_the_dashboard_login_page_in_spanish_and_in_english(service: Service) -> None:
    status, _, spanish = service.request(
        "GET", "/dashboard/login", headers={"Accept-Language": "es"}
    )
    assert status == 200, service.log.read_text()
    assert "Contraseña" in spanish and "Entrar" in spanish
    status, _, english = service.request(
        "GET", "/dashboard/login", headers={"Accept-Language": "en"}
    )
    assert status == 200
    assert "Password" in english and "Log in" in english and "Contraseña" not in english


def test_staff_added_by_the_command_log_in_to_the_service(service: Service) -> None:
    status, headers, page = service.request("GET", "/dashboard/login")
    assert status == 200
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, page
    form = {"csrf": match.group(1), "name": STAFF[0], "password": STAFF[1]}
    status, headers, _ = service.request(
        "POST",
        "/dashboard/login",
        body=urlencode(form),
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 302, service.log.read_text()
    assert headers["Location"].endswith("/dashboard/")
    assert "Secure" in headers["Set-Cookie"]  # production's session cookie


def test_a_signed_webhook_is_answered_in_twiml(service: Service) -> None:
    params = {
        "MessageSid": "SM" + "4" * 32,
        "AccountSid": "AC" + "0" * 32,
        "From": RESIDENT,
        "To": "whatsapp:+15005550006",
        "Body": "hola",
        "NumMedia": "0",
    }
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        PUBLIC_URL + "/twilio/messages", params
    )
    status, headers, body = service.request(
        "POST", "/twilio/messages", urlencode(params), form | {"X-Twilio-Signature": signature}
    )
    assert status == 200, service.log.read_text()
    assert headers["Content-Type"].startswith("application/xml")
    root = ElementTree.fromstring(body)
    replies = [message.text or "" for message in root.iter("Message")]
    assert root.tag == "Response" and replies
    assert "CONTENIDO DE EJEMPLO" in " ".join(replies)
    # The same request unsigned is refused.
    assert service.request("POST", "/twilio/messages", urlencode(params), form)[0] == 403


def test_the_simulator_is_refused_in_production(service: Service) -> None:
    assert service.request("GET", "/simulator/")[0] == 404
    status, _, body = service.request("GET", "/")
    assert status == 200 and "simulator" not in body
