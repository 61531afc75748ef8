"""A deterministic corpus of SMS texts for comparing segment counts with Twilio's calculator.

Spanish and Mayan orthographies, GSM extension characters, emoji, and lengths around every
boundary (70/67 and 160/153, and their multiples), with the expensive characters placed
right at the boundaries where splitting rules matter.
"""

from __future__ import annotations

import random

SPANISH = [
    "Para una visa de trabajo H-2 usted nunca paga: paga el empleador.",
    "¿En qué departamento vive? Escriba el nombre, por ejemplo Huehuetenango.",
    "Información sobre migración segura. Responda con un número:",
    "Si le extorsionan: no pague. Denuncie gratis a la línea 1574.",
    "Niños, niñas y adolescentes: ¡cuídense! ¿Sí o no?",
]
MAYAN = [
    "Utz petik. Chaqʼaxaj ri kʼo chi rij le bʼe.",  # K'iche' letters with U+02BC
    "Xtzʼaqat li aatinobʼal. Qʼeqchiʼ.",  # Q'eqchi'
    "Matyöx chawe. Rïn ninbʼe pa ri ëk.",  # Kaqchikel lax vowels ä ë ï ö ü
    "Q'lolj tej. Qyol Mam.",  # ASCII apostrophes stay GSM-7
    "K’iche’ with a right single quotation mark.",
]
PIECES = [
    "a", "e", "é", "á", "ñ", "Ñ", "ü", "ë", "ï", "ʼ", "'", "’", "€", "[", "]", "{", "}",
    "~", "^", "|", "\\", "\f", "\n", "\r\n", " ", "1574", "Q5,000", "¿", "¡", "ç", "Ç",
    "🙂", "👍🏽", "👨‍👩‍👧", "🇬🇹", "e\u0301", "“", "”", "…", "–", "\u00a0", "@", "$", "£", "Δ",
]  # fmt: skip
BOUNDARIES = [67, 70, 71, 134, 140, 153, 160, 161, 201, 306, 307, 459, 460]


def corpus(size: int = 2400, seed: int = 20261128) -> list[str]:
    rng = random.Random(seed)
    texts: list[str] = list(SPANISH + MAYAN)
    for length in BOUNDARIES:
        for filler in ("a", "á", "€"):
            for delta in (-2, -1, 0, 1, 2):
                texts.append(filler * max(1, length + delta))
        for tail in ("€", "🙂", "á", "\r\n", "👨‍👩‍👧"):
            texts.append("a" * (length - 1) + tail + "b")
            texts.append("á" * (length - 1) + tail)
    while len(texts) < size:
        kind = rng.randrange(4)
        if kind == 0:
            base = rng.choice(SPANISH + MAYAN)
            text = " ".join(base for _ in range(rng.randrange(1, 6)))
        elif kind == 1:
            text = "".join(rng.choice(PIECES) for _ in range(rng.randrange(1, 200)))
        elif kind == 2:
            target = rng.choice(BOUNDARIES) + rng.randrange(-3, 4)
            text = "x" * max(0, target - 1) + rng.choice(PIECES)
        else:
            words = [rng.choice(SPANISH + MAYAN).split()[rng.randrange(3)] for _ in range(60)]
            text = " ".join(words)[: rng.randrange(1, 400)]
        texts.append(text)
    return texts[:size]
