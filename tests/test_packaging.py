"""The wheel and the sdist hold every file the package needs.

An installed `outreach` once answered 500 TemplateNotFound on the dashboard: the wheel
lacked `templates/dashboard/*.html` and the dashboard's catalogs, which the checkout has.
So the listing of the built wheel is compared with what git tracks under outreach/.
"""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import PurePosixPath

from conftest import ROOT, Distributions, tracked_files


def package_files() -> set[str]:
    """Every tracked file under outreach/; the sample's links to flows/ and locales/ stand
    for every tracked file in those folders."""
    tracked = tracked_files()
    files = set()
    for name in tracked:
        if not name.startswith("outreach/"):
            continue
        path = ROOT / name
        if path.is_symlink() and path.is_dir():
            target = path.resolve().relative_to(ROOT).as_posix() + "/"
            files |= {name + "/" + t.removeprefix(target) for t in tracked if t.startswith(target)}
        else:
            files.add(name)
    return files


def test_the_wheel_holds_every_tracked_file_of_the_package(distributions: Distributions) -> None:
    with zipfile.ZipFile(distributions.wheel) as wheel:
        listed = set(wheel.namelist())
    missing = sorted(package_files() - listed)
    assert not missing, f"not in {distributions.wheel.name}: {missing}"
    # The dashboard's pages and its Spanish, named, since they are what went missing.
    assert "outreach/templates/dashboard/login.html" in listed
    assert "outreach/translations/es/LC_MESSAGES/dashboard.po" in listed
    # The sample `outreach init` copies, for an install that has no checkout.
    assert "outreach/sample/flows/deployment.yaml" in listed
    assert "outreach/sample/locales/en/LC_MESSAGES/flows.po" in listed


def test_the_wheel_holds_nothing_but_the_package(distributions: Distributions) -> None:
    with zipfile.ZipFile(distributions.wheel) as wheel:
        tops = {PurePosixPath(name).parts[0] for name in wheel.namelist()}
    assert tops == {"outreach", distributions.wheel.name.split("-py3")[0] + ".dist-info"}


def test_the_sdist_is_a_whole_source_release(distributions: Distributions) -> None:
    with tarfile.open(distributions.sdist) as sdist:
        # Names start with the release's folder, outreach-0.1.0/.
        listed = {str(PurePosixPath(*PurePosixPath(n).parts[1:])) for n in sdist.getnames()}
    missing = sorted(set(tracked_files()) - listed)
    assert not missing, f"not in {distributions.sdist.name}: {missing}"
