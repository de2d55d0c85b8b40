"""How strong a tie is at a given moment, and why: a normalized strength, a band, and its parts.

The decaying score of :mod:`graph.domain.strength` is the core. **One-way contact is weak**:
the part of the score from contacts one side started that the other side did not match counts
``one_way`` (default one half), so the *effective score* is
``score - (1 - one_way) * |score_by_a - score_by_b|`` (contacts nobody started, such as group
events, count whole). The effective score at the moment gives the **intensity**,
``1 - 2 ** (-effective / saturation)``, which fades when contact stops. It factors into two
components: **recency**, the share of the score that survives since the last contact
(``2 ** (-(t - last) / h)``), and **frequency**, the intensity at the last contact (how much
weighted, recent contact had built up by then). The other components, each in ``[0, 1]``:

- **reciprocity**: ``2 * min / (a + b)`` of the decayed scores each side started (1 when both
  start equally, 0 when one side always does; 1 when nobody started any);
- **longevity**: first to last contact, ``1 - 2 ** (-(last - first) / longevity_half)``;
- **diversity**: distinct kinds of contact (meeting, breakout, call, ...), ``kinds / 4``, capped;
- **embeddedness**: shared contacts (Jaccard of the two people's other contacts), combined with
  shared groups (one shared group counts 0.5, two or more 1) as ``1 - (1 - c)(1 - g)``.

``strength = intensity * (base + 0.1 * longevity + 0.1 * diversity + 0.2 * embeddedness)``
with ``base`` 0.6 (0.2 keeps a tie between two people with no other contacts on record at 80%
of an embedded one; the weight was first chosen on the very contact data it was reported on,
so docs/strength.md now gives held-out figures). Longevity and embeddedness may also scale the
score as factors with floors (:func:`evidence_factor`; floors of 1, no effect, by default).
So a tie nobody keeps up fades towards 0 whatever its history; among equally active ties the
reciprocal, long, varied and embedded ones rank higher; and recording one more contact between
two people never lowers their strength (every factor only grows). Bands cut
the strength at 0.5 (strong), 0.2 (moderate) and 0.01 (weak); below is dormant: a single
meeting among eight is a weak tie, and so is a group-mate nobody has talked to for months.
``bench/strength_eval.py`` measures how well this separates real ties on SocioPatterns
contacts, choosing its parameters on one school and reporting on the other (docs/strength.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from graph.domain.batch import TieDelta, merge_tie
from graph.domain.model import Interaction, Tie
from graph.domain.strength import StrengthModel, decay
from graph.domain.ties import ties_from_history

__all__ = [
    "Assessment",
    "Band",
    "Components",
    "LinkStrength",
    "Relationship",
    "StrengthScale",
    "assess",
    "band_of",
    "contributions",
    "embeddedness",
    "embeddedness_of_counts",
    "evidence_factor",
    "link_strength",
    "link_strength_function",
    "link_strength_of_parts",
    "log_mass",
    "mass_strength_function",
    "pair_series",
    "series_of_stretches",
    "strength_of_mass",
    "stretches_of",
]


class Band(StrEnum):
    """A tie's strength in words; the order is strongest first."""

    STRONG = "strong"
    MODERATE = "moderate"
    WEAK = "weak"
    DORMANT = "dormant"

    @property
    def rank(self) -> int:
        """3 for strong down to 0 for dormant: a higher rank is a stronger band."""
        return _RANKS[self]


_RANKS = {Band.STRONG: 3, Band.MODERATE: 2, Band.WEAK: 1, Band.DORMANT: 0}


