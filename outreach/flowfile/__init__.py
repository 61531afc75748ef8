"""Loading and checking the content files NGO staff edit (``flows/*.yaml``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from outreach.engine.model import ChoiceList, Deployment, Directory, Flow, FlowSet

from .checks import check_all
from .data import DataReader
from .deployment import DeploymentReader
from .flows import FlowReader
from .index import SourceIndex
from .problems import Place, Problem, Severity, sort_key
from .yamlvalues import Values

CONTENT_SUFFIXES = (".yaml", ".yml")

__all__ = [
    "ContentError",
    "FileContent",
    "LoadResult",
    "Problem",
    "Severity",
    "SourceIndex",
    "content_files",
    "load",
    "load_or_raise",
    "read_file",
]


@dataclass
class LoadResult:
    """The flows, if they loaded without errors, and every problem found."""

    flowset: FlowSet | None
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    index: SourceIndex = field(default_factory=SourceIndex)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]


def content_files(paths: Iterable[str | Path]) -> list[Path]:
    """The content files named by ``paths``: files as given, and the ``*.yaml`` files
    directly inside directories (conversation tests live in a subfolder)."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(
                p for p in path.iterdir() if p.suffix in CONTENT_SUFFIXES and p.is_file()
            )
        else:
            found.append(path)
    return list(dict.fromkeys(found))


@dataclass
class FileContent:
    """What one content file holds (one thing, the kind its first key names)."""

    flows: list[Flow] = field(default_factory=list)
    deployments: list[Deployment] = field(default_factory=list)
    lists: list[ChoiceList] = field(default_factory=list)
    directories: list[Directory] = field(default_factory=list)


def read_file(path: str, source: str, index: SourceIndex) -> tuple[FileContent, list[Problem]]:
    """What the file ``path`` holds, noted in ``index``, and the problems found in it.

    The first key says what the file holds (a directory also has a list: key).
    """
    content = FileContent()
    values = Values(path, source)
    root = values.compose()
    if root is None:
        return content, values.problems
    if not isinstance(root, yaml.MappingNode):
        values.error(
            root,
            "a content file is a mapping of keys, starting with flow:, deployment:, list: "
            "or directory:",
        )
        return content, values.problems
    first = root.value[0][0] if root.value else None
    kind = first.value if isinstance(first, yaml.ScalarNode) else None
    match kind:
        case "flow":
            flow_reader = FlowReader(path, source, index)
            flow = flow_reader.read_flow(root)
            content.flows += [flow] if flow else []
            found = flow_reader.problems
        case "deployment":
            deployment_reader = DeploymentReader(path, source, index)
            deployment = deployment_reader.read_deployment(root)
            content.deployments += [deployment] if deployment else []
            found = deployment_reader.problems
        case "directory":
            data_reader = DataReader(path, source, index)
            directory = data_reader.read_directory(root)
            content.directories += [directory] if directory else []
            found = data_reader.problems
        case "list":
            data_reader = DataReader(path, source, index)
            choice_list = data_reader.read_list(root)
            content.lists += [choice_list] if choice_list else []
            found = data_reader.problems
        case _:
            values.error(
                root,
                "a content file starts with one of flow:, deployment:, list: or directory:",
            )
            found = []
    return content, values.problems + found


class ContentError(Exception):
    """The content has errors; ``problems`` lists them all."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


def load(
    paths: Iterable[str | Path], today: date, *, passed_review: Severity = Severity.ERROR
) -> LoadResult:
    """Read and check every content file; never raises for a problem in the content.

    ``today`` decides which review dates have passed; it is passed in so that a check
    gives the same answer in a test whatever the day. A passed review date is an error
    for ``outreach check``; the running service makes it a warning (``passed_review``).
    """
    index = SourceIndex()
    problems: list[Problem] = []
    flows: dict[str, Flow] = {}
    lists: dict[str, ChoiceList] = {}
    directories: dict[str, Directory] = {}
    deployments: list[tuple[Deployment, str]] = []
    files = content_files(paths)
    for path in files:
        shown = str(path)
        try:
            source = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            problems.append(Problem(Place(shown, 1, 1), Severity.ERROR, "no such file"))
            continue
        except UnicodeDecodeError as exc:
            line = path.read_bytes()[: exc.start].count(b"\n") + 1
            problems.append(
                Problem(Place(shown, line, 1), Severity.ERROR, "the file is not UTF-8 text")
            )
            continue
        except OSError as exc:
            problems.append(
                Problem(Place(shown, 1, 1), Severity.ERROR, f"cannot read: {exc.strerror}")
            )
            continue
        content, found = read_file(shown, source, index)
        problems += found
        flows.update((flow.id, flow) for flow in content.flows)
        lists.update((choice_list.id, choice_list) for choice_list in content.lists)
        directories.update((d.id, d) for d in content.directories)
        deployments += [(d, shown) for d in content.deployments]
    if not files:
        problems.append(Problem(Place(".", 1, 1), Severity.ERROR, "no content files found"))
    deployment = deployments[0][0] if deployments else None
    if len(deployments) > 1:
        problems.append(
            Problem(
                Place(deployments[1][1], 1, 1),
                Severity.ERROR,
                f"a second deployment file (the first is {deployments[0][1]})",
            )
        )
    elif files and not deployments and index.deployment_place is None:
        problems.append(
            Problem(
                Place(str(files[0].parent), 1, 1),
                Severity.ERROR,
                "no deployment file (a file starting with deployment:)",
            )
        )
    main_flow = deployment.main_flow if deployment else None
    problems += check_all(index, flows, main_flow, today, passed_review=passed_review)
    problems.sort(key=sort_key)
    has_errors = any(p.severity is Severity.ERROR for p in problems)
    flowset = None
    if deployment is not None and not has_errors:
        flowset = FlowSet(deployment, flows, lists, directories)
    return LoadResult(flowset, problems, len(files), index)


def load_or_raise(paths: Iterable[str | Path], today: date) -> FlowSet:
    """The flows, or :class:`ContentError` listing every error."""
    result = load(paths, today)
    if result.flowset is None:
        raise ContentError(result.errors)
    return result.flowset
