"""A deterministic corpus of SMS texts for comparing segment counts with Twilio's calculator.

Spanish, letters with modifier apostrophes and diaereses, GSM extension characters, emoji
old and new (ZWJ sequences, skin tones, flags, keycaps), combining-mark runs, Devanagari,
Thai and Hangul clusters and lone surrogates, and lengths around every boundary (70/67 and
160/153, and their multiples), with the expensive characters placed right at the boundaries
where splitting rules matter.
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
#: Neutral letter sequences with the apostrophes and diaereses that decide the encoding:
#: U+02BC and ë ï force UCS-2, ä ö ü and the ASCII apostrophe are GSM-7, ’ is not.
LETTERS = [
    "Abʼc deʼf ghʼi. Jkʼl mnʼo pqʼr stʼu vwʼx.",
    "Aaʼa bbʼb ccʼc. Ddʼd eeʼe.",
    "Aä bë cï dö eü. Fö gï hë iä jü kʼl.",
    "Ab'c de'f gh'i. Jk'l mn'o.",
    "Ab’c de’f gh’i with a right single quotation mark.",
]
SCRIPTS = [
    "नमस्ते। क्षमा करें, कृपया श्री राम से पूछें।",  # Devanagari conjuncts and vowel signs
    "ภาษาไทย น้ำ กำลัง ที่นี่",  # Thai: above and below vowels, SARA AM
    "안녕하세요. 한국어 문자 메시지입니다.",  # precomposed Hangul syllables
    "\u1100\u1161\u11a8 \u1112\u1161\u11ab\u1100\u1173\u11af \u1100\u1161",  # conjoining jamo
]
EMOJI = [
    "🙂", "👍🏽", "👋🏿", "👨‍👩‍👧", "👨‍👩‍👧‍👦", "🇬🇹", "🇲🇽🇺🇸", "❤️‍🔥", "🫱🏻‍🫲🏼",
    "🧑‍🧑‍🧒", "👩🏽‍💻", "🧑🏾‍🌾", "🏳️‍🌈", "🏴‍☠️", "1️⃣", "#️⃣", "❤️", "👁️‍🗨️", "🤝🏻",
    "🇬🇹\u0301\u0301", "👍\u0301🏽", "👍\u0301\u0301🏽", "\u200d", "\ufe0f",
]  # fmt: skip
MARKS = [
    "e\u0301", "e\u0301\u0302\u0303", "a" + "\u0301" * 10, "क्ष", "ग्रा", "स्ते", "น้ำ",
    "กำ", "한", "\u1100\u1161\u11a8", "\u0600a", "\u00ad", "\u2028",
]  # fmt: skip
SURROGATES = ["\ud83d", "\ude00", "\udbff", "\ud800\ud800", "a\udc00b"]
PIECES = [
    "a", "e", "é", "á", "ñ", "Ñ", "ü", "ë", "ï", "ʼ", "'", "’", "€", "[", "]", "{", "}",
    "~", "^", "|", "\\", "\f", "\n", "\r\n", " ", "1574", "Q5,000", "¿", "¡", "ç", "Ç",
    "“", "”", "…", "–", "\u00a0", "@", "$", "£", "Δ", *EMOJI, *MARKS, *SURROGATES,
]  # fmt: skip
TAILS = [
    "€", "🙂", "á", "\r\n", "👨‍👩‍👧", "❤️‍🔥", "🫱🏻‍🫲🏼", "🧑‍🧑‍🧒", "🇬🇹", "1️⃣", "क्ष", "e\u0301\u0301",
    "\ud83d", "👍\u0301🏽",
]  # fmt: skip
BOUNDARIES = [67, 70, 71, 134, 140, 153, 160, 161, 201, 306, 307, 459, 460]
SENTENCES = SPANISH + LETTERS + SCRIPTS


def _as_utf16(text: str) -> str:
    """Join a high and a low surrogate that ended up side by side into one character, so the
    text survives a JSON round trip unchanged (JavaScript sees the same either way)."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _long_marks(rng: random.Random) -> str:
    """Letters carrying long runs of combining marks: graphemes of up to 90 UTF-16 units,
    where the calculator's segment filling has its quirk."""
    parts = []
    for _ in range(rng.randrange(1, 5)):
        if rng.random() < 0.5:
            parts.append("e" + "\u0301" * rng.randrange(20, 90))
        else:
            parts.append(rng.choice("aá") * rng.randrange(0, 80))
    return "".join(parts)


def corpus(size: int = 3000, seed: int = 20261128) -> list[str]:
    rng = random.Random(seed)
    texts: list[str] = list(SENTENCES)
    for length in BOUNDARIES:
        for filler in ("a", "á", "€"):
            for delta in (-2, -1, 0, 1, 2):
                texts.append(filler * max(1, length + delta))
        for tail in TAILS:
            texts.append("a" * (length - 1) + tail + "b")
            texts.append("á" * (length - 1) + tail)
    for before in range(60, 72):
        # A long grapheme fills the first segment, more in the second ("á"*63 + "❤️‍🔥" ...).
        texts.append("á" * before + "❤️‍🔥" + "a" * 63)
        texts.append("á" * before + "🫱🏻‍🫲🏼" + "a" * 67)
    for middle in range(0, 12):
        texts.append("e" + "\u0301" * 64 + "a" * middle + "e" + "\u0301" * 64)
        texts.append("e" + "\u0301" * 64 + "a" * middle + "e" + "\u0301" * 64 + "a" * 70)
    for marks in (68, 69, 70, 71, 72, 100):
        texts.append("e" + "\u0301" * marks)
        texts.append("e" + "\u0301" * marks + "ab")
    while len(texts) < size:
        kind = rng.randrange(7)
        if kind == 0:
            base = rng.choice(SENTENCES)
            text = " ".join(base for _ in range(rng.randrange(1, 6)))
        elif kind == 1:
            text = "".join(rng.choice(PIECES) for _ in range(rng.randrange(1, 200)))
        elif kind == 2:
            target = rng.choice(BOUNDARIES) + rng.randrange(-3, 4)
            text = "x" * max(0, target - 1) + rng.choice(PIECES)
        elif kind == 3:
            words = [rng.choice(SENTENCES).split()[rng.randrange(3)] for _ in range(60)]
            text = " ".join(words)[: rng.randrange(1, 400)]
        elif kind == 4:
            target = rng.choice(BOUNDARIES) + rng.randrange(-3, 4)
            pieces = rng.choice([EMOJI, MARKS, SURROGATES])
            text = "á" * max(0, target - 1) + rng.choice(pieces) + "b" * rng.randrange(0, 80)
        elif kind == 5:
            text = "".join(rng.choice(EMOJI + MARKS) for _ in range(rng.randrange(1, 80)))
        else:
            text = _long_marks(rng)
        texts.append(text)
    return [_as_utf16(text) for text in texts[:size]]
