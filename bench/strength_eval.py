"""Does the decaying tie score tell real ties apart? An evaluation on SocioPatterns contacts.

Each face-to-face contact record (20 s of proximity between two people) is an interaction;
classes are groups. For each dataset this prints ROC AUC, for the decaying score
(:mod:`graph.domain.strength`) at several half-lives and for plain baselines computed in the
same run (contact count, total contact time, time of last contact):

(a) **same class**: do pairs in the same class score higher than pairs across classes?
(b) **keep in touch**: scored on the first half of the recording, do pairs that meet again in
    the second half score higher than pairs that do not?

Usage: ``python -m bench.strength_eval [--data ../shared/data/sociopatterns-contacts]``.
The data is read from ``TIEGRAPH_SHARED_DATA`` (default ``../shared/data``); it is never copied
into the repository (CC BY-NC-SA).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from graph.domain.model import InteractionKind, Tie
from graph.domain.relationship import DEFAULT_SCALE, StrengthScale, assess, embeddedness
from graph.domain.strength import DecayingScore, StrengthModel

DATASETS = ("thiers_2012.csv", "Primary_School.csv")
CONTACT_SECONDS = 20
EMBEDDEDNESS_SWEEP = (0.0, 0.1, 0.2, 0.3)
BASELINES = ("contact count", "contact time", "last contact")
HALF_LIVES = (timedelta(hours=1), timedelta(hours=6), timedelta(days=1), timedelta(days=3))

Pair = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Contact:
    """One 20-second face-to-face contact."""

    at: datetime
    a: str
    b: str


@dataclass(slots=True)
class PairHistory:
    """What the baselines need of a pair, plus the decaying scores by half-life."""

    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    scores: dict[timedelta, DecayingScore] | None = None


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


def histories(
    contacts: Sequence[Contact], model_for: Callable[[timedelta], StrengthModel]
) -> dict[Pair, PairHistory]:
    """Fold contacts into per-pair baselines and decaying scores (one per half-life)."""
    found: dict[Pair, PairHistory] = defaultdict(PairHistory)
    for contact in contacts:
        history = found[(contact.a, contact.b)]
        history.count += 1
        history.first = history.first or contact.at
        history.last = contact.at
        if history.scores is None:
            history.scores = {}
        for half_life in HALF_LIVES:
            model = model_for(half_life)
            weight = model.weight(InteractionKind.CONTACT)
            score = history.scores.get(half_life)
            history.scores[half_life] = (
                DecayingScore(weight, contact.at)
                if score is None
                else score.add(weight, contact.at, model.half_life)
            )
    return found


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


def _features(
    found: dict[Pair, PairHistory], at: datetime, scale: StrengthScale = DEFAULT_SCALE
) -> dict[str, Callable[[Pair, PairHistory], float]]:
    def last(h: PairHistory) -> float:
        return h.last.timestamp() if h.last else -math.inf

    features: dict[str, Callable[[Pair, PairHistory], float]] = {
        "contact count": lambda _, h: float(h.count),
        "contact time": lambda _, h: float(h.count * CONTACT_SECONDS),
        "last contact": lambda _, h: last(h),
    }
    contacts: dict[str, set[str]] = defaultdict(set)
    for a, b in found:
        contacts[a].add(b)
        contacts[b].add(a)
    for half_life in HALF_LIVES:

        def score(_: Pair, h: PairHistory, half: timedelta = half_life) -> float:
            assert h.scores is not None
            return h.scores[half].at_time(at, half)

        features[f"decaying score, half-life {_human(half_life)}"] = score
    for half_life in HALF_LIVES:
        model = StrengthModel(half_life=half_life)

        def strength(pair: Pair, h: PairHistory, model: StrengthModel = model) -> float:
            assert h.scores is not None
            assert h.first is not None
            assert h.last is not None
            a, b = pair
            tie = Tie(
                a=a,
                b=b,
                first_at=h.first,
                last_at=h.last,
                count=h.count,
                counts={InteractionKind.CONTACT: h.count},
                score=h.scores[model.half_life].value,
            )
            embedded = embeddedness(contacts[a], contacts[b], a, b, shared_groups=0)
            return assess(tie, at, model, embedded=embedded, scale=scale).strength

        features[f"tiegraph strength, half-life {_human(half_life)}"] = strength
    return features


def _human(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} h" if hours < 24 else f"{hours / 24:g} d"


def evaluate(path: Path, scale: StrengthScale = DEFAULT_SCALE) -> list[tuple[str, float, float]]:
    """Return ``(feature, AUC same class, AUC keep in touch)`` for one dataset."""
    contacts, classes = read_contacts(path)

    def model_for(half_life: timedelta) -> StrengthModel:
        return StrengthModel(half_life=half_life)

    end = contacts[-1].at
    everything = histories(contacts, model_for)
    middle = contacts[0].at + (end - contacts[0].at) / 2
    first_half = histories([c for c in contacts if c.at < middle], model_for)
    met_later = {(c.a, c.b) for c in contacts if c.at >= middle}

    rows = []
    all_features = _features(everything, end, scale)
    early_features = _features(first_half, middle, scale)
    for name, feature in all_features.items():
        same = [feature(p, h) for p, h in everything.items() if classes[p[0]] == classes[p[1]]]
        across = [feature(p, h) for p, h in everything.items() if classes[p[0]] != classes[p[1]]]
        early = early_features[name]
        kept = [early(p, h) for p, h in first_half.items() if p in met_later]
        lost = [early(p, h) for p, h in first_half.items() if p not in met_later]
        rows.append((name, roc_auc(same, across), roc_auc(kept, lost)))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Print the evaluation table for each dataset."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    default = Path(os.environ.get("TIEGRAPH_SHARED_DATA", "../shared/data"))
    parser.add_argument("--data", type=Path, default=default / "sociopatterns-contacts")
    args = parser.parse_args(argv)
    for name in DATASETS:
        path = args.data / name
        if not path.exists():
            print(f"missing {path}: set TIEGRAPH_SHARED_DATA or --data", file=sys.stderr)
            return 2
        print(f"\n{name}")
        print(f"{'feature':40s} {'AUC (a) same class':>20s} {'AUC (b) keep in touch':>22s}")
        rows = evaluate(path)
        baselines = [(a, b) for n, a, b in rows if n in BASELINES]
        for feature, auc_a, auc_b in rows:
            print(f"{feature:40s} {auc_a:20.3f} {auc_b:22.3f}")
        print(
            f"best baseline: (a) {max(a for a, _ in baselines):.3f},"
            f" (b) {max(b for _, b in baselines):.3f}"
        )
        for prefix in ("decaying score", "tiegraph strength"):
            ours = [(a, b) for n, a, b in rows if n.startswith(prefix)]
            print(
                f"best {prefix}: (a) {max(a for a, _ in ours):.3f},"
                f" (b) {max(b for _, b in ours):.3f}"
            )
        print("embeddedness weight (half-life 3 d):", end="")
        for weight in EMBEDDEDNESS_SWEEP:
            scale = StrengthScale(base=0.8 - weight, embeddedness_weight=weight)
            swept = {n: (a, b) for n, a, b in evaluate(path, scale)}
            a, b = swept["tiegraph strength, half-life 3 d"]
            print(f"  {weight:.1f}: (a) {a:.3f} (b) {b:.3f}", end="")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
