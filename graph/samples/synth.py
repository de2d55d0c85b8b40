"""Deterministic synthetic networks: people, groups, meetings and the contacts that follow.

:func:`generate_network` plans a network from a seed -- organizations across industries, people
with professions and places, groups of about eight members matched by profession across
industries, each with six meetings over about four months -- and :class:`SyntheticNetwork`
yields its records lazily, one kind at a time, so that 100,000 people and a few million
records stream through in bounded memory. Only the plan (a few small integers per person and
the rosters of the groups) is held; every record is rebuilt on demand from random generators
seeded by ``(seed, scope, index)``, so iterating a kind twice yields identical records, and the
records of different kinds agree with each other.

What happens in a group: most members attend each meeting, and online meetings record who spoke
how long; each meeting splits its attendees into 2-4 breakouts; members with something in
common (interests, a city, a random spark) talk beside the meetings. After the group ends some
pairs keep in touch -- side conversations, calls and messages at ever longer intervals -- while
others drift apart. Besides the groups there is a background acquaintance network: messages,
calls and other contacts between random people, preferring colleagues and neighbours.

:func:`network_batches` cuts the records into write batches in reference order, so every batch
only names records of itself or of earlier batches.

Pure: no global state, no clock, no I/O; ``random.Random`` instances seeded from strings (which
Python hashes with SHA-512, independently of ``PYTHONHASHSEED``).
"""

from __future__ import annotations

import itertools
import math
import random
from array import array
from collections import deque
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from graph.domain.batch import WriteBatch
from graph.domain.codec import Record
from graph.domain.model import (
    Attendance,
    Breakout,
    Group,
    GroupFormat,
    Interaction,
    InteractionKind,
    Interest,
    Meeting,
    Membership,
    MembershipRole,
    Organization,
    Person,
    SideConversation,
)

__all__ = [
    "INDUSTRIES",
    "KINDS",
    "LOCATIONS",
    "PROFESSIONS",
    "SyntheticNetwork",
    "generate_network",
    "network_batches",
]

KINDS: Final = (
    "organization",
    "interest",
    "person",
    "group",
    "membership",
    "meeting",
    "attendance",
    "breakout",
    "side_conversation",
    "interaction",
)
"""The kinds a synthetic network holds, in the order their references require."""

_GROUP_KINDS: Final = frozenset(KINDS[3:])
"""Kinds generated group by group (interactions also come from the background network)."""
GROUP_WINDOW: Final = 128
"""How many groups :meth:`SyntheticNetwork.records` simulates before yielding their records."""

_SECTIONS: Final = {
    "organization": "organizations",
    "interest": "interests",
    "person": "people",
    "group": "groups",
    "membership": "memberships",
    "meeting": "meetings",
    "attendance": "attendance",
    "breakout": "breakouts",
    "side_conversation": "side_conversations",
    "interaction": "interactions",
}

_KIND_OF: Final[dict[type[Any], str]] = {
    Organization: "organization",
    Interest: "interest",
    Person: "person",
    Group: "group",
    Membership: "membership",
    Meeting: "meeting",
    Attendance: "attendance",
    Breakout: "breakout",
    SideConversation: "side_conversation",
    Interaction: "interaction",
}

# -- vocabularies -------------------------------------------------------------------------------

INDUSTRIES: Final = (
    "fintech",
    "retail",
    "energy",
    "health",
    "public sector",
    "media",
    "telecom",
    "manufacturing",
    "consulting",
    "education",
    "logistics",
    "real estate",
)

_ORG_PREFIXES: Final = (
    "Nord", "Sol", "Berg", "Vind", "Ek", "Lind", "Strand", "Fjäll", "Ström", "Björk",
    "Sjö", "Ljus", "Gran", "Ask", "Hav", "Älv", "Skog", "Dal", "Vik", "Norr",
    "Syd", "Väst", "Öst", "Sten", "Stjärn", "Rön", "Lärk", "Mål", "Klar", "Holm",
)  # fmt: skip
_ORG_SUFFIXES: Final = {
    "fintech": ("Pay", "Bank", "Finans", "Capital", "Invest"),
    "retail": ("Handel", "Butiker", "Retail", "Hem", "Mode"),
    "energy": ("Energi", "Kraft", "Vindkraft", "Solkraft", "Nät"),
    "health": ("Vård", "Hälsa", "Care", "Medical", "Klinik"),
    "public sector": ("verket", "myndigheten", "förvaltningen", "kommunförbundet", "stiftelsen"),
    "media": ("Media", "Förlag", "Nyheter", "Studio", "Radio"),
    "telecom": ("Tele", "Net", "Mobil", "Fiber", "Connect"),
    "manufacturing": ("Industri", "Verkstad", "Stål", "Teknik", "Produktion"),
    "consulting": ("Konsult", "Partners", "Advisory", "Group", "Insikt"),
    "education": ("Akademi", "Skolan", "Utbildning", "Lärande", "Institutet"),
    "logistics": ("Logistik", "Frakt", "Transport", "Lager", "Express"),
    "real estate": ("Fastigheter", "Bostäder", "Bygg", "Förvaltning", "Hus"),
}

