"""What two people have in common, whom a person might like to meet, and what a group shares.

**Rarity.** Having something in common says more the fewer people have it: two people who both
care about storytelling, which 12 of 4,000 people list, have more to talk about than two who
both list networking, which half the network does. Each shared thing therefore weighs its
:func:`rarity`, a smoothed inverse document frequency over the people of the network::

    rarity(n, N) = ln((1 + N) / (1 + n)) + 1

where ``n`` people of ``N`` have it. Something everyone has weighs 1 (the floor: still shared,
never nothing or negative), and the weight grows by ``ln 2`` (about 0.69) each time the number
of people who have it halves. The ``+ 1`` inside the logarithm keeps it finite for things
nobody else has. The same rule weighs every kind of thing two people share: an interest (how
many people list it), an organization or an industry (how many people are in it), a group (its
members) and a meeting (its attendees), so the parts of a score can be compared and added up.

**Labels.** Interests, industries, offers and seeks are free text. Two labels are the same
when their :func:`label_key` is: Unicode compatibility-normalized (NFKC), case-folded, and with
every run of white space, hyphens and underscores turned into one space, trimmed
(``"Machine-Learning "`` and ``"machine learning"`` match; ``"design"`` and ``"interior
design"`` do not: no partial matches, which would mostly match wrongly).

**Offers and seeks.** One person's offer meets another's seek when their keys are equal
(:func:`matches`). A match weighs :data:`MATCH_WEIGHT`: how many people offer or seek
something is not known to the store, so a match is weighed like a fairly uncommon shared
interest (one about one person in eight has).

**Recommendations** (:func:`recommend`) are people the person does not know yet, scored by the
interests they share (rarity-weighted) plus the offer/seek matches in both directions, each
with its reasons. Nobody appears who is the person, is among the people they know, is not
discoverable, or is blocked by or blocks them; nobody appears with nothing in common.

Everything here is pure and deterministic: the same inputs give the same items in the same
order, and scores are exact sums (:func:`math.fsum`) that do not depend on that order.
"""

from __future__ import annotations

import enum
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC

from graph.domain.deadline import Deadline
from graph.domain.model import Group, Meeting, Person

__all__ = [
    "DEFAULT_GROUP_SIZE",
    "MATCH_WEIGHT",
    "Facet",
    "InterestOverlap",
    "Match",
    "Recommendation",
    "Shared",
    "SharedItem",
    "interest_labels",
    "interest_overlap",
    "label_key",
    "matches",
    "rarity",
    "recommend",
    "shared_between",
]

MATCH_WEIGHT = 3.0
"""What one offer meeting one seek weighs: about the rarity of an interest one person in eight
has (``rarity(1, 8)`` is 2.5, ``rarity(500, 4000)`` is 3.08)."""

DEFAULT_GROUP_SIZE = 8
"""Members assumed for a group (and attendees for a meeting) whose size is not given: the
size groups are designed for (:attr:`graph.domain.model.Group.capacity`)."""

_SEPARATORS = re.compile(r"[\s\-_]+")


def label_key(text: str) -> str:
    """Return the key free-text labels are compared by (see the module docstring).

    >>> label_key("  Machine-Learning ")
    'machine learning'
    >>> label_key("STRASSE") == label_key("Straße")
    True
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SEPARATORS.sub(" ", folded).strip()


def rarity(count: int, population: int) -> float:
    """Return what sharing something that ``count`` of ``population`` people have weighs.

    ``ln((1 + population) / (1 + count)) + 1``: 1 when everyone has it, more the fewer do. A
    count above the population (two reads apart while people were added) counts as everyone.

    >>> rarity(4000, 4000)
    1.0
    >>> round(rarity(12, 4000), 2)
    6.73
    >>> rarity(2, 8) > rarity(3, 8)
    True
    """
    if count < 0 or population < 0:
        raise ValueError(f"counts cannot be negative: {count} of {population}")
    count = min(count, population)
    return math.log((1 + population) / (1 + count)) + 1.0


class Facet(enum.StrEnum):
    """What kind of thing two people have in common."""

    INTEREST = "interest"
    ORGANIZATION = "organization"
    INDUSTRY = "industry"
    GROUP = "group"
    MEETING = "meeting"


_FACET_ORDER = {facet: n for n, facet in enumerate(Facet)}


@dataclass(frozen=True, slots=True)
class SharedItem:
    """One thing two (or more) people have in common, what it weighs, and why, in one line."""

    facet: Facet
    key: str
    """The label key of an interest or industry; the id of an organization, group or meeting."""
    label: str
    """How it is shown: the interest or industry as written, the organization's or group's
    name, the meeting's date and group."""
    count: int | None
    """How many people have it (members of a group, attendees of a meeting); ``None`` when not
    known, and then it weighs the floor, 1."""
    weight: float
    explanation: str
    """E.g. ``both are interested in storytelling (12 of 4,000 people)``."""


