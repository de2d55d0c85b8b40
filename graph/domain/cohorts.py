"""Cohorts for a new round of groups: similar professions, different industries, needs met.

A leader recruits applicants and splits them into cohorts of about ``cohort_size`` (8)
members, matching **similar professions from different industries** (communication staff from
fintech, retail and energy) and people who can give one another what they seek.

**Hard constraints**, kept by every function here (never traded against the objective):

- every placed applicant is in exactly one cohort; ``n`` placed applicants make
  ``ceil(n / cohort_size)`` cohorts whose sizes differ by at most one;
- with ``separate_organizations``, no two people from the same organization share a cohort;
- **kept apart**: no pair given in ``apart`` (people one of whom blocked the other) shares a
  cohort, wherever the other hard constraints allow it. Where they do not (one cohort, or no
  arrangement the repair finds), the pairs are set aside rather than the request refused: a
  refusal would tell whoever composes that a block exists, which they may not read;
- **formats**: with :attr:`CohortConstraints.format` every cohort meets in that format and
  applicants who prefer another are left out (and reported). Without it, a cohort meets in the
  format its members insist on: all who insist on a format in one cohort insist on the same
  one, which is the cohort's format; a cohort where nobody insists is *open* (format ``None``:
  the leader picks);
- **capacity**: with ``max_cohorts``, applicants beyond ``max_cohorts * cohort_size`` are left
  out (and reported), in the order given: first come, first served.

Requests that cannot be met raise ``ValueError`` saying why: no applicants, a cohort size
below 2 or above the pool, an applicant id given twice, an organization with more applicants
than there are cohorts, or applicants insisting on formats whom no choice of cohort formats
can seat (each format needs cohorts with room for all who insist on it, and at least one per
member of the same organization who insists on it).

**Objective** (higher is better): the sum over cohorts, and within each over every pair of
members ``i, j``, of (weights in :class:`CohortWeights`, defaults in brackets)::

    + same_profession [4.0]  if both have the same profession
    + other_industry  [1.0]  if both industries are known and differ
    - same_industry   [2.0]  if both work in the same industry
    + match           [2.0]  for each thing i offers that j seeks, and each j offers that i seeks
    + shared_interest [0.5]  for each interest both have, counting at most interest_cap [3]
    + same_location   [1.0]  if both are in the same place and the cohort meets in person
                             or hybrid (a digital or open cohort does not care where people are)

Labels (professions, industries, places, interests, offers, seeks) are compared by
:func:`graph.domain.similarity.label_key`; a missing or blank label never equals anything.
Profession counts most: it is what the leader matches on first. Same profession and same
industry still nets +2 (they have much to share), but the same profession across industries
nets +5, so the search keeps similar professions together and spreads their industries.

**Method** (:func:`compose_cohorts`): simulated annealing over swaps of two people in
different cohorts, from the greedy start (:func:`greedy_cohorts`). A swap keeps the sizes, and
is only made when both people may sit in the other's cohort (format, organization, pairs
kept apart), so every
state visited is feasible. A proposal picks a person at random and, for a share
:data:`TOWARD_PEER` (half) of proposals, a random member of the cohort of a random person of
the same profession (moves that can bring colleagues together), otherwise anyone at random. A
swap that does not lower the objective is always made, one that lowers it by ``d`` with
probability ``exp(-d / T)``. **Cooling** is geometric, ``T(p) = T0 * (T1 / T0) ** p`` for the
progress ``p`` from 0 to 1 (proposals made over ``iterations``; or, when only
``time_limit_s`` is given, time spent over the time left for the search), updated every
:data:`STEP` proposals. ``T0`` is set so that the mean worsening swap among
:data:`CALIBRATION` random proposals from the start is accepted with probability
:data:`ACCEPT_FIRST` (0.05): warm enough to leave the greedy start, not so hot as to undo it.
``T1 = T0 * COOLING`` (1/500): at the end, only moves that cost less than a few hundredths are
still made now and then, so the last stretch is a plain climb. The best state seen is
returned, so the result is never worse than the greedy start.

**Baselines**: both fill the cohorts one after the other, as a leader would by hand, from
the people left in one order: those with the fewest options first (a format preference, then
larger organizations, then a seeded shuffle). :func:`greedy_cohorts` gives each place to
whoever adds the most to the cohort (so a cohort starts with the first person in that order);
:func:`random_cohorts` to anyone at random. Only people who may join are considered: they fit
the cohort (organization, format), and the people left who insist on a format can still be
seated in the cohorts left. At a dead end (nobody left may join) the first person left joins
anyway, and at the end a min-conflicts search swaps people until every hard constraint holds
(or gives up with a ``ValueError`` after :data:`REPAIR_STEPS_PER_APPLICANT` steps per
applicant: the checks above catch the impossible requests people make in practice).

**Determinism**: the same applicants, constraints, weights, seed and ``iterations`` give the
same composition, whatever the order of the applicants who are placed (the order decides only
who is left out for capacity). A ``time_limit_s`` that cuts the search short makes the result
depend on the machine's speed: pass ``iterations`` (and a generous time limit, or none) to
reproduce a result. Without either, the search runs :data:`ITERATIONS_PER_APPLICANT` proposals
per placed applicant.

**Cost**: the pair values are computed once, ``O(n^2)`` time and memory for ``n`` placed
applicants (for 1,000: about 0.2 s and 20 MB on the development machine); each baseline
makes ``O(n^2)`` choices (about a second for 1,000); a proposal costs ``O(cohort_size)``
(about 2.5 microseconds: some 10 million proposals in 30 seconds).
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from graph.domain.deadline import Deadline
from graph.domain.model import GroupFormat, Person
from graph.domain.similarity import label_key

__all__ = [
    "ACCEPT_FIRST",
    "CALIBRATION",
    "COOLING",
    "ITERATIONS_PER_APPLICANT",
    "REPAIR_NOISE",
    "REPAIR_STEPS_PER_APPLICANT",
    "STEP",
    "TABU_STEPS",
    "TOWARD_PEER",
    "Applicant",
    "CohortConstraints",
    "CohortExplanation",
    "CohortWeights",
    "Composition",
    "LeftOut",
    "LeftOutReason",
    "compose_cohorts",
    "greedy_cohorts",
    "random_cohorts",
]

ITERATIONS_PER_APPLICANT = 2_000
"""Proposals per placed applicant when neither ``iterations`` nor ``time_limit_s`` is given."""
ACCEPT_FIRST = 0.05
"""Probability that the mean worsening swap is accepted at the start temperature ``T0``."""
COOLING = 1 / 500
"""The final temperature as a share of the first (``T1 / T0``)."""
CALIBRATION = 1_000
"""Random swaps from the start whose worsening deltas set ``T0``."""
STEP = 256
"""Proposals between two updates of the temperature (and checks of the clock)."""
TABU_STEPS = 10
"""Repair steps during which someone just moved stays put."""
REPAIR_NOISE = 0.3
"""Share of repair steps that take a random one of the best swaps, not the cheapest."""
REPAIR_STEPS_PER_APPLICANT = 50
"""Repair steps allowed per placed applicant before a start is given up as impossible."""
TOWARD_PEER = 0.5
"""Share of proposals that move someone into the cohort of a random person of their profession."""

_FORMATS = tuple(GroupFormat)
_OPEN = -1
"""The format index of an open cohort, and the 'any format' of an applicant."""
_NONE = -1
"""The index of a missing label or organization."""


@dataclass(frozen=True, slots=True)
class Applicant:
    """Someone who applied for a cohort: what they are matched on, and the format they want.

    ``format`` is the format they insist on; ``None`` means any format suits them.
    """

    id: str
    profession: str | None
    industry: str | None
    organization_id: str | None
    location: str | None = None
    interests: tuple[str, ...] = ()
    offers: tuple[str, ...] = ()
    seeks: tuple[str, ...] = ()
    format: GroupFormat | None = None

    @classmethod
    def from_person(cls, person: Person, format: GroupFormat | None = None) -> Applicant:
        """Return the applicant ``person`` makes, wanting ``format`` (``None``: any).

        >>> Applicant.from_person(Person(id="ann", name="Ann", profession="HR")).profession
        'HR'
        """
        return cls(
            id=person.id,
            profession=person.profession,
            industry=person.industry,
            organization_id=person.organization_id,
            location=person.location,
            interests=person.interests,
            offers=person.offers,
            seeks=person.seeks,
            format=format,
        )


@dataclass(frozen=True, slots=True)
class CohortConstraints:
    """The hard constraints: cohort size, format, organizations kept apart, capacity."""

    cohort_size: int = 8
    format: GroupFormat | None = None
    """Every cohort meets in this format; applicants preferring another are left out.
    ``None``: each cohort meets in the format its members insist on (see the module
    docstring)."""
    separate_organizations: bool = True
    """No two people from the same organization in one cohort."""
    max_cohorts: int | None = None
    """At most this many cohorts; applicants beyond them are left out, in the order given."""


@dataclass(frozen=True, slots=True)
class CohortWeights:
    """What each pair of members in a cohort adds to the objective (see the module docstring)."""

    same_profession: float = 4.0
    other_industry: float = 1.0
    same_industry: float = 2.0
    """Subtracted for each pair in the same industry."""
    match: float = 2.0
    """For each offer of one that meets a seek of the other, in either direction."""
    shared_interest: float = 0.5
    interest_cap: int = 3
    """Shared interests counted per pair at most."""
    same_location: float = 1.0
    """Only in cohorts that meet in person or hybrid."""


class LeftOutReason(enum.StrEnum):
    """Why an applicant has no cohort."""

    FORMAT = "format"
    """They prefer a format the cohorts are not in."""
    CAPACITY = "capacity"
    """They came after the cohorts were full."""


@dataclass(frozen=True, slots=True)
class LeftOut:
    """An applicant who was not placed, and why."""

    applicant_id: str
    reason: LeftOutReason
    explanation: str


@dataclass(frozen=True, slots=True)
class CohortExplanation:
    """What one cohort's members have in common and can give one another."""

    member_ids: tuple[str, ...]
    format: GroupFormat | None
    """The format its members insist on (or the constraint's); ``None``: an open cohort,
    whose members accept any format."""
    value: float
    """The cohort's part of the objective."""
    professions: tuple[tuple[str, int], ...]
    """Professions two or more members share, with how many: most first."""
    industries: tuple[tuple[str, int], ...]
    """Every industry in the cohort, with how many members: most first."""
    matches: tuple[str, ...]
    """E.g. ``p7 offers mentoring, which p2 seeks``."""
    interests: tuple[tuple[str, int], ...]
    """Interests two or more members share, with how many: most first."""
    places: tuple[tuple[str, int], ...]
    """Places two or more members share, with how many, in a cohort that meets in person or
    hybrid (empty otherwise): most first."""
    reasons: tuple[str, ...]
    """One line for each of the above, for a leader to read."""


