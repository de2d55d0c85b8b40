"""Gathering the facts the policy decides on, the same way for every use case."""

from __future__ import annotations

from collections.abc import Collection

from graph.domain.model import Group, MembershipRole
from graph.ports import GraphStore
from graph.usecases.policy import Facts
from graph.usecases.viewer import Viewer

__all__ = ["group_facts"]


async def group_facts(
    store: GraphStore,
    viewer: Viewer,
    group_ids: Collection[str],
    *,
    people: Collection[str] = (),
) -> Facts:
    """Return facts about ``group_ids``: which of them the viewer leads (as the group's leader
    or with a leader membership) and which they belong to. Two store calls at most."""
    led: set[str] = set()
    member_of: set[str] = set()
    if group_ids and viewer.person_id is not None:
        stored = await store.get(Group, list(group_ids))
        led = {g.id for g in stored.values() if g.leader_id == viewer.person_id}
        mine = await store.memberships(group_ids=list(group_ids), person_ids=[viewer.person_id])
        member_of = {m.group_id for m in mine}
        led |= {m.group_id for m in mine if m.role is MembershipRole.LEADER}
    return Facts(
        people=tuple(people), groups=tuple(group_ids), led_by_viewer=led, member_of=member_of
    )