@dataclass(frozen=True, slots=True)
class StrengthScale:
    """How a raw score and a tie's history become a strength in ``[0, 1]`` and a band."""

    saturation: float = 3.0
    """The effective score at which intensity is one half: one mutual call today (weight 3)."""
    one_way: float = 0.5
    """What unmatched one-way contact counts for, against contact both sides start."""
    longevity_half: timedelta = timedelta(days=90)
    diversity_kinds: int = 4
    base: float = 0.6
    diversity_weight: float = 0.1
    longevity_weight: float = 0.1
    embeddedness_weight: float = 0.2
    longevity_floor: float = 1.0
    """What a tie with no longevity keeps of its effective score (1: longevity scales nothing);
    see :func:`evidence_factor`."""
    embeddedness_floor: float = 1.0
    """What a tie with no embeddedness keeps of its effective score (1: scales nothing)."""
    strong: float = 0.5
    moderate: float = 0.2
    weak: float = 0.01
    trace_weight: float = 0.001
    """The share of strength that two people who once knew each other keep (the trace)."""
    trace_scale: timedelta = timedelta(days=365)
    """How slowly the trace fades: it halves ``trace_scale`` after the tie's decayed mass fell
    below ``saturation`` (sooner for a light tie, later for a heavy one)."""

    def __post_init__(self) -> None:
        parts = (self.base, self.diversity_weight, self.longevity_weight, self.embeddedness_weight)
        if not math.isclose(sum(parts), 1.0) or min(parts) < 0:
            raise ValueError("base and component weights must be >= 0 and add up to 1")
        if not 0 <= self.one_way <= 1:
            raise ValueError("one_way must be between 0 and 1")
        if not (0 < self.longevity_floor <= 1 and 0 < self.embeddedness_floor <= 1):
            raise ValueError("longevity_floor and embeddedness_floor must be in (0, 1]")
        if not 0 < self.weak < self.moderate < self.strong <= 1:
            raise ValueError("band thresholds must rise: 0 < weak < moderate < strong <= 1")
        if self.saturation <= 0 or self.longevity_half <= timedelta(0):
            raise ValueError("saturation and longevity_half must be positive")
        if not 0 < self.trace_weight <= self.weak or self.trace_scale <= timedelta(0):
            raise ValueError("trace_weight must be in (0, weak] and trace_scale positive")


DEFAULT_SCALE = StrengthScale()


@dataclass(frozen=True, slots=True)
class Components:
    """The parts a strength is explained by, each in ``[0, 1]``."""

    recency: float
    frequency: float
    longevity: float
    reciprocity: float
    diversity: float
    embeddedness: float


@dataclass(frozen=True, slots=True)
class Assessment:
    """A tie's strength at ``at``: the raw decaying ``score``, normalized ``strength``, band."""

    at: datetime
    score: float
    strength: float
    band: Band
    components: Components
    log_mass: float = -math.inf
    """The natural log of the decayed, quality-weighted effective score (:func:`log_mass`):
    what the strength grows with. Comparing it orders ties exactly, at any age."""


@dataclass(frozen=True, slots=True)
class Relationship:
    """A tie and how strong it is at one moment."""

    tie: Tie
    assessment: Assessment

    @property
    def strength(self) -> float:
        """The normalized strength at the assessed moment."""
        return self.assessment.strength


def band_of(strength: float, scale: StrengthScale = DEFAULT_SCALE) -> Band:
    """Return the band a strength falls in.

    >>> [band_of(s).value for s in (0.7, 0.3, 0.1, 0.001)]
    ['strong', 'moderate', 'weak', 'dormant']
    """
    if strength >= scale.strong:
        return Band.STRONG
    if strength >= scale.moderate:
        return Band.MODERATE
    if strength >= scale.weak:
        return Band.WEAK
    return Band.DORMANT


def embeddedness(
    contacts_a: Collection[str], contacts_b: Collection[str], a: str, b: str, shared_groups: int
) -> float:
    """Return how embedded the tie between ``a`` and ``b`` is in ``[0, 1]``, from contact sets.

    Contacts are each person's other contacts (the tie itself is left out of both).

    >>> embeddedness({"b", "c", "d"}, {"a", "c"}, "a", "b", shared_groups=0)
    0.5
    >>> embeddedness(set(), set(), "a", "b", shared_groups=1)
    0.5
    """
    mine = set(contacts_a) - {a, b}
    theirs = set(contacts_b) - {a, b}
    return embeddedness_of_counts(len(mine & theirs), len(mine), len(theirs), shared_groups)


