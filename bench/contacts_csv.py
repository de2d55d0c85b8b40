"""Write a contacts CSV such as a phone or messaging export gives: pairs with power-law degrees.

:func:`write_contacts_csv` writes ``interactions`` rows among ``people`` people over ``days``
days in the interactions CSV format (``docs/import-formats.md``), without a ``key`` column, so
the importer derives each row's key as it would for a real export. Endpoints are drawn from a
Zipf-like weight ``1 / (rank + 1) ** exponent`` (a Chung-Lu graph): a few people have
thousands of contacts, most a handful. Seeded and pure apart from the file it writes.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path

__all__ = ["write_contacts_csv"]

_KINDS = ("message", "message", "message", "call", "call", "contact")
_START = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp())
_CHUNK = 50_000


def write_contacts_csv(
    path: Path,
    *,
    interactions: int,
    people: int,
    days: int = 730,
    exponent: float = 0.8,
    seed: int = 7,
) -> int:
    """Write ``interactions`` rows to ``path`` and return how many distinct people they name.

    O(interactions + people). Rows whose two endpoints coincide are drawn again.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     named = write_contacts_csv(Path(tmp) / "c.csv", interactions=50, people=20, seed=1)
    ...     lines = (Path(tmp) / "c.csv").read_text().splitlines()
    >>> lines[0], len(lines), 2 <= named <= 20
    ('at,person_a,person_b,kind,duration_s,initiator', 51, True)
    """
    rng = random.Random(seed)
    ids = [f"p{i:07d}" for i in range(people)]
    rng.shuffle(ids)  # the busiest people are not the first ids
    cumulative = list(accumulate(1.0 / (rank + 1) ** exponent for rank in range(people)))
    span = days * 86_400
    named: set[str] = set()
    written = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("at,person_a,person_b,kind,duration_s,initiator\n")
        while written < interactions:
            n = min(_CHUNK, interactions - written)
            lefts = rng.choices(ids, cum_weights=cumulative, k=n)
            rights = rng.choices(ids, cum_weights=cumulative, k=n)
            lines = []
            for a, b in zip(lefts, rights, strict=True):
                if a == b:
                    continue
                kind = _KINDS[rng.randrange(len(_KINDS))]
                at = _START + rng.randrange(span)
                duration = str(rng.randrange(30, 3_600)) if kind == "call" else ""
                initiator = a if rng.random() < 0.6 else b
                lines.append(f"{at},{a},{b},{kind},{duration},{initiator}\n")
                named.update((a, b))
            out.writelines(lines)
            written += len(lines)
    return len(named)


if __name__ == "__main__":  # pragma: no cover - a convenience for profiling by hand
    import sys

    count = write_contacts_csv(
        Path(sys.argv[1]), interactions=int(sys.argv[2]), people=int(sys.argv[3])
    )
    print(f"{count} people named")
