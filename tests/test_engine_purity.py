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


def engine_modules() -> list[Path]:
    modules = sorted(ENGINE.glob("*.py"))
    assert len(modules) >= 5
    return modules


def test_engine_imports_only_pure_modules() -> None:
    for path in engine_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level > 0:
                    # Relative imports must stay inside the engine package.
                    assert node.level == 1, f"{path.name} imports outside the engine"
                    continue
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name in ALLOWED_IMPORTS, f"{path.name} imports {name}"


def test_engine_never_reads_the_clock_or_does_io() -> None:
    for path in engine_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                assert name not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno} calls {name}()"


def test_importing_the_engine_loads_no_web_or_storage_library() -> None:
    code = (
        "import sys, outreach.engine;"
        "bad = [m for m in ('flask', 'twilio', 'sqlite_utils', 'sqlite3', 'socket', 'yaml')"
        " if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_purity_check_can_fail(tmp_path: Path) -> None:
    # The AST checks above must catch a module that breaks the rules.
    bad = "import os\nfrom datetime import datetime\nx = datetime.now()\n"
    tree = ast.parse(bad)
    imports = [n for n in ast.walk(tree) if isinstance(n, ast.Import)]
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert imports[0].names[0].name not in ALLOWED_IMPORTS
    assert any(isinstance(c.func, ast.Attribute) and c.func.attr in FORBIDDEN_CALLS for c in calls)
