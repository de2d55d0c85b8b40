"""Does tie strength tell real ties apart? Held-out evaluation on SocioPatterns contacts.

Each face-to-face contact record (20 s of proximity between two people) is evidence of a tie;
classes are the truth for one question, never an input (no shared groups are given). Two
questions, as ROC AUC over pairs that met:

(a) **same class**: scored at the end of the recording, do pairs in the same class score higher
    than pairs across classes?
(b) **meet again**: scored at the middle of the recording from the first half only, do pairs
    that meet again in the second half score higher than pairs that do not?

**Every parameter is chosen on one data set and reported on the other**, both ways, never on
the data it was chosen on: how contacts become interactions (each 20 s record, or each contact
event of consecutive records), the half-life, the longevity half-life, the quality mix and the
floors of the longevity and embeddedness factors
(:func:`graph.domain.relationship.evidence_factor`). :func:`select` sees only the tuning data
set and picks the parameters with the best worst margin over the best plain baseline across
both questions there; a held-out margin comes with a rough 95% interval over resampled pairs,
and the product's defaults are shown for comparison.

Strength is read through its mass (:func:`ranking_key`): strength is an increasing function
of ``l = ln(q * f * eff) - ln 2 * (at - last) / h``, so ROC AUC depends on ``l`` only.
Baselines, on the same held-out pairs: contact count (contact events), total contact time,
distinct days with contact, and the best of them per question.

Usage: ``python -m bench.strength_eval [--data ../shared/data/sociopatterns-contacts]``.
The data is read from ``TIEGRAPH_SHARED_DATA`` (default ``../shared/data``); it is never copied
into the repository (CC BY-NC-SA).
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from random import Random

from graph.domain.model import Interaction, InteractionKind, Tie
from graph.domain.relationship import (
    Components,
    StrengthScale,
    assess,
    embeddedness,
    evidence_factor,
    log_mass,
)
from graph.domain.strength import StrengthModel
from graph.domain.ties import ties_from_history

DATASETS = ("thiers_2012.csv", "Primary_School.csv")
CONTACT_SECONDS = 20
UNITS = ("record", "event")
"""An interaction per 20 s record, or per contact event (consecutive records of a pair)."""
HALF_LIVES = (timedelta(hours=6), timedelta(days=1), timedelta(days=3), timedelta(days=10))
LONGEVITY_HALVES = (timedelta(hours=6), timedelta(days=1), timedelta(days=3))
FLOORS = (0.01, 0.03, 0.1, 0.3, 1.0)
MIXES: dict[str, StrengthScale] = {
    "today's mix": StrengthScale(),
    "flat": StrengthScale(
        base=1.0, diversity_weight=0.0, longevity_weight=0.0, embeddedness_weight=0.0
    ),
}
"""Quality mixes tried: the product's weights, and none (quality 1: the factors say it all)."""
BASELINES = ("contact count", "contact time", "days with contact")
QUESTIONS = ("(a) same class", "(b) meet again")
RESAMPLES = 200
SEED = 2012

Pair = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Contact:
    """One 20-second face-to-face contact."""

    at: datetime
    a: str
    b: str


@dataclass(frozen=True, slots=True)
class Dataset:
    """A recording: contacts in time order and each person's class."""

    name: str
    contacts: list[Contact]
    classes: dict[str, str]


@dataclass(frozen=True, slots=True)
class Choice:
    """Everything the strength depends on here, as chosen on a tuning set."""

    unit: str
    half_life: timedelta
    mix: str
    scale: StrengthScale

    def describe(self) -> str:
        """Say the choice in one line."""
        return (
            f"unit {self.unit}, half-life {_human(self.half_life)}, {self.mix}, longevity half"
            f" {_human(self.scale.longevity_half)}, floors: longevity"
            f" {self.scale.longevity_floor:g}, embeddedness {self.scale.embeddedness_floor:g}"
        )


@dataclass(frozen=True, slots=True)
class Case:
    """One pair to rank: its tie at the moment of asking, and the label."""

    pair: Pair
    tie: Tie
    embedded: float
    label: bool


