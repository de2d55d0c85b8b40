"""A first import into an empty Neo4j database goes through neo4j-admin, and gives the graph
the transactional import gives: every node, relationship and property, and the answers.

One real server of the test's own (the bulk load stops and starts it), started by the same
code ``tiegraph neo4j start`` runs. The same CSV is imported in bulk, the graph read whole,
the database wiped, the CSV imported again through transactions, and the two compared.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from neo4j import GraphDatabase
from typer.testing import CliRunner, Result

from graph.adapters.neo4j.bulk import BulkLoadError, FirstLoad, load_into_empty_database
from graph.adapters.neo4j.server import (
    RunningNeo4j,
    default_cache_dir,
    running_neo4j,
    status,
)
from graph.adapters.neo4j.store import Neo4jStore
from graph.adapters.tie_columns import tie_rows_of
from graph.domain.model import Interaction, Person
from graph.domain.paths import Strategy
from graph.domain.strength import StrengthModel
from graph.importing.columnar import InteractionColumns
from tests.support.shared_data import require_shared

pytestmark = [pytest.mark.neo4j_only, pytest.mark.slow]

PASSWORD = "bulk-load-secret"
REAL_CONTACTS = 2_000
"""The first contacts of a real record that a test loads both ways."""
AUTH = ("neo4j", PASSWORD)

# Ids with the characters CSV files trip over (quotes, commas, semicolons, a backslash); the
# hub has most contacts, so ties are merged across batches.
HUB = 'hub"quoted,one;x\\'
LINES = [
    "at,person_a,person_b,kind,duration_s,initiator,channel,key",
    f'2024-01-01T09:00:00Z,"{HUB.replace(chr(34), chr(34) * 2)}",ann,call,60,ann,phone,',
    "2024-01-02T09:00:00.250000+02:00,ann,bo,message,,,,k-1",
    "2024-01-02T09:00:00.250000+02:00,ann,bo,message,,,,k-1",  # the same again: unchanged
    "2024-01-03T09:00:00Z,ann,bo,call,5,,,k-1",  # the key with other values: refused
    "not-a-time,ann,bo,call,,,,",  # refused: line, column, value, why
    *(
        f'2024-02-{day:02d}T10:{minute:02d}:00Z,"{HUB.replace(chr(34), chr(34) * 2)}",'
        f"p{minute % 7},{kind},,p{minute % 7},,"
        for day in range(1, 20)
        for minute, kind in enumerate(["call", "message", "contact", "message", "call"])
    ),
    "2024-03-01T08:00:00Z,cy,ann,contact,,cy,in person,",
    # A text over two lines: neo4j-admin must then read fields that span lines.
    '2024-03-02T08:00:00Z,cy,bo,call,,,"video\ncall",',
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNeo4j]:
    """A server with authentication on, started as `tiegraph neo4j start` starts one."""
    with running_neo4j(
        home=tmp_path_factory.mktemp("bulk") / "home",
        cache_dir=default_cache_dir(),
        auth=AUTH,
        heap="512m",
        pagecache="64m",
    ) as running:
        yield running


@pytest.fixture
def contacts(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return path


def run_import(
    app: typer.Typer, server: RunningNeo4j, *args: str | Path, batch_size: int = 20
) -> Result:
    live = status(server.home)
    assert live is not None, "the server from the test's home is not running"
    return CliRunner().invoke(
        app,
        [
            "import",
            "--store",
            "neo4j",
            "--neo4j-uri",
            live.uri,
            "--neo4j-home",
            str(server.home),
            "--batch-size",
            str(batch_size),
            *map(str, args),
        ],
        env={"NEO4J_PASSWORD": PASSWORD, "NEO4J_USER": "neo4j"},
    )


def whole_graph(uri: str) -> dict[str, Any]:
    """Every node and relationship with its properties, in a form two graphs compare by."""
    with GraphDatabase.driver(uri, auth=AUTH) as driver:
        nodes, _, _ = driver.execute_query(
            "MATCH (n) WHERE NOT n:TiegraphChange AND NOT n:TiegraphSchema"
            " RETURN labels(n) AS labels, properties(n) AS props",
            database_="neo4j",
        )
        rels, _, _ = driver.execute_query(
            "MATCH (a)-[r]->(b) RETURN type(r) AS type, coalesce(a.id, a.key) AS a,"
            " coalesce(b.id, b.key) AS b, properties(r) AS props",
            database_="neo4j",
        )
        changes, _, _ = driver.execute_query(
            "MATCH (c:TiegraphChange) RETURN c.kind AS kind, c.key AS key, c.people AS people",
            database_="neo4j",
        )
        schema, _, _ = driver.execute_query(
            "MATCH (s:TiegraphSchema {name: 'tiegraph'}) RETURN properties(s) AS props",
            database_="neo4j",
        )
        indexes, _, _ = driver.execute_query(
            "SHOW INDEXES YIELD name, state RETURN name, state", database_="neo4j"
        )
    return {
        "nodes": {
            (tuple(row["labels"]), row["props"].get("id", row["props"].get("key"))): row["props"]
            for row in nodes
        },
        "relationships": {(row["type"], row["a"], row["b"]): row["props"] for row in rels},
        "changes": Counter((row["kind"], row["key"], tuple(row["people"])) for row in changes),
        "schema": schema[0]["props"],
        "indexes": {row["name"]: row["state"] for row in indexes},
    }


def assert_same_records(bulk: dict[str, Any], transactional: dict[str, Any]) -> None:
    """The same nodes and relationships, property by property (graphs of ``whole_graph``)."""
    for records in ("nodes", "relationships"):
        assert bulk[records].keys() == transactional[records].keys()
        for key, props in transactional[records].items():
            assert_same_properties(bulk[records][key], props)


def assert_same_properties(bulk: dict[str, Any], transactional: dict[str, Any]) -> None:
    assert bulk.keys() == transactional.keys()
    for name, value in transactional.items():
        if isinstance(value, float):
            assert math.isclose(bulk[name], value, rel_tol=1e-12), name
        else:
            assert bulk[name] == value, name
            assert type(bulk[name]) is type(value), name


async def answers(uri: str) -> dict[str, Any]:
    """What a few use cases ask: people, a person's ties, a pair's tie, paths, counts."""
    store = Neo4jStore(uri=uri, auth=AUTH)
    await store.open()
    try:
        ties = await store.ties_of([HUB, "ann"])
        return {
            "people": await store.get(Person, [HUB, "ann", "bo", "cy", "p3"]),
            "ties": {person: sorted(t.b for t in found) for person, found in ties.items()},
            "tie": await store.tie("ann", "bo"),
            "interactions": await store.get(Interaction, ["k-1"]),
            "paths": [
                path.people
                for path in await store.introduction_paths(
                    "bo",
                    "p3",
                    max_hops=3,
                    first=5,
                    strategy=Strategy.STRONGEST,
                    min_link_strength=0.0,
                    at=datetime(2024, 6, 1, tzinfo=UTC),
                )
            ],
            "counts": await store.counts(),
        }
    finally:
        await store.close()


def wipe(uri: str) -> None:
    async def run() -> None:
        store = Neo4jStore(uri=uri, auth=AUTH)
        await store.open()
        try:
            await store.delete_everything()
        finally:
            await store.close()

    asyncio.run(run())


def test_a_bulk_first_load_gives_the_graph_and_answers_the_transactional_import_gives(
    app: typer.Typer, server: RunningNeo4j, contacts: Path
) -> None:
    bulk = run_import(app, server, "--bulk", "--create-missing-people", contacts)
    assert bulk.exit_code == 1, bulk.output  # two lines are refused
    assert "bulk load with neo4j-admin" in bulk.output
    live = status(server.home)
    assert live is not None
    bulk_graph = whole_graph(live.uri)
    bulk_answers = asyncio.run(answers(live.uri))

    wipe(live.uri)
    transactional = run_import(app, server, "--no-bulk", "--create-missing-people", contacts)
    assert transactional.exit_code == 1, transactional.output
    assert "neo4j-admin" not in transactional.output
    graph = whole_graph(live.uri)

    # The same report: counts per kind and every refused line, named alike.
    assert table_and_problems(bulk.output) == table_and_problems(transactional.output)
    assert "contacts.csv line 6: field 'at' = 'not-a-time'" in bulk.output
    assert_same_records(bulk_graph, graph)
    # One entry per tie in bulk; through transactions, one per tie and batch (of 20 here).
    assert set(bulk_graph["changes"]) == set(graph["changes"])
    assert set(bulk_graph["changes"].values()) == {1}
    assert bulk_graph["schema"] == graph["schema"]
    assert bulk_graph["indexes"] == graph["indexes"]
    assert all(state == "ONLINE" for state in bulk_graph["indexes"].values())
    assert bulk_answers == asyncio.run(answers(live.uri))
    assert bulk_answers["counts"]["interaction"] == len(LINES) - 4


def test_a_real_contact_record_from_years_ago_loads_in_bulk_as_through_transactions(
    app: typer.Typer, server: RunningNeo4j, tmp_path: Path
) -> None:
    # SocioPatterns, a high school in Marseille, December 2012: who faced whom, per 20 s.
    record = require_shared("sociopatterns-contacts/thiers_2012.csv")
    lines = record.read_text(encoding="utf-8").splitlines()[:REAL_CONTACTS]
    contacts = tmp_path / "thiers.csv"
    contacts.write_text(
        "at,person_a,person_b,kind,duration_s,channel,key\n"
        + "".join(
            f"{at},s{a},s{b},contact,20,in person,\n"
            for at, a, b, *_ in (line.split() for line in lines)
        ),
        encoding="utf-8",
    )
    wipe(server.uri)
    bulk = run_import(app, server, "--bulk", "--create-missing-people", contacts, batch_size=500)
    assert bulk.exit_code == 0, bulk.output
    assert "bulk load with neo4j-admin" in bulk.output
    live = status(server.home)
    assert live is not None
    bulk_graph = whole_graph(live.uri)

    wipe(live.uri)
    transactional = run_import(
        app, server, "--no-bulk", "--create-missing-people", contacts, batch_size=500
    )
    assert transactional.exit_code == 0, transactional.output
    graph = whole_graph(live.uri)

    assert len(graph["nodes"]) > REAL_CONTACTS  # people and every contact
    assert_same_records(bulk_graph, graph)
    assert set(bulk_graph["changes"]) == set(graph["changes"])


def table_and_problems(output: str) -> list[str]:
    """The report's rows and problem lines, without its title (which says how it was done)."""
    return [line for line in output.splitlines() if "│" in line or ": field " in line]


