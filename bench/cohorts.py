"""How much better than a greedy leader the cohort optimizer composes, and breakouts rotate.

Run ``python -m bench.cohorts [--applicants 1000] [--size 8] [--seed 7] [--budget 30]``.

1. **Cohorts.** A seeded pool of applicants like a leader's recruits: professions drawn with
   realistic weights from six families of similar professions, organizations of 2 to 12
   applicants (a few freelancers without one) each in one industry, mostly in the
   organization's city, 2 to 5 interests, 1 to 3 offers and seeks (labels spelled
   inconsistently now and then, as people type them), a few missing industries and places,
   and format preferences (45 % any, 35 % digital, 10 % hybrid, 10 % in person). On it:
   :func:`graph.domain.cohorts.compose_cohorts` with a ``--budget`` second time limit, and the
   :func:`~graph.domain.cohorts.greedy_cohorts` and
   :func:`~graph.domain.cohorts.random_cohorts` baselines. Printed: the time each took, its
   objective, the ratios optimizer/greedy (target at least 1.2) and optimizer/random, and the
   hard-constraint violations of each (target 0), counted here independently of the module,
   as is the objective (which must equal the one reported).
2. **Breakout rotation.** :func:`graph.domain.breakouts.suggest_breakouts` for a group of 8
   over 6 meetings, in breakout groups of 4 and then of 3, feeding the ``together`` counts of
   each meeting into the next: how many of the 28 pairs shared a breakout (target: all).
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from rich.console import Console
from rich.table import Table

from bench._kit import machine, mib, verdict
from graph.domain.breakouts import suggest_breakouts
from graph.domain.cohorts import (
    Applicant,
    CohortConstraints,
    CohortWeights,
    Composition,
    compose_cohorts,
    greedy_cohorts,
    random_cohorts,
)
from graph.domain.model import GroupFormat
from graph.domain.similarity import label_key
from graph.samples.synth import INDUSTRIES, LOCATIONS

__all__ = [
    "count_violations",
    "generate_pool",
    "main",
    "objective_of",
    "objective_parts",
    "rotate_breakouts",
]

TARGET_RATIO: Final = 1.2
"""The optimizer's objective over the greedy baseline's."""
MEETINGS: Final = 6
MEMBERS: Final = 8

PROFESSIONS: Final = (
    ("communications", 9),
    ("marketing", 9),
    ("HR", 7),
    ("talent acquisition", 3),
    ("sales", 8),
    ("customer success", 4),
    ("engineering", 9),
    ("data analysis", 5),
    ("product management", 4),
    ("finance", 5),
    ("legal", 3),
    ("procurement", 2),
    ("project management", 5),
    ("operations", 3),
)
"""Professions with relative weights, in families of similar ones (two or three a line)."""
INTERESTS: Final = (
    "AI in the workplace", "employer branding", "crisis communication", "sustainability",
    "leadership", "data-driven decisions", "storytelling", "remote work",
    "diversity and inclusion", "change management", "customer experience", "personal branding",
    "negotiation", "public speaking", "mentoring", "digital transformation", "GDPR",
    "career change", "innovation", "well-being at work", "internal communication",
    "social media", "pricing", "recruitment",
)  # fmt: skip
SKILLS: Final = (
    "feedback on CVs", "public speaking coaching", "brand strategy", "data analysis",
    "recruitment advice", "project management", "copywriting", "negotiation tips", "budgeting",
    "LinkedIn profile review", "event planning", "a sounding board", "media training",
    "introductions to my network",
)  # fmt: skip
SEEK_ONLY: Final = ("inspiration", "a mentor", "new career opportunities", "perspective")
FORMATS: Final = ((None, 45), (GroupFormat.DIGITAL, 35), (GroupFormat.HYBRID, 10),
                  (GroupFormat.IN_PERSON, 10))  # fmt: skip


# -- the pool -----------------------------------------------------------------------------------


def _spelled(rng: random.Random, label: str) -> str:
    """The label as someone might type it: now and then capitalized, hyphenated or padded."""
    roll = rng.random()
    if roll < 0.05:
        return label.title()
    if roll < 0.08:
        return label.replace(" ", "-")
    if roll < 0.10:
        return f" {label.upper()} "
    return label


def generate_pool(count: int, seed: int) -> list[Applicant]:
    """Return ``count`` seeded applicants (see the module docstring for what they are like)."""
    rng = random.Random(f"bench-cohorts/{seed}")
    places = [p for p, _ in LOCATIONS]
    place_weights = [w for _, w in LOCATIONS]
    professions = [p for p, _ in PROFESSIONS]
    profession_weights = [w for _, w in PROFESSIONS]
    org_sizes = range(2, 13)
    org_weights = [1 / s for s in org_sizes]
    pool: list[Applicant] = []
    organization = 0
    while len(pool) < count:
        freelancer = rng.random() < 0.05
        members = 1 if freelancer else rng.choices(org_sizes, org_weights)[0]
        industry = rng.choice(INDUSTRIES)
        home = rng.choices(places, place_weights)[0]
        org_id = None if freelancer else f"o{organization:04d}"
        organization += 0 if freelancer else 1
        for _ in range(min(members, count - len(pool))):
            offers = rng.sample(SKILLS, rng.randint(1, 3))
            seeks = [
                s for s in rng.sample(SKILLS + SEEK_ONLY, rng.randint(1, 3)) if s not in offers
            ]
            place = home if rng.random() < 0.75 else rng.choices(places, place_weights)[0]
            pool.append(
                Applicant(
                    id=f"a{len(pool):05d}",
                    profession=_spelled(rng, rng.choices(professions, profession_weights)[0]),
                    industry=None if rng.random() < 0.02 else _spelled(rng, industry),
                    organization_id=org_id,
                    location=None if rng.random() < 0.05 else place,
                    interests=tuple(
                        _spelled(rng, i) for i in rng.sample(INTERESTS, rng.randint(2, 5))
                    ),
                    offers=tuple(_spelled(rng, o) for o in offers),
                    seeks=tuple(_spelled(rng, s) for s in seeks),
                    format=rng.choices([f for f, _ in FORMATS], [w for _, w in FORMATS])[0],
                )
            )
    return pool


# -- independent checks -------------------------------------------------------------------------


def _key(label: str | None) -> str:
    return label_key(label) if label is not None else ""


def objective_parts(
    composition: Composition, applicants: Sequence[Applicant], weights: CohortWeights
) -> dict[str, float]:
    """Recompute each term of the objective of the cohorts from the applicants, pair by pair."""
    by_id = {a.id: a for a in applicants}
    parts: dict[str, list[float]] = {
        term: [] for term in ("profession", "industry", "matches", "interests", "place")
    }
    for cohort, fmt in zip(composition.cohorts, composition.formats, strict=True):
        in_place = fmt in (GroupFormat.IN_PERSON, GroupFormat.HYBRID)
        for a, b in itertools.combinations((by_id[i] for i in cohort), 2):
            if _key(a.profession) and _key(a.profession) == _key(b.profession):
                parts["profession"].append(weights.same_profession)
            if _key(a.industry) and _key(b.industry):
                same = _key(a.industry) == _key(b.industry)
                parts["industry"].append(-weights.same_industry if same else weights.other_industry)
            for giver, taker in ((a, b), (b, a)):
                offered = {label_key(o) for o in giver.offers} - {""}
                matched = len(offered & {label_key(s) for s in taker.seeks})
                parts["matches"].append(weights.match * matched)
            shared = {label_key(i) for i in a.interests} & {label_key(i) for i in b.interests}
            shared.discard("")
            parts["interests"].append(
                weights.shared_interest * min(weights.interest_cap, len(shared))
            )
            if in_place and _key(a.location) and _key(a.location) == _key(b.location):
                parts["place"].append(weights.same_location)
    return {term: math.fsum(values) for term, values in parts.items()}


def objective_of(
    composition: Composition, applicants: Sequence[Applicant], weights: CohortWeights
) -> float:
    """Recompute the objective of the cohorts from the applicants, pair by pair."""
    return math.fsum(objective_parts(composition, applicants, weights).values())


def count_violations(
    composition: Composition, applicants: Sequence[Applicant], constraints: CohortConstraints
) -> Counter[str]:
    """Count each kind of hard-constraint violation in a composition."""
    by_id = {a.id: a for a in applicants}
    found: Counter[str] = Counter()
    placed = [i for cohort in composition.cohorts for i in cohort]
    left_out = {o.applicant_id for o in composition.left_out}
    found["placed twice"] = len(placed) - len(set(placed))
    found["unknown id"] = sum(1 for i in placed if i not in by_id)
    found["neither placed nor left out"] = len(set(by_id) - set(placed) - left_out)
    found["placed and left out"] = len(set(placed) & left_out)
    found["left out without need"] = sum(
        1
        for o in composition.left_out
        if o.reason == "format" and by_id[o.applicant_id].format in (None, constraints.format)
    ) + (
        sum(1 for o in composition.left_out if o.reason == "capacity")
        if constraints.max_cohorts is None
        else 0
    )
    sizes = [len(c) for c in composition.cohorts]
    expected = math.ceil(len(placed) / constraints.cohort_size)
    found["wrong number of cohorts"] = int(len(sizes) != expected)
    found["unbalanced sizes"] = int(bool(sizes) and max(sizes) - min(sizes) > 1)
    for cohort, fmt in zip(composition.cohorts, composition.formats, strict=True):
        people = [by_id[i] for i in cohort if i in by_id]
        if constraints.separate_organizations:
            orgs = Counter(a.organization_id for a in people if a.organization_id)
            found["organization twice in a cohort"] += sum(c - 1 for c in orgs.values())
        found["format not respected"] += sum(
            1 for a in people if a.format is not None and a.format != fmt
        )
        if constraints.format is not None:
            found["format not respected"] += int(fmt != constraints.format)
    return +found


# -- breakouts ----------------------------------------------------------------------------------


def rotate_breakouts(group_size: int, seed: int) -> list[int]:
    """Pairs of the 8 members who have shared a breakout after each of the 6 meetings."""
    members = [f"m{n}" for n in range(MEMBERS)]
    together: Counter[tuple[str, str]] = Counter()
    covered = []
    for meeting in range(MEETINGS):
        found = suggest_breakouts(
            members, group_size=group_size, seed=seed + meeting, together=together
        )
        for group in found.groups:
            together.update(itertools.combinations(group, 2))
        covered.append(len(together))
    return covered


# -- the command --------------------------------------------------------------------------------


@dataclass(slots=True)
class Run:
    """One method's composition and how long it took."""

    name: str
    composition: Composition
    seconds: float