def embeddedness_of_counts(shared: int, others_a: int, others_b: int, shared_groups: int) -> float:
    """Return embeddedness from counts: ``shared`` contacts out of each side's ``others_*``
    (contacts besides each other), and the number of shared groups.

    >>> embeddedness_of_counts(1, 2, 1, shared_groups=0)
    0.5
    """
    union = others_a + others_b - shared
    contacts = shared / union if union > 0 else 0.0
    groups = min(1.0, shared_groups / 2)
    return 1.0 - (1.0 - contacts) * (1.0 - groups)


def assess(
    tie: Tie,
    at: datetime,
    model: StrengthModel,
    *,
    embedded: float = 0.0,
    scale: StrengthScale = DEFAULT_SCALE,
) -> Assessment:
    """Return how strong ``tie`` is at ``at``, and why.

    ``tie`` must hold the history up to ``at`` (a stored tie for now, or one recomputed from
    the interactions before a past moment); ``embedded`` is :func:`embeddedness` for the pair.
    The strength is :func:`strength_of_mass` of :func:`log_mass`, so it never underflows and
    two ties keep their order however long ago their contact was.

    >>> from datetime import UTC
    >>> t = datetime(2016, 3, 1, tzinfo=UTC)
    >>> old = Tie(a="a", b="b", first_at=t, last_at=t, count=1, score=1.0)
    >>> assess(old, datetime(2026, 3, 1, tzinfo=UTC), StrengthModel()).strength > 0
    True
    """
    # Contact recorded for a later moment (a meeting next week, a clock ahead) counts as if
    # it were now; for an exact answer at a past moment, recompute the tie up to it first.
    age = max(timedelta(0), at - tie.last_at)
    recency = decay(age, model.half_life)
    by_a, by_b = tie.score_by_a, tie.score_by_b
    effective = max(0.0, tie.score - (1.0 - scale.one_way) * abs(by_a - by_b))
    started = by_a + by_b
    components = Components(
        recency=recency,
        frequency=_saturate(effective, scale.saturation),
        longevity=1.0 - decay(tie.last_at - tie.first_at, scale.longevity_half),
        reciprocity=1.0 if started <= 0 else min(1.0, 2 * min(by_a, by_b) / started),
        diversity=min(1.0, sum(1 for n in tie.counts.values() if n) / scale.diversity_kinds),
        embeddedness=min(1.0, max(0.0, embedded)),
    )
    quality = (
        scale.base
        + scale.diversity_weight * components.diversity
        + scale.longevity_weight * components.longevity
        + scale.embeddedness_weight * components.embeddedness
    )
    evidence = evidence_factor(components, scale)
    mass = log_mass(effective * quality * evidence, age, model.half_life)
    strength = strength_of_mass(mass, model.half_life, scale)
    return Assessment(
        at=at,
        score=tie.score * recency,
        strength=strength,
        band=band_of(strength, scale),
        components=components,
        log_mass=mass,
    )


_LN2 = math.log(2.0)
_SMALLEST_MASS = 1e-12
"""The mass a tie with history but no weighted contact (all its kinds weigh 0) counts as."""


def log_mass(weighted: float, age: timedelta, half_life: timedelta) -> float:
    """Return the natural log of a tie's quality-weighted effective score decayed by ``age``.

    ``ln(weighted) - ln 2 * age / half_life``, computed in log space so it stays finite for
    any age (the decayed score itself underflows to 0 after about 1,000 half-lives). It is the
    one number a tie's strength grows with; the difference between two ties' masses does not
    change as time passes, which is why ties keep their order at any age.

    >>> round(log_mass(2.0, timedelta(days=60), timedelta(days=60)), 12)
    0.0
    >>> log_mass(1.0, timedelta(days=365_000), timedelta(days=1)) < -250_000
    True
    """
    return math.log(max(weighted, _SMALLEST_MASS)) - _LN2 * (age / half_life)