def _by_weight(items: Iterable[SharedItem]) -> tuple[SharedItem, ...]:
    return tuple(sorted(items, key=lambda i: (-i.weight, _FACET_ORDER[i.facet], i.key)))


@dataclass(frozen=True, slots=True)
class Shared:
    """What two people have in common, each part weighed and explained.

    ``groups`` and ``meetings`` are ``None`` when they are withheld from whoever asked (not
    the same as an empty tuple: nothing in common); :attr:`score` adds up what is shown.
    Each part is ordered by weight (heaviest first), then key.
    """

    a_id: str
    b_id: str
    population: int
    """How many people the network has: what every count is out of."""
    interests: tuple[SharedItem, ...]
    organizations: tuple[SharedItem, ...]
    industries: tuple[SharedItem, ...]
    groups: tuple[SharedItem, ...] | None
    meetings: tuple[SharedItem, ...] | None

    @property
    def items(self) -> tuple[SharedItem, ...]:
        """Every part shown, heaviest first (then by facet and key)."""
        return _by_weight(
            (
                *self.interests,
                *self.organizations,
                *self.industries,
                *(self.groups or ()),
                *(self.meetings or ()),
            )
        )

    @property
    def score(self) -> float:
        """The sum of the weights of every part shown."""
        return math.fsum(i.weight for i in self.items)


@dataclass(frozen=True, slots=True)
class Match:
    """Something one person offers that another seeks."""

    giver_id: str
    taker_id: str
    key: str
    """The label key both sides share."""
    offer: str
    """The offer as the giver wrote it."""
    seek: str
    """The seek as the taker wrote it."""
    weight: float
    explanation: str
    """E.g. ``Ann offers mentoring, which Ben seeks``."""


@dataclass(frozen=True, slots=True)
class Recommendation:
    """Someone a person might like to meet, how strongly, and why.

    Only the other person's id is kept: whoever shows a recommendation reads the person through
    the use case that applies what the viewer may see of them.
    """

    person_id: str
    score: float
    """The sum of the weights of ``interests`` and ``matches``."""
    interests: tuple[SharedItem, ...]
    """Interests both have, heaviest first."""
    matches: tuple[Match, ...]
    """Offers of either that meet seeks of the other: the person's offers first."""

    @property
    def reasons(self) -> tuple[str, ...]:
        """One line for each interest and match, heaviest first (matches before interests of
        the same weight)."""
        lines = [(-m.weight, 0, m.explanation) for m in self.matches]
        lines += [(-i.weight, 1, i.explanation) for i in self.interests]
        return tuple(line for *_, line in sorted(lines))


@dataclass(frozen=True, slots=True)
class InterestOverlap:
    """An interest several members of a group share, and how rare it is in the network."""

    key: str
    label: str
    """The spelling most of its holders use (the first in sort order among equals)."""
    member_ids: tuple[str, ...]
    """The members who have it, by id."""
    count: int | None
    """How many people in the network have it; ``None`` when not known."""
    rarity: float
    explanation: str
    """E.g. ``3 of 8 members are interested in storytelling (12 of 4,000 people)``."""

    @property
    def members(self) -> int:
        """How many members have it."""
        return len(self.member_ids)


# -- helpers ------------------------------------------------------------------------------------


