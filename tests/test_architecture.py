"""Nothing imports upward: the allowed imports between layers of ARCHITECTURE.md section 6.

Every ``import`` and ``from ... import`` in outreach/**/*.py (inside functions too, and under
TYPE_CHECKING: a dependency all the same) is read with ``ast``, relative imports resolved,
and checked against LAYER_IMPORTS. There is no allow-list: the refactoring of
ARCHITECTURE.md section 7 removed the 19 upward imports it began with, and a new one is a
design change for ARCHITECTURE.md, not an entry here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import outreach

PACKAGE = Path(outreach.__file__).parent

# Where each module belongs: a package (and its subpackages) or one module. The longest
# matching name wins, so a module listed by its own name overrides its package's layer.
# Packages of the target layout are listed before they exist, so moves need no edit here;
# a module listed by its own name must exist (MOVED modules: update the entry).
PACKAGE_LAYERS = {
    "outreach.engine": "engine",
    "outreach.sms": "sms",
    "outreach.voice": "voice",
    "outreach.flowfile": "flowfile",
    "outreach.i18n": "i18n",
    "outreach.storage": "storage",
    "outreach.metrics": "metrics",
    "outreach.service": "service",
    "outreach.authoring": "authoring",
    "outreach.web": "web",
    "outreach.cli": "cli",
}
MODULE_LAYERS = {
    "outreach": "web",  # create_app, imported lazily
    "outreach.settings": "settings",
    "outreach.privacy": "privacy",
    "outreach.languages": "languages",
    "outreach.spreadsheet": "spreadsheet",  # the CSV-injection guard: a leaf, as privacy is
    "outreach.staff": "staff",
}

# The engine's public face and vocabulary: what "engine" means outside the engine.
ENGINE = (
    "outreach.engine",
    "outreach.engine.model",
    "outreach.engine.events",
    "outreach.engine.matching",
)
# What each layer may import besides itself: layer names, or exact module names.
# spreadsheet is a leaf beside privacy and languages, imported by two layers for one fact,
# the characters a spreadsheet runs as a formula: flowfile refuses a list value starting
# with one (outreach check), and web neutralises them in the CSV exports donors open.
LAYER_IMPORTS: dict[str, tuple[str, ...]] = {
    "settings": (),
    "privacy": (),
    "languages": (),
    "spreadsheet": (),
    "engine": (),
    "sms": ("outreach.engine.model",),
    "flowfile": ("outreach.engine.model", "outreach.engine.matching", "languages", "spreadsheet"),
    "i18n": (*ENGINE, "flowfile", "sms", "languages"),
    # The voice line's content: recordings tied to the reviewed text they were made from,
    # and a turn's messages as spoken prompts and keypad choices (no Twilio, no web).
    "voice": (*ENGINE, "flowfile", "i18n", "languages"),
    "storage": ("outreach.engine.session",),
    "metrics": ("storage", "outreach.engine.model"),
    "staff": ("storage",),
    "service": (*ENGINE, "flowfile", "i18n", "sms", "voice", "storage", "staff"),
    "authoring": (
        *ENGINE, "flowfile", "i18n", "sms", "voice", "outreach.service.content",
    ),
    "web": (
        "service", "metrics", "staff", "outreach.i18n.ui", "privacy", "settings", "storage",
        "spreadsheet", "voice",
    ),
    "cli": (
        "settings", "privacy", "languages", "spreadsheet", "engine", "sms", "flowfile", "i18n",
        "storage", "metrics", "staff", "service", "authoring", "voice", "outreach.web.app",
    ),
}  # fmt: skip
# Narrower rules inside a permission: which names may be taken, which module may take them.
ONLY_NAMES = {("sms", "outreach.engine.model"): {"SmsSettings"}}
# Web reaches storage only through db.py (connect/immediate).
ONLY_MODULE = {("web", "storage"): {"outreach.web.db"}}


def module_names() -> dict[str, Path]:
    """Every module of the package by its dotted name."""
    names = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def layer_of(module: str) -> str | None:
    if module in MODULE_LAYERS:
        return MODULE_LAYERS[module]
    parts = module.split(".")
    for end in range(len(parts), 1, -1):  # never the bare root: it would swallow everything
        prefix = ".".join(parts[:end])
        if prefix in MODULE_LAYERS:
            return MODULE_LAYERS[prefix]
        if prefix in PACKAGE_LAYERS:
            return PACKAGE_LAYERS[prefix]
    return None


def imports(module: str, path: Path, known: set[str]) -> list[tuple[str, set[str]]]:
    """The outreach modules one module imports, each with the names taken from it."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, set[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, set()) for a in node.names if a.name.split(".")[0] == "outreach"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] != "outreach":
                continue
            for alias in node.names:
                submodule = f"{source}.{alias.name}"  # `from . import staff` imports a module
                found.append((submodule, set()) if submodule in known else (source, {alias.name}))
    return found


