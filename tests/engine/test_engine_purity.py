"""The engine must stay pure: no I/O, no clock, no randomness (engine/README.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import outreach.engine

ENGINE = Path(outreach.engine.__file__).parent
ALLOWED_IMPORTS = {
    "__future__", "collections", "collections.abc", "dataclasses", "datetime", "enum",
    "itertools", "re", "typing", "unicodedata",
}  # fmt: skip
FORBIDDEN_CALLS = {"now", "today", "utcnow", "time", "open", "print", "random", "uuid4"}


def violations(path: Path) -> list[str]:
    """What in one module breaks the engine's rules."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [f"imports {a.name}" for a in node.names if a.name not in ALLOWED_IMPORTS]
        elif isinstance(node, ast.ImportFrom):
            if node.level > 1:
                found.append("imports from outside the engine")
            elif node.level == 0 and node.module not in ALLOWED_IMPORTS:
                found.append(f"imports {node.module}")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in FORBIDDEN_CALLS:
                found.append(f"line {node.lineno} calls {name}()")
    return found


def test_engine_modules_import_nothing_impure_and_never_read_the_clock() -> None:
    modules = sorted(ENGINE.glob("*.py"))
    assert len(modules) >= 5
    assert {m.name: violations(m) for m in modules} == {m.name: [] for m in modules}


def test_the_rules_catch_a_module_that_breaks_them(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import os\nfrom flask import Flask\nfrom ..store import db\n"
        "from datetime import datetime\nx = datetime.now()\nopen('f')\n",
        encoding="utf-8",
    )
    assert violations(bad) == [
        "imports os",
        "imports flask",
        "imports from outside the engine",
        "line 5 calls now()",
        "line 6 calls open()",
    ]


def test_importing_the_engine_loads_no_web_or_storage_library() -> None:
    code = (
        "import sys, outreach.engine;"
        "bad = [m for m in ('flask', 'twilio', 'sqlite_utils', 'sqlite3', 'socket', 'yaml')"
        " if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
