"""The recordings a call plays, served to Twilio's <Play> and to the simulator's browser.

Only files listed in a language's manifest and readable are served, found by their name
in the manifest, never by joining the URL to a folder: ``..``, encoded slashes, absolute
paths and files beside the manifest (or the manifest itself) are all 404. Recordings are
public content (what every caller hears), so there is no login; they are cacheable, and
for ever under their version (``v=``, the hash of the Spanish they say), because
recording a text again gives it a new version and so a new URL.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, request, send_file, url_for
from werkzeug.wrappers import Response

from outreach.voice.recordings import FILE_NAME, MIMETYPES, LiveRecordings, Recording

bp = Blueprint("voice_audio", __name__, url_prefix="/voice/audio")

#: Without a version a URL may get another recording of the same name later: caches ask
#: again after this long (and then get 304 when nothing changed).
UNVERSIONED_MAX_AGE = 300
VERSIONED_MAX_AGE = 365 * 24 * 3600


#: Where the app keeps its LiveRecordings: the call's prompts (web/voice.py) read the same.
EXTENSION = "outreach.voice_recordings"


def init_app(app: Flask) -> None:
    """Serve the recordings, and give the call the same ones (as they are on disk, looked
    at as often as the catalogs are)."""
    app.register_blueprint(bp)
    app.extensions[EXTENSION] = LiveRecordings(
        Path(app.config["LOCALES_DIR"]), float(app.config["CATALOG_CHECK_SECONDS"])
    )


def recordings() -> LiveRecordings:
    found: LiveRecordings = current_app.extensions[EXTENSION]
    return found


def audio_url(recording: Recording, *, external: bool = False) -> str:
    """The URL that plays ``recording``, versioned by the Spanish it says."""
    return url_for(
        "voice_audio.file",
        language=recording.language,
        name=recording.path.name,
        v=recording.source_hash or None,
        _external=external,
    )


@bp.get("/<language>/<name>")
def file(language: str, name: str) -> Response:
    if not FILE_NAME.fullmatch(name):
        abort(404)
    live = recordings()
    entry = live.get().file(language, name)
    if entry is None:
        abort(404)
    version = request.args.get("v")
    if version is not None and version != entry.source_hash:
        abort(404)  # an older (or another) recording of that name: not this file
    # The manifest names a file in its own folder; a symlink out of it is not served.
    path = entry.path.resolve()
    folder = (live.locales_dir / language / "audio").resolve()
    if path.parent != folder or not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=MIMETYPES[path.suffix.lower()],
        conditional=True,
        etag=True,
        max_age=VERSIONED_MAX_AGE if version else UNVERSIONED_MAX_AGE,
    )
    response.cache_control.public = True
    if version:
        response.cache_control.immutable = True
    return response
