"""The one client of Twilio's REST API for the whole service: calls placed (the missed-call
callback), messages sent (the outbox), and message and call records deleted (the forget
list, outreach.service.forget).

It is the twilio package's own ``Client``, given an HTTP client of ours that adds what the
package lacks: a timeout (the package waits forever by default), a base URL of our choice
(``OUTREACH_TWILIO_API_URL``: a fake Twilio on 127.0.0.1 in tests), and silence (the
package logs each request's URL and headers; ours logs nothing).

Retries, with exponential backoff and jitter, happen only where a second request cannot
make a second call or message. How that is decided:

- Twilio answered 429, or error 20429 (too many requests) or 30001 (queue overflow), or a
  500, 502 or 503: it refused the request, so it did nothing: retried.
- The connection could not be made (refused, name not resolved, TLS handshake, connect
  timeout): nothing reached Twilio: retried.
- A POST that was sent and then got no answer (a read timeout, a connection dropped before
  the answer, a 504 from a gateway that may have passed it on): Twilio may have accepted
  it, and a retry could call or text a resident twice. Not retried; the error says
  ``maybe_accepted=True`` and the caller decides (a duplicate call is worse than a missed
  one: the callback queue drops it).
- Any other answer (4xx: a wrong number, geo permissions, 21610 opted out): final.
- A DELETE is idempotent: every failure above is retried, and 404 (already gone) is done.

Nothing here logs or raises a phone number or a message text: an error carries the HTTP
status and Twilio's code only (Twilio's own messages quote numbers), and no cause chained.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, ProxyError, SSLError

logger = logging.getLogger(__name__)

#: Twilio's real API, where requests go unless OUTREACH_TWILIO_API_URL says otherwise.
TWILIO_API_URL = "https://api.twilio.com"
#: Twilio error codes that mean "refused for now, nothing done": too many requests, and
#: the account's queue overflowing.
RETRY_CODES = frozenset({20429, 30001})
#: HTTP statuses of a refusal that did nothing. Not 504: a gateway timing out may have
#: passed the request on.
RETRY_STATUSES = frozenset({429, 500, 502, 503})
#: The first backoff, doubled at each retry, and its ceiling (seconds).
BACKOFF_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 8.0

T = TypeVar("T")


class TwilioApiError(Exception):
    """A request Twilio did not carry out, or may have: see the module's docstring.

    ``status`` and ``code`` are Twilio's HTTP status and error code (None without an
    answer); ``retryable``: a later attempt may succeed and cannot duplicate anything;
    ``maybe_accepted``: Twilio may have acted on it, so it must not be sent again."""

    def __init__(
        self,
        what: str,
        *,
        status: int | None = None,
        code: int | None = None,
        retryable: bool = False,
        maybe_accepted: bool = False,
    ) -> None:
        super().__init__(what)
        self.status = status
        self.code = code
        self.retryable = retryable
        self.maybe_accepted = maybe_accepted


class _HttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio ships no types
    """The package's HTTP client (requests), sent to ``base_url`` instead of Twilio's
    hosts, and without its logging of URLs (a Message sid is in the URL of a delete)."""

    def __init__(self, base_url: str | None, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.base = urlsplit(base_url) if base_url else None

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        if self.base is not None:
            parts = urlsplit(url)
            path = self.base.path.rstrip("/") + parts.path
            url = urlunsplit((self.base.scheme, self.base.netloc, path, parts.query, ""))
        return super().request(method, url, params, data, headers, auth, timeout, allow_redirects)

    def log_request(self, kwargs: dict[str, Any]) -> None:
        pass

    def log_response(self, status_code: int, response: Any) -> None:
        pass


class TwilioApi:
    """Calls and messages through Twilio's REST API, one instance for the whole service.

    ``sleep`` is the pause between attempts (tests pass their own); ``retries`` is how
    many attempts follow the first at most."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        base_url: str | None = None,
        timeout: float = 10.0,
        retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if timeout <= 0:
            raise ValueError("the timeout must be positive: the client would wait forever")
        self.retries = max(0, retries)
        self.sleep = sleep
        self.client = Client(account_sid, auth_token, http_client=_HttpClient(base_url, timeout))

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TwilioApi:
        """The client of the service's settings (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN,
        TWILIO_API_URL, TWILIO_API_TIMEOUT_SECONDS, TWILIO_API_RETRIES)."""
        url = str(config.get("TWILIO_API_URL") or TWILIO_API_URL).rstrip("/")
        return cls(
            str(config.get("TWILIO_ACCOUNT_SID") or ""),
            str(config.get("TWILIO_AUTH_TOKEN") or ""),
            # Twilio's own hosts stay the package's choice (regions, edges).
            base_url=None if url == TWILIO_API_URL else url,
            timeout=float(config.get("TWILIO_API_TIMEOUT_SECONDS") or 10),
            retries=int(config.get("TWILIO_API_RETRIES", 3)),
        )

    def create_call(
        self, *, to: str, from_: str, url: str, status_callback: str | None = None
    ) -> str:
        """Place a call whose TwiML is fetched from ``url``; its CallSid."""
        extra: dict[str, Any] = {}
        if status_callback:
            extra["status_callback"] = status_callback
        call = self._attempt(
            "POST", lambda: self.client.calls.create(to=to, from_=from_, url=url, **extra)
        )
        return str(call.sid)

    def create_message(
        self,
        *,
        to: str,
        from_: str,
        body: str | None = None,
        content_sid: str | None = None,
        content_variables: Mapping[str, str] | None = None,
        status_callback: str | None = None,
    ) -> str:
        """Send a message: a ``body``, or an approved template (``content_sid`` and its
        ``content_variables``, for WhatsApp outside the 24-hour window); its MessageSid."""
        import json

        extra: dict[str, Any] = {}
        if body is not None:
            extra["body"] = body
        if content_sid:
            extra["content_sid"] = content_sid
        if content_variables is not None:
            extra["content_variables"] = json.dumps(dict(content_variables))
        if status_callback:
            extra["status_callback"] = status_callback
        message = self._attempt(
            "POST", lambda: self.client.messages.create(to=to, from_=from_, **extra)
        )
        return str(message.sid)

    def delete_message(self, sid: str) -> None:
        """Delete a message's record (number and text) at Twilio; one already gone is
        deleted too."""
        try:
            self._attempt("DELETE", lambda: self.client.messages(sid).delete())
        except TwilioApiError as exc:
            if exc.status != 404:
                raise

    def delete_call(self, sid: str) -> None:
        """Delete a call's record (numbers, times) at Twilio; one already gone is deleted
        too. Twilio refuses (20009) while the call is in progress."""
        try:
            self._attempt("DELETE", lambda: self.client.calls(sid).delete())
        except TwilioApiError as exc:
            if exc.status != 404:
                raise

    def _attempt(self, method: str, request: Callable[[], T]) -> T:
        attempt = 0
        while True:
            try:
                return request()
            except TwilioRestException as exc:
                error = _answered(exc, method)
            except requests.RequestException as exc:
                error = _unanswered(exc, method)
            if not error.retryable or attempt >= self.retries:
                logger.warning(
                    "Twilio %s failed after %d attempt(s): status %s, code %s%s",
                    method, attempt + 1, error.status, error.code,
                    " (it may have been accepted)" if error.maybe_accepted else "",
                )  # fmt: skip
                raise error
            self.sleep(backoff(attempt))
            attempt += 1