LOCATIONS: Final = (
    ("Stockholm", 30),
    ("Göteborg", 12),
    ("Malmö", 9),
    ("Uppsala", 6),
    ("Linköping", 5),
    ("Järfälla", 3),
    ("Solna", 3),
    ("Sundbyberg", 2),
    ("Västerås", 4),
    ("Örebro", 4),
    ("Norrköping", 4),
    ("Helsingborg", 3),
    ("Jönköping", 3),
    ("Lund", 3),
    ("Umeå", 3),
    ("Luleå", 2),
)
"""Places people work in, with relative weights (Stockholm is the largest)."""

_FAMILIES: Final = (
    ("communications and marketing", ("communications", "marketing")),
    ("people and culture", ("HR", "talent acquisition")),
    ("sales and customers", ("sales", "customer success")),
    ("engineering and data", ("engineering", "data analysis", "product management")),
    ("finance and legal", ("finance", "legal", "procurement")),
    ("projects and operations", ("project management", "operations")),
)
"""Similar professions: a leader matches the members of one group within one family."""

PROFESSIONS: Final = tuple(p for _, family in _FAMILIES for p in family)
_PROFESSION_WEIGHTS: Final = (9, 9, 7, 3, 8, 4, 9, 5, 4, 5, 3, 2, 5, 3)
_FAMILY_OF: Final = tuple(f for f, (_, family) in enumerate(_FAMILIES) for _ in family)
_MIXED_FAMILY: Final = "mixed professions"

_TITLES: Final = {
    "communications": ("Communications Officer", "Communications Manager", "Press Officer"),
    "marketing": ("Marketing Coordinator", "Marketing Manager", "Brand Strategist"),
    "HR": ("HR Generalist", "HR Business Partner", "HR Manager"),
    "talent acquisition": ("Recruiter", "Talent Acquisition Partner", "Employer Branding Lead"),
    "sales": ("Account Executive", "Key Account Manager", "Sales Manager"),
    "customer success": ("Customer Success Manager", "Support Lead", "Customer Experience Lead"),
    "engineering": ("Software Engineer", "Engineering Manager", "Solutions Architect"),
    "data analysis": ("Data Analyst", "Data Scientist", "Analytics Lead"),
    "product management": ("Product Owner", "Product Manager", "Head of Product"),
    "finance": ("Financial Controller", "Business Controller", "CFO"),
    "legal": ("Legal Counsel", "Compliance Officer", "General Counsel"),
    "procurement": ("Buyer", "Procurement Manager", "Category Manager"),
    "project management": ("Project Coordinator", "Project Manager", "PMO Lead"),
    "operations": ("Operations Coordinator", "Operations Manager", "COO"),
}
_SENIORITY: Final = ("", "", "", "Senior ", "Senior ", "Lead ")

_FIRST_NAMES: Final = (
    "Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Sara", "Anders", "Emma", "Per",
    "Elin", "Mikael", "Lena", "Fredrik", "Sofia", "Jonas", "Linnea", "Ahmed", "Fatima", "Ali",
    "Maja", "Oscar", "Ebba", "Nils", "Ida", "Gustav", "Åsa", "Björn", "Ingrid", "Mohammed",
    "Hanna", "Viktor", "Amira", "David", "Klara", "Daniel", "Sanna", "Henrik", "Noor", "Magnus",
    "Josefin", "Patrik", "Leila", "Tobias", "Cecilia", "Kristoffer", "Yasmin", "Mattias", "Tove",
    "Reza",
)  # fmt: skip
_LAST_NAMES: Final = (
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
    "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson",
    "Bengtsson", "Lindberg", "Lindqvist", "Berg", "Ek", "Holm", "Sjöberg", "Öberg", "Åberg",
    "Yilmaz", "Hussein", "Nguyen", "Lundgren", "Mattsson", "Axelsson", "Forsberg", "Sandberg",
    "Håkansson", "Lindström", "Engström", "Ali", "Haddad", "Kowalski", "Virtanen",
)  # fmt: skip

_INTERESTS: Final = (
    "AI in the workplace",
    "employer branding",
    "crisis communication",
    "sustainability",
    "leadership",
    "data-driven decisions",
    "storytelling",
    "remote work",
    "diversity and inclusion",
    "change management",
    "customer experience",
    "personal branding",
    "negotiation",
    "public speaking",
    "mentoring",
    "digital transformation",
    "GDPR",
    "career change",
    "innovation",
    "well-being at work",
    "internal communication",
    "social media",
    "pricing",
    "recruitment",
)
"""A small vocabulary of interests (at most 32: a person's set is kept as a bit mask)."""

_SKILLS: Final = (
    "feedback on CVs",
    "public speaking coaching",
    "brand strategy",
    "data analysis",
    "recruitment advice",
    "project management",
    "copywriting",
    "negotiation tips",
    "budgeting",
    "LinkedIn profile review",
    "event planning",
    "a sounding board",
    "media training",
    "introductions to my network",
)
"""What people offer, and much of what they seek: an offer can meet a need."""
_SEEK_ONLY: Final = (
    "inspiration",
    "perspective on shared challenges",
    "new career opportunities",
    "a mentor",
)

