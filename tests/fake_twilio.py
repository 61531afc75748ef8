"""A fake Twilio REST API: a real HTTP server on 127.0.0.1, in a thread, that the
service's one client (outreach/service/twilio_api.py) is pointed at with
OUTREACH_TWILIO_API_URL. The only thing the tests mock is this network edge.

It answers, with Twilio-shaped JSON, ``POST .../Calls.json``, ``POST .../Messages.json``,
``DELETE .../Messages/{sid}.json`` and ``DELETE .../Calls/{sid}.json``, checks HTTP Basic
auth (the account sid and auth token below), and records every request it received, in
order, in ``.requests``.
``fail_next(status, code, n)`` answers the next n requests with a Twilio error,
``drop_next(n)`` closes the connection of the next n without an answer (after reading
them: Twilio may have acted), and ``delay(seconds)`` waits before each answer.

Use it as the pytest fixture ``fake_twilio`` (registered in tests/conftest.py).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

ACCOUNT_SID = "AC" + "f" * 32
AUTH_TOKEN = "test-auth-token-not-a-real-one"

_CALLS = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Calls\.json$")
_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")
_MESSAGE = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages/(\w+)\.json$")
_CALL = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Calls/(\w+)\.json$")


@dataclass
class Received:
    """One request as the fake received it, and how it answered (None: dropped)."""

    method: str
    path: str
    form: dict[str, str]
    authorized: bool
    status: int | None = None
    sid: str | None = None
    #: When it arrived (time.monotonic, one clock for every process of the machine): the
    #: alert bench measures the sender's pace as Twilio would see it.
    at: float = field(default_factory=time.monotonic)


@dataclass
class FakeTwilio:
    url: str = ""
    requests: list[Received] = field(default_factory=list)
    _failures: list[tuple[int, int | None]] = field(default_factory=list)
    _drops: int = 0
    _delay: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _sids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def fail_next(self, status: int, code: int | None = None, n: int = 1) -> None:
        """Answer the next ``n`` requests with HTTP ``status`` and Twilio error ``code``."""
        with self._lock:
            self._failures += [(status, code)] * n

    def drop_next(self, n: int = 1) -> None:
        """Read the next ``n`` requests, then close their connections unanswered."""
        with self._lock:
            self._drops += n

    def delay(self, seconds: float) -> None:
        """Wait this long before answering each request (0: at once)."""
        self._delay = seconds

    @property
    def calls(self) -> list[Received]:
        """The calls it accepted (201), in order."""
        return [r for r in self.requests if r.path.endswith("/Calls.json") and r.status == 201]

    @property
    def messages(self) -> list[Received]:
        """The messages it accepted (201), in order."""
        return [r for r in self.requests if r.path.endswith("/Messages.json") and r.status == 201]

    @property
    def deleted(self) -> list[str]:
        """The sids of the message and call records it deleted (204), in order."""
        return [
            r.path.rsplit("/", 1)[-1].removesuffix(".json")
            for r in self.requests
            if r.method == "DELETE" and r.status == 204
        ]

    def config(self) -> dict[str, Any]:
        """The service's settings that point its client here."""
        return {
            "TWILIO_API_URL": self.url,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        }

    def env(self) -> dict[str, str]:
        """The same as environment variables, for a subprocess."""
        return {f"OUTREACH_{k}": str(v) for k, v in self.config().items()}

    # What the handler asks, under the lock.
    def _next_outcome(self) -> tuple[str, int | None, int | None]:
        """("drop", ...), ("fail", status, code) or ("ok", None, serial number)."""
        with self._lock:
            if self._drops:
                self._drops -= 1
                return ("drop", None, None)
            if self._failures:
                status, code = self._failures.pop(0)
                return ("fail", status, code)
            return ("ok", None, next(self._sids))


def _handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes: without this, Nagle's algorithm
            # holds the body until the client's delayed ACK (40 ms), and every request
            # took 40 ms that Twilio does not add (the alert bench measured the fake).
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the test output is not the place for request lines

        def do_POST(self) -> None:
            self._serve()

        def do_DELETE(self) -> None:
            self._serve()

        def _authorized(self) -> bool:
            expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
            return self.headers.get("Authorization", "") == f"Basic {expected}"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            received = Received(self.command, self.path, form, self._authorized())
            with fake._lock:
                fake.requests.append(received)
            if fake._delay:
                time.sleep(fake._delay)
            if not received.authorized:
                return self._error(received, 401, 20003, "Authenticate")
            outcome, status, value = fake._next_outcome()
            if outcome == "drop":
                self.close_connection = True
                return
            if outcome == "fail":
                assert status is not None
                return self._error(received, status, value, "")
            self._answer(received, value or 0)

        def _answer(self, received: Received, number: int) -> None:
            account = ACCOUNT_SID
            if self.command == "DELETE" and (_MESSAGE.match(self.path) or _CALL.match(self.path)):
                received.status = 204
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.command == "POST" and _CALLS.match(self.path):
                sid = f"CA{number:032x}"
                body = {
                    "sid": sid, "account_sid": account, "to": received.form.get("To"),
                    "from": received.form.get("From"), "status": "queued",
                    "direction": "outbound-api", "api_version": "2010-04-01",
                    "uri": f"/2010-04-01/Accounts/{account}/Calls/{sid}.json",
                }  # fmt: skip
            elif self.command == "POST" and _MESSAGES.match(self.path):
                sid = f"SM{number:032x}"
                body = {
                    "sid": sid, "account_sid": account, "to": received.form.get("To"),
                    "from": received.form.get("From"), "body": received.form.get("Body"),
                    "status": "queued", "direction": "outbound-api", "num_segments": "1",
                    "api_version": "2010-04-01",
                    "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
                }  # fmt: skip
            else:
                return self._error(received, 404, 20404, "The requested resource was not found")
            received.sid = sid
            self._json(received, 201, body)

        def _error(self, received: Received, status: int, code: int | None, text: str) -> None:
            self._json(
                received,
                status,
                {"code": code, "message": text or f"fake error {code}", "status": status,
                 "more_info": f"https://www.twilio.com/docs/errors/{code}"},
            )  # fmt: skip

        def _json(self, received: Received, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            received.status = status
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                # The client left (timed out, or was killed): Twilio would have acted all
                # the same, so the request keeps its status.
                self.close_connection = True

    return Handler


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
