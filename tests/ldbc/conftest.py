"""Where the LDBC SNB test data is, and the official parameters with their reference answers.

The data is never copied into the repository: it is read from ``$TIEGRAPH_SHARED_DATA``
(default ``../shared/data``, relative to the repository root), folder
``ldbc-snb-interactive-test``. When it is missing, the tests that need it are skipped with the
reason, except under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.shared_data import missing, shared_data_directory

DATASET = "ldbc-snb-interactive-test"
REFERENCE_SET = "ldbc_snb_v1_testdata"


def dataset_directory() -> Path:
    """Return where the LDBC test data should be, whether or not it is there."""
    return shared_data_directory() / DATASET


def missing_data_reason(directory: Path) -> str | None:
    """Say what is missing of the data set in ``directory``, or ``None`` when it is complete."""
    needed = [
        directory / "vanilla" / "dynamic",
        directory / "vanilla" / "static",
        directory / "reference-answers.json",
        directory / "substitution_parameters",
    ]
    absent = [path for path in needed if not path.exists()]
    if not absent:
        return None
    what = directory if not directory.exists() else ", ".join(map(str, absent))
    return (
        f"the LDBC SNB Interactive test data is missing: {what} not found; set "
        "TIEGRAPH_SHARED_DATA to the folder that holds ldbc-snb-interactive-test/"
    )


@pytest.fixture(scope="session")
def ldbc_dataset() -> Path:
    """The LDBC test data folder; a skip (a failure under ``CI=true``) when it is missing."""
    directory = dataset_directory()
    reason = missing_data_reason(directory)
    if reason is not None:
        missing(reason)
    return directory


@dataclass(frozen=True, slots=True)
class Case:
    """One official parameter set of a query with the reference answer for it."""

    parameters: tuple[str, ...]
    expected: Any

    def __str__(self) -> str:
        return "-".join(self.parameters)


MISSING = Case(parameters=("data-missing",), expected=None)
"""Stands for the cases when the data cannot be read, so the tests still run and skip or fail."""


def _official_parameters(directory: Path, query: int) -> list[tuple[str, ...]]:
    path = directory / "substitution_parameters" / f"interactive_{query}_param.txt"
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [tuple(line.split("|")) for line in lines[1:]]


def official_cases(query: str) -> list[Case]:
    """Return the official parameters of ``query`` (``IC1``, ``IC13`` or ``IC14v1``), each with
    its reference answer; ``[MISSING]`` when the data is not there.

    Every official parameter set must have a reference answer, and every answer an official
    parameter set: a data set that disagrees with itself fails loudly here.
    """
    directory = dataset_directory()
    if missing_data_reason(directory) is not None:
        return [MISSING]
    references = json.loads((directory / "reference-answers.json").read_text(encoding="utf-8"))
    answers: list[dict[str, Any]] = references[REFERENCE_SET][
        "IC1_friend_ids_and_distance" if query == "IC1" else query
    ]
    number = int(query.removeprefix("IC").removesuffix("v1"))
    by_parameters = {_parameters_of(query, answer): answer for answer in answers}
    official = _official_parameters(directory, number)
    if set(official) != set(by_parameters) or len(official) != len(answers):
        raise ValueError(
            f"{query}: the official parameters {official} and those of the reference answers "
            f"{sorted(by_parameters)} differ"
        )
    return [Case(parameters, by_parameters[parameters]) for parameters in official]


def _parameters_of(query: str, answer: dict[str, Any]) -> tuple[str, ...]:
    if query == "IC1":
        return (str(answer["personId"]), str(answer["firstName"]))
    return (str(answer["person1Id"]), str(answer["person2Id"]))