@dataclass(frozen=True, slots=True)
class Composition:
    """Cohorts (each sorted, in sorted order), their objective, reasons, and who is left out."""

    cohorts: tuple[tuple[str, ...], ...]
    formats: tuple[GroupFormat | None, ...]
    """Each cohort's format, in the order of ``cohorts``; ``None`` for an open cohort."""
    objective: float
    explanations: tuple[CohortExplanation, ...]
    """In the order of ``cohorts``."""
    left_out: tuple[LeftOut, ...]
    method: str
    """``annealing``, ``greedy`` or ``random``."""
    greedy_objective: float | None = None
    """The greedy baseline's objective on the same pool (annealing only)."""
    random_objective: float | None = None
    """The random baseline's objective on the same pool and seed (annealing only)."""
    iterations: int = 0
    """Swaps proposed by the search."""
    accepted: int = 0
    """Swaps the search made."""


# -- the problem --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Problem:
    """The placed applicants (sorted by id) as small integers, and the cohorts to fill."""

    people: list[Applicant]
    sizes: list[int]
    default_format: int
    """The format of a cohort where nobody insists on one: the constraint's, or ``_OPEN``."""
    locked: list[int]
    """Per person: the format index they insist on, or ``_OPEN`` (always, with a format for
    all: then everyone placed accepts it)."""
    organization: list[int]
    location: list[int]
    in_place: list[bool]
    """Per format index: whether same-location pairs count in a cohort of that format."""
    rows: list[list[float]]
    """The pair values without the location term; the diagonal is 0."""
    peers: list[list[int]]
    """Per person: everyone with their profession (themselves included), or nobody."""
    apart: list[frozenset[int]]
    """Per person: the people they must not share a cohort with."""
    left_out: list[LeftOut]
    weights: CohortWeights

    @property
    def size(self) -> int:
        return len(self.people)

    def located(self, fmt: int) -> bool:
        """Whether same-location pairs count in a cohort of format ``fmt``."""
        return fmt >= 0 and self.in_place[fmt]


