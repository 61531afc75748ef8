"""Problems found in content files, each with its exact place."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Place:
    """A position in a file; line and column count from 1, as editors show them."""

    path: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Problem:
    place: Place
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.severity.value}: {self.message}"


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'options'?"`` when a candidate is close to ``word``, else ``""``."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def sort_key(problem: Problem) -> tuple[str, int, int, int]:
    return (
        problem.place.path,
        problem.place.line,
        problem.place.col,
        0 if problem.severity is Severity.ERROR else 1,
    )


def error(place: Place, message: str) -> Problem:
    return Problem(place, Severity.ERROR, message)


def warning(place: Place, message: str) -> Problem:
    return Problem(place, Severity.WARNING, message)
