"""Gathering the facts the policy decides on, the same way for every use case."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from graph.domain.model import Group, MembershipRole, Person
from graph.ports import GraphStore
from graph.usecases.policy import Action, Facts, may
from graph.usecases.viewer import Viewer

__all__ = [
    "blocked_between",
    "group_facts",
    "readable_private_profiles",
    "without_private_profile",
]


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


async def readable_private_profiles(
    store: GraphStore, viewer: Viewer, person_ids: Collection[str]
) -> set[str]:
    """Return which of ``person_ids`` the viewer may read the private profile of (offers,
    seeks, pre-interview answers): themselves, the members of groups they lead, everyone for
    an admin. Three store calls at most."""
    wanted = set(person_ids)
    if viewer.is_admin:
        return wanted
    allowed = {p for p in wanted if may(viewer, Action.READ_PRIVATE_PROFILE, Facts(people=[p]))}
    if viewer.person_id is None or not wanted - allowed:
        return allowed
    memberships = await store.memberships(person_ids=sorted(wanted - allowed))
    facts = await group_facts(store, viewer, sorted({m.group_id for m in memberships}))
    allowed |= {
        m.person_id
        for m in memberships
        if may(
            viewer,
            Action.READ_PRIVATE_PROFILE,
            replace(facts, people=(m.person_id,), groups=(m.group_id,)),
        )
    }
    return allowed


def without_private_profile(person: Person) -> Person:
    """Return ``person`` without what only readers of their private profile may use."""
    return replace(person, offers=(), seeks=())


def blocked_between(a: Person, b: Person) -> bool:
    """Whether either of the two blocked the other.

    >>> blocked_between(Person(id="a", name="A", blocked_ids=("b",)), Person(id="b", name="B"))
    True
    """
    return b.id in a.blocked_ids or a.id in b.blocked_ids