def strength_of_mass(
    mass: float, half_life: timedelta, scale: StrengthScale = DEFAULT_SCALE
) -> float:
    """Return the strength in ``(0, 1]`` of a tie whose :func:`log_mass` is ``mass``.

    Two parts, both growing with ``mass``: the **active** part ``1 - 2 ** (-x / saturation)``
    of the decayed mass ``x = e ** mass`` (computed with ``expm1``, so a small ``x`` keeps
    its digits), which fades with the half-life when contact stops; and the **trace** that
    two people who once knew each other keep, ``1 / (1 + age_eff / trace_scale)``, where
    ``age_eff`` is how long ago the tie's mass was at ``saturation`` (a heavier tie is
    "younger"): it fades hyperbolically, on a scale of years, and never reaches 0. The
    strength is ``(1 - trace_weight) * active + trace_weight * trace``; as the trace weight
    is a tenth of the weak band's threshold, the trace hardly moves a live tie, a tie nobody
    keeps up ends dormant but present, and any recent contact outranks it.

    >>> strength_of_mass(math.log(3.0), timedelta(days=60))  # at saturation: half + trace
    0.5005
    >>> 0 < strength_of_mass(-1e6, timedelta(days=60)) < 1e-4
    True
    """
    return mass_strength_function(_micros(half_life), scale)(mass)


def mass_strength_function(
    half_life_us: int, scale: StrengthScale = DEFAULT_SCALE
) -> Callable[[float], float]:
    """:func:`strength_of_mass` for one half-life and scale, as a function of the mass, with
    what depends only on them worked out once (``timedelta / timedelta`` is the quotient of
    their microseconds, as here): the one home of that arithmetic.

    >>> mass_strength_function(60 * 86_400 * 10**6)(math.log(3.0))
    0.5005
    """
    exp, expm1 = math.exp, math.expm1
    saturation, log_saturation = scale.saturation, math.log(scale.saturation)
    trace_per_half_life = half_life_us / _micros(scale.trace_scale)  # half_life / trace_scale
    active_weight, trace_weight = 1.0 - scale.trace_weight, scale.trace_weight

    def strength(mass: float) -> float:
        x_over_saturation = exp(mass) / saturation if mass < _MAX_MASS else math.inf
        active = -expm1(-_LN2 * x_over_saturation)
        behind = (log_saturation - mass) / _LN2  # half-lives since "at saturation"
        trace = 1.0 / (1.0 + max(0.0, behind) * trace_per_half_life)
        return active_weight * active + trace_weight * trace

    return strength


_MAX_MASS = 700.0
"""Past this the decayed mass is practically infinite (``exp`` would overflow)."""


def evidence_factor(components: Components, scale: StrengthScale = DEFAULT_SCALE) -> float:
    """Return the factor in ``(0, 1]`` that longevity and embeddedness put on the effective score.

    Each is a multiplicative factor ``floor + (1 - floor) * component``: a tie whose first and
    last contact coincide, or with no shared contacts, keeps ``floor`` of its score; a long,
    embedded one all of it. Factors (unlike the weighted terms of the quality mix) compound, so
    each piece of evidence counts whatever the others say. With the default floors of 1 both
    factors are 1 (Neo4j's link strength, ``cypher.link_strength_of``, knows no factors);
    ``bench/strength_eval.py`` chooses floors on one contact data set and reports on another.

    >>> parts = Components(1.0, 1.0, longevity=0.5, reciprocity=1.0, diversity=0.25,
    ...                    embeddedness=0.0)
    >>> evidence_factor(parts, StrengthScale(longevity_floor=0.5, embeddedness_floor=0.25))
    0.1875
    >>> evidence_factor(parts)
    1.0
    """
    return (scale.longevity_floor + (1.0 - scale.longevity_floor) * components.longevity) * (
        scale.embeddedness_floor + (1.0 - scale.embeddedness_floor) * components.embeddedness
    )


