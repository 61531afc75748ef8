"""Regenerate tests/data/segments_expected.jsonl from Twilio's reference calculator.

npm install --prefix tests/js --no-package-lock
cd tests && ../.venv/bin/python make_segment_expectations.py
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from segment_corpus import corpus

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "js" / "node_modules"
EXPECTED = HERE / "data" / "segments_expected.jsonl"


def reference(texts: list[str]) -> list[dict[str, object]]:
    """What the npm package says of each text."""
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES)}
    result = subprocess.run(
        ["node", str(HERE / "js" / "segments_reference.js")],
        input="".join(json.dumps(text) + "\n" for text in texts),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    # Only "\n" ends a line: str.splitlines() would also split at U+2028, U+0085 and others,
    # which JSON.stringify leaves unescaped inside strings.
    return [json.loads(line) for line in result.stdout.split("\n") if line]


def _line(entry: dict[str, object]) -> str:
    """One JSON line, readable; lone surrogates (not UTF-8) stay escaped."""
    line = json.dumps(entry, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(entry)
    return line + "\n"


def main() -> None:
    texts = corpus()
    with EXPECTED.open("w", encoding="utf-8") as out:
        for text, expected in zip(texts, reference(texts), strict=True):
            out.write(_line({"text": text, **expected}))
    print(f"wrote {len(texts)} expectations to {EXPECTED}")


if __name__ == "__main__":
    main()
