"""The long load test: a mixed workload from locust against the real service, for minutes.

Run ``python -m bench.load --backend embedded|neo4j|both --people 100000 --duration 300
--users 16 [--out FILE.json]``.

For each backend:

1. The synthetic network of ``--people`` people (:mod:`graph.samples.synth`) is loaded as
   :mod:`bench.api` loads it (embedded: a temporary store, or ``--data-dir`` kept and, with
   ``--reuse``, used again; Neo4j: the server at ``NEO4J_URI``, else a throwaway one).
2. The real service runs as its own process: ``tiegraph serve``, one worker, 127.0.0.1, a free
   port, a fresh JWT secret, and ``TIEGRAPH_RATE_LIMIT_PER_MINUTE`` set to ``--rate-limit``.
   The workload acts as many people, each with a token of their own: ``--groups`` random
   groups' members (those who had side conversations, so each has people they have a tie
   with, and a group) as members, and every group's leader as a leader. Before the run, pairs
   of a member and a random person are asked for their ``relationship``; those the service
   says have no tie are the "no tie" pairs of the run.
3. locust runs headless as a subprocess on ``bench/locustfile.py`` (read its docstring for the
   mix: 80 % reads -- person pages, ``introductionPaths`` with ``maxHops`` 3, ``relationship``
   with and without a tie, ``groupRetention`` as the leader -- and 20 % writes --
   ``recordInteractions`` and ``recordSideConversations`` under new idempotency keys) with
   ``--users`` users, plus one abusive client: its own credential on ``--abusive-users``
   connections, no pause, refused with 429 and ``Retry-After`` once over its limit. Every
   answer is checked; anything but a 200 with the expected shape is an error, named. Its
   allowed requests per minute once its buckets are empty (from its first 429 on with one
   worker; with several, each holding its share of the burst, from the run's second half at
   the earliest) are compared with the limit, and all it was allowed with what a token bucket
   allows at most (the limit as a burst, then the limit a minute); normal users must never be
   refused.
4. Every 5 s the service's resident memory (``VmRSS`` in ``/proc/<pid>/status``) and CPU time
   are sampled (and Neo4j's and locust's, and the whole machine's). Memory over time is
   summarized by its first, last and largest value and by the least-squares slope over the
   second half of the run in MB per minute: "no steady growth" when the slope is at most
   ``--max-growth`` (1 MB/min by default: a leak of 100 bytes per request at 10,000
   requests a minute would show). The embedded store's SQLite page cache (64 MiB per
   connection) fills as the run reaches more of the store, which is growth that stops; so a
   small probe (:data:`PROBE_SOURCE`, loaded as ``sitecustomize`` into the service only,
   ``--no-probe`` to leave it out) logs from inside the service the bytes SQLite holds
   (``sqlite3_memory_used``) and Python's allocated blocks, and the report gives the trend of
   RSS without SQLite's share beside the trend of RSS.
5. It prints, per operation, requests, throughput, p50/p95/p99 and errors (latencies are every
   request's own, from locust's request hook; locust's CSV is kept in the JSON for
   comparison), the totals, the rate-limit result, the memory figures and the machine, and
   writes everything to ``--out``.

Writes go between a member and people they already have a tie with, so the data grows in
interactions but not in ties (``--new-contacts`` adds contacts with random people): memory
growth then belongs to the service, not to the graph getting bigger.

Client and server share the machine's cores; the figures are what the service reached while
competing with its load generator (and with any other work on the machine, which is measured
and reported).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import random
import secrets
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import httpx
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table

from bench._kit import (
    cpu_seconds,
    free_port,
    mib,
    nearest_rank,
    own_cpu_seconds,
    process_tree,
    rss_of,
    verdict,
)
from bench.api import (
    HOST,
    PROJECT_ROOT,
    _child_env,
    _embedded_store,
    _Loaded,
    _neo4j_store,
    _Servers,
    _tail,
    _tiegraph_command,
    _wait_ready,
    add_store_options,
    run_each_backend,
)
from graph.samples.synth import SyntheticNetwork, generate_network

__all__ = ["main", "memory_trend"]

BACKENDS: Final = ("embedded", "neo4j")
LOCUSTFILE: Final = PROJECT_ROOT / "bench" / "locustfile.py"
ANSWERED_503: Final = "(503, sent again)"
"""How the locustfile names an answer of 503 + Retry-After that its user sent again."""
PLAN_ENV: Final = "TIEGRAPH_LOAD_PLAN"
"""Read by the locustfile (its ``PLAN_ENV``); not imported from it, which would import locust
and let gevent patch this process."""
SAMPLE_EVERY_S: Final = 5.0
REPORT_EVERY_S: Final = 30
"""Rows of the memory-over-time table."""
STOP_TIMEOUT_S: Final = 5
"""How long locust lets requests in flight finish when the run time is up."""
LOCUST_GRACE_S: Final = 120.0
"""Beyond the run time and stop timeout, how long locust may take before it is stopped."""
TOKEN_TTL_SLACK: Final = timedelta(hours=1)
PREFLIGHT_CONCURRENCY: Final = 4
RATE_TOLERANCE: Final = 1.10
"""The abusive credential's steady allowed rate may exceed the limit by this factor (the
bucket refills continuously; per-second counts round)."""
OTHER_WORK_NOTE_CORES: Final = 0.10
"""Other work on the machine above this many cores on average is called out in the report."""

SQLITE_CACHE_MB: Final = 67
"""``PRAGMA cache_size=-65536`` (64 MiB) in the embedded store: memory that grows until full."""

PROBE_ENV: Final = "TIEGRAPH_BENCH_PROBE"
PROBE_SOURCE: Final = """\
# Loaded as sitecustomize by the service under test when bench/load.py asks for it
# (TIEGRAPH_BENCH_PROBE names a log): every few seconds, one line of monotonic time, RSS,
# the bytes SQLite holds (sqlite3_memory_used; -1 if SQLite is not a shared library) and the
# memory blocks Python has allocated, so that growth can be told apart. Standard library only.
import ctypes
import os
import sys
import threading
import time


def _tiegraph_load_probe(path, every):
    import _sqlite3  # noqa: F401 -- maps the very library the store uses

    used = None
    with open("/proc/self/maps") as maps:
        library = next((line.split()[-1] for line in maps if "libsqlite3" in line), None)
    if library:
        lib = ctypes.CDLL(library)  # the same handle: the library is loaded already
        lib.sqlite3_memory_used.restype = ctypes.c_int64
        used = lib.sqlite3_memory_used

    def rss():
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def loop():
        with open(path, "a") as out:
            while True:
                sqlite = used() if used is not None else -1
                blocks = sys.getallocatedblocks()
                out.write(f"{time.monotonic():.3f} {rss()} {sqlite} {blocks}\\n")
                out.flush()
                time.sleep(every)

    threading.Thread(target=loop, name="tiegraph-load-probe", daemon=True).start()


