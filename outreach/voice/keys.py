"""The keypad of a call: which key does what, and the phrases the call says about them.

Global keys work at every prompt and are stated at the start of each call (``voice/keys``):

- ``0``: the main menu (the engine's MENU command),
- ``9``: the language menu (the IDIOMA command),
- ``*``: say the last prompt again,
- ``#``: the end menu: ``#`` again ends the call, ``7`` erases the resident's data (the
  BORRAR command), any other key goes back to the prompt.

At a prompt, keys 1 to 8 choose. A menu or list of more than eight choices is read in pages
of six: ``7`` reads the page before, ``8`` the next one.
"""

from __future__ import annotations

from .phrases import PHRASES as VOICE_PHRASES

MENU_KEY = "0"
LANGUAGE_KEY = "9"
REPEAT_KEY = "*"
END_KEY = "#"
#: In the end menu (after ``#``): erase everything about the resident (BORRAR).
ERASE_KEY = "7"
#: Keys that choose at a prompt; more choices than this are read in pages.
CHOICE_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8")
#: Choices on a page of a long list, and the keys that turn its pages.
PAGE_SIZE = 6
BACK_KEY = "7"
MORE_KEY = "8"

#: The key names the phrases ``voice/press_<name>`` use.
KEY_NAMES = {"*": "star", "#": "hash"}

#: The call's phrases beyond those of phrases.py (key -> reviewed Spanish text), recorded
#: like them. Plain, formal Spanish (usted), no digit to fill in.
CALL_PHRASES: dict[str, str] = {
    # Said after the end key (#): the only way to BORRAR by keypad, two keys apart.
    "voice/end_menu": (
        "Para terminar la llamada, marque numeral otra vez. Para borrar todos sus datos de "
        "este servicio, marque 7. Para volver, marque cualquier otra tecla."
    ),
    "voice/yes": "Sí.",
    "voice/no": "No.",
    # At a list of programmes with more pages: go on without hearing the next one.
    "voice/continue": "Para seguir:",
    "voice/wrong_key": "Esa tecla no es una de las opciones.",
}

#: Every phrase a call says of its own.
PHRASES: dict[str, str] = VOICE_PHRASES | CALL_PHRASES


def press(key: str) -> str:
    """The phrase key that says "press ``key``"."""
    return f"voice/press_{KEY_NAMES.get(key, key)}"
