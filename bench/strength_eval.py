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

from graph.domain.model import InteractionKind
from graph.domain.strength import DecayingScore, StrengthModel

DATASETS = ("thiers_2012.csv", "Primary_School.csv")
CONTACT_SECONDS = 20
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
    found: dict[Pair, PairHistory], at: datetime
) -> dict[str, Callable[[PairHistory], float]]:
    def last(h: PairHistory) -> float:
        return h.last.timestamp() if h.last else -math.inf

    features: dict[str, Callable[[PairHistory], float]] = {
        "contact count": lambda h: float(h.count),
        "contact time": lambda h: float(h.count * CONTACT_SECONDS),
        "last contact": last,
    }
    for half_life in HALF_LIVES:

        def score(h: PairHistory, half: timedelta = half_life) -> float:
            assert h.scores is not None
            return h.scores[half].at_time(at, half)

        features[f"decaying score, half-life {_human(half_life)}"] = score
    return features


def _human(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} h" if hours < 24 else f"{hours / 24:g} d"


def evaluate(path: Path) -> list[tuple[str, float, float]]:
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
    all_features = _features(everything, end)
    early_features = _features(first_half, middle)
    for name, feature in all_features.items():
        same = [feature(h) for (a, b), h in everything.items() if classes[a] == classes[b]]
        across = [feature(h) for (a, b), h in everything.items() if classes[a] != classes[b]]
        early = early_features[name]
        kept = [early(h) for pair, h in first_half.items() if pair in met_later]
        lost = [early(h) for pair, h in first_half.items() if pair not in met_later]
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
        best_a = max(a for n, a, _ in rows if not n.startswith("decaying"))
        best_b = max(b for n, _, b in rows if not n.startswith("decaying"))
        for feature, auc_a, auc_b in rows:
            print(f"{feature:40s} {auc_a:20.3f} {auc_b:22.3f}")
        ours = [(a, b) for n, a, b in rows if n.startswith("decaying")]
        print(
            f"best baseline: (a) {best_a:.3f}, (b) {best_b:.3f}; best decaying score:"
            f" (a) {max(a for a, _ in ours):.3f}, (b) {max(b for _, b in ours):.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
