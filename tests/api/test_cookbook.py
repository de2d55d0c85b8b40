"""Every query in docs/cookbook.md answers without errors for the person it is written for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graph.usecases.viewer import Role
from tests.api.conftest import Api

COOKBOOK = Path(__file__).resolve().parents[2] / "docs" / "cookbook.md"
_BLOCK = re.compile(r"```graphql\n# as: (?P<person>\w+) (?P<role>\w+)\n(?P<document>.*?)```", re.S)


def _recipes() -> list[tuple[str, str, str]]:
    text = COOKBOOK.read_text(encoding="utf-8")
    found = [(m["person"], m["role"], m["document"]) for m in _BLOCK.finditer(text)]
    assert len(found) == text.count("```graphql"), "every graphql block says whose it is"
    return found


RECIPES = _recipes()


def _nothing_but_nulls(value: object) -> bool:
    if isinstance(value, dict):
        return all(_nothing_but_nulls(v) for v in value.values())
    if isinstance(value, list):
        return all(_nothing_but_nulls(v) for v in value)
    return value is None


@pytest.mark.parametrize(
    ("person", "role", "document"),
    RECIPES,
    ids=[re.search(r"(?:query|mutation) (\w+)", d)[1] for _, _, d in RECIPES],  # type: ignore[index]
)
async def test_the_cookbook_recipe_answers_for_its_reader(
    api: Api, person: str, role: str, document: str
) -> None:
    data = await api.data(document, api.as_(person, Role(role)))
    assert not _nothing_but_nulls(data), data
    for value in data.values():
        if isinstance(value, dict) and "__typename" in value:
            assert value["__typename"] in {"WritePayload", "IntroductionPayload"}, value