def _keyed(labels: Iterable[str]) -> dict[str, str]:
    """Each label key (empty ones left out) with its first spelling, in order."""
    found: dict[str, str] = {}
    for label in labels:
        key = label_key(label)
        if key and key not in found:
            found[key] = label.strip()
    return found


def interest_labels(people: Iterable[Person]) -> dict[str, tuple[str, ...]]:
    """Return each interest key the people have with its spellings (distinct up to case).

    What a store needs to count the people with each interest: stores match an interest as a
    whole value up to case, so every spelling of a key is asked about.

    >>> interest_labels([Person(id="a", name="A", interests=("Story-telling", "story telling"))])
    {'story telling': ('Story-telling', 'story telling')}
    """
    found: dict[str, dict[str, str]] = {}
    for person in people:
        for label in person.interests:
            key = label_key(label)
            if key:
                spelled = label.strip()
                found.setdefault(key, {}).setdefault(spelled.casefold(), spelled)
    return {key: tuple(spellings.values()) for key, spellings in found.items()}


def _weighed(count: int | None, population: int, *, at_least: int) -> tuple[int | None, float]:
    """The count (raised to those known to have it) and its rarity; the floor if unknown."""
    if count is None:
        return None, 1.0
    count = max(count, at_least)
    return count, rarity(count, max(population, count))


def _of(count: int | None, population: int) -> str:
    return "" if count is None else f" ({count:,} of {max(population, count):,} people)"


# -- two people -----------------------------------------------------------------------------------


def shared_between(
    a: Person,
    b: Person,
    *,
    interest_counts: Mapping[str, int],
    population: int,
    groups_a: Collection[Group],
    groups_b: Collection[Group],
    meetings_a: Collection[Meeting],
    meetings_b: Collection[Meeting],
    organization_counts: Mapping[str, int] | None = None,
    industry_counts: Mapping[str, int] | None = None,
    organization_names: Mapping[str, str] | None = None,
    group_sizes: Mapping[str, int] | None = None,
    meeting_sizes: Mapping[str, int] | None = None,
) -> Shared:
    """Return what ``a`` and ``b`` have in common, each part weighed by its rarity.

    ``interest_counts`` (by label key), ``organization_counts`` (by id) and ``industry_counts``
    (by label key) say how many of ``population`` people have each; ``groups_*`` and
    ``meetings_*`` are the groups each belongs to and the meetings each attended, whose
    ``group_sizes`` (members) and ``meeting_sizes`` (attendees) default to
    :data:`DEFAULT_GROUP_SIZE`. A count is never taken as less than two, the two people
    themselves. An interest, organization or industry without a count weighs the floor, 1, so
    an unknown count never inflates a score.

    >>> ann = Person(id="ann", name="Ann", interests=("Storytelling", "networking"))
    >>> ben = Person(id="ben", name="Ben", interests=("storytelling", "Networking"))
    >>> shared = shared_between(ann, ben, interest_counts={"storytelling": 12, "networking": 4000},
    ...     population=4000, groups_a=(), groups_b=(), meetings_a=(), meetings_b=())
    >>> for item in shared.interests:
    ...     print(item.explanation)
    both are interested in Storytelling (12 of 4,000 people)
    both are interested in networking (4,000 of 4,000 people)
    >>> round(shared.score, 2)
    7.73
    """
    interests = _shared_interests(a, b, interest_counts, population)

    organizations: list[SharedItem] = []
    if a.organization_id is not None and a.organization_id == b.organization_id:
        oid = a.organization_id
        count, weight = _weighed(
            None if organization_counts is None else organization_counts.get(oid),
            population,
            at_least=2,
        )
        name = (organization_names or {}).get(oid, oid)
        organizations.append(
            SharedItem(
                Facet.ORGANIZATION,
                oid,
                name,
                count,
                weight,
                f"both work at {name}{_of(count, population)}",
            )
        )

    industries: list[SharedItem] = []
    industry_key = label_key(a.industry or "")
    if a.industry and b.industry and industry_key and industry_key == label_key(b.industry):
        count, weight = _weighed(
            None if industry_counts is None else industry_counts.get(industry_key),
            population,
            at_least=2,
        )
        industries.append(
            SharedItem(
                Facet.INDUSTRY,
                industry_key,
                a.industry.strip(),
                count,
                weight,
                f"both work in {a.industry.strip()}{_of(count, population)}",
            )
        )

    groups_of_b = {g.id for g in groups_b}
    shared_groups = sorted({g.id: g for g in groups_a if g.id in groups_of_b}.values(), key=_id)
    group_names = {g.id: g.name for g in (*groups_a, *groups_b)}
    groups: list[SharedItem] = []
    for group in shared_groups:
        size = max((group_sizes or {}).get(group.id, DEFAULT_GROUP_SIZE), 2)
        groups.append(
            SharedItem(
                Facet.GROUP,
                group.id,
                group.name,
                size,
                rarity(size, max(population, size)),
                f"both are members of {group.name} ({size:,} members)",
            )
        )

    meetings_of_b = {m.id for m in meetings_b}
    shared_meetings = sorted(
        {m.id: m for m in meetings_a if m.id in meetings_of_b}.values(), key=_id
    )
    meetings: list[SharedItem] = []
    for meeting in shared_meetings:
        size = max((meeting_sizes or {}).get(meeting.id, DEFAULT_GROUP_SIZE), 2)
        label = _meeting_label(meeting, group_names)
        meetings.append(
            SharedItem(
                Facet.MEETING,
                meeting.id,
                label,
                size,
                rarity(size, max(population, size)),
                f"both attended {label} ({size:,} attended)",
            )
        )

    return Shared(
        a_id=a.id,
        b_id=b.id,
        population=population,
        interests=_by_weight(interests),
        organizations=_by_weight(organizations),
        industries=_by_weight(industries),
        groups=_by_weight(groups),
        meetings=_by_weight(meetings),
    )