def test_a_database_that_holds_records_is_imported_through_transactions_saying_so(
    app: typer.Typer, server: RunningNeo4j, contacts: Path, tmp_path: Path
) -> None:
    wipe(server.uri)
    assert run_import(app, server, "--no-bulk", "--create-missing-people", contacts).exit_code
    more = tmp_path / "more.csv"
    more.write_text(LINES[0] + "\n2024-04-01T09:00:00Z,ann,dee,call,,,,k-2\n", encoding="utf-8")

    refused = run_import(app, server, "--bulk", "--create-missing-people", more)
    assert refused.exit_code == 2, refused.output
    assert "already holds records" in refused.output

    done = run_import(app, server, "--create-missing-people", more)
    assert done.exit_code == 0, done.output
    assert "importing through transactions: database 'neo4j' already holds records" in (done.output)
    live = status(server.home)
    assert live is not None
    assert ("TIE", "ann", "dee") in whole_graph(live.uri)["relationships"]


def test_a_failed_bulk_load_leaves_the_database_empty_and_the_server_running(
    server: RunningNeo4j,
) -> None:
    wipe(server.uri)
    live = status(server.home)
    assert live is not None
    # A number neo4j-admin cannot read: the import itself fails.
    load = one_contact_load(["ann", "bo"], "bo", duration_s="soon")

    with pytest.raises(BulkLoadError, match="database is as it was"):
        load_into_empty_database(
            load, server=live, cache_dir=default_cache_dir(), auth=AUTH, database="neo4j"
        )

    again = status(server.home)
    assert again is not None
    assert again.bolt_port == live.bolt_port
    graph = whole_graph(again.uri)
    assert graph["nodes"] == {}
    assert graph["relationships"] == {}
    assert not list((server.home / "data").glob(".tiegraph-bulk-aside-*"))


def test_a_load_that_names_someone_it_does_not_create_is_refused_before_the_server_stops(
    server: RunningNeo4j,
) -> None:
    wipe(server.uri)
    live = status(server.home)
    assert live is not None
    load = one_contact_load(["ann"], "nobody")

    with pytest.raises(BulkLoadError, match="'nobody', who is not among the people"):
        load_into_empty_database(
            load, server=live, cache_dir=default_cache_dir(), auth=AUTH, database="neo4j"
        )

    again = status(server.home)
    assert again is not None
    assert again.pid == live.pid  # never stopped
    assert whole_graph(again.uri)["nodes"] == {}


def one_contact_load(people: list[str], other: str, duration_s: object = None) -> FirstLoad:
    """A load of one call between ann and ``other``, creating ``people``."""
    model = StrengthModel()
    contact = InteractionColumns(
        "c.csv", line=[2], key=["k"], at_us=[1_700_000_000_000_000], kind=["call"],
        person_a=["ann"], person_b=[other], initiator=[None],
        duration_s=[duration_s],  # type: ignore[list-item]  # wrong on purpose when asked
        channel=[None],
    )  # fmt: skip
    return FirstLoad(model, people, contact, tie_rows_of(contact, model))