def _sizes(n: int, count: int) -> list[int]:
    """Cohort sizes that differ by at most one, larger first."""
    base, extra = divmod(n, count)
    return [base + 1 if i < extra else base for i in range(count)]


def _cohorts(count: int) -> str:
    return "1 cohort" if count == 1 else f"{count} cohorts"


def _index(keys: dict[str, int], label: str | None) -> int:
    key = label_key(label) if label is not None else ""
    return keys.setdefault(key, len(keys)) if key else _NONE


def _mask(bits: dict[str, int], labels: Iterable[str]) -> int:
    mask = 0
    for label in labels:
        key = label_key(label)
        if key:
            mask |= 1 << bits.setdefault(key, len(bits))
    return mask


def _prepare(
    applicants: Sequence[Applicant],
    constraints: CohortConstraints,
    weights: CohortWeights,
    apart: Collection[tuple[str, str]] = (),
) -> _Problem:
    """Check the request, and leave out who cannot be placed."""
    size = constraints.cohort_size
    if not applicants:
        raise ValueError("there are no applicants to compose cohorts from")
    if size < 2:
        raise ValueError(f"a cohort needs at least two people, not cohort_size={size}")
    if constraints.max_cohorts is not None and constraints.max_cohorts < 1:
        raise ValueError(f"max_cohorts must be at least 1, not {constraints.max_cohorts}")
    if weights.interest_cap < 0:
        raise ValueError(f"interest_cap cannot be negative: {weights.interest_cap}")
    seen: set[str] = set()
    for applicant in applicants:
        if applicant.id in seen:
            raise ValueError(f"applicant {applicant.id!r} is given twice")
        seen.add(applicant.id)

    wanted = constraints.format
    left_out: list[LeftOut] = []
    placed: list[Applicant] = []
    for applicant in applicants:
        if wanted is not None and applicant.format not in (None, wanted):
            left_out.append(
                LeftOut(
                    applicant.id,
                    LeftOutReason.FORMAT,
                    f"prefers {applicant.format} cohorts; these cohorts are {wanted}",
                )
            )
        else:
            placed.append(applicant)
    who = "applicants" if wanted is None else f"applicants who accept {wanted} cohorts"
    if not placed:
        raise ValueError(f"none of the {len(applicants)} applicants accepts {wanted} cohorts")
    if size > len(placed):
        raise ValueError(
            f"cohort_size={size} is larger than the pool: there are {len(placed)} {who}"
        )

    count = math.ceil(len(placed) / size)
    if constraints.max_cohorts is not None and count > constraints.max_cohorts:
        count = constraints.max_cohorts
        for applicant in placed[count * size :]:
            left_out.append(
                LeftOut(
                    applicant.id,
                    LeftOutReason.CAPACITY,
                    f"applied after the {_cohorts(count)} of {size} were full",
                )
            )
        placed = placed[: count * size]
    sizes = _sizes(len(placed), count)
    people = sorted(placed, key=lambda a: a.id)
    separate = constraints.separate_organizations
    if separate:
        _check_organizations(people, count)
    if wanted is None:
        _check_formats(people, sizes, separate=separate)

    organizations: dict[str, int] = {}
    places: dict[str, int] = {}
    professions: dict[str, int] = {}
    profession = [_index(professions, a.profession) for a in people]
    with_profession: list[list[int]] = [[] for _ in professions]
    for person, of in enumerate(profession):
        if of >= 0:
            with_profession[of].append(person)
    return _Problem(
        people=people,
        sizes=sizes,
        default_format=_OPEN if wanted is None else _FORMATS.index(wanted),
        locked=[
            _FORMATS.index(a.format) if wanted is None and a.format is not None else _OPEN
            for a in people
        ],
        organization=[
            organizations.setdefault(a.organization_id, len(organizations))
            if separate and a.organization_id
            else _NONE
            for a in people
        ],
        location=[_index(places, a.location) for a in people],
        in_place=[
            f in (GroupFormat.IN_PERSON, GroupFormat.HYBRID) and weights.same_location != 0
            for f in _FORMATS
        ],
        rows=_pair_rows(people, weights),
        peers=[with_profession[of] if of >= 0 else [] for of in profession],
        apart=_apart_sets(people, apart) if count > 1 else [frozenset()] * len(people),
        left_out=left_out,
        weights=weights,
    )


def _apart_sets(
    people: Sequence[Applicant], pairs: Collection[tuple[str, str]]
) -> list[frozenset[int]]:
    """Per person (by index), whom they are kept apart from: pairs naming someone not placed
    are left out."""
    index = {a.id: i for i, a in enumerate(people)}
    found: list[set[int]] = [set() for _ in people]
    for a, b in pairs:
        i, j = index.get(a), index.get(b)
        if i is not None and j is not None and i != j:
            found[i].add(j)
            found[j].add(i)
    return [frozenset(f) for f in found]


def _largest_organization(people: Iterable[Applicant]) -> tuple[str | None, int]:
    """The organization with the most of ``people`` (the first by id among equals)."""
    sizes = Counter(a.organization_id for a in people if a.organization_id)
    if not sizes:
        return None, 0
    return min(sizes.items(), key=lambda item: (-item[1], item[0]))


def _check_organizations(people: Sequence[Applicant], count: int) -> None:
    """Raise ``ValueError`` naming an organization with more applicants than cohorts."""
    largest, most = _largest_organization(people)
    if most > count:
        raise ValueError(
            f"organization {largest!r} has {most} applicants but there are only "
            f"{_cohorts(count)}: people from one organization must be in different cohorts"
        )


def _formats_fit(needs: Iterable[tuple[int, int]], sizes: Sequence[int]) -> bool:
    """Whether cohorts of ``sizes`` (two sizes at most, one apart) can be given formats so
    that each format, needing ``(people, at_least)``, gets at least ``at_least`` cohorts with
    room for its ``people`` (formats nobody needs left out).

    Each format takes the fewest cohorts it needs, counting ``small`` seats for each and one
    more for each big one; while the big cohorts do not go round, the format short of the most
    seats takes one more cohort (which saves the most). That is optimal: each further cohort
    saves a format ``small`` seats or what it still lacks, so the savings only shrink.

    >>> _formats_fit([(7, 0), (3, 0)], [4, 4, 3])  # 7 in a 4 and a 3, 3 in a 4
    True
    >>> _formats_fit([(8, 0), (4, 0)], [4, 4, 3])  # 8 fill both fours; 4 do not fit a 3
    False
    """
    if not sizes:
        return not any(people or at_least for people, at_least in needs)
    big = max(sizes)
    bigs = sum(1 for s in sizes if s == big)
    small = big - 1
    taken: list[int] = []
    short: list[int] = []
    for people, at_least in needs:
        if people <= 0 and at_least <= 0:
            continue
        cohorts = max(at_least, math.ceil(max(people, 0) / big))
        taken.append(cohorts)
        short.append(max(0, people - small * cohorts))
    spare = len(sizes) - sum(taken)
    if spare < 0:
        return False
    lacking = sum(short)
    while lacking > bigs and spare > 0:
        most = max(range(len(short)), key=short.__getitem__)
        saved = min(small, short[most])
        short[most] -= saved
        lacking -= saved
        spare -= 1
    return lacking <= bigs


