"""A block between the asker and the target leaves no introduction path and shows no tie between
them: paths, degree and mutual connections answer as for strangers, whoever blocked whom.

Written as the attacker would ask (the blocked person's token, and the blocker's).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from graph.domain.model import Person
from graph.ports import GraphStore, batch_of
from tests.api.conftest import Api


async def _block(api: Api, who: str, whom: str) -> None:
    store: GraphStore = api.app.state.store
    found = (await store.get(Person, [who]))[who]
    await store.apply(batch_of([replace(found, blocked_ids=(whom,))]))


async def _answers(api: Api, asker: str, target: str) -> tuple[object, object]:
    paths = await api.data(
        f'{{ introductionPaths(from: "{asker}", to: "{target}") {{ score }} }}', api.as_(asker)
    )
    degree = await api.data(f'{{ connectionDegree(a: "{asker}", b: "{target}") }}', api.as_(asker))
    return paths["introductionPaths"], degree["connectionDegree"]


@pytest.mark.parametrize("blocker", ["amir", "hanna"])
async def test_a_block_either_way_leaves_no_path_and_no_tie_to_show(api: Api, blocker: str) -> None:
    paths, degree = await _answers(api, "amir", "hanna")
    assert paths  # they met at the group's meetings
    assert degree == "FIRST"
    await _block(api, blocker, "hanna" if blocker == "amir" else "amir")
    paths, degree = await _answers(api, "amir", "hanna")
    assert paths == []
    assert degree != "FIRST"