if os.environ.get("TIEGRAPH_BENCH_PROBE"):
    _tiegraph_load_probe(os.environ["TIEGRAPH_BENCH_PROBE"], 5.0)
"""
"""The probe, written to a directory put first on the service's ``PYTHONPATH``."""

STATISTICS: Final = "query Statistics { statistics { kind count } }"
RELATIONSHIP_PROBE: Final = (
    "query RelationshipProbe($a: ID!, $b: ID!) { relationship(a: $a, b: $b) { interactionCount } }"
)


# -- the workload's cast -------------------------------------------------------------------------


@dataclass(slots=True)
class Cast:
    """Who the load acts as and on: picked from the synthetic network, seeded."""

    people: list[str]
    groups: list[tuple[str, str]]
    """Every group with a leader: (group, leader)."""
    members: dict[str, list[tuple[str, str]]]
    """Members of the sampled groups -> (person they had a side conversation with, group)."""
    abusive: str

    @property
    def leaders(self) -> list[str]:
        """The distinct leaders of the groups."""
        return sorted({leader for _, leader in self.groups})


def pick_cast(network: SyntheticNetwork, *, groups: int, members: int, seed: int) -> Cast:
    """Choose ``groups`` random groups; their members with side conversations act as members.

    A side conversation leaves an interaction behind, so each member has a tie with each of
    their partners. At most ``members`` members are kept. The abusive client is someone else.
    """
    rng = random.Random(f"{seed}-load-cast")
    people = [person.id for person in network.people()]
    all_groups = [(g.id, g.leader_id) for g in network.groups() if g.leader_id]
    chosen = {g for g, _ in rng.sample(all_groups, min(groups, len(all_groups)))}
    partners: dict[str, set[tuple[str, str]]] = {}
    for side in network.side_conversations():
        if side.group_id not in chosen:
            continue
        for person in side.participant_ids:
            for other in side.participant_ids:
                if other != person:
                    partners.setdefault(person, set()).add((other, side.group_id))
    keys = sorted(partners)
    if len(keys) > members:
        keys = sorted(rng.sample(keys, members))
    if not keys:
        raise SystemExit("no members with side conversations in the sampled groups")
    taken = set(keys) | {leader for _, leader in all_groups}
    abusive = rng.choice([p for p in people if p not in taken])
    return Cast(
        people=people,
        groups=all_groups,
        members={key: sorted(partners[key]) for key in keys},
        abusive=abusive,
    )


def _token(secret: str, person: str | None, role: str, ttl: timedelta) -> str:
    from api.http.auth import create_token
    from api.settings import Settings
    from graph.usecases.viewer import Role

    settings = Settings(jwt_secret=SecretStr(secret))
    return create_token(settings=settings, person_id=person, roles=[Role(role)], ttl=ttl)


# -- sampling the processes -------------------------------------------------------------------


@dataclass(slots=True)
class Sample:
    """One look at the processes, ``t_s`` seconds after locust started."""

    t_s: float
    server_rss: int | None
    server_cpu_s: float | None
    locust_cpu_s: float | None
    store_rss: int | None
    store_cpu_s: float | None
    own_cpu_s: float
    machine_busy_s: float | None
    """CPU seconds all cores spent not idle since boot, from ``/proc/stat``."""


def _machine_busy_seconds() -> float | None:
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    ticks = [int(v) for v in first[1:]]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    # guest time is already counted in user time
    busy = sum(ticks[:8]) - idle
    return busy / os.sysconf("SC_CLK_TCK")


def _tree_cpu_seconds(pid: int) -> float | None:
    """CPU seconds of a process and every process under it: with ``--workers N`` the service
    is uvicorn's process and its N worker processes, which do the work."""
    found = [cpu_seconds(p) for p in process_tree(pid)]
    return None if found[0] is None else sum(s for s in found if s is not None)


def _sample(t_s: float, server_pid: int, locust_pid: int | None, store_pid: int | None) -> Sample:
    return Sample(
        t_s=t_s,
        server_rss=rss_of(server_pid)[0],
        server_cpu_s=_tree_cpu_seconds(server_pid),
        locust_cpu_s=cpu_seconds(locust_pid),
        store_rss=rss_of(store_pid)[0] if store_pid is not None else None,
        store_cpu_s=cpu_seconds(store_pid),
        own_cpu_s=own_cpu_seconds(),
        machine_busy_s=_machine_busy_seconds(),
    )


def _rate(a: float | None, b: float | None, dt: float) -> float | None:
    """Cores used between two cumulative CPU readings."""
    if a is None or b is None or dt <= 0:
        return None
    return (b - a) / dt