def _check_formats(people: Sequence[Applicant], sizes: Sequence[int], *, separate: bool) -> None:
    """Raise ``ValueError`` unless the cohorts can be given formats that seat everyone who
    insists on one (each needs cohorts of their format with room for all of them, and one per
    member of their organization who insists on the same format)."""
    demand = Counter(a.format for a in people if a.format is not None)
    if not demand:
        return
    order = sorted(demand, key=lambda f: (-demand[f], _FORMATS.index(f)))
    spread: dict[GroupFormat, tuple[str | None, int]] = {
        fmt: _largest_organization(a for a in people if a.format == fmt) if separate else (None, 0)
        for fmt in order
    }
    if _formats_fit(((demand[f], spread[f][1]) for f in order), sizes):
        return
    wants = ", ".join(f"{f} {demand[f]}" for f in order)
    apart = [f"{spread[f][1]} from {spread[f][0]!r} prefer {f}" for f in order if spread[f][1] > 1]
    raise ValueError(
        f"the applicants who insist on a format ({wants}"
        + (f"; {', '.join(apart)}" if apart else "")
        + f") need more cohorts than the {len(sizes)} there are (of {max(sizes)} or fewer "
        "people)"
    )


def _pair_rows(people: Sequence[Applicant], weights: CohortWeights) -> list[list[float]]:
    """Every pair's value (without the location term, which depends on the cohort)."""
    professions: dict[str, int] = {}
    industries: dict[str, int] = {}
    needs: dict[str, int] = {}
    topics: dict[str, int] = {}
    profession = [_index(professions, a.profession) for a in people]
    industry = [_index(industries, a.industry) for a in people]
    offers = [_mask(needs, a.offers) for a in people]
    seeks = [_mask(needs, a.seeks) for a in people]
    interests = [_mask(topics, a.interests) for a in people]
    same_profession, other_industry = weights.same_profession, weights.other_industry
    same_industry, match = weights.same_industry, weights.match
    shared_interest, cap = weights.shared_interest, weights.interest_cap
    n = len(people)
    rows = [[0.0] * n for _ in range(n)]
    for i in range(n):
        pi, ii, oi, si, mi = profession[i], industry[i], offers[i], seeks[i], interests[i]
        row = rows[i]
        for j in range(i + 1, n):
            value = 0.0
            if pi >= 0 and pi == profession[j]:
                value += same_profession
            ij = industry[j]
            if ii >= 0 and ij >= 0:
                value += -same_industry if ii == ij else other_industry
            if oi or si:
                value += match * ((oi & seeks[j]).bit_count() + (offers[j] & si).bit_count())
            if mi:
                value += shared_interest * min(cap, (mi & interests[j]).bit_count())
            row[j] = value
            rows[j][i] = value
    return rows


# -- the state of a search ----------------------------------------------------------------------