@dataclass(frozen=True, slots=True)
class Question:
    """The pairs one question ranks, at one moment, and their plain baselines."""

    at: datetime
    cases: list[Case]
    baselines: dict[str, list[float]]


def read_contacts(path: Path) -> tuple[list[Contact], dict[str, str]]:
    """Read ``t i j Ci Cj`` lines: contacts in time order, and each person's class."""
    contacts: list[Contact] = []
    classes: dict[str, str] = {}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 5:
                raise ValueError(f"{path} line {number}: expected 5 fields, found {len(fields)}")
            t, i, j, ci, cj = fields
            a, b = (i, j) if i <= j else (j, i)
            contacts.append(Contact(datetime.fromtimestamp(int(t), UTC), a, b))
            classes[i], classes[j] = ci, cj
    contacts.sort(key=lambda c: c.at)
    return contacts, classes


def read_dataset(path: Path) -> Dataset:
    """Read one SocioPatterns file as a :class:`Dataset`."""
    contacts, classes = read_contacts(path)
    return Dataset(path.stem, contacts, classes)


def roc_auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """Return the probability that a random positive scores above a random negative (ties 1/2).

    The Mann-Whitney form, O((p + n) log(p + n)).

    >>> roc_auc([3.0, 2.0], [1.0, 0.0])
    1.0
    >>> roc_auc([1.0], [1.0])
    0.5
    """
    if not positives or not negatives:
        return math.nan
    ranked = sorted([(v, 1) for v in positives] + [(v, 0) for v in negatives])
    rank_sum = 0.0
    i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        average_rank = (i + 1 + j) / 2  # ranks are 1-based; tied values share the average
        rank_sum += average_rank * sum(label for _, label in ranked[i:j])
        i = j
    p, n = len(positives), len(negatives)
    return (rank_sum - p * (p + 1) / 2) / (p * n)


def _auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    return roc_auc(
        [s for s, y in zip(scores, labels, strict=True) if y],
        [s for s, y in zip(scores, labels, strict=True) if not y],
    )


def ranking_key(
    tie: Tie, at: datetime, model: StrengthModel, components: Components, scale: StrengthScale
) -> float:
    """Return the mass ``l = ln(q * f * eff) - ln 2 * (at - last) / h`` strength increases with.

    ``eff`` is the effective score at the last contact (unmatched one-way contact counts
    ``scale.one_way``), ``q`` the quality mix of the components and ``f`` the domain's
    :func:`~graph.domain.relationship.evidence_factor`; the domain's
    :func:`~graph.domain.relationship.log_mass` does the decay in log space.
    """
    effective = max(0.0, tie.score - (1.0 - scale.one_way) * abs(tie.score_by_a - tie.score_by_b))
    quality = (
        scale.base
        + scale.diversity_weight * components.diversity
        + scale.longevity_weight * components.longevity
        + scale.embeddedness_weight * components.embeddedness
    )
    weighted = effective * quality * evidence_factor(components, scale)
    return log_mass(weighted, at - tie.last_at, model.half_life)


def _log_quality(components: Components, scale: StrengthScale) -> float:
    """``ln(q * f)``: what a scale adds to the mass of a tie with quality and factor 1."""
    quality = (
        scale.base
        + scale.diversity_weight * components.diversity
        + scale.longevity_weight * components.longevity
        + scale.embeddedness_weight * components.embeddedness
    )
    return math.log(quality * evidence_factor(components, scale))


