"""A voice turn's cost beside a message turn's, in the same run (issue #17, section 4).

Both go the whole way a request goes inside the service: the signature check, the keyed
ids, the engine's turn through Conversations.handle on a real SQLite database, and the
TwiML written by the twilio package. A voice step does more on top: it reads the turn's
messages as spoken phrases, finds each phrase's recording (or the Spanish text to say)
and writes a <Gather>. The message turn, measured on the same app in the same run, is the
baseline; the ratio is what the voice line costs per turn beyond it.

Requests are signed before the clock starts (signing is Twilio's work, not ours) and sent
through Flask's test client, in process, so the figures leave out gunicorn and the
network, which are the same for both.

    .venv/bin/python bench/voice_turn.py          # the figures
    .venv/bin/python bench/voice_turn.py --tiny   # a quick run (tests)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from outreach import create_app

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-auth-token-not-a-real-one"
PUBLIC_URL = "https://outreach.example.org"
SERVICE = "+15005550001"

#: What a resident texts: a walk through the menus with a wrong answer and commands.
TEXTS = ["hola", "1", "1", "2", "xyz", "menu", "2", "1", "3", "ayuda", "menú", "3", "1"]
#: What a caller presses: menus, a wrong key, repeat (*) and the main menu (0).
KEYS = ["1", "1", "2", "8", "*", "0", "2", "1", "0", "3", "1", "0", "1"]


def post(client: FlaskClient, path: str, params: dict[str, str]) -> tuple[float, str]:
    """Seconds the service took to answer one signed request, and the answer."""
    validator = RequestValidator(TOKEN)
    headers = {"X-Twilio-Signature": validator.compute_signature(PUBLIC_URL + path, params)}
    data = urlencode(params)
    start = time.perf_counter()
    response = client.post(
        path, data=data, headers=headers, content_type="application/x-www-form-urlencoded"
    )
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    return elapsed, response.get_data(as_text=True)


def message_turns(client: FlaskClient, residents: int) -> list[float]:
    samples = []
    for r in range(residents):
        number = f"+5025555{r:04d}"  # fictional: the 5555 block
        for m, text in enumerate(TEXTS):
            params = {
                "MessageSid": f"SM{r:016d}{m:016d}",
                "AccountSid": "AC" + "0" * 32,
                "From": number,
                "To": SERVICE,
                "Body": text,
            }
            samples.append(post(client, "/twilio/messages", params)[0])
    return samples


def next_action(twiml: str) -> str | None:
    """The path and query the call's next key goes to (None when it hangs up)."""
    gather = ET.fromstring(twiml).find("Gather")
    if gather is None:
        return None
    parts = urlsplit(gather.get("action", ""))
    return parts.path + ("?" + parts.query if parts.query else "")


def voice_turns(client: FlaskClient, callers: int) -> list[float]:
    samples = []
    for c in range(callers):
        number = f"+5025556{c:04d}"
        params = {
            "CallSid": f"CA{c:032d}",
            "AccountSid": "AC" + "0" * 32,
            "From": number,
            "To": SERVICE,
            "CallStatus": "in-progress",
            "Direction": "inbound",
        }
        elapsed, twiml = post(client, "/twilio/voice", params)
        samples.append(elapsed)
        for key in KEYS:
            action = next_action(twiml)
            if action is None:
                break
            elapsed, twiml = post(client, action, params | {"Digits": key})
            samples.append(elapsed)
    return samples


def summary(name: str, samples: list[float]) -> float:
    median = statistics.median(samples) * 1e3
    p95 = statistics.quantiles(samples, n=20)[-1] * 1e3
    print(f"{name:<16} {len(samples):6d} turns   median {median:6.2f} ms   p95 {p95:6.2f} ms")
    return median


def bench_app(folder: str) -> Flask:
    """The service on the shipped content, with its database in ``folder``."""
    return create_app(
        {
            "FLOWS_DIR": str(ROOT / "flows"),
            "LOCALES_DIR": str(ROOT / "locales"),
            "INSTANCE_DIR": folder,
            "DATABASE": str(Path(folder) / "bench.sqlite3"),
            "PSEUDONYM_KEY": "a-bench-pseudonym-key-of-32-bytes-or-more",
            "TWILIO_AUTH_TOKEN": TOKEN,
            "PUBLIC_URL": PUBLIC_URL,
            "SECRET_KEY": "a-bench-session-secret-of-32-bytes-or-more",
        }
    )


def measure(rounds: int) -> tuple[float, float]:
    kinds: list[tuple[str, Callable[[FlaskClient, int], list[float]]]] = [
        ("message turn", message_turns),
        ("voice turn", voice_turns),
    ]
    with tempfile.TemporaryDirectory() as folder:
        client = bench_app(folder).test_client()
        for _, run in kinds:  # warm up both: catalogs, matchers, the database
            run(client, 2)
        results = {name: run(client, rounds) for name, run in kinds}
    message = summary("message turn", results["message turn"])
    voice = summary("voice turn", results["voice turn"])
    return message, voice


def main() -> None:
    rounds = 3 if "--tiny" in sys.argv else 150
    message, voice = measure(rounds)
    print(f"ratio voice / message (medians): {voice / message:.2f}")


if __name__ == "__main__":
    main()