class _Cohorts:
    """Who is in which cohort, and what each cohort holds: organizations, places, formats.

    While a start is built, a cohort may break a hard constraint for a while (two people from
    one organization, or who insist on different formats); :meth:`conflicts` counts that.
    """

    __slots__ = (
        "by_format",
        "clashes",
        "formats",
        "members",
        "organizations",
        "places",
        "problem",
        "same_place",
        "where",
    )

    def __init__(self, problem: _Problem) -> None:
        count = len(problem.sizes)
        self.problem = problem
        self.members: list[list[int]] = [[] for _ in range(count)]
        self.organizations: list[dict[int, int]] = [{} for _ in range(count)]
        """Members per organization, per cohort (organizations with none left out)."""
        self.places: list[Counter[int]] = [Counter() for _ in range(count)]
        self.same_place = [0] * count
        """Pairs of members in the same place, per cohort."""
        self.by_format = [[0] * len(_FORMATS) for _ in range(count)]
        """Members who insist on each format, per cohort."""
        self.formats = [problem.default_format] * count
        """Each cohort's format: the one its members insist on (the most insisted on, while
        they disagree), or the default."""
        self.where = [-1] * problem.size
        self.clashes = [0] * count
        """Pairs of members kept apart who share the cohort, per cohort."""

    def add(self, person: int, cohort: int) -> None:
        problem = self.problem
        apart = problem.apart[person]
        if apart:
            self.clashes[cohort] += sum(1 for m in self.members[cohort] if m in apart)
        self.members[cohort].append(person)
        self.where[person] = cohort
        org = problem.organization[person]
        if org >= 0:
            held = self.organizations[cohort]
            held[org] = held.get(org, 0) + 1
        place = problem.location[person]
        if place >= 0:
            self.same_place[cohort] += self.places[cohort][place]
            self.places[cohort][place] += 1
        if problem.locked[person] >= 0:
            self.by_format[cohort][problem.locked[person]] += 1
            self._settle_format(cohort)

    def remove(self, person: int) -> None:
        problem = self.problem
        cohort = self.where[person]
        self.members[cohort].remove(person)
        self.where[person] = -1
        apart = problem.apart[person]
        if apart:
            self.clashes[cohort] -= sum(1 for m in self.members[cohort] if m in apart)
        org = problem.organization[person]
        if org >= 0:
            held = self.organizations[cohort]
            if held[org] == 1:
                del held[org]
            else:
                held[org] -= 1
        place = problem.location[person]
        if place >= 0:
            self.places[cohort][place] -= 1
            self.same_place[cohort] -= self.places[cohort][place]
        if problem.locked[person] >= 0:
            self.by_format[cohort][problem.locked[person]] -= 1
            self._settle_format(cohort)

    def _settle_format(self, cohort: int) -> None:
        counts = self.by_format[cohort]
        most = max(counts)
        self.formats[cohort] = counts.index(most) if most else self.problem.default_format

    def format_after(self, cohort: int, leaving: int, joining: int) -> int | None:
        """The cohort's format once ``joining`` takes the place of ``leaving`` (-1: nobody
        leaves); ``None`` if ``joining`` insists on a format others there insist otherwise."""
        locked = self.problem.locked
        counts = self.by_format[cohort]
        out = locked[leaving] if leaving >= 0 else _OPEN
        wanted = locked[joining]
        held = [f for f, c in enumerate(counts) if c - (f == out) > 0]
        if wanted < 0:
            return held[0] if held else self.problem.default_format
        if any(f != wanted for f in held):
            return None
        return wanted

    def fits(self, person: int, cohort: int, *, leaving: int = -1) -> bool:
        """Whether ``person`` may join ``cohort`` (format, organization, pairs kept apart),
        ``leaving`` gone."""
        if self.format_after(cohort, leaving, person) is None:
            return False
        if self.meets_apart(person, cohort, leaving):
            return False
        org = self.problem.organization[person]
        return (
            org < 0
            or org not in self.organizations[cohort]
            or (
                leaving >= 0
                and self.problem.organization[leaving] == org
                and self.organizations[cohort][org] == 1
            )
        )

    def meets_apart(self, person: int, cohort: int, leaving: int = -1) -> int:
        """How many members of ``cohort`` (``leaving`` gone) ``person`` is kept apart from."""
        apart = self.problem.apart[person]
        if not apart:
            return 0
        return sum(1 for m in self.members[cohort] if m in apart and m != leaving)

    def insisting(self, cohort: int) -> int:
        """How many members insist on a format."""
        return sum(self.by_format[cohort])

    def conflicts(self, cohort: int) -> int:
        """How far the cohort is from keeping the hard constraints: the members beyond one
        per organization, plus those who insist on another format than most who insist, plus
        the pairs kept apart who share it."""
        counts = self.by_format[cohort]
        return (
            sum(held - 1 for held in self.organizations[cohort].values())
            + (sum(counts) - max(counts))
            + self.clashes[cohort]
        )

    def conflict_change(self, cohort: int, leaving: int, joining: int) -> int:
        """How :meth:`conflicts` of ``cohort`` changes when ``joining`` replaces ``leaving``."""
        problem = self.problem
        held = self.organizations[cohort]
        out, into = problem.organization[leaving], problem.organization[joining]
        change = self.meets_apart(joining, cohort, leaving) - self.meets_apart(leaving, cohort)
        if out >= 0 and held.get(out, 0) >= 2:
            change -= 1
        if into >= 0 and held.get(into, 0) - (into == out) >= 1:
            change += 1
        counts = self.by_format[cohort]
        after = counts[:]
        if problem.locked[leaving] >= 0:
            after[problem.locked[leaving]] -= 1
        if problem.locked[joining] >= 0:
            after[problem.locked[joining]] += 1
        return change + (sum(after) - max(after)) - (sum(counts) - max(counts))

    def gain(self, person: int, cohort: int) -> float:
        """What ``person`` would add to ``cohort`` by joining it."""
        problem = self.problem
        row = problem.rows[person]
        value = sum(map(row.__getitem__, self.members[cohort]))
        after = self.format_after(cohort, -1, person)
        before = self.formats[cohort]
        if after is None:
            after = before
        if problem.located(after) or problem.located(before):
            place = problem.location[person]
            pairs = self.same_place[cohort] + (self.places[cohort][place] if place >= 0 else 0)
            value += problem.weights.same_location * (
                problem.located(after) * pairs - problem.located(before) * self.same_place[cohort]
            )
        return value

    def value(self, cohort: int) -> float:
        """The cohort's part of the objective, summed exactly."""
        problem = self.problem
        rows = problem.rows
        parts = [rows[i][j] for i, j in itertools.combinations(self.members[cohort], 2)]
        if problem.located(self.formats[cohort]):
            parts.append(problem.weights.same_location * self.same_place[cohort])
        return math.fsum(parts)

    def objective(self) -> float:
        return math.fsum(self.value(c) for c in range(len(self.members)))


# -- building a start ---------------------------------------------------------------------------


def _placing_order(problem: _Problem, rng: random.Random) -> list[int]:
    """Everyone, fewest options first: those who insist on a format, then those of larger
    organizations, then in a seeded shuffle."""
    per_organization = Counter(o for o in problem.organization if o >= 0)
    shuffle = list(range(problem.size))
    rng.shuffle(shuffle)
    return sorted(
        range(problem.size),
        key=lambda p: (
            problem.locked[p] < 0,
            -per_organization.get(problem.organization[p], 0),
            shuffle[p],
        ),
    )


def _fill(
    problem: _Problem, rng: random.Random, *, greedy: bool, deadline: Deadline | None = None
) -> _Cohorts:
    """Fill the cohorts one after the other, each with whoever adds the most (``greedy``) or
    anyone at random, among those who may join.

    A person may join a cohort when they fit it (format, organization), when the people left
    who insist on a format can still be seated in the cohorts left (:func:`_formats_fit`),
    and when no organization left would then have more people than cohorts left to take
    them. Those rules are dropped, the last ones first, when nobody meets them; when nobody
    fits at all, the first left in placing order joins anyway, and :func:`_resolve_conflicts`
    mends that at the end.
    """
    state = _Cohorts(problem)
    remaining = _placing_order(problem, rng)
    locked, organization = problem.locked, problem.organization
    waiting = Counter(locked[p] for p in remaining if locked[p] >= 0)
    per_organization = Counter(organization[p] for p in remaining if organization[p] >= 0)
    insisting = Counter(
        (organization[p], locked[p]) for p in remaining if locked[p] >= 0 and organization[p] >= 0
    )
    for cohort, size in enumerate(problem.sizes):
        later = problem.sizes[cohort + 1 :]
        while len(state.members[cohort]) < size:
            if deadline is not None:  # each place costs O(people): one look per place
                deadline.check()
            places = size - len(state.members[cohort])
            seats = {
                kind: _formats_fit(
                    _needs_after(waiting, insisting, kind, state.formats[cohort], places - 1),
                    later,
                )
                for kind in {locked[p] for p in remaining}
            }
            urgent = {
                org
                for org, left in per_organization.items()
                if left > len(later) and org not in state.organizations[cohort]
            }
            fitting = [p for p in remaining if state.fits(p, cohort)]
            candidates = (
                [p for p in fitting if seats[locked[p]] and _eases(p, urgent, places, problem)]
                or [p for p in fitting if seats[locked[p]]]
                or fitting
                or remaining[:1]
            )
            if greedy:
                chosen = max(candidates, key=lambda p: state.gain(p, cohort))
            else:
                chosen = candidates[rng.randrange(len(candidates))]
            state.add(chosen, cohort)
            remaining.remove(chosen)
            if locked[chosen] >= 0:
                waiting[locked[chosen]] -= 1
                if organization[chosen] >= 0:
                    insisting[organization[chosen], locked[chosen]] -= 1
            if organization[chosen] >= 0:
                per_organization[organization[chosen]] -= 1
    _resolve_conflicts(state, rng, deadline)
    return state