def backoff(attempt: int, rand: Callable[[], float] = random.random) -> float:
    """The pause before retry ``attempt`` + 1: half of an exponentially growing step,
    plus a random part of the other half, so that clients refused together do not all
    come back at the same instant."""
    step = min(BACKOFF_MAX_SECONDS, BACKOFF_SECONDS * 2**attempt)
    return float(step / 2 + rand() * step / 2)


def _answered(exc: TwilioRestException, method: str) -> TwilioApiError:
    status = int(exc.status)
    code = int(exc.code) if isinstance(exc.code, int) else None
    idempotent = method != "POST"
    refused = status in RETRY_STATUSES or code in RETRY_CODES
    gateway_timeout = status == 504
    # Only the status and code: Twilio's message often quotes the number.
    return TwilioApiError(
        f"Twilio answered {method} with {status} (code {code})",
        status=status,
        code=code,
        retryable=refused or (gateway_timeout and idempotent),
        maybe_accepted=gateway_timeout and not idempotent,
    )


def _unanswered(exc: requests.RequestException, method: str) -> TwilioApiError:
    """A request without an answer: was it sent? (Only the kind of error is kept: its
    text names the URL.)"""
    kind = type(exc).__name__
    if _never_sent(exc) or method != "POST":
        return TwilioApiError(f"Twilio {method}: {kind}", retryable=True)
    return TwilioApiError(f"Twilio {method}: {kind} after sending", maybe_accepted=True)


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached Twilio: no connection was made."""
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.SSLError):
        return True
    if isinstance(exc, requests.ConnectionError) and not isinstance(exc, requests.ReadTimeout):
        reason = exc.args[0] if exc.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        # NewConnectionError (refused, unresolved) is a ConnectTimeoutError in urllib3.
        return isinstance(reason, ConnectTimeoutError | SSLError | ProxyError)
    return False
