"""Every setting of the service: one table, each with its default and its help.

A setting ``NAME`` is read from the environment variable ``OUTREACH_NAME``. A test fails
when a setting has no help or is missing from ``docs/settings.md``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

ENV_PREFIX = "OUTREACH_"
#: The checkout's folder, where the shipped flows/ and locales/ are (in a checkout).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: Settings that name folders, resolved against the current directory or the checkout.
FOLDER_SETTINGS = ("FLOWS_DIR", "LOCALES_DIR", "INSTANCE_DIR")


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "ENV",
        "development",
        "development or production. In production `outreach serve` (Flask's development "
        "server) refuses to run: use gunicorn 'outreach:create_app()'.",
    ),
    Setting(
        "FLOWS_DIR",
        "flows",
        "Folder of the content files (flows, deployment, lists): relative to the current "
        "directory, or else to the checkout. The service refuses to start if they have errors.",
    ),
    Setting(
        "LOCALES_DIR",
        "locales",
        "Folder of the gettext catalogs (locales/<lang>/LC_MESSAGES/flows.po): relative to the "
        "current directory, or else to the checkout. Edited catalogs are read again without "
        "a restart (see CATALOG_CHECK_SECONDS).",
    ),
    Setting(
        "CATALOG_CHECK_SECONDS",
        1,
        "How often, at most, each worker looks for edited catalogs (a stat of each file) "
        "before answering a message. 0: before every message.",
    ),
    Setting(
        "LANGUAGE_MIN_COVERAGE",
        90,
        "Percent of messages a language's catalog must translate before residents are "
        "offered that language; untranslated messages are sent in Spanish.",
    ),
    Setting(
        "INSTANCE_DIR",
        "instance",
        "Folder of the service's own files, which never go into git: the database (unless "
        "DATABASE names one) and, in development, the generated keys. Relative to the "
        "current directory, or else to the checkout.",
    ),
    Setting(
        "DATABASE",
        "",
        "Path of the SQLite database, relative to INSTANCE_DIR. Empty: outreach.sqlite3 in "
        "INSTANCE_DIR. The service and every command use the same one.",
    ),
    Setting(
        "PROXY_HOPS",
        0,
        "How many reverse proxies (nginx, a load balancer) stand in front of the service. "
        "With 1 or more, the client's address and scheme are read from the X-Forwarded-For "
        "and X-Forwarded-Proto headers they add: the dashboard throttles failed logins per "
        "address, and behind a proxy every client would otherwise share the proxy's.",
    ),
    Setting(
        "PUBLIC_URL",
        "",
        "The address Twilio calls, e.g. https://outreach.example.org, used to check "
        "webhook signatures behind proxies and tunnels. Required in production, and https "
        "there; in development the request's own address is used.",
    ),
    Setting(
        "TWILIO_AUTH_TOKEN",
        "",
        "The Twilio account's Auth Token, which signs webhooks (TWILIO_AUTH_TOKEN is read "
        "too). Required in production; without it every webhook is refused with 403.",
    ),
    Setting(
        "TWILIO_WEBHOOK_SECRET",
        "",
        "The SharedKey secret for webhooks Twilio signs with HMAC-SHA256 "
        "(X-Twilio-Webhooks-Signature-Settings), if the account uses them.",
    ),
    Setting(
        "TWILIO_ACCOUNT_SID",
        "",
        "The Twilio account's SID (AC...), for the calls and messages the service places "
        "through Twilio's REST API (TWILIO_ACCOUNT_SID is read too).",
    ),
    Setting(
        "TWILIO_API_URL",
        "https://api.twilio.com",
        "Where the service's one REST client sends its requests: Twilio's API, or a fake "
        "Twilio on 127.0.0.1 in tests.",
    ),
    Setting(
        "TWILIO_API_TIMEOUT_SECONDS",
        10,
        "Seconds the REST client waits for Twilio to connect and to answer (Twilio's own "
        "client waits forever).",
    ),
    Setting(
        "TWILIO_API_RETRIES",
        3,
        "Retries, with growing pauses, of a REST request Twilio refused for now (429, "
        "20429, 30001, 5xx) or that never reached it; never of one Twilio may have "
        "accepted.",
    ),
    Setting(
        "TWILIO_API_CONNECTIONS",
        1,
        "Messages the outbox's sender has on their way to Twilio at once. One at a time "
        "sends at most 1/latency a second (Twilio answering in 100 ms: 10/s): for a faster "
        "sender set about rate x latency, e.g. 10 for 80 WhatsApp messages/s. Each one in "
        "flight when the worker is killed is counted unknown, never sent again.",
    ),
    Setting(
        "TWILIO_FORGET",
        "keep",
        "What Twilio keeps of each message and call, and what the welcome text says it "
        "keeps: keep (Twilio's logs keep numbers and texts), redaction (set only once "
        "Twilio's Message Redaction is on for the account, texts discarded and numbers "
        "obfuscated), or delete (the worker deletes each message and call record at "
        "Twilio once its final status is known). See docs/deploy.md section 5.",
    ),
    Setting(
        "TWILIO_FORGET_AFTER_HOURS",
        24,
        "With TWILIO_FORGET=delete: hours after which a record whose final status never "
        "came (a lost status callback, a WhatsApp message delivered and never read) is "
        "deleted at Twilio all the same.",
    ),
    Setting(
        "CALLBACK_NUMBER",
        "",
        "The Twilio number residents call and hang up on to be called back free (its Voice "
        "webhook: POST /twilio/voice/missed), in E.164; the call back comes from it. It may "
        "be the voice line's own number. Empty: missed calls are rejected, never called back.",
    ),
    Setting(
        "CALLBACK_COUNTRY_CODES",
        "+502",
        "Comma-separated country codes the service calls back (toll fraud calls back to "
        "expensive destinations); a call from anywhere else is not called back.",
    ),
    Setting(
        "CALLBACK_PER_CALLER_DAY",
        3,
        "Call backs per caller per day (UTC), counted by a keyed pseudonym, never the number.",
    ),
    Setting(
        "CALLBACK_PER_HOUR",
        30,
        "Call backs queued per clock hour (UTC), all callers together.",
    ),
    Setting(
        "CALLBACK_PER_DAY",
        200,
        "The daily budget: call backs queued per day (UTC), all callers together.",
    ),
    Setting(
        "CALLBACK_EXPIRE_MINUTES",
        10,
        "A call back still waiting after this many minutes (the worker was down) is "
        "dropped: the caller no longer expects it.",
    ),
    Setting(
        "PSEUDONYM_KEY",
        "",
        "Secret (32+ bytes) for the keyed pseudonyms that replace phone numbers. Required "
        "in production; in development one is generated once into instance/. Changing it "
        "deliberately unlinks all earlier records.",
    ),
    Setting(
        "SECRET_KEY",
        "",
        "Secret that signs staff login sessions (32+ random bytes). Required in production; "
        "in development one is generated once into instance/.",
    ),
    Setting(
        "STAFF_SESSION_HOURS",
        12,
        "Hours a dashboard login lasts at most, however active; then the staff member logs "
        "in again. Logging out, a new password or removing the account ends it at once.",
    ),
    Setting(
        "STAFF_IDLE_MINUTES",
        30,
        "Minutes without a dashboard request after which a staff login ends (an unattended "
        "browser, a copied cookie).",
    ),
    Setting(
        "SIMULATOR",
        "auto",
        "The web simulator at /simulator/: on, off, or auto (on in development, off in "
        "production, where anyone could otherwise use it to run up the database).",
    ),
    Setting(
        "RETENTION_DAYS",
        90,
        "Days interaction-level rows are kept; `outreach purge` folds older ones into "
        "suppressed daily aggregates and deletes them, and forgets residents silent that long "
        "(keeping only a STOP).",
    ),
    Setting(
        "METRICS_K",
        10,
        "Published metrics hide any count under this many residents (never below 5), and "
        "any other count that would give a hidden one away.",
    ),
    Setting(
        "SMS_SEGMENT_PRICE",
        "",
        "What one outbound SMS segment costs you, e.g. 0.0450 (see your Twilio console's "
        "pricing for your country); the dashboard multiplies segments sent by it. Empty: "
        "segments are shown without a cost.",
    ),
    Setting(
        "SMS_PRICE_CURRENCY",
        "USD",
        "The ISO 4217 currency of OUTREACH_SMS_SEGMENT_PRICE, e.g. USD or GTQ.",
    ),
    # Opt-in alerts (docs/alerts.md).
    Setting(
        "ALERTS_KEY",
        "",
        "Secret (32+ bytes) under which the addresses of alert subscribers are encrypted "
        "(AES-GCM), the only addresses the service keeps. Required in production, and not "
        "the pseudonym or secret key; in development one is generated once into instance/. "
        "Changing it makes every stored address unreadable: subscribers must subscribe again.",
    ),
    Setting(
        "SMS_RATE",
        1,
        "SMS segments per second the SMS sender may send (a long code: about 1). Alerts go "
        "out at this pace; the alert preview says how long an alert will take.",
    ),
    Setting(
        "WHATSAPP_RATE",
        80,
        "WhatsApp messages per second the WhatsApp sender may send (Meta's default: about "
        "80). Alerts go out at this pace; the alert preview says how long an alert will take.",
    ),
    Setting(
        "SMS_FROM",
        "",
        "The Twilio number (E.164) or short code alerts and reminders are sent from by "
        "SMS. Empty: none go by SMS (they are withheld, counted as canceled).",
    ),
    Setting(
        "WHATSAPP_FROM",
        "",
        "The WhatsApp sender alerts and reminders go from, e.g. whatsapp:+50255550100. "
        "Empty: none go by WhatsApp (they are withheld, counted as canceled).",
    ),
    Setting(
        "ALERTS_QUIET_HOURS",
        "21:00-07:00",
        "Local hours (TIME_ZONE) in which no alert or reminder is sent, e.g. "
        "21:00-07:00 (across midnight); what is due then waits for the morning. Empty: none. "
        "Replies are never held.",
    ),
    Setting(
        "TIME_ZONE",
        "America/Guatemala",
        "The deployment's IANA time zone: of ALERTS_QUIET_HOURS, and the one the "
        "dashboard shows every time in, with its zone (times are stored in UTC).",
    ),
    Setting(
        "ALERTS_PER_WEEK",
        2,
        "Alerts and reminders a resident gets in any seven days at most; one more is not "
        "sent (counted as canceled, weekly_limit), not delayed.",
    ),
    Setting(
        "SESSION_TIMEOUT_HOURS",
        72,
        "Hours without a message after which a conversation starts again at the main menu.",
    ),
    Setting(
        "MAX_STEPS_PER_TURN",
        100,
        "Loop guard: the most nodes one message may walk through before the turn is "
        "stopped with a run_failed event.",
    ),
    Setting(
        "VOICE_MIN_COVERAGE",
        90,
        "Percent of messages (and of the call's own phrases) a language must have current "
        "recordings of before calls offer it, whatever its written catalog covers. Spanish "
        "is always offered; missing recordings are said in Spanish.",
    ),
    Setting(
        "VOICE_SAY_VOICE",
        "Polly.Mia",
        "The voice Twilio's <Say> speaks Spanish text with (language es-MX) where no "
        "recording exists, e.g. Polly.Mia or Polly.Andres. Empty: Twilio's default voice. "
        "Mayan text is never spoken by speech synthesis.",
    ),
    Setting(
        "VOICE_PRICE_PER_MINUTE",
        "",
        "What one minute of a call costs you, e.g. 0.0900 (see your Twilio console's voice "
        "pricing for Guatemala; call backs are outbound calls, the voice line's calls "
        "inbound: use the price of the calls you have most of). The dashboard multiplies "
        "the minutes of calls (each call rounded up, as Twilio bills it) by it. Empty: "
        "minutes are shown without a cost.",
    ),
    Setting(
        "VOICE_PRICE_CURRENCY",
        "USD",
        "The ISO 4217 currency of OUTREACH_VOICE_PRICE_PER_MINUTE, e.g. USD or GTQ.",
    ),
    Setting(
        "LOG_LEVEL",
        "INFO",
        "Python logging level. Logs never hold phone numbers or message text.",
    ),
)

BY_NAME = {setting.name: setting for setting in SETTINGS}
#: OUTREACH_TWILIO_FORGET's values, in the order of what Twilio keeps, most first.
TWILIO_FORGET_VALUES = ("keep", "redaction", "delete")


class SettingError(ValueError):
    """A setting has a value of the wrong kind, or an environment variable is unknown."""


def _convert(setting: Setting, raw: str) -> Any:
    if isinstance(setting.default, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise SettingError(f"{setting.env} must be true or false, not {raw!r}")
    if isinstance(setting.default, int):
        try:
            return int(raw)
        except ValueError:
            raise SettingError(f"{setting.env} must be a whole number, not {raw!r}") from None
    return raw


def load_settings(
    environ: Mapping[str, str], overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Defaults, then ``OUTREACH_*`` environment variables, then ``overrides``."""
    values = {setting.name: setting.default for setting in SETTINGS}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX):
            continue
        name = key.removeprefix(ENV_PREFIX)
        if name not in BY_NAME:
            close = difflib.get_close_matches(name, BY_NAME, n=1)
            hint = f"; did you mean {ENV_PREFIX}{close[0]}?" if close else ""
            raise SettingError(f"unknown setting {key}{hint}")
        values[name] = _convert(BY_NAME[name], raw)
    for name, value in (overrides or {}).items():
        values[name] = value
    # Twilio's own tools and docs name the token TWILIO_AUTH_TOKEN; accept it as is.
    if not values["TWILIO_AUTH_TOKEN"] and environ.get("TWILIO_AUTH_TOKEN"):
        values["TWILIO_AUTH_TOKEN"] = environ["TWILIO_AUTH_TOKEN"]
    if not values["TWILIO_ACCOUNT_SID"] and environ.get("TWILIO_ACCOUNT_SID"):
        values["TWILIO_ACCOUNT_SID"] = environ["TWILIO_ACCOUNT_SID"]
    for name in FOLDER_SETTINGS:
        values[name] = str(resolve_folder(str(values[name])))
    if int(values["METRICS_K"]) < 5:
        raise SettingError(f"{ENV_PREFIX}METRICS_K must be at least 5")
    for name, example in (("SMS_SEGMENT_PRICE", "0.0450"), ("VOICE_PRICE_PER_MINUTE", "0.0900")):
        if values[name]:
            try:
                if float(values[name]) < 0:
                    raise ValueError
            except ValueError:
                raise SettingError(
                    f"{ENV_PREFIX}{name} must be a price such as {example}"
                ) from None
    for name in (
        "STAFF_SESSION_HOURS",
        "STAFF_IDLE_MINUTES",
        "TWILIO_API_TIMEOUT_SECONDS",
        "SMS_RATE",
        "WHATSAPP_RATE",
        "TWILIO_FORGET_AFTER_HOURS",
        "TWILIO_API_CONNECTIONS",
    ):
        if int(values[name]) < 1:
            raise SettingError(f"{ENV_PREFIX}{name} must be at least 1")
    if int(values["TWILIO_API_RETRIES"]) < 0:
        raise SettingError(f"{ENV_PREFIX}TWILIO_API_RETRIES must be 0 or more")
    if values["TWILIO_FORGET"] not in TWILIO_FORGET_VALUES:
        raise SettingError(f"{ENV_PREFIX}TWILIO_FORGET must be keep, redaction or delete")
    if int(values["ALERTS_PER_WEEK"]) < 1:
        raise SettingError(f"{ENV_PREFIX}ALERTS_PER_WEEK must be at least 1")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(str(values["TIME_ZONE"]))
    except (ValueError, KeyError, OSError):
        raise SettingError(
            f"{ENV_PREFIX}TIME_ZONE must be an IANA zone such as America/Guatemala"
        ) from None
    if not _hours(str(values["ALERTS_QUIET_HOURS"])):
        raise SettingError(f"{ENV_PREFIX}ALERTS_QUIET_HOURS must be like 21:00-07:00, or empty")
    if values["SIMULATOR"] not in ("auto", "on", "off"):
        raise SettingError(f"{ENV_PREFIX}SIMULATOR must be on, off or auto")
    if values["ENV"] not in ("development", "production"):
        raise SettingError(f"{ENV_PREFIX}ENV must be development or production")
    return values


def _hours(text: str) -> bool:
    """True if ``text`` is empty or a span of local times, "21:00-07:00"."""
    if not text.strip():
        return True
    parts = text.split("-")
    if len(parts) != 2:
        return False
    try:
        for part in parts:
            time.fromisoformat(part.strip())
    except ValueError:
        return False
    return True


def resolve_folder(value: str) -> Path:
    """A folder as given if it exists (or is absolute), else the checkout's if it has
    one, so that `outreach chat` and gunicorn work from any directory of a checkout; else
    as given, in the current directory (an installed package has no checkout)."""
    path = Path(value)
    if path.is_absolute() or path.exists():
        return path
    if (PROJECT_ROOT / path).exists():
        return PROJECT_ROOT / path
    return path