def _eases(person: int, urgent: set[int], places: int, problem: _Problem) -> bool:
    """Whether ``person`` may take one of ``places`` left in a cohort that must still take
    someone from each ``urgent`` organization (having more people left than later cohorts)."""
    return len(urgent) < places or problem.organization[person] in urgent


def _needs_after(
    waiting: Counter[int],
    insisting: Counter[tuple[int, int]],
    kind: int,
    current: int,
    places: int,
) -> list[tuple[int, int]]:
    """What each format needs of the later cohorts, ``(people, at_least)``, once someone of
    ``kind`` (a format, or ``_OPEN``) joins a cohort of format ``current`` that then has
    ``places`` left; ``at_least`` is one per member of the same organization."""
    fmt = kind if kind >= 0 else current
    needs = []
    for of, people in waiting.items():
        people -= of == kind
        spread = max((n for (_, f), n in insisting.items() if f == of), default=0)
        if of == fmt and places > 0:
            people, spread = max(0, people - places), spread - 1
        needs.append((people, spread))
    return needs


def _resolve_conflicts(
    state: _Cohorts, rng: random.Random, deadline: Deadline | None = None
) -> None:
    """Swap people until every cohort keeps the hard constraints (tabu search).

    Each step takes a random person who breaks a constraint (shares an organization with
    someone in their cohort, or insists on a format where others insist on another) and swaps
    them with whoever elsewhere lowers the number of conflicts most, or raises it least (among
    those, the swap that costs the objective least, or for a share :data:`REPAIR_NOISE` of
    steps a random one, so that the search does not go round in circles), leaving alone people
    moved in the last :data:`TABU_STEPS` steps (a quarter of the people at most; unless the
    swap ends the conflicts). Raises ``ValueError`` after :data:`REPAIR_STEPS_PER_APPLICANT`
    steps per applicant without success.
    """
    problem = state.problem
    count = len(problem.sizes)
    if count < 2:
        if state.conflicts(0):  # the checks rule this out
            raise ValueError("one cohort cannot keep these organizations apart")
        return
    conflicts = [state.conflicts(c) for c in range(count)]
    total = sum(conflicts)
    rows, organization, locked = problem.rows, problem.organization, problem.locked
    tenure = min(TABU_STEPS, problem.size // 4)
    moved = [-tenure] * problem.size
    """The step at which each person last moved."""
    limit = REPAIR_STEPS_PER_APPLICANT * problem.size + 100
    for step in range(limit):
        if not total:
            return
        if deadline is not None:  # a step costs O(people)
            deadline.check()
        offending = [
            person
            for cohort in range(count)
            if conflicts[cohort]
            for person in state.members[cohort]
            if state.organizations[cohort].get(organization[person], 0) > 1
            or (locked[person] >= 0 and max(state.by_format[cohort]) < state.insisting(cohort))
            or state.meets_apart(person, cohort)
        ]
        person = offending[rng.randrange(len(offending))]
        cohort = state.where[person]
        here = state.members[cohort]
        least = math.inf
        options: list[tuple[float, int]] = []
        """The swaps that change the conflicts least: (cost, with whom)."""
        for other in range(problem.size):
            there = state.where[other]
            if there == cohort:
                continue
            change = state.conflict_change(cohort, person, other) + state.conflict_change(
                there, other, person
            )
            if change > least or (step - moved[other] < tenure and total + change > 0):
                continue
            # What the swap costs the objective (location aside).
            cost = (
                sum(rows[person][m] for m in here)
                - sum(rows[other][m] for m in here)
                + sum(rows[other][m] for m in state.members[there])
                - sum(rows[person][m] for m in state.members[there])
                + 2.0 * rows[person][other]
            )
            if change < least:
                least, options = change, []
            options.append((cost, other))
        if not options:
            continue
        if rng.random() < REPAIR_NOISE:
            _, other = options[rng.randrange(len(options))]
        else:
            _, other = min(options)
        there = state.where[other]
        state.remove(person)
        state.remove(other)
        state.add(person, there)
        state.add(other, cohort)
        moved[person] = moved[other] = step
        for changed in (cohort, there):
            total -= conflicts[changed]
            conflicts[changed] = state.conflicts(changed)
            total += conflicts[changed]
    if total:
        raise ValueError(
            "could not compose cohorts that keep every organization apart and every format "
            f"preference in {limit:,} repair steps: the constraints may not be possible to "
            "meet together"
        )


# -- the search ---------------------------------------------------------------------------------


def _place_delta(state: _Cohorts, cohort: int, leaving: int, joining: int, after: int) -> float:
    """What the location term of ``cohort`` changes by when ``joining`` replaces ``leaving``
    and the cohort's format becomes ``after``."""
    problem = state.problem
    before = state.formats[cohort]
    located_before, located_after = problem.located(before), problem.located(after)
    if not (located_before or located_after):
        return 0.0
    out, into = problem.location[leaving], problem.location[joining]
    places = state.places[cohort]
    lost = places[out] - 1 if out >= 0 else 0
    won = (places[into] - (1 if into == out else 0)) if into >= 0 else 0
    pairs = state.same_place[cohort]
    return problem.weights.same_location * (
        located_after * (pairs + won - lost) - located_before * pairs
    )


def _anneal(
    state: _Cohorts,
    rng: random.Random,
    *,
    iterations: int | None,
    deadline: float | None,
    budget: Deadline | None = None,
) -> tuple[int, int]:
    """Improve ``state`` in place by simulated annealing; return (proposed, accepted).

    ``deadline`` (on ``time.perf_counter``) ends the search with the best state so far;
    ``budget`` refuses it with ``BudgetExceeded`` (both checked every :data:`STEP` proposals).
    """
    problem = state.problem
    n = problem.size
    if len(problem.sizes) < 2 or n < 2:
        return 0, 0
    members, where, organizations = state.members, state.where, state.organizations
    formats, rows, peers = state.formats, problem.rows, problem.peers
    locked, organization, apart = problem.locked, problem.organization, problem.apart
    by_format, default = state.by_format, problem.default_format
    # Indexed by a format index; ``_OPEN`` (-1) reads the last item, False.
    in_place = [*problem.in_place, False]
    any_located = any(in_place)
    uniform = rng.random

    def format_after(cohort: int, leaving: int, joining: int) -> int | None:
        # As _Cohorts.format_after, for a state that keeps every constraint: at most one
        # format is insisted on in a cohort, and it is the cohort's.
        fmt = formats[cohort]
        staying = (by_format[cohort][fmt] if fmt >= 0 else 0) - (locked[leaving] >= 0)
        wanted = locked[joining]
        if wanted < 0:
            return fmt if staying > 0 else default
        if staying > 0 and fmt != wanted:
            return None
        return wanted

    def propose() -> tuple[int, int, float] | None:
        a = int(uniform() * n)
        if uniform() < TOWARD_PEER and len(peers[a]) > 1:
            toward = peers[a][int(uniform() * len(peers[a]))]
            joined = members[where[toward]]
            b = joined[int(uniform() * len(joined))]
            if b == toward:
                return None
        else:
            b = int(uniform() * n)
        ca, cb = where[a], where[b]
        if ca == cb:
            return None
        oa, ob = organization[a], organization[b]
        if oa != ob and (
            (oa >= 0 and oa in organizations[cb]) or (ob >= 0 and ob in organizations[ca])
        ):
            return None
        if (apart[a] and state.meets_apart(a, cb, b)) or (apart[b] and state.meets_apart(b, ca, a)):
            return None
        if locked[a] >= 0 or locked[b] >= 0:
            after_a, after_b = format_after(ca, a, b), format_after(cb, b, a)
            if after_a is None or after_b is None:
                return None
        else:
            after_a, after_b = formats[ca], formats[cb]
        ra, rb = rows[a], rows[b]
        ma, mb = members[ca], members[cb]
        delta = (
            sum(map(rb.__getitem__, ma))
            - sum(map(ra.__getitem__, ma))
            + sum(map(ra.__getitem__, mb))
            - sum(map(rb.__getitem__, mb))
            - 2.0 * ra[b]
        )
        if any_located:
            if in_place[after_a] or in_place[formats[ca]]:
                delta += _place_delta(state, ca, a, b, after_a)
            if in_place[after_b] or in_place[formats[cb]]:
                delta += _place_delta(state, cb, b, a, after_b)
        return a, b, delta

    def swap(a: int, b: int) -> None:
        ca, cb = where[a], where[b]
        state.remove(a)
        state.remove(b)
        state.add(a, cb)
        state.add(b, ca)

    worse: list[float] = []
    for _ in range(CALIBRATION):
        found = propose()
        if found is not None and found[2] < 0:
            worse.append(-found[2])
    first = (math.fsum(worse) / len(worse) if worse else 1.0) / -math.log(ACCEPT_FIRST)
    last = first * COOLING
    started = time.perf_counter()
    limit = iterations if iterations is not None else math.inf
    span = (deadline - started) if deadline is not None else 0.0

    current = best = 0.0
    at_best = True
    best_where: list[int] = []
    """Where everyone was in the best state seen, once the search has left it."""
    proposed = accepted = 0
    temperature = first
    while proposed < limit:
        if proposed % STEP == 0:
            now = time.perf_counter()
            if deadline is not None and now >= deadline:
                break
            if budget is not None:
                budget.check()
            if iterations is not None:
                progress = proposed / iterations
            else:
                progress = (now - started) / span if span > 0 else 1.0
            temperature = first * (last / first) ** min(progress, 1.0)
        proposed += 1
        found = propose()
        if found is None:
            continue
        a, b, delta = found
        if delta < 0:
            if uniform() >= math.exp(delta / temperature):
                continue
            if at_best:
                best_where, at_best = where[:], False
        swap(a, b)
        accepted += 1
        current += delta
        if current > best + 1e-9:
            best, at_best = current, True
    if not at_best:
        _restore(state, best_where)
    return proposed, accepted


def _restore(state: _Cohorts, where: Sequence[int]) -> None:
    for person in range(state.problem.size):
        state.remove(person)
    for person, cohort in enumerate(where):
        state.add(person, cohort)


# -- the answer ---------------------------------------------------------------------------------


def _counted(labels: Iterable[str | None]) -> list[tuple[str, int]]:
    """Each label key, spelled as most of its holders spell it, with how many have it.

    Most first, then by spelling; missing and blank labels are left out.
    """
    spellings: dict[str, Counter[str]] = {}
    for label in labels:
        key = label_key(label) if label is not None else ""
        if label is not None and key:
            spellings.setdefault(key, Counter())[label.strip()] += 1
    found = [
        (min(spelled, key=lambda s: (-spelled[s], s)), spelled.total())
        for spelled in spellings.values()
    ]
    return sorted(found, key=lambda item: (-item[1], item[0]))


def _explain(
    members: Sequence[Applicant], fmt: GroupFormat | None, value: float, *, located: bool
) -> CohortExplanation:
    size = len(members)
    professions = [p for p in _counted(a.profession for a in members) if p[1] > 1]
    industries = _counted(a.industry for a in members)
    interests = [
        i for i in _counted(label for a in members for label in _distinct(a.interests)) if i[1] > 1
    ]
    places = [p for p in _counted(a.location for a in members) if p[1] > 1] if located else []
    found: list[str] = []
    for giver, taker in itertools.permutations(members, 2):
        sought = {label_key(s) for s in taker.seeks}
        for key, offer in sorted(_keyed(giver.offers).items()):
            if key in sought:
                found.append(f"{giver.id} offers {offer}, which {taker.id} seeks")
    reasons: list[str] = []
    if professions:
        reasons.append(
            "shared professions: " + ", ".join(f"{p} ({c} of {size})" for p, c in professions)
        )
    else:
        reasons.append("no two members share a profession")
    same = sum(c * (c - 1) // 2 for _, c in industries)
    reasons.append(
        f"{len(industries)} industries among {size} members"
        + (f"; {same} pair(s) share one" if same else "")
    )
    reasons.append(f"{len(found)} offer(s) meet a seek")
    if interests:
        reasons.append("shared interests: " + ", ".join(f"{i} ({c})" for i, c in interests[:5]))
    if places:
        reasons.append("in the same place: " + ", ".join(f"{p} ({c})" for p, c in places))
    return CohortExplanation(
        member_ids=tuple(a.id for a in members),
        format=fmt,
        value=value,
        professions=tuple(professions),
        industries=tuple(industries),
        matches=tuple(found),
        interests=tuple(interests),
        places=tuple(places),
        reasons=tuple(reasons),
    )


def _distinct(labels: Iterable[str]) -> list[str]:
    return list(_keyed(labels).values())


def _keyed(labels: Iterable[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for label in labels:
        key = label_key(label)
        if key and key not in found:
            found[key] = label.strip()
    return found


def _composition(
    state: _Cohorts,
    method: str,
    *,
    greedy_objective: float | None = None,
    random_objective: float | None = None,
    iterations: int = 0,
    accepted: int = 0,
) -> Composition:
    problem = state.problem
    placed = []
    for cohort, members in enumerate(state.members):
        of = state.formats[cohort]
        people = sorted((problem.people[p] for p in members), key=lambda a: a.id)
        placed.append(
            _explain(
                people,
                _FORMATS[of] if of >= 0 else None,
                state.value(cohort),
                located=problem.located(of),
            )
        )
    placed.sort(key=lambda e: e.member_ids)
    return Composition(
        cohorts=tuple(e.member_ids for e in placed),
        formats=tuple(e.format for e in placed),
        objective=math.fsum(e.value for e in placed),
        explanations=tuple(placed),
        left_out=tuple(problem.left_out),
        method=method,
        greedy_objective=greedy_objective,
        random_objective=random_objective,
        iterations=iterations,
        accepted=accepted,
    )


def _relaxing(problem: _Problem, fill: Callable[[_Problem], _Cohorts]) -> tuple[_Problem, _Cohorts]:
    """Fill cohorts for ``problem``; if the repair cannot keep its pairs apart, fill them
    again with the pairs set aside (see the module docstring), and say which problem held."""
    try:
        return problem, fill(problem)
    except ValueError:
        if not any(problem.apart):
            raise
    relaxed = dataclasses.replace(problem, apart=[frozenset()] * problem.size)
    return relaxed, fill(relaxed)


def _greedy(problem: _Problem, seed: int, deadline: Deadline | None = None) -> _Cohorts:
    return _fill(problem, random.Random(f"cohorts/{seed}/greedy"), greedy=True, deadline=deadline)


def _random(problem: _Problem, seed: int, deadline: Deadline | None = None) -> _Cohorts:
    return _fill(problem, random.Random(f"cohorts/{seed}/random"), greedy=False, deadline=deadline)


# -- the entry points ---------------------------------------------------------------------------


def compose_cohorts(
    applicants: Sequence[Applicant],
    constraints: CohortConstraints = CohortConstraints(),
    *,
    seed: int = 0,
    weights: CohortWeights = CohortWeights(),
    time_limit_s: float | None = None,
    iterations: int | None = None,
    budget: Deadline | None = None,
    apart: Collection[tuple[str, str]] = (),
) -> Composition:
    """Compose cohorts with the highest objective found by simulated annealing.

    Starts from :func:`greedy_cohorts` and searches for ``iterations`` proposed swaps, or
    until ``time_limit_s`` seconds have passed since the call (preparation and baselines
    included), whichever comes first; with neither, for :data:`ITERATIONS_PER_APPLICANT`
    proposals per placed applicant. Only ``iterations`` makes the result reproducible (see
    the module docstring). The composition carries the greedy and random baselines'
    objectives on the same pool. Raises ``ValueError`` for a request that cannot be met.

    ``budget`` is the other way to bound the time: past it the composition is refused with
    :class:`~graph.domain.errors.BudgetExceeded` rather than cut short, so whatever is
    returned is reproducible.

    >>> pool = [
    ...     Applicant("ann", "marketing", "fintech", "o1"),
    ...     Applicant("bo", "HR", "fintech", "o1"),
    ...     Applicant("cy", "marketing", "energy", "o2"),
    ...     Applicant("di", "HR", "retail", "o3"),
    ... ]
    >>> found = compose_cohorts(pool, CohortConstraints(cohort_size=2), iterations=500)
    >>> found.cohorts
    (('ann', 'cy'), ('bo', 'di'))
    >>> found.objective, found.explanations[0].reasons[0]
    (10.0, 'shared professions: marketing (2 of 2)')
    """
    began = time.perf_counter()
    if iterations is not None and iterations < 0:
        raise ValueError(f"iterations cannot be negative: {iterations}")
    if time_limit_s is not None and time_limit_s <= 0:
        raise ValueError(f"time_limit_s must be positive, not {time_limit_s}")
    problem = _prepare(applicants, constraints, weights, apart)
    if budget is not None:
        budget.check()
    problem, state = _relaxing(problem, lambda p: _greedy(p, seed, budget))
    greedy_objective = state.objective()
    random_objective = _relaxing(problem, lambda p: _random(p, seed, budget))[1].objective()
    if iterations is None and time_limit_s is None:
        iterations = ITERATIONS_PER_APPLICANT * problem.size
    proposed, accepted = _anneal(
        state,
        random.Random(f"cohorts/{seed}/anneal"),
        iterations=iterations,
        deadline=None if time_limit_s is None else began + time_limit_s,
        budget=budget,
    )
    return _composition(
        state,
        "annealing",
        greedy_objective=greedy_objective,
        random_objective=random_objective,
        iterations=proposed,
        accepted=accepted,
    )


def greedy_cohorts(
    applicants: Sequence[Applicant],
    constraints: CohortConstraints = CohortConstraints(),
    *,
    seed: int = 0,
    weights: CohortWeights = CohortWeights(),
    apart: Collection[tuple[str, str]] = (),
) -> Composition:
    """Compose cohorts greedily: each person, fewest options first, where they add the most.

    The ``seed`` orders people whose options are alike. Same constraints and errors as
    :func:`compose_cohorts`.
    """
    problem = _prepare(applicants, constraints, weights, apart)
    return _composition(_relaxing(problem, lambda p: _greedy(p, seed))[1], "greedy")


def random_cohorts(
    applicants: Sequence[Applicant],
    constraints: CohortConstraints = CohortConstraints(),
    *,
    seed: int = 0,
    weights: CohortWeights = CohortWeights(),
    apart: Collection[tuple[str, str]] = (),
) -> Composition:
    """Compose cohorts at random, keeping every hard constraint: the floor to compare with.

    Same constraints and errors as :func:`compose_cohorts`.
    """
    problem = _prepare(applicants, constraints, weights, apart)
    return _composition(_relaxing(problem, lambda p: _random(p, seed))[1], "random")