def interactions(contacts: Iterable[Contact], unit: str) -> list[Interaction]:
    """Turn contacts into interactions: one per record, or one per contact event.

    A contact event is a pair's run of records no more than 20 s apart; it becomes one
    interaction at its start with its duration.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}")
    found: list[Interaction] = []
    open_events: dict[Pair, tuple[datetime, datetime, int]] = {}

    def close(pair: Pair, start: datetime, end: datetime) -> None:
        found.append(
            Interaction(
                key=f"{start.timestamp():.0f}|{pair[0]}|{pair[1]}",
                at=start,
                kind=InteractionKind.CONTACT,
                participant_ids=pair,
                duration_s=int((end - start).total_seconds()) + CONTACT_SECONDS,
            )
        )

    for contact in contacts:
        pair = (contact.a, contact.b)
        if unit == "record":
            close(pair, contact.at, contact.at)
            continue
        current = open_events.get(pair)
        if current and (contact.at - current[1]).total_seconds() <= CONTACT_SECONDS:
            open_events[pair] = (current[0], contact.at, current[2] + 1)
        else:
            if current:
                close(pair, current[0], current[1])
            open_events[pair] = (contact.at, contact.at, 1)
    for pair, (start, end, _) in open_events.items():
        close(pair, start, end)
    found.sort(key=lambda i: (i.at, i.key))
    return found


def _baselines(contacts: Sequence[Contact]) -> dict[Pair, tuple[float, float, float]]:
    """Contact events, contact time (s) and distinct days with contact, per pair."""
    events: dict[Pair, int] = defaultdict(int)
    records: dict[Pair, int] = defaultdict(int)
    days: dict[Pair, set[date]] = defaultdict(set)
    last: dict[Pair, datetime] = {}
    for contact in contacts:
        pair = (contact.a, contact.b)
        previous = last.get(pair)
        if previous is None or (contact.at - previous).total_seconds() > CONTACT_SECONDS:
            events[pair] += 1
        last[pair] = contact.at
        records[pair] += 1
        days[pair].add(contact.at.date())
    return {
        p: (float(events[p]), float(records[p] * CONTACT_SECONDS), float(len(days[p])))
        for p in records
    }


def questions(dataset: Dataset, unit: str, model: StrengthModel) -> tuple[Question, Question]:
    """Build both questions' pairs, ties and baselines for one way of making interactions."""
    contacts = dataset.contacts
    end = contacts[-1].at
    middle = contacts[0].at + (end - contacts[0].at) / 2
    early = [c for c in contacts if c.at < middle]
    met_later = {(c.a, c.b) for c in contacts if c.at >= middle}
    classes = dataset.classes

    def question(
        window: Sequence[Contact], at: datetime, label: Callable[[Pair], bool]
    ) -> Question:
        ties = ties_from_history(interactions(window, unit), model)
        neighbours: dict[str, set[str]] = defaultdict(set)
        for a, b in ties:
            neighbours[a].add(b)
            neighbours[b].add(a)
        plain = _baselines(window)
        pairs = sorted(ties)
        cases = [
            Case(
                pair=(a, b),
                tie=ties[(a, b)],
                embedded=embeddedness(neighbours[a], neighbours[b], a, b, shared_groups=0),
                label=label((a, b)),
            )
            for a, b in pairs
        ]
        baselines = {name: [plain[p][k] for p in pairs] for k, name in enumerate(BASELINES)}
        return Question(at, cases, baselines)

    same_class = question(contacts, end, lambda p: classes[p[0]] == classes[p[1]])
    meet_again = question(early, middle, lambda p: p in met_later)
    return same_class, meet_again


def best_baselines(dataset: Dataset) -> tuple[dict[str, tuple[float, float]], tuple[float, float]]:
    """Return each baseline's AUC on both questions, and the best per question."""
    same_class, meet_again = questions(dataset, "event", StrengthModel())
    found = {
        name: tuple(
            _auc(q.baselines[name], [c.label for c in q.cases]) for q in (same_class, meet_again)
        )
        for name in BASELINES
    }
    best = (max(a for a, _ in found.values()), max(b for _, b in found.values()))
    return {n: (v[0], v[1]) for n, v in found.items()}, best


def _candidates() -> list[tuple[str, StrengthScale]]:
    return [
        (
            mix,
            replace(
                scale,
                longevity_half=half,
                longevity_floor=longevity_floor,
                embeddedness_floor=embeddedness_floor,
            ),
        )
        for mix, scale in MIXES.items()
        for half in LONGEVITY_HALVES
        for longevity_floor, embeddedness_floor in itertools.product(FLOORS, FLOORS)
    ]


