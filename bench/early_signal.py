"""Does the early signal foresee who keeps in touch after a group ends? ROC AUC on held-out data.

The early signal (:mod:`graph.domain.early_signal`) reads a pair's in-group interactions at the
group's end. This prints, for each evaluation, its ROC AUC next to plain baselines computed in
the same run on the same pairs:

(a) **synthetic cohorts**: a network from :func:`graph.samples.synth.generate_network` is loaded
    into a temporary embedded store (so meetings, breakouts and side conversations leave their
    interactions behind exactly as in production). A group ends at midnight after its last
    meeting day. For each group whose end plus 180 days comes before the last generated
    contact, every pair of its members (not the leader) who both agreed to share post-group
    contact is labelled "kept in touch" when :func:`graph.domain.retention.group_retention`
    finds a direct contact in the 180 days after the end. Groups are split 50/50 by a hash of
    their id; the model is fitted on one half and scored on the other. Baselines: side
    conversations, strength, and all the pair's interactions up to the end. A last line gives
    the early signal's lead over the best baseline with a 95% interval from resampling the
    test groups.
(b) **SocioPatterns** face-to-face contacts: features at the middle of the recording from
    first-half contacts (strength with a 3-day half-life; contacts have no initiator, so
    reciprocity is 1; no side conversations or breakouts), labelled by whether the pair meets
    again in the second half. Fitted on one school, scored on the other, both ways. Baseline:
    the contact count.

Usage: ``python -m bench.early_signal [--people 3000] [--seed 7] [--data DIR] [--fit]``.
``--fit`` prints the model fitted on every eligible synthetic group instead, in the form
:data:`graph.domain.early_signal.DEFAULT_EARLY_SIGNAL` is written in. SocioPatterns data is read
from ``TIEGRAPH_SHARED_DATA`` (default ``../shared/data``) or ``--data``; it is never copied
into the repository (CC BY-NC-SA).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

from bench.strength_eval import read_contacts, roc_auc
from graph.adapters.embedded.store import EmbeddedStore
from graph.domain.early_signal import (
    DEFAULT_EARLY_SIGNAL,
    FEATURES,
    EarlySignal,
    fit,
    pair_features,
)
from graph.domain.model import (
    Group,
    Interaction,
    InteractionKind,
    MembershipRole,
    Person,
    pair_key,
)
from graph.domain.retention import group_retention
from graph.domain.strength import StrengthModel
from graph.samples.synth import generate_network, network_batches

DATASETS = ("thiers_2012.csv", "Primary_School.csv")
FOLLOW_UP = timedelta(days=180)
L2 = 1.0
BATCH_SIZE = 5_000
PAGE = 1_000
RESAMPLES = 200


@dataclass(frozen=True, slots=True)
class Example:
    """One pair of group-mates: its features at the end, its baselines, and what happened."""

    group_id: str
    features: tuple[float, ...]
    side_conversations: int
    interactions: int
    kept_in_touch: bool


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the printed table."""

    evaluation: str
    predictor: str
    auc: float
    pairs: int
    kept: int


def midnight(day: date) -> datetime:
    """Return 00:00 UTC at the start of ``day``."""
    return datetime.combine(day, clock(0), tzinfo=UTC)


async def synthetic_examples(*, people: int, seed: int, model: StrengthModel) -> list[Example]:
    """Return every pair of consenting members of every eligible synthetic group, labelled."""
    network = generate_network(people=people, seed=seed)
    with tempfile.TemporaryDirectory(prefix="tiegraph-early-signal-") as directory:
        store = EmbeddedStore(Path(directory), model)
        await store.open()
        try:
            for batch in network_batches(network, BATCH_SIZE):
                await store.apply(batch)
            groups: list[Group] = []
            after: str | None = None
            while True:
                page = await store.list_records(Group, first=PAGE, after=after)
                groups.extend(page.items)
                if not page.has_next:
                    break
                after = page.items[-1].id
            memberships = await store.memberships(group_ids=[g.id for g in groups])
            person_ids = sorted({m.person_id for m in memberships})
            persons = await store.get(Person, person_ids)
            interactions = {pid: await store.interactions_of(pid) for pid in person_ids}
        finally:
            await store.close()

    last_contact = max(i.at for found in interactions.values() for i in found)
    groups_of: dict[str, set[str]] = defaultdict(set)
    members_of: dict[str, list[str]] = defaultdict(list)
    for membership in memberships:
        groups_of[membership.person_id].add(membership.group_id)
        if membership.role is MembershipRole.MEMBER:
            members_of[membership.group_id].append(membership.person_id)
    consenting = {pid for pid, person in persons.items() if person.share_post_group_contact}

    examples: list[Example] = []
    for group in groups:
        assert group.starts_on is not None
        assert group.ends_on is not None
        starts_at = midnight(group.starts_on)
        # The last meeting is on ends_on; the group has ended once that day is over.
        end = midnight(group.ends_on + timedelta(days=1))
        if end + FOLLOW_UP >= last_contact:
            continue
        members = members_of[group.id]
        history = [i for pid in members for i in interactions[pid]]
        retention = group_retention(
            group_id=group.id,
            member_ids=members,
            consenting=consenting,
            starts_at=starts_at,
            after=end,
            now=end + FOLLOW_UP,
            horizons=[30, 90, 180],
            interactions=history,
            groups_of=groups_of,
            model=model,
        )
        of_pair = _pair_histories(history, set(members) & consenting)
        for pair in retention.pairs:
            together = of_pair.get((pair.a, pair.b), [])
            in_group = [i for i in together if i.at <= end]
            features = pair_features(together, pair.a, pair.b, end, model)
            examples.append(
                Example(
                    group_id=group.id,
                    features=features,
                    side_conversations=sum(
                        i.kind is InteractionKind.SIDE_CONVERSATION for i in in_group
                    ),
                    interactions=len(in_group),
                    kept_in_touch=pair.contact_after,
                )
            )
    return examples