_GROUP_THEMES: Final = (
    "Leading through change",
    "AI and the future of our craft",
    "Building a personal brand",
    "Sustainability in practice",
    "Hybrid work that works",
    "Growing without burning out",
    "From specialist to leader",
    "Making data speak",
)
_MEETING_THEMES: Final = (
    "What keeps us up at night",
    "A trend we cannot ignore",
    "Our biggest mistake, and what it taught us",
    "Influencing without a mandate",
    "The next step in my career",
    "Tools that changed how we work",
    "Saying no",
    "Feedback that lands",
    "A topic raised last time",
)
_FIRST_THEME: Final = "Introductions: who we are, what we offer and what we seek"
_LAST_THEME: Final = "Looking back, and how we keep in touch"

_FORMATS: Final = (GroupFormat.DIGITAL, GroupFormat.HYBRID, GroupFormat.IN_PERSON)
_FORMAT_WEIGHTS: Final = (6, 2, 2)
_TALK_CHANNELS: Final = {
    GroupFormat.DIGITAL: ("video call", "video call", "phone", "chat"),
    GroupFormat.HYBRID: ("video call", "coffee", "phone", "lunch"),
    GroupFormat.IN_PERSON: ("coffee", "lunch", "walk", "phone"),
}
_MESSAGE_CHANNELS: Final = ("email", "chat", "LinkedIn")
_CALL_CHANNELS: Final = ("phone", "video")

# -- shape constants ----------------------------------------------------------------------------

MEETINGS_PER_GROUP: Final = 6
MEETING_DURATION_S: Final = 90 * 60
GROUP_CAPACITY: Final = 8
_MIN_GROUP: Final = 5
_GROUP_SIZES: Final = (8, 7, 6)
_GROUP_SIZE_WEIGHTS: Final = (60, 25, 15)
_PEOPLE_PER_LEADER: Final = 250
_PEOPLE_PER_ORGANIZATION: Final = 40
_SECOND_GROUP_SHARE: Final = 0.12
"""Of the people placed in a group, how many join a second, later one (and so bridge groups)."""
_BACKGROUND_BLOCK: Final = 1_000
_DAY_START_S: Final = 7 * 3600
_DAY_LENGTH_S: Final = 12 * 3600


# -- the plan -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _GroupPlan:
    """What is decided about a group before its meetings are simulated."""

    index: int
    id: str
    family: str
    leader: int
    members: tuple[int, ...]
    starts_on: date
    interval_days: int
    format: GroupFormat
    theme: str
    slot: time

    @property
    def ends_on(self) -> date:
        return self.starts_on + timedelta(days=(MEETINGS_PER_GROUP - 1) * self.interval_days)


@dataclass(slots=True)
class _GroupActivity:
    """Every record one group leaves behind, built by :meth:`SyntheticNetwork._simulate`."""

    memberships: list[Membership] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    attendance: list[Attendance] = field(default_factory=list)
    breakouts: list[Breakout] = field(default_factory=list)
    side_conversations: list[SideConversation] = field(default_factory=list)
    interactions: list[Interaction] = field(default_factory=list)