def score_choices(
    dataset: Dataset, choices: Sequence[Choice] | None = None
) -> dict[Choice, tuple[float, float]]:
    """Return each choice's AUC on both questions on ``dataset`` (every candidate if none)."""
    wanted = (
        choices
        if choices is not None
        else [
            Choice(unit, half_life, mix, scale)
            for unit in UNITS
            for half_life in HALF_LIVES
            for mix, scale in _candidates()
        ]
    )
    by_model: dict[tuple[str, timedelta], list[Choice]] = defaultdict(list)
    for choice in wanted:
        by_model[(choice.unit, choice.half_life)].append(choice)
    scored: dict[Choice, tuple[float, float]] = {}
    for (unit, half_life), group in by_model.items():
        model = StrengthModel(half_life=half_life)
        asked = questions(dataset, unit, model)
        aucs: dict[Choice, list[float]] = defaultdict(list)
        for question in asked:
            labels = [c.label for c in question.cases]
            neutral = MIXES["flat"]
            # The key splits into a part that does not depend on the scale (eff and recency)
            # and log(q * f); components depend on the scale only through longevity_half.
            by_half: dict[timedelta, list[Components]] = {
                half: [
                    assess(
                        c.tie,
                        question.at,
                        model,
                        embedded=c.embedded,
                        scale=replace(neutral, longevity_half=half),
                    ).components
                    for c in question.cases
                ]
                for half in {choice.scale.longevity_half for choice in group}
            }
            # With quality and factors of 1 the key is log(eff) - ln 2 * elapsed / h.
            any_half = next(iter(by_half.values()))
            plain = [
                ranking_key(c.tie, question.at, model, p, neutral)
                for c, p in zip(question.cases, any_half, strict=True)
            ]
            for choice in group:
                components = by_half[choice.scale.longevity_half]
                keys = [
                    fixed + _log_quality(p, choice.scale)
                    for fixed, p in zip(plain, components, strict=True)
                ]
                aucs[choice].append(_auc(keys, labels))
        for choice, found in aucs.items():
            scored[choice] = (found[0], found[1])
    return scored


def select(tuning: Dataset) -> tuple[Choice, tuple[float, float]]:
    """Choose every parameter on ``tuning`` alone: the best worst margin over its best
    baseline across both questions (then the best sum). Returns the choice and its AUCs there."""
    _, (best_a, best_b) = best_baselines(tuning)
    scored = score_choices(tuning)

    def merit(item: tuple[Choice, tuple[float, float]]) -> tuple[float, float]:
        a, b = item[1]
        return (min(a - best_a, b - best_b), a + b)

    choice, aucs = max(scored.items(), key=merit)
    return choice, aucs


@dataclass(frozen=True, slots=True)
class HeldOut:
    """One direction: what was chosen on the tuning set, and the figures on the held-out one."""

    tuning: str
    held_out: str
    choice: Choice
    tuning_aucs: tuple[float, float]
    strength: tuple[float, float]
    baselines: dict[str, tuple[float, float]]
    best: tuple[float, float]
    intervals: tuple[tuple[float, float], tuple[float, float]]
    """95% interval of each margin over pairs resampled with replacement (a rough guide:
    pairs sharing a person are not independent)."""
    product_default: tuple[float, float]
    """The strength with the product's defaults (half-life 60 days, each contact event)."""

    @property
    def margins(self) -> tuple[float, float]:
        """Strength minus the best plain baseline, per question."""
        return (self.strength[0] - self.best[0], self.strength[1] - self.best[1])