def memory_trend(samples: Sequence[tuple[float, float]], since_s: float) -> float | None:
    """Least-squares slope in MB per minute of (seconds, MB) samples taken at ``since_s`` or later.

    >>> memory_trend([(0, 100.0), (60, 101.0), (120, 102.0)], since_s=0)
    1.0
    >>> memory_trend([(0, 50.0), (60, 100.0), (120, 100.0)], since_s=60)
    0.0
    >>> memory_trend([(0, 1.0)], since_s=0) is None
    True
    """
    points = [(t / 60.0, mb) for t, mb in samples if t >= since_s]
    if len(points) < 2:
        return None
    mean_t = sum(t for t, _ in points) / len(points)
    mean_m = sum(m for _, m in points) / len(points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread == 0:
        return None
    return sum((t - mean_t) * (m - mean_m) for t, m in points) / spread


# -- figures from locust -------------------------------------------------------------------------


def _operations(record: dict[str, Any], elapsed_s: float) -> list[dict[str, Any]]:
    """Per request name: count, throughput, percentiles, errors and their reasons."""
    rows = []
    for name, values in sorted(record["latencies_ms"].items()):
        ordered = sorted(values)
        reasons: dict[str, int] = record["failures"].get(name, {})
        rows.append(
            {
                "name": name,
                "requests": len(ordered),
                "rps": len(ordered) / elapsed_s if elapsed_s > 0 else 0.0,
                "p50_ms": nearest_rank(ordered, 0.50),
                "p95_ms": nearest_rank(ordered, 0.95),
                "p99_ms": nearest_rank(ordered, 0.99),
                "max_ms": ordered[-1] if ordered else 0.0,
                "mean_ms": sum(ordered) / len(ordered) if ordered else 0.0,
                "errors": sum(reasons.values()),
                "error_reasons": reasons,
                "abusive": name == record["abusive_name"],
            }
        )
    return rows


def _read_locust_csv(prefix: Path) -> dict[str, Any]:
    """Locust's own figures: its final counts (``--json-file``), and from ``--csv`` (written
    when the run time ends, before requests in flight finish) its rounded percentiles and its
    failures."""
    found: dict[str, Any] = {"stats": [], "failures": [], "final_counts": {}}
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        entries = json.loads(Path(f"{prefix}.json").read_text())
        found["final_counts"] = {
            e["name"]: {"requests": e["num_requests"], "failures": e["num_failures"]}
            for e in entries
        }
    columns = ("Request Count", "Failure Count", "50%", "95%", "99%", "Requests/s")
    with contextlib.suppress(OSError):
        with Path(f"{prefix}_stats.csv").open(newline="") as handle:
            for row in csv.DictReader(handle):
                found["stats"].append({"name": row.get("Name")} | {c: row.get(c) for c in columns})
        with Path(f"{prefix}_failures.csv").open(newline="") as handle:
            found["failures"] = list(csv.DictReader(handle))
    return found


def _rate_limit(
    record: dict[str, Any], limit: int, ops: list[dict[str, Any]], *, workers: int = 1
) -> dict[str, Any]:
    """What the abusive credential was allowed, and whether normal users were ever refused."""
    abusive = record["abusive"]
    allowed: list[int] = abusive["allowed_per_second"]
    refused: list[int] = abusive["refused_per_second"]
    span = max(len(allowed), len(refused))
    first_refusal = next((s for s, n in enumerate(refused) if n), None)
    steady: float | None = None
    steady_window_s = 0
    if first_refusal is not None:
        # Once every bucket is empty, what is allowed is what refills. With one worker that is
        # from the second after the first 429 (that second may still hold the end of the
        # burst); with several, each holds its share of the burst and the first 429 comes
        # from the first emptied, so the window starts at the run's second half at the
        # earliest (the others' bursts are spent by then at this client's rate).
        steady_from = max(first_refusal + 1, span // 2 if workers > 1 else 0)
        steady_window_s = span - steady_from
        if steady_window_s > 0:
            steady = 60.0 * sum(allowed[steady_from:]) / steady_window_s
    # What a token bucket of `limit` allows at most over the whole run: its burst and what
    # refills (shared out among workers, the sum is the same).
    bucket_bound = limit + limit * span / 60.0
    normal_429 = sum(
        count
        for op in ops
        if not op["abusive"]
        for reason, count in op["error_reasons"].items()
        if reason.startswith("HTTP 429")
    )
    sent = sum(allowed) + sum(refused)
    busiest = record["busiest_credential"]
    holds = (
        normal_429 == 0
        and sum(refused) > 0
        and abusive["refused_without_retry_after"] == 0
        and steady is not None
        and steady <= limit * RATE_TOLERANCE
        and sum(allowed) <= bucket_bound * RATE_TOLERANCE
    )
    return {
        "limit_per_minute": limit,
        "abusive_key": abusive["key"],
        "abusive_sent": sent,
        "abusive_allowed": sum(allowed),
        "abusive_refused_429": sum(refused),
        "abusive_refused_without_retry_after": abusive["refused_without_retry_after"],
        "abusive_sent_per_minute": 60.0 * sent / span if span else 0.0,
        "first_refusal_s": first_refusal,
        "allowed_before_first_refusal": sum(allowed[:first_refusal])
        if first_refusal is not None
        else sum(allowed),
        "allowed_per_minute_after_first_refusal": steady,
        "steady_window_s": steady_window_s,
        "bucket_bound": bucket_bound,
        "retry_after_s": abusive["retry_after_s"],
        "normal_429": normal_429,
        "normal_credentials": record["credentials_used"],
        "busiest_normal_credential": busiest["credential"],
        "busiest_normal_requests_in_60_s": busiest["max_requests_in_60_s"],
        "holds": holds,
    }


def _over_time(
    samples: list[Sample], record: dict[str, Any], offset_s: float, every_s: int
) -> list[dict[str, Any]]:
    """Rows every ``every_s`` seconds: memory, CPU and the requests answered in that window."""
    per_second: list[int] = record["per_second"]
    errors: list[int] = record["errors_per_second"]
    abusive_allowed: list[int] = record["abusive"]["allowed_per_second"]
    abusive_refused: list[int] = record["abusive"]["refused_per_second"]
    rows: list[dict[str, Any]] = []
    previous = samples[0]
    # (time, CPU seconds) of locust, which starts from nothing right after the first sample.
    locust_previous = locust_latest = (0.0, 0.0)
    for sample in samples[1:]:
        if sample.locust_cpu_s is not None:
            locust_latest = (sample.t_s, sample.locust_cpu_s)
        last = sample is samples[-1]
        if int(sample.t_s) // every_s == int(previous.t_s) // every_s and not last:
            continue
        if last and rows and sample.t_s - previous.t_s < SAMPLE_EVERY_S:
            # Taken as locust exits, just after the last row: the end state, not a window.
            rows[-1]["server_rss_bytes"] = sample.server_rss
            rows[-1]["store_rss_bytes"] = sample.store_rss
            break
        dt = sample.t_s - previous.t_s
        # Locust's seconds count from its test start, `offset_s` after the sampler's zero.
        lo = max(0, int(previous.t_s - offset_s))
        hi = max(0, int(sample.t_s - offset_s))
        window = max(1, hi - lo)
        rows.append(
            {
                "t_s": round(sample.t_s, 1),
                "server_rss_bytes": sample.server_rss,
                "server_cpu_cores": _rate(previous.server_cpu_s, sample.server_cpu_s, dt),
                "store_rss_bytes": sample.store_rss,
                "store_cpu_cores": _rate(previous.store_cpu_s, sample.store_cpu_s, dt),
                "locust_cpu_cores": _rate(
                    locust_previous[1], locust_latest[1], locust_latest[0] - locust_previous[0]
                ),
                "rps": sum(per_second[lo:hi]) / window,
                "errors": sum(errors[lo:hi]),
                "abusive_allowed": sum(abusive_allowed[lo:hi]),
                "abusive_refused": sum(abusive_refused[lo:hi]),
            }
        )
        previous = sample
        locust_previous = locust_latest
    return rows


def _cpu_summary(samples: list[Sample], nproc: int) -> dict[str, Any]:
    """Average cores used over the run by each process, and by everything else on the machine."""
    first, last = samples[0], samples[-1]
    dt = last.t_s - first.t_s
    server = _rate(first.server_cpu_s, last.server_cpu_s, dt)
    store = _rate(first.store_cpu_s, last.store_cpu_s, dt)
    own = _rate(first.own_cpu_s, last.own_cpu_s, dt)
    busy = _rate(first.machine_busy_s, last.machine_busy_s, dt)
    # Locust starts right after the first sample and is read while it runs: its CPU time
    # since it started, over the time since then.
    running = [s for s in samples if s.locust_cpu_s is not None and s.t_s > 0]
    locust = (running[-1].locust_cpu_s or 0.0) / running[-1].t_s if running else None
    other = None
    if busy is not None:
        other = max(0.0, busy - sum(v for v in (server, store, locust, own) if v is not None))
    return {
        "window_s": dt,
        "cores": nproc,
        "server_cores": server,
        "store_cores": store,
        "locust_cores": locust,
        "bench_cores": own,
        "machine_busy_cores": busy,
        "other_work_cores": other,
        "machine_shared": other is not None and other > OTHER_WORK_NOTE_CORES,
        "server_cpu_s": _spent(first.server_cpu_s, last.server_cpu_s),
        "store_cpu_s": _spent(first.store_cpu_s, last.store_cpu_s),
    }


def _spent(a: float | None, b: float | None) -> float | None:
    """CPU seconds between two cumulative readings."""
    return None if a is None or b is None else b - a


@dataclass(frozen=True, slots=True)
class ProbeRow:
    """One line of the probe inside the service, ``t_s`` seconds after locust started."""

    t_s: float
    rss: int
    sqlite: int
    """Bytes SQLite holds; -1 when it could not be read."""
    python_blocks: int


def _read_probe(path: Path, began: float) -> list[ProbeRow]:
    """The probe's lines from the start of the load on (none without ``--probe``)."""
    rows = []
    with contextlib.suppress(OSError):
        for line in path.read_text().splitlines():
            fields = line.split()
            if len(fields) != 4:
                continue
            t = float(fields[0]) - began
            if t >= 0:
                rows.append(ProbeRow(t, int(fields[1]), int(fields[2]), int(fields[3])))
    return rows


def _attribution(probe: list[ProbeRow], since_s: float, threshold: float) -> dict[str, Any]:
    """Split the memory trend into SQLite's (a bounded page cache) and the rest of the process."""
    rows = [r for r in probe if r.sqlite >= 0]
    if len(rows) < 2:
        return {"available": False}
    rest = memory_trend([(r.t_s, (r.rss - r.sqlite) / 1e6) for r in rows], since_s)
    blocks = memory_trend([(r.t_s, r.python_blocks / 1e6) for r in rows], since_s)
    return {
        "available": True,
        "samples": len(rows),
        "sqlite_first_mb": rows[0].sqlite / 1e6,
        "sqlite_last_mb": rows[-1].sqlite / 1e6,
        "sqlite_slope_mb_per_min_second_half": memory_trend(
            [(r.t_s, r.sqlite / 1e6) for r in rows], since_s
        ),
        "rest_first_mb": (rows[0].rss - rows[0].sqlite) / 1e6,
        "rest_last_mb": (rows[-1].rss - rows[-1].sqlite) / 1e6,
        "rest_slope_mb_per_min_second_half": rest,
        "python_blocks_first": rows[0].python_blocks,
        "python_blocks_last": rows[-1].python_blocks,
        "python_blocks_slope_millions_per_min_second_half": blocks,
        "rest_no_steady_growth": rest is not None and rest <= threshold,
    }


def _memory(
    samples: list[Sample],
    probe: list[ProbeRow],
    duration_s: float,
    threshold: float,
    requests_per_min: float,
) -> dict[str, Any]:
    """Memory over the run: first, last, largest, its trend over the second half, and (with
    the probe) how much of that trend is SQLite's."""
    points = [(s.t_s, s.server_rss / 1e6) for s in samples if s.server_rss is not None]
    slope = memory_trend(points, since_s=duration_s / 2)
    values = [mb for _, mb in points]
    second_half = [mb for t, mb in points if t >= duration_s / 2]
    if slope is None:
        verdict = "not enough samples"
    elif slope <= threshold:
        verdict = "no steady growth"
    else:
        verdict = "grows steadily"
    store_points = [(s.t_s, s.store_rss / 1e6) for s in samples if s.store_rss is not None]
    return {
        "samples": len(points),
        "every_s": SAMPLE_EVERY_S,
        "first_mb": values[0] if values else None,
        "last_mb": values[-1] if values else None,
        "max_mb": max(values) if values else None,
        "slope_mb_per_min_second_half": slope,
        "slope_mb_per_min_last_quarter": memory_trend(points, since_s=0.75 * duration_s),
        "growth_mb_second_half": second_half[-1] - second_half[0] if second_half else None,
        "bytes_per_request_second_half": (
            1e6 * slope / requests_per_min if slope is not None and requests_per_min else None
        ),
        "threshold_mb_per_min": threshold,
        "verdict": verdict,
        "no_steady_growth": slope is not None and slope <= threshold,
        "store_first_mb": store_points[0][1] if store_points else None,
        "store_last_mb": store_points[-1][1] if store_points else None,
        "store_slope_mb_per_min_second_half": memory_trend(store_points, duration_s / 2),
        "series": [(round(t, 1), round(mb, 2)) for t, mb in points],
        "attribution": _attribution(probe, duration_s / 2, threshold),
        "probe": [asdict(row) for row in probe],
    }


# -- one backend ------------------------------------------------------------------------------


async def _graphql(
    client: httpx.AsyncClient, url: str, token: str, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(
        url,
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
    )
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")
    document: dict[str, Any] = response.json()
    if document.get("errors"):
        raise RuntimeError(f"GraphQL errors: {document['errors']!r}"[:500])
    data: dict[str, Any] = document["data"]
    return data


async def _statistics(url: str, token: str) -> dict[str, int]:
    async with httpx.AsyncClient(timeout=60.0) as client:
        data = await _graphql(client, url, token, STATISTICS, {})
    return {row["kind"]: row["count"] for row in data["statistics"]}


async def _find_no_tie_pairs(
    url: str,
    cast: Cast,
    member_tokens: list[str],
    wanted: int,
    rng: random.Random,
) -> tuple[list[tuple[int, str]], int, int]:
    """Ask the service about random (member, person) pairs; keep those it says have no tie.

    Returns the pairs kept (at most ``wanted``), how many had no tie and how many were asked.
    """
    keys = list(cast.members)
    candidates = []
    for _ in range(2 * wanted):
        index = rng.randrange(len(keys))
        known = {p for p, _ in cast.members[keys[index]]}
        other = rng.choice(cast.people)
        if other != keys[index] and other not in known:
            candidates.append((index, other))
    gate = asyncio.Semaphore(PREFLIGHT_CONCURRENCY)
    found: list[tuple[int, str]] = []
    async with httpx.AsyncClient(timeout=60.0) as client:

        async def probe(index: int, other: str) -> None:
            async with gate:
                data = await _graphql(
                    client,
                    url,
                    member_tokens[index],
                    RELATIONSHIP_PROBE,
                    {"a": keys[index], "b": other},
                )
            if data["relationship"] is None:
                found.append((index, other))

        await asyncio.gather(*(probe(i, o) for i, o in candidates))
    found.sort()
    return found[:wanted], len(found), len(candidates)


async def _run_locust(
    command: list[str],
    env: dict[str, str],
    log_path: Path,
    duration_s: int,
    server_pid: int,
    store_pid: int | None,
) -> tuple[int, list[Sample], float]:
    """Run locust, sampling every few seconds; return its exit code, samples and start time."""
    began = time.monotonic()
    samples = [_sample(0.0, server_pid, None, store_pid)]
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=PROJECT_ROOT,
            env=env,
            start_new_session=True,
        )
    deadline = began + duration_s + STOP_TIMEOUT_S + LOCUST_GRACE_S
    try:
        waiting = asyncio.ensure_future(process.wait())
        while not waiting.done():
            done, _ = await asyncio.wait({waiting}, timeout=SAMPLE_EVERY_S)
            if not done:
                samples.append(
                    _sample(time.monotonic() - began, server_pid, process.pid, store_pid)
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"locust still running after {deadline - began:.0f} s")
        code = waiting.result()
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 30)
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
    samples.append(_sample(time.monotonic() - began, server_pid, None, store_pid))
    return code, samples, began


async def run_backend(
    args: argparse.Namespace, backend: str, scratch: Path, servers: _Servers, console: Console
) -> dict[str, Any]:
    """Load the store, start the service, run locust with the sampler; return the figures."""
    network = generate_network(people=args.people, seed=args.seed)
    started = time.perf_counter()
    cast = pick_cast(network, groups=args.groups, members=args.members, seed=args.seed)
    console.log(
        f"{backend}: cast: {len(cast.members):,} members of {args.groups} sampled groups, "
        f"{len(cast.leaders):,} leaders of {len(cast.groups):,} groups "
        f"({time.perf_counter() - started:.1f} s)"
    )
    opener = (
        _embedded_store(args, network, scratch, console)
        if backend == "embedded"
        else _neo4j_store(args, network, console)
    )
    async with opener as loaded:
        return await _measure(args, backend, scratch, servers, console, network, cast, loaded)


async def _measure(
    args: argparse.Namespace,
    backend: str,
    scratch: Path,
    servers: _Servers,
    console: Console,
    network: SyntheticNetwork,
    cast: Cast,
    loaded: _Loaded,
) -> dict[str, Any]:
    secret = secrets.token_urlsafe(48)
    command, entry = _tiegraph_command()
    port = free_port()
    probe_log = scratch / "probe.log"
    probe_env: dict[str, str] = {}
    if args.probe:
        probe_dir = scratch / "probe"
        probe_dir.mkdir()
        (probe_dir / "sitecustomize.py").write_text(PROBE_SOURCE)
        path = _child_env({})["PYTHONPATH"]
        probe_env = {"PYTHONPATH": f"{probe_dir}{os.pathsep}{path}", PROBE_ENV: str(probe_log)}
    server = servers.start(
        "tiegraph",
        [
            *command,
            *("serve", "--host", HOST, "--port", str(port), "--workers", str(args.workers)),
            *loaded.store_args,
        ],
        _child_env(
            {
                "TIEGRAPH_JWT_SECRET": secret,
                "TIEGRAPH_RATE_LIMIT_PER_MINUTE": str(args.rate_limit),
                **loaded.store_env,
                **probe_env,
            }
        ),
        port,
        scratch / f"tiegraph-{backend}.log",
    )
    console.log(f"{backend}: starting `tiegraph serve` ({entry}), {args.rate_limit}/min limit")
    began = time.perf_counter()
    await _wait_ready(server)
    console.log(f"{backend}: ready after {time.perf_counter() - began:.1f} s")

    ttl = timedelta(seconds=args.duration) + TOKEN_TTL_SLACK
    member_keys = list(cast.members)
    member_tokens = [_token(secret, key, "member", ttl) for key in member_keys]
    leader_tokens = {key: _token(secret, key, "leader", ttl) for key in cast.leaders}
    abusive_token = _token(secret, cast.abusive, "member", ttl)
    admin_token = _token(secret, None, "admin", ttl)
    url = f"{server.base_url}/graphql"
    rng = random.Random(f"{args.seed}-load-preflight")
    no_tie, found, probed = await _find_no_tie_pairs(
        url, cast, member_tokens, args.no_tie_pairs, rng
    )
    console.log(
        f"{backend}: {found} of {probed} random (member, person) pairs have no tie; "
        f"{len(no_tie)} kept"
    )
    before = await _statistics(url, admin_token)

    run_id = f"{int(time.time())}-{secrets.token_hex(3)}"
    report_path = scratch / "locust-record.json"
    plan = {
        "seed": args.seed,
        "run_id": run_id,
        "report_path": str(report_path),
        "people": cast.people,
        "members": [
            {"key": key, "token": token, "partners": cast.members[key]}
            for key, token in zip(member_keys, member_tokens, strict=True)
        ],
        "groups": cast.groups,
        "leader_tokens": leader_tokens,
        "no_tie_pairs": no_tie,
        "abusive": {"key": cast.abusive, "token": abusive_token, "users": args.abusive_users},
        "interactions_per_batch": args.interactions,
        "side_conversations_per_batch": args.side_conversations,
        "new_contact_share": args.new_contacts,
        "no_tie_share": args.no_tie_share,
        "max_hops": 3,
        "think_time_s": args.think_time,
        "writes_until": datetime.combine(network.end, datetime.min.time(), UTC).isoformat(),
    }
    plan_path = scratch / "plan.json"
    plan_path.write_text(json.dumps(plan))
    csv_prefix = scratch / f"locust-{backend}"
    duration = round(args.duration)
    locust_command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(args.users + args.abusive_users),
        "--spawn-rate",
        str(args.spawn_rate or args.users + args.abusive_users),
        "--run-time",
        f"{duration}s",
        "--stop-timeout",
        str(STOP_TIMEOUT_S),
        "--host",
        server.base_url,
        "--csv",
        str(csv_prefix),
        "--json-file",
        str(csv_prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "MemberTraffic",
        "AbusiveClient",
    ]
    env = _child_env({PLAN_ENV: str(plan_path)})
    console.log(
        f"{backend}: locust, {args.users} users + an abusive client on {args.abusive_users} "
        f"connections, {duration} s "
        f"(memory and CPU sampled every {SAMPLE_EVERY_S:g} s)"
    )
    code, samples, locust_began = await _run_locust(
        locust_command,
        env,
        scratch / f"locust-{backend}.log",
        duration,
        server.pid,
        loaded.neo4j_pid,
    )
    if server.process.poll() is not None:
        raise RuntimeError(f"the service died during the run:\n{_tail(server.log_path)}")
    if not report_path.exists():
        raise RuntimeError(
            f"locust exited with code {code} and wrote no record:\n"
            + _tail(scratch / f"locust-{backend}.log")
        )
    after = await _statistics(url, admin_token)
    servers.stop_all()
    record: dict[str, Any] = json.loads(report_path.read_text())
    locust_log = _tail(scratch / f"locust-{backend}.log", 200)
    return _figures(
        args=args,
        backend=backend,
        loaded=loaded,
        entry=entry,
        cast=cast,
        no_tie=len(no_tie),
        record=record,
        samples=samples,
        offset_s=record["started_monotonic"] - locust_began,
        locust_exit=code,
        locust_csv=_read_locust_csv(csv_prefix),
        locust_warnings=[line for line in locust_log.splitlines() if "WARNING" in line][:20],
        stored_before=before,
        stored_after=after,
        command=locust_command,
        probe=_read_probe(probe_log, locust_began),
    )


def _figures(
    *,
    args: argparse.Namespace,
    backend: str,
    loaded: _Loaded,
    entry: str,
    cast: Cast,
    no_tie: int,
    record: dict[str, Any],
    samples: list[Sample],
    offset_s: float,
    locust_exit: int,
    locust_csv: dict[str, Any],
    locust_warnings: list[str],
    stored_before: dict[str, int],
    stored_after: dict[str, int],
    command: list[str],
    probe: list[ProbeRow],
) -> dict[str, Any]:
    elapsed = float(max(1, len(record["per_second"])))
    ops = _operations(record, elapsed)
    # Answers of 503 + Retry-After that a user sent again are rows of their own: not errors, and
    # not counted as requests served (the request sent again is).
    normal = [op for op in ops if not op["abusive"] and ANSWERED_503 not in op["name"]]
    requests = sum(op["requests"] for op in normal)
    errors = sum(op["errors"] for op in normal)
    writes = sum(op["requests"] for op in normal if op["name"].startswith("write:"))
    served = sum(op["requests"] for op in ops)  # the abusive client's too
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    cpu = _cpu_summary(samples, nproc)
    notes = []
    theirs = locust_csv["final_counts"]
    ours = {op["name"]: {"requests": op["requests"], "failures": op["errors"]} for op in ops}
    if theirs != ours:
        notes.append(f"locust's final counts differ from the request hook's: {theirs}")
    if cpu["machine_shared"]:
        notes.append(
            f"other work used {cpu['other_work_cores']:.2f} of {nproc} cores on average "
            "during the run: the machine was shared"
        )
    notes.extend(f"locust: {line.strip()}" for line in locust_warnings)
    return {
        "backend": backend,
        "people": args.people,
        "seed": args.seed,
        "store": loaded.store_description,
        "service": f"{entry} serve --workers {args.workers} (uvicorn), JWT per person",
        "load_s": loaded.load_s,
        "records": loaded.records,
        "duration_s": args.duration,
        "elapsed_s": elapsed,
        "users": args.users,
        "abusive_users": args.abusive_users,
        "think_time_s": args.think_time,
        "mix_percent": record["mix_percent"],
        "interactions_per_batch": args.interactions,
        "side_conversations_per_batch": args.side_conversations,
        "new_contact_share": args.new_contacts,
        "members": len(cast.members),
        "leaders": len(cast.leaders),
        "groups": len(cast.groups),
        "no_tie_pairs": no_tie,
        "operations": ops,
        "totals": {
            "requests": requests,
            "rps": requests / elapsed,
            "errors": errors,
            "write_share": writes / requests if requests else 0.0,
            "sent_again_after_503": record.get("sent_again_after_503", {}),
        },
        "facts": record["facts"],
        "rate_limit": _rate_limit(record, args.rate_limit, ops, workers=args.workers),
        "memory": _memory(
            samples, probe, float(args.duration), args.max_growth, 60 * served / elapsed
        ),
        "cpu": cpu,
        "over_time": _over_time(samples, record, offset_s, REPORT_EVERY_S),
        "stored_before": stored_before,
        "stored_after": stored_after,
        "locust": {
            "command": " ".join(command),
            "exit_code": locust_exit,
            "csv": locust_csv,
        },
        "samples": [asdict(s) for s in samples],
        "notes": notes,
    }


# -- reporting ----------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:,.1f}" if value >= 10 else f"{value:.2f}"


def _mb(value: int | None) -> str:
    return "-" if value is None else f"{value / 1e6:,.1f} MB"


def _cores(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f} %"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f} s"


def render(results: list[dict[str, Any]], info: dict[str, Any], console: Console) -> None:
    """Print, per backend, the operations, the rate-limit result, memory over time and verdicts."""
    console.print(
        f"Machine: {info.get('nproc')} CPUs ({info.get('cpu', '?')}), "
        f"{mib(info.get('memory_bytes'))} RAM, Python {info['python']}, {info['platform']}"
    )
    for result in results:
        if "error" in result:
            console.print(f"[bold red]{result['backend']}: {result['error']}[/]")
            continue
        _render_backend(result, console)


def _render_backend(result: dict[str, Any], console: Console) -> None:
    load = (
        f"loaded in {result['load_s']:.0f} s"
        if result["load_s"] is not None
        else "reused an already loaded store"
    )
    mix = ", ".join(f"{name} {share} %" for name, share in result["mix_percent"].items())
    table = Table(
        title=(
            f"tiegraph under load, {result['backend']}: {result['people']:,} people "
            f"({result['records']:,} records, {load}); {result['users']} users and an "
            f"abusive client ({result['abusive_users']} connections) for {result['duration_s']:g} s"
        ),
        caption=f"mix: {mix}; {result['store']}; {result['service']}",
    )
    for name, justify in (
        ("operation", "left"),
        ("requests", "right"),
        ("req/s", "right"),
        ("p50 ms", "right"),
        ("p95 ms", "right"),
        ("p99 ms", "right"),
        ("max ms", "right"),
        ("errors", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for op in result["operations"]:
        if op["abusive"]:
            continue
        table.add_row(
            op["name"],
            f"{op['requests']:,}",
            f"{op['rps']:,.1f}",
            _ms(op["p50_ms"]),
            _ms(op["p95_ms"]),
            _ms(op["p99_ms"]),
            _ms(op["max_ms"]),
            f"{op['errors']:,}" if not op["errors"] else f"[red]{op['errors']:,}[/]",
        )
    totals = result["totals"]
    table.add_row(
        "[bold]all normal users[/]",
        f"[bold]{totals['requests']:,}[/]",
        f"[bold]{totals['rps']:,.1f}[/]",
        "",
        "",
        "",
        "",
        f"[bold]{totals['errors']:,}[/]"
        if not totals["errors"]
        else f"[red]{totals['errors']:,}[/]",
    )
    for op in result["operations"]:
        if op["abusive"]:
            table.add_row(
                f"[dim]{op['name']}[/]",
                f"[dim]{op['requests']:,}[/]",
                f"[dim]{op['rps']:,.1f}[/]",
                f"[dim]{_ms(op['p50_ms'])}[/]",
                f"[dim]{_ms(op['p95_ms'])}[/]",
                f"[dim]{_ms(op['p99_ms'])}[/]",
                f"[dim]{_ms(op['max_ms'])}[/]",
                f"{op['errors']:,}",
            )
    console.print(table)
    for op in result["operations"]:
        for reason, count in op["error_reasons"].items():
            console.print(f"  [red]error[/] {op['name']}: {reason} ×{count:,}")
    console.print(
        f"  errors: {totals['errors']:,} {verdict(totals['errors'] == 0)} (target 0); writes "
        f"{100 * totals['write_share']:.1f} % of requests; answers: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(result["facts"].items()))
    )
    again = totals.get("sent_again_after_503", {})
    console.print(
        f"  answered 503 + Retry-After and sent again (then answered): {sum(again.values()):,}"
        + (" — " + ", ".join(f"{k} ×{v:,}" for k, v in sorted(again.items())) if again else "")
    )

    rl = result["rate_limit"]
    steady = rl["allowed_per_minute_after_first_refusal"]
    console.print(
        f"  rate limit {rl['limit_per_minute']:,}/min per credential "
        f"{verdict(rl['holds'])}: the abusive credential sent {rl['abusive_sent']:,} requests "
        f"({rl['abusive_sent_per_minute']:,.0f}/min), {rl['abusive_allowed']:,} allowed, "
        f"{rl['abusive_refused_429']:,} refused with 429 "
        f"({rl['abusive_refused_without_retry_after']} without Retry-After; Retry-After "
        f"{', '.join(f'{k} s ×{v:,}' for k, v in rl['retry_after_s'].items()) or '-'}); "
        + (
            f"first 429 after {rl['first_refusal_s']} s and "
            f"{rl['allowed_before_first_refusal']:,} allowed before it; then "
            f"{steady:,.0f} allowed/min over the last {rl['steady_window_s']} s, "
            f"{rl['abusive_allowed']:,} allowed in all (a bucket allows at most "
            f"{rl['bucket_bound']:,.0f} in this time)"
            if steady is not None
            else "never refused: it did not go over its limit"
        )
        + f", against the limit of {rl['limit_per_minute']:,}/min"
    )
    console.print(
        f"  normal users: {rl['normal_429']:,} refused with 429 across "
        f"{rl['normal_credentials']:,} credentials; the busiest sent "
        f"{rl['busiest_normal_requests_in_60_s']:,} requests in its busiest 60 s"
    )

    memory = result["memory"]
    over = Table(title=f"{result['backend']}: the service over time (every {REPORT_EVERY_S} s)")
    for name in ("t s", "server RSS", "server CPU", "req/s", "errors", "abusive ok/429"):
        over.add_column(name, justify="right")
    store_columns = any(row["store_rss_bytes"] is not None for row in result["over_time"])
    if store_columns:
        over.add_column("Neo4j RSS", justify="right")
        over.add_column("Neo4j CPU", justify="right")
    over.add_column("locust CPU", justify="right")
    for row in result["over_time"]:
        cells = [
            f"{row['t_s']:.0f}",
            _mb(row["server_rss_bytes"]),
            _cores(row["server_cpu_cores"]),
            f"{row['rps']:,.1f}",
            f"{row['errors']:,}",
            f"{row['abusive_allowed']:,}/{row['abusive_refused']:,}",
        ]
        if store_columns:
            cells += [_mb(row["store_rss_bytes"]), _cores(row["store_cpu_cores"])]
        cells.append(_cores(row["locust_cpu_cores"]))
        over.add_row(*cells)
    console.print(over)
    slope = memory["slope_mb_per_min_second_half"]
    console.print(
        f"  server memory: first {memory['first_mb']:,.1f} MB, last {memory['last_mb']:,.1f} MB, "
        f"max {memory['max_mb']:,.1f} MB; slope over the second half "
        + (f"{slope:+.2f} MB/min" if slope is not None else "-")
        + f" (threshold {memory['threshold_mb_per_min']:g} MB/min): {memory['verdict']} "
        + verdict(memory["no_steady_growth"])
    )
    quarter = memory["slope_mb_per_min_last_quarter"]
    per_request = memory["bytes_per_request_second_half"]
    console.print(
        "  "
        + (f"last quarter {quarter:+.2f} MB/min; " if quarter is not None else "")
        + (
            f"{memory['growth_mb_second_half']:+.1f} MB over the second half; "
            if memory["growth_mb_second_half"] is not None
            else ""
        )
        + (
            f"{per_request:,.0f} bytes per request served (abusive ones included) at that slope"
            if per_request is not None
            else ""
        )
    )
    split = memory["attribution"]
    if split.get("available") and split["sqlite_last_mb"] > 0:
        sqlite_slope = split["sqlite_slope_mb_per_min_second_half"]
        rest = split["rest_slope_mb_per_min_second_half"]
        console.print(
            f"  of which SQLite (its page cache, at most {SQLITE_CACHE_MB} MB per connection, "
            f"writer and reader): {split['sqlite_first_mb']:,.1f} -> "
            f"{split['sqlite_last_mb']:,.1f} MB, "
            + (f"{sqlite_slope:+.2f} MB/min" if sqlite_slope is not None else "-")
            + f"; the rest of the process: {split['rest_first_mb']:,.1f} -> "
            f"{split['rest_last_mb']:,.1f} MB, "
            + (f"{rest:+.2f} MB/min" if rest is not None else "-")
            + f" {verdict(split['rest_no_steady_growth'])}; Python's allocated blocks "
            f"{split['python_blocks_first']:,} -> {split['python_blocks_last']:,}"
        )
    elif result["backend"] == "embedded":
        console.print(
            f"  (the embedded store's SQLite page cache is up to {SQLITE_CACHE_MB} MB per "
            "connection, writer and reader: it fills as the run touches more of the store)"
        )
    if memory["store_first_mb"] is not None:
        store_slope = memory["store_slope_mb_per_min_second_half"]
        console.print(
            f"  Neo4j memory (a JVM: its heap grows to its maximum by design): first "
            f"{memory['store_first_mb']:,.0f} MB, last {memory['store_last_mb']:,.0f} MB, slope "
            + (f"{store_slope:+.2f} MB/min" if store_slope is not None else "-")
        )
    cpu = result["cpu"]
    console.print(
        f"  CPU over the run (of {cpu['cores']} cores): server {_cores(cpu['server_cores'])}"
        + (f", Neo4j {_cores(cpu['store_cores'])}" if cpu["store_cores"] is not None else "")
        + f", locust {_cores(cpu['locust_cores'])}, this bench {_cores(cpu['bench_cores'])}, "
        f"other work {_cores(cpu['other_work_cores'])}; CPU seconds: server "
        + _seconds(cpu["server_cpu_s"])
        + (f", Neo4j {_seconds(cpu['store_cpu_s'])}" if cpu["store_cpu_s"] is not None else "")
    )
    grew = {
        kind: result["stored_after"].get(kind, 0) - count
        for kind, count in result["stored_before"].items()
        if result["stored_after"].get(kind, 0) != count
    }
    console.print(
        "  stored during the run: "
        + (", ".join(f"{k} {v:+,}" for k, v in sorted(grew.items())) or "nothing")
    )
    for kind, count in sorted(_acknowledged(result["facts"]).items()):
        stored = grew.get(kind, 0)
        outcome = "[green]as acknowledged[/]" if stored == count else "[red]MISMATCH[/]"
        console.print(f"  {kind}: {count:,} acknowledged as created, {stored:+,} stored: {outcome}")
    for note in result["notes"]:
        console.print(f"  [yellow]note:[/] {note}")


def _acknowledged(facts: dict[str, int]) -> dict[str, int]:
    """Records the service said it created during the run, by kind (from the write answers)."""
    prefix = "acknowledged as created: "
    return {k.removeprefix(prefix): v for k, v in facts.items() if k.startswith(prefix)}


# -- the command --------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--people", type=int, default=100_000, help="people in the network")
    parser.add_argument("--seed", type=int, default=7, help="seed of the network and the load")
    parser.add_argument(
        "--backend", choices=(*BACKENDS, "both"), default="embedded", help="store(s) to load"
    )
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of load")
    parser.add_argument("--users", type=int, default=16, help="concurrent normal users")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="API worker processes of `tiegraph serve` (each enforces rate limit / workers)",
    )
    parser.add_argument("--spawn-rate", type=float, help="users started per second (all at once)")
    parser.add_argument(
        "--think-time", type=float, default=0.0, help="mean seconds between a user's requests"
    )
    parser.add_argument(
        "--rate-limit", type=int, default=300, help="requests per minute per credential"
    )
    parser.add_argument(
        "--abusive-users", type=int, default=4, help="connections of the abusive client"
    )
    parser.add_argument("--groups", type=int, default=300, help="groups whose members act")
    parser.add_argument("--members", type=int, default=2_000, help="at most this many members")
    parser.add_argument(
        "--no-tie-pairs", type=int, default=200, help="pairs checked to have no tie"
    )
    parser.add_argument(
        "--no-tie-share", type=float, default=0.25, help="share of relationship reads without a tie"
    )
    parser.add_argument(
        "--interactions", type=int, default=5, help="interactions per recordInteractions"
    )
    parser.add_argument(
        "--side-conversations", type=int, default=2, help="records per recordSideConversations"
    )
    parser.add_argument(
        "--new-contacts", type=float, default=0.0, help="share of interactions with strangers"
    )
    parser.add_argument(
        "--max-growth", type=float, default=1.0, help="MB/min of memory growth still 'none'"
    )
    parser.add_argument(
        "--no-probe",
        dest="probe",
        action="store_false",
        help="do not load the memory probe into the service (SQLite's share is then unknown)",
    )
    add_store_options(parser)
    return parser


def _check(args: argparse.Namespace) -> None:
    if args.people < 100 or args.duration < 10 or args.users < 1 or args.abusive_users < 1:
        raise SystemExit("--people ≥ 100, --duration ≥ 10, --users and --abusive-users ≥ 1")
    if args.rate_limit < 1 or args.groups < 1 or args.members < 1 or args.no_tie_pairs < 0:
        raise SystemExit("--rate-limit, --groups and --members ≥ 1, --no-tie-pairs ≥ 0")
    if not (1 <= args.interactions <= 1_000 and 1 <= args.side_conversations <= 1_000):
        raise SystemExit("--interactions and --side-conversations must be 1-1000")
    if not (0 <= args.new_contacts <= 1 and 0 <= args.no_tie_share <= 1):
        raise SystemExit("--new-contacts and --no-tie-share are shares between 0 and 1")
    if args.think_time < 0 or args.max_growth < 0:
        raise SystemExit("--think-time and --max-growth must not be negative")
    if args.reuse and args.backend != "neo4j" and args.data_dir is None:
        raise SystemExit("--reuse needs --data-dir (embedded) or NEO4J_URI (neo4j)")
    if args.data_dir is not None and args.backend == "both":
        raise SystemExit("--data-dir is for --backend embedded")


def main(argv: list[str] | None = None) -> int:
    """Run the load test; return 0 when every backend ran (whatever its verdicts)."""
    args = _parser().parse_args(argv)
    _check(args)
    console = Console(stderr=True)
    ran = run_each_backend(args, run_backend, prefix="tiegraph-bench-load", console=console)
    if ran is None:
        return 130
    info, results = ran
    if args.out is not None:
        payload = {
            "machine": info,
            "command": "python -m bench.load " + " ".join(sys.argv[1:] if argv is None else argv),
            "results": results,
        }
        args.out.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    out = Console()
    if not out.is_terminal:
        out = Console(width=160)
    render(results, info, out)
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
