"""The voice line's own phrases: what a call says that no SMS does (keys, pages, goodbye).

They are reviewed content like the texts of flows/deployment.yaml: plain, formal Spanish
(usted), no facts that need a source. Each is recorded per language like any message, keyed
``voice/<name>`` in the manifests, and tied to the text here by its hash: editing a phrase
makes its recordings stale, so change one only with the recordings planned.

A phrase holds no digit to fill in (a recording cannot change): the call puts a key's
phrase after the text it goes with ("Riesgos de migrar." then "Marque 1."). The keys
stated at the start of a call (``voice/keys``) are the ones the call uses: 0 menu,
9 language, * repeat, # end.
"""

from __future__ import annotations

#: The keypad's keys as the call names them (``voice/press_<name>``).
KEYS = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "star", "hash")

_KEY_WORDS = {"star": "asterisco", "hash": "numeral"}

#: key -> the reviewed Spanish text, in the order a speaker records them.
PHRASES: dict[str, str] = {
    "voice/language_name": "Español.",
    "voice/keys": (
        "En cualquier momento, marque 0 para volver al menú, 9 para cambiar de idioma, "
        "asterisco para repetir y numeral para terminar la llamada."
    ),
    **{f"voice/press_{key}": f"Marque {_KEY_WORDS.get(key, key)}." for key in KEYS},
    "voice/more": "Para escuchar más opciones:",
    "voice/back": "Para volver a las opciones anteriores:",
    "voice/typed_answer": (
        "Esta pregunta se responde por escrito y no con el teclado. Seguimos sin ella."
    ),
    "voice/no_input": "No recibimos ninguna tecla.",
    "voice/goodbye": "Gracias por llamar. Hasta pronto.",
}

#: key -> what the speaker needs to know (where it is used, what to say): the script's
#: context column, as the catalogs' comments are for translators.
NOTES: dict[str, str] = {
    "voice/language_name": (
        "The NAME OF YOUR LANGUAGE, said in your language (not a translation of "
        "'Español'): the first menu of a call says each language's name in that language, "
        "followed by its key."
    ),
    "voice/keys": "Said at the start of every call: the keys that work anywhere.",
    **{
        f"voice/press_{key}": (
            f"Said after an option or a language's name: the key {_KEY_WORDS.get(key, key)}."
        )
        for key in KEYS
    },
    "voice/more": "Before the key that reads the next page of a long list.",
    "voice/back": "Before the key that goes back to the previous page of a long list.",
    "voice/typed_answer": (
        "When a question needs typed text, which a phone's keypad cannot give: the call goes on."
    ),
    "voice/no_input": "When the resident pressed no key; the question is then said again once.",
    "voice/goodbye": "The last words of every call.",
}