def _pair_histories(
    interactions: Sequence[Interaction], people: set[str]
) -> dict[tuple[str, str], list[Interaction]]:
    """Return each pair's interactions (once per key), for pairs of ``people``."""
    found: dict[tuple[str, str], list[Interaction]] = defaultdict(list)
    seen: set[str] = set()
    for interaction in interactions:
        if interaction.key in seen:
            continue
        seen.add(interaction.key)
        present = sorted(set(interaction.participant_ids) & people)
        for i, a in enumerate(present):
            for b in present[i + 1 :]:
                found[pair_key(a, b)].append(interaction)
    return found


def in_test_half(group_id: str) -> bool:
    """Return whether a group is held out for testing: half of the groups, by id, stably."""
    return hashlib.sha256(group_id.encode()).digest()[0] % 2 == 1


def score_rows(
    evaluation: str,
    *,
    predictors: dict[str, Callable[[Example], float]],
    examples: Sequence[Example],
) -> list[Row]:
    """Return one row per predictor: its AUC at telling kept pairs from the others."""
    rows = []
    kept = [e for e in examples if e.kept_in_touch]
    lost = [e for e in examples if not e.kept_in_touch]
    for name, predict in predictors.items():
        auc = roc_auc([predict(e) for e in kept], [predict(e) for e in lost])
        rows.append(Row(evaluation, name, auc, len(examples), len(kept)))
    return rows


def fit_on(examples: Sequence[Example]) -> EarlySignal:
    """Fit the early signal on ``examples``."""
    return fit([e.features for e in examples], [e.kept_in_touch for e in examples], l2=L2)


def scored_by(model: EarlySignal) -> Callable[[Example], float]:
    """Return the predictor that scores an example by ``model``'s probability."""

    def predict(example: Example) -> float:
        return model.probability(example.features)

    return predict


def synthetic_rows(examples: Sequence[Example]) -> tuple[list[Row], str]:
    """Fit on the training groups and score the held-out groups, with the baselines.

    Also returns a line comparing the early signal with the best baseline: the difference in
    AUC and its 95% interval over test groups resampled with replacement (pairs of one group
    are not independent, so groups, not pairs, are resampled).
    """
    train = [e for e in examples if not in_test_half(e.group_id)]
    test = [e for e in examples if in_test_half(e.group_id)]
    model = fit_on(train)
    signal = "early signal (fitted on train groups)"
    predictors: dict[str, Callable[[Example], float]] = {
        signal: scored_by(model),
        "side conversation count": lambda e: float(e.side_conversations),
        "strength at the end": lambda e: e.features[0],
        "in-group interaction count": lambda e: float(e.interactions),
    }
    groups = len({e.group_id for e in test})
    rows = score_rows(f"synthetic, {groups} test groups", predictors=predictors, examples=test)
    best = max((r for r in rows if r.predictor != signal), key=lambda r: r.auc)
    low, high = group_bootstrap(test, first=predictors[signal], second=predictors[best.predictor])
    ours = next(r.auc for r in rows if r.predictor == signal)
    comparison = (
        f"early signal - {best.predictor} on synthetic test groups: {ours - best.auc:+.3f} AUC"
        f" (95% interval over {RESAMPLES} resamples of the groups: {low:+.3f} to {high:+.3f})"
    )
    return rows, comparison