def link_strength(
    tie: Tie, at: datetime, model: StrengthModel, scale: StrengthScale = DEFAULT_SCALE
) -> float:
    """The strength of a tie as a link on an introduction path: its strength at ``at`` without
    embeddedness (a path already walks through the pair's shared circle). Always above 0: a
    tie never stops existing because it is old.

    Neo4j computes the same expression in Cypher (``cypher.link_strength_of``); the embedded
    store's tie index calls :func:`link_strength_of_parts` on its arrays, which this is.
    """
    return link_strength_of_parts(
        age_us=max(0, _micros(at - tie.last_at)),
        span_us=_micros(tie.last_at - tie.first_at),
        score=tie.score,
        score_by_a=tie.score_by_a,
        score_by_b=tie.score_by_b,
        kinds=sum(1 for n in tie.counts.values() if n),
        half_life_us=_micros(model.half_life),
        scale=scale,
    )


def link_strength_of_parts(
    *,
    age_us: int,
    span_us: int,
    score: float,
    score_by_a: float,
    score_by_b: float,
    kinds: int,
    half_life_us: int,
    scale: StrengthScale = DEFAULT_SCALE,
) -> float:
    """:func:`link_strength` from a tie's numbers: microseconds since its last contact
    (``age_us``, 0 for contact at or after the moment) and between its first and last contact,
    its three scores and how many kinds of contact it had.

    The same floating-point operations in the same order as :func:`assess` (a test holds them
    equal to the last bit), without building the tie or its assessment. O(1).

    >>> round(link_strength_of_parts(age_us=0, span_us=0, score=3.0, score_by_a=1.5,
    ...     score_by_b=1.5, kinds=1, half_life_us=60 * 86_400 * 10**6), 6)
    0.352128
    """
    strength = link_strength_function(half_life_us, scale)
    return strength(age_us, span_us, score, score_by_a, score_by_b, kinds)


LinkStrength = Callable[[int, int, float, float, float, int], float]
"""A link's strength from ``age_us, span_us, score, score_by_a, score_by_b, kinds``."""


def link_strength_function(half_life_us: int, scale: StrengthScale = DEFAULT_SCALE) -> LinkStrength:
    """:func:`link_strength_of_parts` for one half-life and scale, as a function of the tie's
    numbers (positional, in that function's order), with what depends only on the half-life
    and the scale worked out once: for a search that scores thousands of links.

    Each constant is the value of the same expression :func:`link_strength_of_parts` would
    evaluate, and the mass goes to :func:`mass_strength_function`, so the answers are equal to
    the last bit.

    >>> strength = link_strength_function(60 * 86_400 * 10**6)
    >>> round(strength(0, 0, 3.0, 1.5, 1.5, 1), 6)
    0.352128
    """
    log, power = math.log, math.pow
    one_way = 1.0 - scale.one_way
    longevity_half_us = _micros(scale.longevity_half)
    diversity_kinds = scale.diversity_kinds
    base, diversity_weight = scale.base, scale.diversity_weight
    longevity_weight, no_embeddedness = scale.longevity_weight, scale.embeddedness_weight * 0.0
    longevity_floor, longevity_rest = scale.longevity_floor, 1.0 - scale.longevity_floor
    embeddedness = scale.embeddedness_floor + (1.0 - scale.embeddedness_floor) * 0.0
    of_mass = mass_strength_function(half_life_us, scale)

    def strength(
        age_us: int, span_us: int, score: float, score_by_a: float, score_by_b: float, kinds: int
    ) -> float:
        effective = max(0.0, score - one_way * abs(score_by_a - score_by_b))
        longevity = 1.0 - (power(2.0, -(span_us / longevity_half_us)) if span_us else 1.0)
        diversity = min(1.0, kinds / diversity_kinds)
        quality = (
            base + diversity_weight * diversity + longevity_weight * longevity + no_embeddedness
        )
        evidence = (longevity_floor + longevity_rest * longevity) * embeddedness
        weighted = effective * quality * evidence
        return of_mass(log(max(weighted, _SMALLEST_MASS)) - _LN2 * (age_us / half_life_us))

    return strength


def _micros(span: timedelta) -> int:
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


