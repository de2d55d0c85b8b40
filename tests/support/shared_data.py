"""Where the public data sets the tests read are: ``$TIEGRAPH_SHARED_DATA`` (default
``../shared/data``, relative to the repository root). They are never copied into the
repository. A test whose data is missing is skipped with the reason, except under ``CI=true``,
where that is a failure."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]


def shared_data_directory() -> Path:
    """The folder that holds the data sets, whether or not it is there."""
    shared = Path(os.environ.get("TIEGRAPH_SHARED_DATA") or "../shared/data")
    return shared if shared.is_absolute() else REPOSITORY / shared


def require_shared(relative: str) -> Path:
    """The file or folder ``relative`` to the shared data; a skip (a failure under
    ``CI=true``) when it is not there."""
    path = shared_data_directory() / relative
    if not path.exists():
        missing(f"{path} not found; set TIEGRAPH_SHARED_DATA to the folder that holds it")
    return path


def missing(reason: str) -> NoReturn:
    """Skip the test for want of shared data, saying ``reason``; under ``CI=true`` fail it."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)