def _id(record: Group | Meeting) -> str:
    return record.id


def _meeting_label(meeting: Meeting, group_names: Mapping[str, str]) -> str:
    """E.g. ``the 2024-01-08 meeting of Founders on pricing``."""
    day = meeting.starts_at.astimezone(UTC).date().isoformat()
    group = group_names.get(meeting.group_id, meeting.group_id)
    theme = f" on {meeting.theme}" if meeting.theme else ""
    return f"the {day} meeting of {group}{theme}"


def _shared_interests(
    a: Person, b: Person, interest_counts: Mapping[str, int], population: int
) -> list[SharedItem]:
    of_b = _keyed(b.interests)
    items = []
    for key, label in _keyed(a.interests).items():
        if key not in of_b:
            continue
        count, weight = _weighed(interest_counts.get(key), population, at_least=2)
        items.append(
            SharedItem(
                Facet.INTEREST,
                key,
                label,
                count,
                weight,
                f"both are interested in {label}{_of(count, population)}",
            )
        )
    return items


def matches(a: Person, b: Person, *, weight: float = MATCH_WEIGHT) -> list[Match]:
    """Return what ``a`` offers that ``b`` seeks, then what ``b`` offers that ``a`` seeks.

    Labels match when their :func:`label_key` is equal; each direction is ordered by key, and
    an offer meeting a seek counts once however often either is repeated.

    >>> ann = Person(id="ann", name="Ann", offers=("Mentoring",), seeks=("funding",))
    >>> ben = Person(id="ben", name="Ben", offers=("Funding ",), seeks=("mentoring", "sales"))
    >>> [m.explanation for m in matches(ann, ben)]
    ['Ann offers Mentoring, which Ben seeks', 'Ben offers Funding, which Ann seeks']
    """
    return [*_one_way(a, b, weight), *_one_way(b, a, weight)]


def _one_way(giver: Person, taker: Person, weight: float) -> list[Match]:
    sought = _keyed(taker.seeks)
    return [
        Match(
            giver_id=giver.id,
            taker_id=taker.id,
            key=key,
            offer=offer,
            seek=sought[key],
            weight=weight,
            explanation=f"{giver.name} offers {offer}, which {taker.name} seeks",
        )
        for key, offer in sorted(_keyed(giver.offers).items())
        if key in sought
    ]


# -- recommendations ------------------------------------------------------------------------------


