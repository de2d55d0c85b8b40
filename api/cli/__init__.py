"""The ``tiegraph`` command line (entry point ``api.cli:main``).

- :mod:`api.cli.root`: the root app; registers every command group.
- :mod:`api.cli.options`: exit statuses, the store options, settings, opening the store.
- :mod:`api.cli.output`: reading moments, wording errors, printing tables and JSON.
- one module per command group: ``backup`` (backup, restore), ``demo``, ``export``,
  ``import_``, ``neo4j``, ``queries`` (paths, strength, nudges, retention, balance), ``serve``
  (serve, schema), ``tokens`` (token).
"""

from api.cli.options import (
    EXIT_CODES_HELP,
    ExitCode,
    exit_code_of,
    fail,
    open_store_and_run,
)
from api.cli.root import _register, app, main

__all__ = [
    "EXIT_CODES_HELP",
    "ExitCode",
    "_register",
    "app",
    "exit_code_of",
    "fail",
    "main",
    "open_store_and_run",
]
