"""The ranked and derived lists page like every other connection, on every backend.

`strongestTies`, `driftingTies`, `recommendedPeople` and `mutualConnections` keep their own
order; a page at a time, with `first` and the `endCursor` of the page before, a client reads
every item of the list once, in that order, and never one the whole list would not show.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import pytest

from graph.domain.model import Person
from graph.ports import batch_of
from graph.usecases.viewer import Role
from tests.api.conftest import Api

AUTUMN = "2024-10-01T10:00:00Z"
"""Five months after the demo group ended."""


@dataclass(frozen=True)
class Ranked:
    field: str
    arguments: str
    item: str
    """The selection of one item, and what tells items apart."""
    viewer: tuple[str | None, tuple[Role, ...]]


LISTS = {
    "strongestTies": Ranked(
        "strongestTies", f'person: "amir", at: "{AUTUMN}"', "other { key }", ("amir", ())
    ),
    "driftingTies": Ranked(
        "driftingTies",
        f'group: "spring-2024", windowDays: 120, at: "{AUTUMN}"',
        "person { key } other { key }",
        ("lena", (Role.LEADER,)),
    ),
    "recommendedPeople": Ranked(
        "recommendedPeople", 'person: "amir"', "person { key } score", ("amir", ())
    ),
    "mutualConnections": Ranked("mutualConnections", 'a: "amir", b: "carl"', "key", ("amir", ())),
}


async def _kindred(api: Api) -> None:
    """People amir does not know who share his interest: some to recommend."""
    await api.app.state.store.apply(
        batch_of(
            [Person(id=f"kin-{n}", name=f"Kin {n}", interests=("storytelling",)) for n in range(5)]
        )
    )


def _page_query(ranked: Ranked) -> str:
    return (
        f"query($first: Int!, $after: String) {{ {ranked.field}({ranked.arguments},"
        " first: $first, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage"
        f" startCursor endCursor }} edges {{ cursor node {{ {ranked.item} }} }}"
        f" nodes {{ {ranked.item} }} }} }}"
    )


async def _pages(
    api: Api, ranked: Ranked, headers: dict[str, str], size: int
) -> tuple[list[Any], list[dict[str, Any]]]:
    """Every item, page by page, and every page as it came."""
    items: list[Any] = []
    pages: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        data = await api.data(_page_query(ranked), headers, first=size, after=after)
        page = data[ranked.field]
        pages.append(page)
        items.extend(page["nodes"])
        assert [e["node"] for e in page["edges"]] == page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return items, pages
        after = page["pageInfo"]["endCursor"]
        assert len(pages) <= 1_000, "paging does not end"


@pytest.mark.parametrize("name", sorted(LISTS))
async def test_paging_reads_every_item_once_in_the_order_of_the_whole_list(
    api: Api, name: str
) -> None:
    await _kindred(api)
    ranked = LISTS[name]
    headers = api.as_(ranked.viewer[0], *ranked.viewer[1])
    whole = (await api.data(_page_query(ranked), headers, first=1_000, after=None))[ranked.field]
    assert len(whole["nodes"]) >= 3, "too short a list to page"
    assert whole["totalCount"] == len(whole["nodes"])
    assert whole["pageInfo"]["hasNextPage"] is False

    for size in (1, 2):
        items, pages = await _pages(api, ranked, headers, size)
        assert items == whole["nodes"]
        assert {p["totalCount"] for p in pages} == {len(whole["nodes"])}
        assert [len(p["nodes"]) for p in pages[:-1]] == [size] * (len(pages) - 1)
        assert pages[0]["pageInfo"]["hasPreviousPage"] is False
        assert all(p["pageInfo"]["hasPreviousPage"] for p in pages[1:])


async def test_the_page_size_keeps_its_default_and_its_meaning(api: Api) -> None:
    data = await api.data(
        f'{{ strongestTies(person: "amir", first: 3, at: "{AUTUMN}") {{ totalCount'
        " pageInfo { hasNextPage } nodes { other { key } } } }",
        api.as_("amir"),
    )
    page = data["strongestTies"]
    assert len(page["nodes"]) == 3
    assert page["totalCount"] > 3
    assert page["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize("name", sorted(LISTS))
async def test_a_negative_first_or_a_cursor_this_api_did_not_give_is_refused_by_name(
    api: Api, name: str
) -> None:
    ranked = LISTS[name]
    headers = api.as_(ranked.viewer[0], *ranked.viewer[1])
    query = _page_query(ranked)
    body = await api.query(query, headers, first=-1, after=None)
    assert body["data"] is None
    # Word for word what the other connections say.
    people = await api.query("{ people(first: -1) { totalCount } }")
    assert body["errors"][0]["message"] == people["errors"][0]["message"]
    assert "'first' = -1: must be 0-1000" in body["errors"][0]["message"]
    forged = base64.urlsafe_b64encode(b"before:amir").decode()
    for cursor in ("not-a-cursor", forged):
        body = await api.query(query, headers, first=2, after=cursor)
        assert body["data"] is None
        assert "is not a cursor this API gave out" in body["errors"][0]["message"], body


@pytest.mark.parametrize("name", ["strongestTies", "driftingTies", "recommendedPeople"])
async def test_a_cursor_of_another_list_is_refused_by_a_ranked_list(api: Api, name: str) -> None:
    await _kindred(api)
    ranked = LISTS[name]
    headers = api.as_(ranked.viewer[0], *ranked.viewer[1])
    groups = await api.data("{ groups(first: 1) { pageInfo { endCursor } } }")
    foreign = groups["groups"]["pageInfo"]["endCursor"]
    body = await api.query(_page_query(ranked), headers, first=2, after=foreign)
    assert body["data"] is None
    assert "is not a cursor of this list" in body["errors"][0]["message"], body
