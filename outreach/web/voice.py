"""Twilio's voice webhooks: a call comes in, a key is pressed, the call's status changes.

Signed and checked like messages (signature.py) before anything else is read. Answers
are TwiML written by the twilio package's VoiceResponse: what to say (recordings, or
Spanish speech), then a one-key DTMF <Gather> whose action URL carries the call's step
(Twilio signs the whole URL), or <Hangup>. Never <Record>: nobody's voice is kept.
Nothing here logs or stores a phone number.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, request, url_for
from twilio.twiml.voice_response import Gather, VoiceResponse

from outreach.privacy import keyed_id, pseudonymise, resident_address
from outreach.service import forget, utc_now
from outreach.service.voice import Calls, Spoken
from outreach.voice.keys import PHRASES
from outreach.voice.prompts import CallState, Play, RecordingSource, Say
from outreach.voice.recordings import LiveRecordings

from .db import get_db
from .sessions import TWILIO_PREFIX
from .signature import verify_signature
from .voice_audio import EXTENSION

logger = logging.getLogger(__name__)
bp = Blueprint("twilio_voice", __name__, url_prefix=TWILIO_PREFIX + "/voice")

#: Twilio's <Gather>: one key, six seconds to press it, and the action called even when
#: no key came (``actionOnEmptyResult``), so the step counts a miss.
GATHER = {"input": "dtmf", "num_digits": 1, "timeout": 6, "action_on_empty_result": True}
#: The language speech synthesis is asked for: only Spanish text is ever spoken.
SAY_LANGUAGE = "es-MX"


def init_app(app: Flask) -> None:
    """After voice_audio.init_app: the call plays the recordings that route serves."""
    app.register_blueprint(bp)
    if EXTENSION not in app.extensions:
        app.extensions[EXTENSION] = LiveRecordings(Path(app.config["LOCALES_DIR"]))


def _recordings() -> RecordingSource:
    found = current_app.extensions[EXTENSION]
    # The recordings as on disk now; a test may set any RecordingSource instead.
    return found.get() if isinstance(found, LiveRecordings) else found


def calls(*, simulated: bool = False) -> Calls:
    """The Calls service of this request; ``simulated``: the web simulator's call."""
    extensions = current_app.extensions
    key: bytes = extensions["outreach.pseudonym_key"]
    recordings = _recordings()
    return Calls(
        get_db(), extensions["outreach.content"], recordings,
        float(current_app.config["VOICE_MIN_COVERAGE"]),
        lambda value, purpose: keyed_id(key, value, purpose), simulated=simulated,
    )  # fmt: skip


def _resident(call_sid: str) -> str:
    """The caller's keyed id; a hidden number gets one of its own for this call."""
    key: bytes = current_app.extensions["outreach.pseudonym_key"]
    number = resident_address(request.form.get("From", ""))
    if number is None:
        return keyed_id(key, f"call:{call_sid}", "resident")
    return pseudonymise(key, number)


def _public() -> str:
    """The address Twilio reaches the service at."""
    return current_app.extensions["outreach.twilio_public_url"] or request.host_url.rstrip("/")


def _url(path: str, query: dict[str, str] | None = None) -> str:
    url = _public() + TWILIO_PREFIX + path
    return url + "?" + urlencode(query) if query else url


def twiml(spoken: Spoken) -> Response:
    response = VoiceResponse()
    if spoken.next is None:
        _say(response, spoken.sounds)
        response.hangup()
    else:
        gather = response.gather(action=_url("/voice/step", spoken.next.query()), **GATHER)
        _say(gather, spoken.sounds)
    return Response(str(response), mimetype="application/xml")


def _say(verb: VoiceResponse | Gather, sounds: Sequence[Play | Say]) -> None:
    voice = str(current_app.config["VOICE_SAY_VOICE"])
    for sound in sounds:
        if isinstance(sound, Play):
            verb.play(_public() + play_path(sound))
        else:
            verb.say(sound.text, language=SAY_LANGUAGE, **({"voice": voice} if voice else {}))


def play_path(sound: Play) -> str:
    """Where the recording ``sound`` is served (the call's <Play>, the simulator's <audio>)."""
    return url_for("voice_audio.file", language=sound.language, name=sound.name,
                   v=sound.version or None)  # fmt: skip


def _goodbye() -> Response:
    response = VoiceResponse()
    response.say(PHRASES["voice/goodbye"], language=SAY_LANGUAGE)
    response.hangup()
    return Response(str(response), mimetype="application/xml")


def _step(state: CallState) -> Response:
    call_sid = request.form.get("CallSid", "")
    if not call_sid:
        logger.warning("a voice request without a CallSid: hung up")
        return _goodbye()
    try:
        spoken = calls().step(_resident(call_sid), call_sid, state, request.form.get("Digits", ""))
    except Exception as exc:
        logger.error("a call's step could not be handled: %s", type(exc).__name__)
        return _goodbye()
    return twiml(spoken)


@bp.post("")
def incoming() -> Response:
    """A call comes in: step 0."""
    verify_signature()
    forget_call(request.form.get("CallSid", ""), None)
    return _step(CallState())


@bp.post("/step")
def step() -> Response:
    """A key (or none) at the last prompt; the step and the call's state are in the URL."""
    verify_signature()
    state = CallState.parse(request.args)
    if state.step == 0:
        state = CallState(step=1)  # step 0 is the call's start, never a key
    return _step(state)


@bp.post("/status")
def status() -> Response:
    """The call's status callback: counted in the calls table, nothing about the caller."""
    verify_signature()
    form = request.form
    call_sid = form.get("CallSid", "")
    state = form.get("CallStatus", "")
    if call_sid and state:
        text = form.get("CallDuration", "")
        seconds = int(text) if text.isascii() and text.isdigit() and len(text) < 7 else None
        try:
            calls().status(call_sid, state[:20], seconds)
        except Exception as exc:
            logger.error("a call's status could not be stored: %s", type(exc).__name__)
        forget_call(call_sid, state[:20])
    return Response(str(VoiceResponse()), mimetype="application/xml")


def forget_call(call_sid: str, status: str | None) -> None:
    """With OUTREACH_TWILIO_FORGET=delete, the call's record at Twilio goes on the forget
    list (outreach.service.forget): once final, or after the time limit."""
    if not call_sid or not forget.forgetting(current_app.config):
        return
    try:
        forget.note_call(get_db(), current_app.config, call_sid, status, utc_now())
    except Exception as exc:
        logger.error("a call could not be noted for deletion: %s", type(exc).__name__)