def held_out(
    tuning: Dataset,
    test: Dataset,
    *,
    choose: Callable[[Dataset], tuple[Choice, tuple[float, float]]] = select,
    resamples: int = RESAMPLES,
) -> HeldOut:
    """Choose on ``tuning`` (``choose`` sees nothing else) and report on ``test``.

    The held-out strength is computed by :func:`ranking_key` pair by pair, apart from the
    selection's shortcut.
    """
    choice, tuning_aucs = choose(tuning)
    baselines, best = best_baselines(test)
    model = StrengthModel(half_life=choice.half_life)
    strength: list[float] = []
    intervals: list[tuple[float, float]] = []
    random = Random(SEED)
    for number, question in enumerate(questions(test, choice.unit, model)):
        keys = [
            ranking_key(
                c.tie,
                question.at,
                model,
                assess(
                    c.tie, question.at, model, embedded=c.embedded, scale=choice.scale
                ).components,
                choice.scale,
            )
            for c in question.cases
        ]
        labels = [c.label for c in question.cases]
        strength.append(_auc(keys, labels))
        leader = max(BASELINES, key=lambda name: baselines[name][number])
        plain = question.baselines[leader]
        margins = []
        for _ in range(resamples):
            picked = random.choices(range(len(labels)), k=len(labels))
            sampled = [labels[i] for i in picked]
            margin = _auc([keys[i] for i in picked], sampled) - _auc(
                [plain[i] for i in picked], sampled
            )
            if not math.isnan(margin):  # a resample with one label only says nothing
                margins.append(margin)
        margins.sort()
        intervals.append(
            (margins[int(0.025 * len(margins))], margins[int(0.975 * len(margins)) - 1])
            if margins
            else (math.nan, math.nan)
        )
    default = Choice("event", StrengthModel().half_life, "today's mix", StrengthScale())
    return HeldOut(
        tuning.name,
        test.name,
        choice,
        tuning_aucs,
        (strength[0], strength[1]),
        baselines,
        best,
        (intervals[0], intervals[1]),
        score_choices(test, [default])[default],
    )


def _human(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} h" if hours < 24 else f"{hours / 24:g} d"


def print_held_out(result: HeldOut) -> None:
    """Print one direction's table."""
    print(f"\nchosen on {result.tuning}, reported on {result.held_out}")
    print(f"  chosen: {result.choice.describe()}")
    print(
        f"  on {result.tuning} (tuning, not a result): (a) {result.tuning_aucs[0]:.3f}"
        f"  (b) {result.tuning_aucs[1]:.3f}"
    )
    print(f"  {'held-out ROC AUC':30s} {QUESTIONS[0]:>16s} {QUESTIONS[1]:>16s}")
    for name, (a, b) in result.baselines.items():
        print(f"  {name:30s} {a:16.3f} {b:16.3f}")
    print(f"  {'best plain baseline':30s} {result.best[0]:16.3f} {result.best[1]:16.3f}")
    print(f"  {'tiegraph strength':30s} {result.strength[0]:16.3f} {result.strength[1]:16.3f}")
    print(f"  {'margin':30s} {result.margins[0]:+16.3f} {result.margins[1]:+16.3f}")
    (low_a, high_a), (low_b, high_b) = result.intervals
    print(
        f"  {'  95% interval (pairs resampled)':30s} {f'{low_a:+.3f} to {high_a:+.3f}':>16s}"
        f" {f'{low_b:+.3f} to {high_b:+.3f}':>16s}"
    )
    default_a, default_b = result.product_default
    print(f"  {'product defaults (h 60 d)':30s} {default_a:16.3f} {default_b:16.3f}")


def main(argv: Sequence[str] | None = None) -> int:
    """Choose on each data set, report on the other, and print the held-out tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    default = Path(os.environ.get("TIEGRAPH_SHARED_DATA", "../shared/data"))
    parser.add_argument("--data", type=Path, default=default / "sociopatterns-contacts")
    args = parser.parse_args(argv)
    paths = [args.data / name for name in DATASETS]
    for path in paths:
        if not path.exists():
            print(f"missing {path}: set TIEGRAPH_SHARED_DATA or --data", file=sys.stderr)
            return 2
    first, second = (read_dataset(path) for path in paths)
    started = time.perf_counter()
    results = [held_out(first, second), held_out(second, first)]
    for result in results:
        print_held_out(result)
    worst = min(min(r.margins) for r in results)
    print(f"\nworst held-out margin over the best plain baseline: {worst:+.3f}")
    print(
        f"({len(_candidates()) * len(UNITS) * len(HALF_LIVES)} candidates per tuning set,"
        f" {time.perf_counter() - started:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