def group_bootstrap(
    examples: Sequence[Example],
    *,
    first: Callable[[Example], float],
    second: Callable[[Example], float],
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> tuple[float, float]:
    """Return the 2.5th and 97.5th percentiles of ``AUC(first) - AUC(second)`` when the
    examples' groups are drawn with replacement ``resamples`` times."""
    by_group: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_group[example.group_id].append(example)
    groups = sorted(by_group)
    rng = random.Random(seed)
    differences = []
    for _ in range(resamples):
        sample = [e for _ in groups for e in by_group[rng.choice(groups)]]
        kept = [e for e in sample if e.kept_in_touch]
        lost = [e for e in sample if not e.kept_in_touch]
        differences.append(
            roc_auc([first(e) for e in kept], [first(e) for e in lost])
            - roc_auc([second(e) for e in kept], [second(e) for e in lost])
        )
    differences.sort()
    return differences[int(0.025 * resamples)], differences[int(0.975 * resamples) - 1]


def sociopatterns_examples(path: Path) -> list[Example]:
    """Return every pair that met in the first half of the recording, labelled by the second."""
    contacts, _ = read_contacts(path)
    model = StrengthModel(half_life=timedelta(days=3))
    middle = contacts[0].at + (contacts[-1].at - contacts[0].at) / 2
    first_half: dict[tuple[str, str], list[Interaction]] = defaultdict(list)
    met_later: set[tuple[str, str]] = set()
    for contact in contacts:
        pair = (contact.a, contact.b)
        if contact.at < middle:
            first_half[pair].append(
                Interaction(
                    key=f"{contact.at.timestamp():.0f}|{contact.a}|{contact.b}",
                    at=contact.at,
                    kind=InteractionKind.CONTACT,
                    participant_ids=pair,
                )
            )
        else:
            met_later.add(pair)
    return [
        Example(
            group_id=path.name,
            features=pair_features(history, a, b, middle, model),
            side_conversations=0,
            interactions=len(history),
            kept_in_touch=(a, b) in met_later,
        )
        for (a, b), history in sorted(first_half.items())
    ]


def sociopatterns_rows(data: Path) -> list[Row]:
    """Fit on one school and score the other, both ways, with the contact count baseline."""
    examples = {name: sociopatterns_examples(data / name) for name in DATASETS}
    rows = []
    first, second = DATASETS
    for train, test in ((first, second), (second, first)):
        predictors: dict[str, Callable[[Example], float]] = {
            f"early signal (fitted on {train})": scored_by(fit_on(examples[train])),
            "early signal (default, synthetic)": scored_by(DEFAULT_EARLY_SIGNAL),
            "contact count": lambda e: float(e.interactions),
            "strength at the middle": lambda e: e.features[0],
        }
        rows.extend(
            score_rows(
                f"SocioPatterns, test {test}", predictors=predictors, examples=examples[test]
            )
        )
    return rows


def print_rows(rows: Sequence[Row]) -> None:
    """Print the table, one block per evaluation."""
    print(f"{'evaluation':40s} {'predictor':44s} {'ROC AUC':>8s} {'pairs':>7s} {'kept':>6s}")
    current = None
    for row in rows:
        if row.evaluation != current:
            if current is not None:
                print()
            current = row.evaluation
        print(
            f"{row.evaluation:40s} {row.predictor:44s} {row.auc:8.3f} {row.pairs:7d} {row.kept:6d}"
        )


def print_fit(model: EarlySignal, examples: Sequence[Example]) -> None:
    """Print a fitted model in the form ``DEFAULT_EARLY_SIGNAL`` is written in."""
    groups = len({e.group_id for e in examples})
    kept = sum(e.kept_in_touch for e in examples)
    print(f"# {len(examples)} pairs in {groups} groups, {kept} kept in touch; l2 = {L2}")
    print(f"# features: {', '.join(FEATURES)}")
    print("DEFAULT_EARLY_SIGNAL = EarlySignal(")
    print(f"    intercept={model.intercept:.4f},")
    print(f"    coefficients=({', '.join(f'{c:.4f}' for c in model.coefficients)}),")
    print(")")


def main(argv: Sequence[str] | None = None) -> int:
    """Print the evaluation table, or with ``--fit`` the model fitted on all synthetic groups."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    default = Path(os.environ.get("TIEGRAPH_SHARED_DATA", "../shared/data"))
    parser.add_argument("--data", type=Path, default=default / "sociopatterns-contacts")
    parser.add_argument("--people", type=int, default=3_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fit", action="store_true", help="print the model fitted on all groups")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    model = StrengthModel()
    examples = asyncio.run(synthetic_examples(people=args.people, seed=args.seed, model=model))
    if args.fit:
        print_fit(fit_on(examples), examples)
        return 0
    rows, comparison = synthetic_rows(examples)
    missing = [name for name in DATASETS if not (args.data / name).exists()]
    if not missing:
        rows.extend(sociopatterns_rows(args.data))
    print(
        f"synthetic network: {args.people} people, seed {args.seed}; follow-up {FOLLOW_UP.days} d"
    )
    print_rows(rows)
    print(f"\n{comparison}")
    print(f"{time.perf_counter() - started:.1f} s")
    if missing:
        print(
            f"missing {args.data / missing[0]}: set TIEGRAPH_SHARED_DATA or --data", file=sys.stderr
        )
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