class SyntheticNetwork:
    """A planned synthetic network whose records are generated lazily, identically every time.

    Iterate one kind with :meth:`records_of` (or the named methods), all kinds in reference
    order with :meth:`records`, or cut them into write batches with :func:`network_batches`.
    Holds O(people + groups) small integers. Each pass costs O(records yielded); a pass over
    group records simulates every group again (O(members squared) each), so iterating kinds
    one by one costs more than one :meth:`records` pass over the same kinds.
    """

    def __init__(
        self,
        *,
        people: int,
        seed: int,
        start: date,
        group_share: float,
        span_days: int,
        follow_up_days: int,
        acquaintances: float,
    ) -> None:
        self.people_count = people
        self.seed = seed
        self.start = start
        self.group_share = group_share
        self.span_days = span_days
        self.follow_up_days = follow_up_days
        self.acquaintances = acquaintances
        self.leader_count = min(max(2, people // _PEOPLE_PER_LEADER), people // 5)
        self.end = start + timedelta(
            days=span_days + (MEETINGS_PER_GROUP - 1) * 25 + follow_up_days
        )
        """The day after the last generated contact."""
        self._plan_organizations()
        self._plan_people()
        self._groups = self._plan_groups()

    def __repr__(self) -> str:
        return (
            f"SyntheticNetwork(people={self.people_count}, seed={self.seed}, "
            f"groups={len(self._groups)}, start={self.start.isoformat()})"
        )

    # -- planning ---------------------------------------------------------------------------

    def _rng(self, scope: str, index: int = 0) -> random.Random:
        return random.Random(f"tiegraph-synth/{self.seed}/{scope}/{index}")

    def _plan_organizations(self) -> None:
        rng = self._rng("organizations")
        count = max(len(INDUSTRIES), self.people_count // _PEOPLE_PER_ORGANIZATION)
        places = [name for name, _ in LOCATIONS]
        place_weights = list(itertools.accumulate(w for _, w in LOCATIONS))
        self._org_industry = array("B")
        self._org_location = array("B")
        self._org_names: list[str] = []
        seen: set[str] = set()
        for o in range(count):
            # Every industry is present; beyond that, industries are drawn at random.
            industry = o if o < len(INDUSTRIES) else rng.randrange(len(INDUSTRIES))
            location = rng.choices(range(len(places)), cum_weights=place_weights)[0]
            prefix = rng.choice(_ORG_PREFIXES)
            suffix = rng.choice(_ORG_SUFFIXES[INDUSTRIES[industry]])
            name = f"{prefix}{suffix}" if suffix[0].islower() else f"{prefix} {suffix}"
            if name in seen:
                name = f"{name} {places[location]}"
            if name in seen:
                name = f"{name} {o}"
            seen.add(name)
            self._org_industry.append(industry)
            self._org_location.append(location)
            self._org_names.append(name)
        # Organization sizes follow a long tail: a few large employers, many small ones.
        self._org_cum_weights = list(
            itertools.accumulate(1.0 / (rank + 1) ** 0.8 for rank in range(count))
        )

    def _plan_people(self) -> None:
        rng = self._rng("people")
        n = self.people_count
        orgs = range(len(self._org_names))
        place_weights = list(itertools.accumulate(w for _, w in LOCATIONS))
        profession_weights = list(itertools.accumulate(_PROFESSION_WEIGHTS))
        self._org_of = array("I")
        self._location_of = array("B")
        self._profession_of = array("B")
        self._interests_of = array("I")
        self._person_ids = [f"p{i:06d}" for i in range(n)]
        org_members: list[array[int]] = [array("I") for _ in orgs]
        location_members: list[array[int]] = [array("I") for _ in LOCATIONS]
        for i in range(n):
            org = rng.choices(orgs, cum_weights=self._org_cum_weights)[0]
            if rng.random() < 0.75:
                location = self._org_location[org]
            else:
                location = rng.choices(range(len(LOCATIONS)), cum_weights=place_weights)[0]
            profession = rng.choices(range(len(PROFESSIONS)), cum_weights=profession_weights)[0]
            mask = 0
            for topic in rng.sample(range(len(_INTERESTS)), rng.randint(2, 5)):
                mask |= 1 << topic
            self._org_of.append(org)
            self._location_of.append(location)
            self._profession_of.append(profession)
            self._interests_of.append(mask)
            org_members[org].append(i)
            location_members[location].append(i)
        self._org_members = org_members
        self._location_members = location_members

    def _plan_groups(self) -> list[_GroupPlan]:
        rng = self._rng("groups")
        pools: list[list[int]] = [[] for _ in _FAMILIES]
        for i in range(self.leader_count, self.people_count):
            if rng.random() < self.group_share:
                pools[_FAMILY_OF[self._profession_of[i]]].append(i)
        rosters: list[tuple[str, tuple[int, ...]]] = []
        leftovers: list[int] = []
        for (family, _), pool in zip(_FAMILIES, pools, strict=True):
            rng.shuffle(pool)
            again = rng.sample(pool, round(len(pool) * _SECOND_GROUP_SHARE))
            formed, rest = self._deal(pool + again, rng)
            rosters.extend((family, members) for members in formed)
            leftovers.extend(rest)
        rng.shuffle(leftovers)
        formed, _ = self._deal(leftovers, rng)
        rosters.extend((_MIXED_FAMILY, members) for members in formed)

        drafts = []
        for family, members in rosters:
            drafts.append(
                (
                    self.start + timedelta(days=rng.randrange(max(1, self.span_days))),
                    family,
                    members,
                    rng.randrange(self.leader_count),
                    rng.randint(21, 25),
                    rng.choices(_FORMATS, weights=_FORMAT_WEIGHTS)[0],
                    rng.choice(_GROUP_THEMES),
                    time(rng.choice((7, 11, 15)), rng.choice((0, 30)), tzinfo=UTC),
                )
            )
        # Ids follow start dates, so g00000 is the first cohort to start.
        drafts.sort(key=lambda d: (d[0], d[2]))
        return [
            _GroupPlan(
                index=index,
                id=f"g{index:05d}",
                family=family,
                leader=leader,
                members=members,
                starts_on=starts_on,
                interval_days=interval,
                format=fmt,
                theme=theme,
                slot=slot,
            )
            for index, (starts_on, family, members, leader, interval, fmt, theme, slot) in (
                enumerate(drafts)
            )
        ]

    def _deal(
        self, pool: Sequence[int], rng: random.Random
    ) -> tuple[list[tuple[int, ...]], list[int]]:
        """Cut ``pool`` into groups of 5-8 people (mostly 8), from as many industries as possible.

        Returns the groups and the people left over. O(len(pool)).
        """
        waiting = deque(pool)
        groups: list[tuple[int, ...]] = []
        while len(waiting) >= _MIN_GROUP:
            size = rng.choices(_GROUP_SIZES, weights=_GROUP_SIZE_WEIGHTS)[0]
            members: list[int] = []
            industries: set[int] = set()
            deferred: list[int] = []
            while waiting and len(members) < size and len(deferred) < 3 * GROUP_CAPACITY:
                person = waiting.popleft()
                industry = self._org_industry[self._org_of[person]]
                if person in members or industry in industries:
                    deferred.append(person)
                else:
                    members.append(person)
                    industries.add(industry)
            # Too few industries left: accept a second person from one already in the group.
            for person in list(deferred):
                if len(members) >= size:
                    break
                if person not in members:
                    members.append(person)
                    deferred.remove(person)
            waiting.extendleft(reversed(deferred))
            if len(members) < _MIN_GROUP:
                waiting.extend(members)
                break
            groups.append(tuple(sorted(members)))
        return groups, list(waiting)

    # -- records ----------------------------------------------------------------------------

    def records(self, kinds: Collection[str] | None = None) -> Iterator[Record]:
        """Yield every record (of ``kinds``, default all) so that references point backwards.

        Organizations, interests and people come first. Then the groups, a window of
        :data:`GROUP_WINDOW` groups at a time: the window's groups, memberships, meetings,
        attendance, breakouts, side conversations and its members' calls and messages, in that
        order. The background interactions come last. Each group is simulated once per call.
        """
        wanted = [kind for kind in KINDS if kinds is None or kind in kinds]
        for kind in wanted:
            if kind not in _GROUP_KINDS:
                yield from self.records_of(kind)
        in_groups = [kind for kind in wanted if kind in _GROUP_KINDS]
        simulate = any(kind != "group" for kind in in_groups)
        for first in range(0, len(self._groups), GROUP_WINDOW):
            plans = self._groups[first : first + GROUP_WINDOW]
            activities = [self._simulate(plan) for plan in plans] if simulate else []
            for kind in in_groups:
                if kind == "group":
                    yield from map(self._group, plans)
                else:
                    for activity in activities:
                        yield from getattr(activity, _SECTIONS[kind])
        if "interaction" in wanted:
            yield from self._background_interactions()

    def records_of(self, kind: str) -> Iterator[Record]:
        """Yield the records of one kind (a name from :data:`KINDS`)."""
        if kind not in _SECTIONS:
            raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
        records: Iterator[Record] = getattr(self, _SECTIONS[kind])()
        return records

    def counts(self) -> dict[str, int]:
        """Count the records of each kind by generating them all: O(records), O(1) memory."""
        found = dict.fromkeys(KINDS, 0)
        for record in self.records():
            found[_KIND_OF[type(record)]] += 1
        return found

    def organizations(self) -> Iterator[Organization]:
        """Yield the organizations, every industry among them."""
        for o, name in enumerate(self._org_names):
            yield Organization(
                id=f"o{o:05d}", name=name, industry=INDUSTRIES[self._org_industry[o]]
            )

    def interests(self) -> Iterator[Interest]:
        """Yield the interest vocabulary; ids are the lower-case names with dashes."""
        for name in _INTERESTS:
            yield Interest(id=_slug(name), name=name)

    def people(self) -> Iterator[Person]:
        """Yield the people; the first :attr:`leader_count` of them are the network leaders."""
        rng = self._rng("profiles")
        places = [name for name, _ in LOCATIONS]
        for i, pid in enumerate(self._person_ids):
            profession = PROFESSIONS[self._profession_of[i]]
            org = self._org_of[i]
            mask = self._interests_of[i]
            if i < self.leader_count:
                title = "Network Leader"
            else:
                title = rng.choice(_SENIORITY) + rng.choice(_TITLES[profession])
            offers = tuple(rng.sample(_SKILLS, rng.randint(1, 3)))
            seeks = tuple(
                s for s in rng.sample(_SKILLS + _SEEK_ONLY, rng.randint(1, 3)) if s not in offers
            )
            yield Person(
                id=pid,
                name=f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}",
                title=title,
                profession=profession,
                organization_id=f"o{org:05d}",
                industry=INDUSTRIES[self._org_industry[org]],
                location=places[self._location_of[i]],
                interests=tuple(_INTERESTS[t] for t in range(len(_INTERESTS)) if mask >> t & 1),
                offers=offers,
                seeks=seeks,
                discoverable=rng.random() < 0.95,
                intermediary=rng.random() < 0.9,
                share_post_group_contact=rng.random() < 0.92,
            )

    def groups(self) -> Iterator[Group]:
        """Yield the groups, in order of their start dates."""
        return map(self._group, self._groups)

    def _group(self, plan: _GroupPlan) -> Group:
        return Group(
            id=plan.id,
            name=f"{plan.family.capitalize()} {plan.index + 1}",
            leader_id=self._person_ids[plan.leader],
            capacity=GROUP_CAPACITY,
            theme=plan.theme,
            format=plan.format,
            starts_on=plan.starts_on,
            ends_on=plan.ends_on,
        )

    def memberships(self) -> Iterator[Membership]:
        """Yield each group's leader and members; members who dropped out have ``left_on``."""
        for activity in self._activities():
            yield from activity.memberships

    def meetings(self) -> Iterator[Meeting]:
        """Yield six meetings per group, about three and a half weeks apart."""
        for activity in self._activities():
            yield from activity.meetings

    def attendance(self) -> Iterator[Attendance]:
        """Yield who attended each meeting, with speaking seconds when it was held online."""
        for activity in self._activities():
            yield from activity.attendance

    def breakouts(self) -> Iterator[Breakout]:
        """Yield 2-4 breakouts per meeting that partition the attending members."""
        for activity in self._activities():
            yield from activity.breakouts

    def side_conversations(self) -> Iterator[SideConversation]:
        """Yield members' side conversations, during their group and after it ended."""
        for activity in self._activities():
            yield from activity.side_conversations

    def interactions(self) -> Iterator[Interaction]:
        """Yield the explicit interactions: group members' calls and messages, then background.

        Meetings, breakouts and side conversations leave interactions of their own behind when
        stored; those are not among these.
        """
        for activity in self._activities():
            yield from activity.interactions
        yield from self._background_interactions()

    def _background_interactions(self) -> Iterator[Interaction]:
        for block in range(0, self.people_count, _BACKGROUND_BLOCK):
            yield from self._background(block)

    # -- simulation -------------------------------------------------------------------------

    def _activities(self) -> Iterator[_GroupActivity]:
        for plan in self._groups:
            yield self._simulate(plan)

    def _simulate(self, plan: _GroupPlan) -> _GroupActivity:
        """Play one group from recruitment to the months after its end. O(members squared)."""
        rng = self._rng("group", plan.index)
        ids = self._person_ids
        gid = plan.id
        leader = ids[plan.leader]
        out = _GroupActivity()
        members = plan.members

        days = [
            plan.starts_on + timedelta(days=k * plan.interval_days + _jitter(rng, k))
            for k in range(MEETINGS_PER_GROUP)
        ]
        # Some members stop coming halfway: member -> index of the first meeting they miss.
        dropped_at = {m: rng.randint(2, 4) for m in members if rng.random() < 0.05}
        talkative = {m: rng.lognormvariate(0.0, 0.5) for m in members}

        out.memberships.append(
            Membership(
                group_id=gid,
                person_id=leader,
                role=MembershipRole.LEADER,
                joined_on=plan.starts_on - timedelta(days=60),
            )
        )
        for m in members:
            quit_at = dropped_at.get(m)
            out.memberships.append(
                Membership(
                    group_id=gid,
                    person_id=ids[m],
                    joined_on=plan.starts_on - timedelta(days=rng.randint(7, 45)),
                    left_on=None if quit_at is None else days[quit_at],
                )
            )

        together: dict[tuple[int, int], int] = {}
        for k, day in enumerate(days):
            mid = f"{gid}-m{k + 1}"
            fmt = plan.format
            if fmt is GroupFormat.HYBRID:
                fmt = rng.choices(_FORMATS, weights=(3, 5, 2))[0]
            starts_at = datetime.combine(day, plan.slot)
            theme = _FIRST_THEME if k == 0 else _LAST_THEME if k == 5 else None
            out.meetings.append(
                Meeting(
                    id=mid,
                    group_id=gid,
                    starts_at=starts_at,
                    duration_s=MEETING_DURATION_S,
                    theme=theme or rng.choice(_MEETING_THEMES),
                    format=fmt,
                )
            )
            turnout = 0.96 if k == 0 else 0.88
            present = [
                m
                for m in members
                if (m not in dropped_at or k < dropped_at[m]) and rng.random() < turnout
            ]
            rooms = min(rng.randint(2, 4), len(present) // 2)
            breakout_s = rng.randint(20, 35) * 60 if rooms >= 2 else 0
            leader_s = rng.randint(600, 1200)
            # Who spoke how long is documented when the meeting is online; in a room it is not.
            measured = fmt is not GroupFormat.IN_PERSON
            plenary_s = MEETING_DURATION_S - breakout_s - leader_s - 600
            weights = [talkative[m] * rng.lognormvariate(0.0, 0.3) for m in present]
            total = sum(weights) or 1.0
            out.attendance.append(
                Attendance(
                    meeting_id=mid, person_id=leader, speaking_s=leader_s if measured else None
                )
            )
            for m, w in zip(present, weights, strict=True):
                spoke = round(plenary_s * w / total) if measured else None
                out.attendance.append(
                    Attendance(meeting_id=mid, person_id=ids[m], speaking_s=spoke)
                )
            if rooms >= 2:
                shuffled = list(present)
                rng.shuffle(shuffled)
                for r in range(rooms):
                    room = sorted(shuffled[r::rooms])
                    out.breakouts.append(
                        Breakout(
                            id=f"{mid}-b{r + 1}",
                            meeting_id=mid,
                            member_ids=tuple(ids[m] for m in room),
                        )
                    )
                    for a, b in itertools.combinations(room, 2):
                        together[(a, b)] = together.get((a, b), 0) + 1

        self._talk(rng, plan, days, dropped_at, talkative, together, out)
        return out

    def _talk(
        self,
        rng: random.Random,
        plan: _GroupPlan,
        days: list[date],
        dropped_at: dict[int, int],
        talkative: dict[int, float],
        together: dict[tuple[int, int], int],
        out: _GroupActivity,
    ) -> None:
        """Add side conversations during the group, and the contacts of pairs after it."""
        ids = self._person_ids
        gid = plan.id
        channels = _TALK_CHANNELS[plan.format]
        span = (days[-1] - days[0]).days
        counter = itertools.count(1)

        def side(day: date, pair: Sequence[int], initiator: int) -> None:
            out.side_conversations.append(
                SideConversation(
                    id=f"{gid}-s{next(counter):04d}",
                    participant_ids=tuple(ids[m] for m in pair),
                    at=_instant(rng, day),
                    channel=rng.choice(channels),
                    initiator_id=ids[initiator],
                    duration_s=rng.randint(15, 75) * 60,
                    group_id=gid,
                )
            )

        for a, b in itertools.combinations(plan.members, 2):
            shared = (self._interests_of[a] & self._interests_of[b]).bit_count()
            affinity = (
                0.7 * rng.random()
                + 0.1 * min(3, shared)
                + (0.1 if self._location_of[a] == self._location_of[b] else 0.0)
                + 0.03 * together.get((a, b), 0)
            )
            # The more talkative one tends to reach out first.
            lead, other = (a, b) if talkative[a] >= talkative[b] else (b, a)
            lead_share = rng.uniform(0.5, 0.85)

            def starter(lead: int = lead, other: int = other, share: float = lead_share) -> int:
                return lead if rng.random() < share else other

            during = 0
            if affinity > 0.65:
                during = 1 + (affinity > 1.0) + (rng.random() < 0.3)
                for _ in range(during):
                    side(days[0] + timedelta(days=rng.randrange(span + 1)), (a, b), starter())
            keep = min(0.9, max(0.02, (affinity - 0.3) * 0.9))
            if a in dropped_at or b in dropped_at:
                keep /= 2
            if rng.random() < keep:
                self._keep_in_touch(rng, plan, (a, b), starter, side, out)
            elif during and rng.random() < 0.5:
                # Drifting apart: one last message soon after the end, then nothing.
                self._contact(
                    rng,
                    f"{gid}-x{next(counter):04d}",
                    InteractionKind.MESSAGE,
                    plan.ends_on + timedelta(days=rng.randint(3, 30)),
                    (a, b),
                    starter(),
                    out.interactions,
                )
        if rng.random() < 0.3:
            # "Several of us have talked outside the meetings."
            trio = rng.sample(plan.members, 3)
            side(days[0] + timedelta(days=rng.randrange(span + 1)), trio, trio[0])

    def _keep_in_touch(
        self,
        rng: random.Random,
        plan: _GroupPlan,
        pair: tuple[int, int],
        starter: Callable[[], int],
        side: Callable[[date, Sequence[int], int], None],
        out: _GroupActivity,
    ) -> None:
        """Contacts of a pair that keeps in touch: ever longer gaps, until they stop."""
        horizon = min(plan.ends_on + timedelta(days=self.follow_up_days), self.end)
        gap = rng.uniform(5.0, 40.0)
        day = plan.ends_on + timedelta(days=gap)
        growth = rng.uniform(1.2, 1.6)
        n = 0
        while day < horizon:
            roll = rng.random()
            if roll < 0.3:
                side(day, pair, starter())
            else:
                kind = InteractionKind.MESSAGE if roll < 0.75 else InteractionKind.CALL
                n += 1
                self._contact(
                    rng, f"{plan.id}-x{pair[0]}-{pair[1]}-{n}", kind, day, pair, starter(),
                    out.interactions,
                )  # fmt: skip
            if rng.random() < 0.15:
                break
            gap *= growth
            day += timedelta(days=gap)

    def _contact(
        self,
        rng: random.Random,
        key: str,
        kind: InteractionKind,
        day: date,
        pair: Sequence[int],
        initiator: int,
        into: list[Interaction],
    ) -> None:
        ids = self._person_ids
        first = ids[initiator]
        others = tuple(ids[m] for m in pair if m != initiator)
        if kind is InteractionKind.CALL:
            channel: str | None = rng.choice(_CALL_CHANNELS)
            duration: int | None = rng.randint(2, 50) * 60
        elif kind is InteractionKind.MESSAGE:
            channel, duration = rng.choice(_MESSAGE_CHANNELS), None
        else:
            channel, duration = None, None
        into.append(
            Interaction(
                key=key,
                at=_instant(rng, day),
                kind=kind,
                participant_ids=(first, *others),
                initiator_id=first,
                duration_s=duration,
                channel=channel,
            )
        )

    def _background(self, block: int) -> Iterator[Interaction]:
        """Contacts between acquaintances, initiated by people ``block`` to ``block + 999``.

        Each person starts a few acquaintanceships (Poisson, mean :attr:`acquaintances`): with
        a colleague (45%), someone in the same city (25%) or anyone (30%); each brings one or
        more contacts at random times. O(contacts).
        """
        rng = self._rng("background", block)
        n = self.people_count
        total_days = (self.end - self.start).days
        found: list[Interaction] = []
        for i in range(block, min(block + _BACKGROUND_BLOCK, n)):
            made = 0
            for _ in range(_poisson(rng, self.acquaintances)):
                roll = rng.random()
                if roll < 0.45:
                    pool: Sequence[int] = self._org_members[self._org_of[i]]
                elif roll < 0.7:
                    pool = self._location_members[self._location_of[i]]
                else:
                    pool = range(n)
                other = pool[rng.randrange(len(pool))]
                if other == i:
                    continue
                share = rng.uniform(0.5, 0.8)
                day = self.start + timedelta(days=rng.randrange(total_days))
                for _ in range(1 + _geometric(rng, 1 / 3)):
                    if day >= self.end:
                        break
                    roll = rng.random()
                    kind = (
                        InteractionKind.MESSAGE
                        if roll < 0.55
                        else InteractionKind.CALL
                        if roll < 0.8
                        else InteractionKind.CONTACT
                    )
                    made += 1
                    starter = i if rng.random() < share else other
                    self._contact(rng, f"bg{i:06d}-{made}", kind, day, (i, other), starter, found)
                    day += timedelta(days=1 + int(rng.expovariate(1 / 45)))
        return iter(found)


def _jitter(rng: random.Random, k: int) -> int:
    """Move a meeting by up to two days, except the first and last (which fix the dates)."""
    return rng.randint(-2, 2) if 0 < k < MEETINGS_PER_GROUP - 1 else 0


def _instant(rng: random.Random, day: date) -> datetime:
    """A random whole-second instant during the working day of ``day``, in UTC."""
    seconds = _DAY_START_S + rng.randrange(_DAY_LENGTH_S)
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=seconds)


def _poisson(rng: random.Random, mean: float) -> int:
    """Draw from a Poisson distribution (Knuth's method; fine for small means)."""
    limit = math.exp(-mean)
    k, p = 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _geometric(rng: random.Random, p: float) -> int:
    """Draw the number of failures before the first success, each try succeeding with ``p``."""
    return int(math.log(1.0 - rng.random()) / math.log(1.0 - p))


def _slug(name: str) -> str:
    """Return the id form of a name: lower case, words joined by dashes."""
    return "-".join(name.casefold().split())


def generate_network(
    *,
    people: int,
    seed: int = 7,
    start: date = date(2023, 1, 2),
    group_share: float = 0.6,
    span_days: int = 540,
    follow_up_days: int = 365,
    acquaintances: float = 4.0,
) -> SyntheticNetwork:
    """Plan a synthetic network of ``people`` people, the same for the same arguments.

    About ``group_share`` of the members-to-be join a group; groups start during the
    ``span_days`` after ``start``; contacts continue up to ``follow_up_days`` after a group
    ends; each person starts ``acquaintances`` background acquaintanceships on average.
    Planning is O(people); the records are generated when iterated (see
    :class:`SyntheticNetwork`).

    >>> network = generate_network(people=40, seed=1)
    >>> network
    SyntheticNetwork(people=40, seed=1, groups=3, start=2023-01-02)
    >>> network.counts()  # doctest: +NORMALIZE_WHITESPACE
    {'organization': 12, 'interest': 24, 'person': 40, 'group': 3, 'membership': 21,
     'meeting': 18, 'attendance': 114, 'breakout': 39, 'side_conversation': 23,
     'interaction': 365}
    """
    if people < 10:
        raise ValueError(f"people must be at least 10, not {people}")
    if not 0.0 <= group_share <= 1.0:
        raise ValueError(f"group_share must be between 0 and 1, not {group_share}")
    if span_days < 1 or follow_up_days < 0 or acquaintances < 0:
        raise ValueError("span_days must be positive; follow_up_days and acquaintances >= 0")
    return SyntheticNetwork(
        people=people,
        seed=seed,
        start=start,
        group_share=group_share,
        span_days=span_days,
        follow_up_days=follow_up_days,
        acquaintances=acquaintances,
    )


def network_batches(
    network: SyntheticNetwork, batch_size: int, *, kinds: Collection[str] | None = None
) -> Iterator[WriteBatch]:
    """Cut the network's records (of ``kinds``, default all) into batches of ``batch_size``.

    Records come in reference order -- organizations, interests, people, groups, memberships,
    meetings, attendance, breakouts, side conversations, interactions; group records window by
    window, see :meth:`SyntheticNetwork.records` -- so each batch names only records in itself
    or in earlier batches. O(records); holds one batch and one window of groups at a time.

    >>> network = generate_network(people=40, seed=1)
    >>> batches = list(network_batches(network, 1_000))
    >>> sum(len(batch) for batch in batches) == sum(network.counts().values())
    True
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    unknown = set(kinds or ()) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kinds {sorted(unknown)}; expected some of {', '.join(KINDS)}")
    batch = WriteBatch()
    size = 0
    for record in network.records(kinds):
        getattr(batch, _SECTIONS[_KIND_OF[type(record)]]).append(record)
        size += 1
        if size == batch_size:
            yield batch
            batch, size = WriteBatch(), 0
    if size:
        yield batch