def _timed(name: str, work: Callable[[], Composition]) -> Run:
    began = time.perf_counter()
    composition = work()
    return Run(name, composition, time.perf_counter() - began)


def _machine_line(info: dict[str, Any]) -> str:
    return (
        f"{info.get('nproc')} CPUs ({info.get('cpu', '?')}), {mib(info.get('memory_bytes'))} "
        f"RAM, Python {info['python']}, SQLite {info['sqlite']}, {info['platform']}"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.cohorts", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--applicants", type=int, default=1000, help="applicants in the pool")
    parser.add_argument("--size", type=int, default=8, help="cohort size")
    parser.add_argument("--seed", type=int, default=7, help="seed of the pool and the methods")
    parser.add_argument("--budget", type=float, default=30.0, help="optimizer time limit, s")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures; 0 when it ran (met its targets or not)."""
    args = _parser().parse_args(argv)
    if args.applicants < args.size or args.size < 2 or args.budget <= 0:
        raise SystemExit("--size must be at least 2, --applicants at least --size, --budget > 0")
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    info = machine()
    pool = generate_pool(args.applicants, args.seed)
    constraints = CohortConstraints(cohort_size=args.size)
    weights = CohortWeights()
    console.log(f"{len(pool):,} applicants; composing with a {args.budget:g} s budget")
    optimized = _timed(
        "optimizer (annealing)",
        lambda: compose_cohorts(pool, constraints, seed=args.seed, time_limit_s=args.budget),
    )
    runs = [
        optimized,
        _timed("greedy baseline", lambda: greedy_cohorts(pool, constraints, seed=args.seed)),
        _timed("random baseline", lambda: random_cohorts(pool, constraints, seed=args.seed)),
    ]
    best = optimized.composition
    greedy, rand = runs[1].composition, runs[2].composition

    orgs = Counter(a.organization_id for a in pool if a.organization_id)
    formats = Counter(str(a.format or "any") for a in pool)
    table = Table(
        title=f"Cohorts of {args.size} from {len(pool):,} applicants (seed {args.seed})\n"
        f"{_machine_line(info)}",
        title_justify="left",
    )
    table.add_column("")
    table.add_column("time", justify="right")
    table.add_column("objective", justify="right")
    table.add_column("violations", justify="right")
    table.add_column("objective rechecked", justify="right")
    for run in runs:
        violations = count_violations(run.composition, pool, constraints)
        recomputed = objective_of(run.composition, pool, weights)
        agrees = math.isclose(recomputed, run.composition.objective, abs_tol=1e-6)
        table.add_row(
            run.name,
            f"{run.seconds:.1f} s",
            f"{run.composition.objective:,.1f}",
            f"{sum(violations.values())} {verdict(not violations)}"
            + (f" {dict(violations)}" if violations else ""),
            f"{recomputed:,.1f} {verdict(agrees)}",
        )
    console.print(table)
    ratio = best.objective / greedy.objective
    console.print(
        f"[bold]optimizer / greedy[/]: {ratio:.3f}x {verdict(ratio >= TARGET_RATIO)} "
        f"(≥ {TARGET_RATIO}x); [bold]optimizer / random[/]: {best.objective / rand.objective:.3f}x"
    )
    console.print(
        f"pool: {len(orgs):,} organizations (largest {max(orgs.values())}), "
        f"{len({label_key(a.profession or '') for a in pool})} professions, "
        f"formats {dict(sorted(formats.items()))}; {len(best.cohorts)} cohorts "
        f"(sizes {dict(sorted(Counter(len(c) for c in best.cohorts).items()))}, formats "
        f"{dict(sorted(Counter(str(f or 'open') for f in best.formats).items()))}), "
        f"{len(best.left_out)} left out"
    )
    console.print(
        f"search: {best.iterations:,} swaps proposed, {best.accepted:,} made; baselines inside "
        f"the run: greedy {best.greedy_objective:,.1f}, random {best.random_objective:,.1f}"
    )
    same_profession = sum(c * (c - 1) // 2 for e in best.explanations for _, c in e.professions)
    greedy_same = sum(c * (c - 1) // 2 for e in greedy.explanations for _, c in e.professions)
    console.print(
        f"pairs sharing a profession: optimizer {same_profession:,}, greedy {greedy_same:,}; "
        f"offer/seek matches: optimizer {sum(len(e.matches) for e in best.explanations):,}, "
        f"greedy {sum(len(e.matches) for e in greedy.explanations):,}"
    )
    terms = {run.name: objective_parts(run.composition, pool, weights) for run in runs}
    console.print(
        "objective by term (optimizer / greedy / random): "
        + "; ".join(
            f"{term} {' / '.join(f'{terms[run.name][term]:,.0f}' for run in runs)}"
            for term in terms[optimized.name]
        )
    )
    example = max(best.explanations, key=lambda e: (e.value, e.member_ids))
    console.print(
        f"best cohort ({example.format or 'open'}, value {example.value:.1f}): "
        + "; ".join(example.reasons)
    )

    rotation = Table(
        title=f"Breakouts: {MEMBERS} members over {MEETINGS} meetings, 'together' fed forward",
        title_justify="left",
    )
    rotation.add_column("breakout groups of")
    rotation.add_column("pairs of 28 that shared a breakout, after each meeting", justify="right")
    rotation.add_column("all 28", justify="right")
    for group_size in (4, 3):
        covered = rotate_breakouts(group_size, args.seed)
        rotation.add_row(
            str(group_size),
            " ".join(str(c) for c in covered),
            f"{covered[-1]} {verdict(covered[-1] == 28)}",
        )
    console.print(rotation)
    return 0


if __name__ == "__main__":
    sys.exit(main())