def _saturate(score: float, saturation: float) -> float:
    return -math.expm1(-_LN2 * score / saturation) if score > 0 else 0.0


def contributions(
    interactions: Iterable[Interaction], at: datetime, model: StrengthModel
) -> list[tuple[Interaction, float]]:
    """Return what each interaction (before or at ``at``) still adds to a score at ``at``,
    largest first; ties in contribution go to the later, then the smaller key."""
    found = [
        (i, model.weight_of(i) * decay(at - i.at, model.half_life))
        for i in interactions
        if i.at <= at
    ]
    found.sort(key=lambda pair: (-pair[1], -pair[0].at.timestamp(), pair[0].key))
    return found


def pair_series(
    interactions: Sequence[Interaction],
    a: str,
    b: str,
    times: Sequence[datetime],
    model: StrengthModel,
    *,
    embedded: float = 0.0,
    scale: StrengthScale = DEFAULT_SCALE,
) -> list[tuple[datetime, Assessment | None]]:
    """Return the pair's assessment at each of ``times`` (ascending), from their history.

    ``None`` where they had not met yet. One pass over the history: O(interactions + times).
    Embeddedness is the one given (today's), for every moment.
    """
    return series_of_stretches(
        stretches_of(interactions, a, b, times, model),
        times,
        model,
        embedded=embedded,
        scale=scale,
    )


def stretches_of(
    interactions: Iterable[Interaction],
    a: str,
    b: str,
    ends: Sequence[datetime],
    model: StrengthModel,
) -> list[Tie | None]:
    """Return what the pair's interactions in each stretch of time add up to: the k-th tie
    from those after ``ends[k - 1]`` (from the start, for the first) up to ``ends[k]``
    inclusive; ``None`` for a stretch without any. Interactions after the last end do not
    count. ``ends`` ascend. O(interactions + ends).

    What a store folds where the interactions live (``GraphStore.pair_tie_stretches``); this
    is the reference it must equal.

    >>> from datetime import UTC
    >>> from graph.domain.model import InteractionKind
    >>> t = datetime(2024, 1, 1, tzinfo=UTC)
    >>> call = Interaction(key="k", at=t, kind=InteractionKind.CALL, participant_ids=("a", "b"))
    >>> found = stretches_of([call], "a", "b", [t - timedelta(days=1), t], StrengthModel())
    >>> [s and s.count for s in found]
    [None, 1]
    """
    ordered = sorted(
        (i for i in interactions if a in i.participant_ids and b in i.participant_ids),
        key=lambda i: (i.at, i.key),
    )
    pair = (min(a, b), max(a, b))
    found: list[Tie | None] = []
    position = 0
    for end in ends:
        start = position
        while position < len(ordered) and ordered[position].at <= end:
            position += 1
        found.append(
            ties_from_history(ordered[start:position], model).get(pair)
            if position > start
            else None
        )
    return found


def series_of_stretches(
    stretches: Sequence[Tie | None],
    times: Sequence[datetime],
    model: StrengthModel,
    *,
    embedded: float = 0.0,
    scale: StrengthScale = DEFAULT_SCALE,
) -> list[tuple[datetime, Assessment | None]]:
    """Return the pair's assessment at each of ``times`` from what each stretch up to it
    added (:func:`stretches_of` with ``times`` as the ends); ``None`` before they met.
    O(times)."""
    result: list[tuple[datetime, Assessment | None]] = []
    tie: Tie | None = None
    for when, grown in zip(times, stretches, strict=True):
        if grown is not None:
            tie = grown if tie is None else _merged(tie, grown, model)
        result.append(
            (
                when,
                None if tie is None else assess(tie, when, model, embedded=embedded, scale=scale),
            )
        )
    return result


def _merged(old: Tie, new: Tie, model: StrengthModel) -> Tie:
    """Return ``old`` followed by ``new`` (a later stretch of the same pair's history)."""
    merged = TieDelta.of(old)
    merge_tie(merged, new, model.half_life)
    return merged.as_tie()