def allowed(importer: str, imported: str, names: set[str]) -> bool:
    layer, target = layer_of(importer), layer_of(imported)
    assert layer is not None and target is not None, (importer, imported)
    if layer == target:
        return True
    for rule in LAYER_IMPORTS[layer]:
        if rule in (target, imported):
            if (layer, rule) in ONLY_MODULE and importer not in ONLY_MODULE[layer, rule]:
                continue
            if (layer, rule) in ONLY_NAMES and not names <= ONLY_NAMES[layer, rule]:
                continue
            return True
    return False


def violations() -> set[tuple[str, str]]:
    modules = module_names()
    found = set()
    for module, path in modules.items():
        for imported, names in imports(module, path, set(modules)):
            if not allowed(module, imported, names):
                found.add((module, imported))
    return found


def test_every_module_has_a_layer_and_every_listed_module_exists() -> None:
    modules = module_names()
    assert len(modules) >= 40
    assert [m for m in modules if layer_of(m) is None] == []
    stale = [m for m in MODULE_LAYERS if m not in modules]
    assert stale == [], "moved or removed: update MODULE_LAYERS"


def test_no_module_imports_upward() -> None:
    assert sorted(violations()) == [], "upward imports: see ARCHITECTURE.md section 6"


def test_the_layers_have_no_cycle() -> None:
    # The table itself must be a ladder.
    graph: dict[str, set[str]] = {}
    for layer, rules in LAYER_IMPORTS.items():
        graph[layer] = {r if r in LAYER_IMPORTS else layer_of(r) or r for r in rules} - {layer}
    done: set[str] = set()

    def visit(layer: str, path: tuple[str, ...]) -> None:
        assert layer not in path, f"cycle: {' -> '.join((*path, layer))}"
        if layer not in done:
            for below in graph[layer]:
                visit(below, (*path, layer))
            done.add(layer)

    for layer in graph:
        visit(layer, ())


@pytest.mark.parametrize(
    ("importer", "code", "expected"),
    [
        ("outreach.engine.model", "from outreach import dashboard", False),
        ("outreach.engine.model", "from .runner import x", True),
        ("outreach.sms.shaping", "from outreach.engine.model import SmsSettings", True),
        ("outreach.sms.shaping", "from outreach.engine.model import Flow", False),
        ("outreach.sms.shaping", "from ..flowfile import load", False),
        ("outreach.web.dashboard", "from outreach.storage import connect", False),
        ("outreach.web.db", "from outreach.storage import connect", True),
        ("outreach.cli", "from outreach.web.dashboard import bp", False),
        ("outreach.cli", "import outreach.web.app", True),
        ("outreach.flowfile.data", "from outreach.spreadsheet import starts_like_formula", True),
        ("outreach.web.exports", "from outreach.spreadsheet import neutralise", True),
        ("outreach.engine.model", "from outreach.spreadsheet import neutralise", False),
        ("outreach.spreadsheet", "from outreach.flowfile import load", False),
    ],
)
def test_the_rules_catch_an_upward_import(
    tmp_path: Path, importer: str, code: str, expected: bool
) -> None:
    path = tmp_path / "module.py"
    path.write_text(code + "\n", encoding="utf-8")
    found = imports(importer, path, set(module_names()))
    assert len(found) == 1
    assert allowed(importer, *found[0]) is expected
