"""A deployment folder of its own for an organisation's content, outside the code.

``outreach init DIR`` copies the sample shipped inside the package (flows, tests,
schema, catalogs) into DIR, with an ``instance/`` folder for the database and a README
for the staff, so that the content lives in the organisation's own git repository and
outreach is upgraded with pip without touching it.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

#: The instance folder holds the database and keys: never in the content's git repository.
GITIGNORE = "# The database and keys: never in git.\ninstance/\n"


class FolderNotEmpty(Exception):
    """The folder exists and holds files: outreach init never overwrites content."""


def sample() -> Traversable:
    return resources.files("outreach") / "sample"


def _copy(source: Traversable, target: Path, written: list[Path]) -> None:
    if source.is_dir():
        target.mkdir(exist_ok=True)
        for child in sorted(source.iterdir(), key=lambda c: c.name):
            if child.name != "__pycache__":
                _copy(child, target / child.name, written)
        return
    target.write_bytes(source.read_bytes())
    written.append(target)


def create(folder: Path) -> list[Path]:
    """Create a deployment folder from the shipped sample; the files written."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise FolderNotEmpty(f"{folder} exists and is not empty; outreach init needs a new folder")
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    shipped = sample()
    for name in ("flows", "locales", "README.md"):
        _copy(shipped / name, folder / name, written)
    (folder / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    written.append(folder / ".gitignore")
    # Owner only, as the service makes it: the pseudonym key and the database live here.
    (folder / "instance").mkdir(mode=0o700)
    return written
