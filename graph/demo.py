"""A small demo network from the world tiegraph serves: one digital group and its ties.

A leader and eight communication and marketing people from different industries meet six
times over four months; they attend, split into breakouts, talk beside the meetings, and some
keep in touch after the group ends. Deterministic: the same records every time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from graph.domain.batch import WriteBatch, WriteSummary
from graph.domain.model import (
    Attendance,
    Breakout,
    Group,
    GroupFormat,
    Interaction,
    InteractionKind,
    Introduction,
    Meeting,
    Membership,
    MembershipRole,
    Organization,
    Person,
    SideConversation,
)
from graph.ports import GraphStore

__all__ = ["demo_batch", "load_demo"]

_PEOPLE: list[tuple[str, str, str, str, str, str, tuple[str, ...]]] = [
    # id, name, profession, organization, industry, location, interests
    ("lena", "Lena Holm", "network leader", "holm", "consulting", "Stockholm", ("leadership",)),
    (
        "amir",
        "Amir Haddad",
        "communications",
        "northbank",
        "fintech",
        "Stockholm",
        ("storytelling", "crisis communication"),
    ),
    ("britt", "Britt Sjö", "marketing", "kvarn", "retail", "Järfälla", ("brand", "storytelling")),
    (
        "carl",
        "Carl Ek",
        "communications",
        "voltera",
        "energy",
        "Linköping",
        ("sustainability", "crisis communication"),
    ),
    ("dina", "Dina Berg", "marketing", "paybridge", "fintech", "Göteborg", ("growth", "brand")),
    (
        "emil",
        "Emil Nord",
        "communications",
        "grocer",
        "retail",
        "Uppsala",
        ("internal communication", "leadership"),
    ),
    (
        "fatima",
        "Fatima Ali",
        "marketing",
        "sunpower",
        "energy",
        "Malmö",
        ("sustainability", "growth"),
    ),
    (
        "gustav",
        "Gustav Lund",
        "communications",
        "medica",
        "health",
        "Stockholm",
        ("storytelling", "AI"),
    ),
    ("hanna", "Hanna Ström", "marketing", "citylib", "public sector", "Linköping", ("AI", "brand")),
]
_MEMBERS = [p[0] for p in _PEOPLE[1:]]
_START = datetime(2024, 1, 15, 17, 0, tzinfo=UTC)
_THEMES = [
    "Introductions: what I hope for and what I bring",
    "Trust in times of crisis",
    "AI in communication",
    "Leading without a title",
    "Sustainability claims",
    "What next for us?",
]


def demo_batch() -> WriteBatch:
    """Return the whole demo network as one batch."""
    batch = WriteBatch()
    seen_orgs: set[str] = set()
    for pid, name, profession, org, industry, location, interests in _PEOPLE:
        if org not in seen_orgs:
            seen_orgs.add(org)
            batch.add(Organization(id=org, name=org.capitalize(), industry=industry))
        batch.add(
            Person(
                id=pid,
                name=name,
                profession=profession,
                organization_id=org,
                industry=industry,
                location=location,
                interests=interests,
            )
        )
    batch.add(
        Group(
            id="spring-2024",
            name="Communicators, spring 2024",
            leader_id="lena",
            capacity=8,
            theme="Communication across industries",
            format=GroupFormat.DIGITAL,
            starts_on=date(2024, 1, 15),
            ends_on=date(2024, 5, 13),
        )
    )
    batch.add(Membership(group_id="spring-2024", person_id="lena", role=MembershipRole.LEADER))
    for pid in _MEMBERS:
        batch.add(Membership(group_id="spring-2024", person_id=pid, joined_on=date(2024, 1, 15)))
    for n, theme in enumerate(_THEMES):
        mid = f"spring-2024-m{n + 1}"
        starts = _START + timedelta(weeks=3 * n + (1 if n == 5 else 0))
        batch.add(Meeting(id=mid, group_id="spring-2024", starts_at=starts, theme=theme))
        present = [p for i, p in enumerate(_MEMBERS) if (i + n) % 7 != 6]  # one absent each time
        for i, pid in enumerate(["lena", *present]):
            batch.add(
                Attendance(meeting_id=mid, person_id=pid, speaking_s=300 + 97 * ((i * 7 + n) % 9))
            )
        rotated = present[n % len(present) :] + present[: n % len(present)]
        for start in range(0, len(rotated), 4):
            members = tuple(rotated[start : start + 4])
            if len(members) >= 2:
                batch.add(
                    Breakout(id=f"{mid}-b{start // 4 + 1}", meeting_id=mid, member_ids=members)
                )
    pairs: list[tuple[str, str]] = [
        ("amir", "carl"),
        ("britt", "dina"),
        ("gustav", "hanna"),
        ("emil", "fatima"),
    ]
    for n, (a, b) in enumerate(pairs):
        for week in range(2, 16, 3):
            batch.add(
                SideConversation(
                    id=f"side-{a}-{b}-{week}",
                    participant_ids=(a, b),
                    at=_START + timedelta(weeks=week, days=n),
                    channel="video call",
                    initiator_id=a if week % 2 else b,
                    duration_s=1800,
                )
            )
    # After the group ended: two pairs keep in touch, the others drift apart.
    ended = datetime(2024, 5, 13, tzinfo=UTC)
    for a, b in pairs[:2]:
        for month in range(1, 7):
            batch.add(
                Interaction(
                    key=f"after-{a}-{b}-{month}",
                    at=ended + timedelta(days=30 * month),
                    kind=InteractionKind.CALL if month % 2 else InteractionKind.MESSAGE,
                    participant_ids=(a, b),
                    initiator_id=b if month % 3 else a,
                    channel="phone" if month % 2 else "e-mail",
                )
            )
    # After the group: amir asks carl to introduce him to hanna (not answered yet).
    batch.add(
        Introduction(
            id="intro-amir-hanna",
            requester_id="amir",
            introducer_id="carl",
            target_id="hanna",
            requested_at=ended + timedelta(days=40),
            note="Hanna's crisis-communication work would help our rebrand.",
        )
    )
    return batch


async def load_demo(store: GraphStore) -> WriteSummary:
    """Write the demo network; idempotent, so loading it again changes nothing."""
    return await store.apply(demo_batch())
