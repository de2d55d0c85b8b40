"""The reads behind a person's page do work linear in the degrees they look at: a tie's
shared contacts are found from the other person's ties, never by checking each of them
against every tie of the person; the viewer's memberships among some groups are found from
the viewer, never through every member of the groups. Measured with PROFILE (what the server
did, not what it planned)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import neo4j
import pytest

from graph.adapters.neo4j import cypher
from graph.domain.batch import WriteBatch
from graph.ports import batch_of
from tests.factories import group, interaction, membership, person
from tests.support.neo4j import Neo4jTarget
from tests.support.profiles import Network, loaded_network, walk

ADA_TIES = 200
"""Ada knows this many people..."""
ONWARD_TIES = 5
"""...and each of them this many more people, most of whom Ada knows too."""
DB_HITS_BOUND = 15_000
"""At most this many db hits for all of Ada's tie contexts. Measured: 7,201 (each tie's other
end expanded once, the degrees from the degree store); checking every neighbour of each other
end against Ada's ties by Expand(Into) cost 54,086."""
MEMBERSHIP_HITS_BOUND = 100
"""At most this many db hits for Ada's memberships among two groups, one of which everyone is
in. Measured: 23; through the groups' 251 members (MEMBERSHIPS_OF_GROUPS): 525."""


def _friend(index: int) -> str:
    return f"friend-{index:03d}"


def _batches() -> list[WriteBatch]:
    rng = random.Random(5)
    people = [person("ada")] + [person(_friend(i)) for i in range(ADA_TIES + 50)]
    contacts = [
        interaction(f"ada-{i}", "ada", _friend(i), day=rng.uniform(0, 999)) for i in range(ADA_TIES)
    ]
    for i in range(ADA_TIES):
        for j in range(ONWARD_TIES):
            other = _friend(rng.randrange(ADA_TIES + 50))
            if other != _friend(i):
                contacts.append(
                    interaction(f"on-{i}-{j}", _friend(i), other, day=rng.uniform(0, 999))
                )
    groups = [group("everyone"), group("few")]
    members = [membership("everyone", p.id) for p in people] + [membership("few", "ada")]
    return [WriteBatch(people=people), batch_of([*groups, *members])] + [
        WriteBatch(interactions=contacts[start : start + 1_000])
        for start in range(0, len(contacts), 1_000)
    ]


@pytest.fixture(scope="module")
async def ada_network(neo4j_target: Neo4jTarget | None) -> AsyncIterator[Network]:
    async with loaded_network(neo4j_target, _batches()) as network:
        yield network


async def _profiled(
    driver: neo4j.AsyncDriver, database: str, parameters: dict[str, Any]
) -> tuple[int, list[str], int]:
    async with driver.session(database=database) as session:
        result = await session.run("PROFILE " + cypher.TIE_CONTEXTS, parameters)
        rows = [row async for row in result]
        summary = await result.consume()
    assert summary.profile is not None
    hits, operators = walk(summary.profile)
    return hits, operators, len(rows)


async def test_a_person_s_tie_contexts_cost_the_degrees_of_their_ties_not_their_product(
    ada_network: Network,
) -> None:
    store, driver, database = ada_network
    hits, operators, rows = await _profiled(driver, database, {"person_id": "ada", "others": None})
    assert rows == ADA_TIES
    assert hits <= DB_HITS_BOUND, hits
    assert not {"NodeByLabelScan", "AllNodesScan"} & set(operators)
    contexts = await store.tie_contexts("ada")
    assert sum(c.shared_contacts for c in contexts) > ADA_TIES  # the work was there to do


async def test_the_viewer_s_memberships_among_groups_cost_their_own_memberships(
    ada_network: Network,
) -> None:
    store, driver, database = ada_network
    parameters = {"group_ids": ["everyone", "few"], "person_ids": ["ada"]}
    async with driver.session(database=database) as session:
        result = await session.run("PROFILE " + cypher.MEMBERSHIPS_OF_PEOPLE_IN_GROUPS, parameters)
        (row,) = [row async for row in result]
        summary = await result.consume()
    assert summary.profile is not None
    hits, _ = walk(summary.profile)
    assert len(row["props"]) == 2
    assert hits <= MEMBERSHIP_HITS_BOUND, hits
    found = await store.memberships(group_ids=["everyone", "few"], person_ids=["ada"])
    assert [(m.group_id, m.person_id) for m in found] == [("everyone", "ada"), ("few", "ada")]