def recommend(
    person: Person,
    candidates: Iterable[Person],
    *,
    known: Collection[str],
    interest_counts: Mapping[str, int],
    population: int,
    first: int,
    match_weight: float = MATCH_WEIGHT,
    deadline: Deadline | None = None,
) -> list[Recommendation]:
    """Return at most ``first`` people ``person`` might like to meet, best first.

    A candidate's score is the rarity-weighted sum of the interests both have plus
    ``match_weight`` for each offer of either that meets a seek of the other. Left out: the
    person themselves, anyone in ``known`` (e.g. everyone they have a tie with), anyone not
    discoverable, anyone the person blocked or who blocked them, and anyone with a score of 0.
    A candidate given twice counts once. Ordered by score (highest first), then id. Past
    ``deadline``, raises ``BudgetExceeded``.

    >>> me = Person(id="me", name="Me", interests=("chess", "go"), seeks=("design",))
    >>> ann = Person(id="ann", name="Ann", interests=("go",), offers=("Design",))
    >>> bo = Person(id="bo", name="Bo", interests=("chess", "go"), discoverable=False)
    >>> [(r.person_id, r.reasons) for r in recommend(me, [ann, bo], known=set(),
    ...     interest_counts={"go": 3}, population=10, first=5)]
    [('ann', ('Ann offers Design, which Me seeks', 'both are interested in go (3 of 10 people)'))]
    """
    if first < 0:
        raise ValueError(f"first cannot be negative: {first}")
    seen: set[str] = set()
    found: list[Recommendation] = []
    for n, candidate in enumerate(candidates):
        if deadline is not None and not n % 256:
            deadline.check()
        if candidate.id in seen:
            continue
        seen.add(candidate.id)
        if (
            candidate.id == person.id
            or candidate.id in known
            or not candidate.discoverable
            or candidate.id in person.blocked_ids
            or person.id in candidate.blocked_ids
        ):
            continue
        interests = _by_weight(_shared_interests(person, candidate, interest_counts, population))
        both_ways = tuple(matches(person, candidate, weight=match_weight))
        parts = [i.weight for i in interests] + [m.weight for m in both_ways]
        score = math.fsum(parts)
        if score <= 0:
            continue
        found.append(Recommendation(candidate.id, score, interests, both_ways))
    found.sort(key=lambda r: (-r.score, r.person_id))
    return found[:first]


# -- groups -------------------------------------------------------------------------------------


def interest_overlap(
    members: Sequence[Person],
    *,
    interest_counts: Mapping[str, int],
    population: int,
) -> list[InterestOverlap]:
    """Return each interest two or more of a group's ``members`` have, with who and how rare.

    Ordered by how many members have it (most first), then by rarity (rarest first), then key.
    A member listed twice counts once. Counts are by label key, as for :func:`shared_between`;
    an interest without a count has rarity 1.

    >>> crew = [Person(id=p, name=p, interests=i) for p, i in
    ...     [("a", ("chess", "Go")), ("b", ("go", "chess")), ("c", ("chess",))]]
    >>> [(o.label, o.member_ids) for o in interest_overlap(crew,
    ...     interest_counts={"chess": 50, "go": 5}, population=100)]
    [('chess', ('a', 'b', 'c')), ('Go', ('a', 'b'))]
    """
    holders: dict[str, set[str]] = {}
    spellings: dict[str, Counter[str]] = {}
    size = len({m.id for m in members})
    for member in {m.id: m for m in members}.values():
        for key, label in _keyed(member.interests).items():
            holders.setdefault(key, set()).add(member.id)
            spellings.setdefault(key, Counter())[label] += 1
    found = []
    for key, ids in holders.items():
        if len(ids) < 2:
            continue
        label = min(spellings[key], key=lambda s: (-spellings[key][s], s))
        count, weight = _weighed(interest_counts.get(key), population, at_least=len(ids))
        found.append(
            InterestOverlap(
                key=key,
                label=label,
                member_ids=tuple(sorted(ids)),
                count=count,
                rarity=weight,
                explanation=(
                    f"{len(ids)} of {size} members are interested in {label}"
                    f"{_of(count, population)}"
                ),
            )
        )
    found.sort(key=lambda o: (-o.members, -o.rarity, o.key))
    return found
