"""The mixed workload of the long load test, for locust; run it through ``python -m bench.load``.

:mod:`bench.load` prepares a store, starts ``tiegraph serve`` and writes a *plan* (a JSON file
named by ``TIEGRAPH_LOAD_PLAN``): the people, members with their tokens and the people they
have ties with, the groups with their leaders' tokens, pairs checked to have no tie, and the
abusive client's token. It then runs locust headless on this file.

Two kinds of user:

* :class:`MemberTraffic` (``--users`` of them): each request is made as a member or leader
  drawn at random from the plan, with that person's own token, so the policy and the
  per-credential rate limit see many different callers. The mix (:data:`MIX`, by request
  count) is 80 % reads -- a member's page (their groups and ties), ``introductionPaths`` from
  them to anyone (``maxHops`` 3), ``relationship`` with someone they have a tie with or with
  someone they have none with, a group's ``groupRetention`` as its leader -- and 20 % writes:
  ``recordInteractions`` batches with people they know and ``recordSideConversations`` with a
  member of their group, every record under a new idempotency key.
* :class:`AbusiveClient` (the plan says how many; all share one credential): one client with
  several connections sending a cheap lookup as fast as it can, without pause. Over its limit
  it must get 429 with ``Retry-After``; those count as its successes.

Every response is checked: HTTP 200, no GraphQL ``errors``, and the expected shape and values
(the person asked for, paths that start and end where asked, a tie where there is one and none
where there is none, every written record created). Anything else is a failure, named by a
short reason that aggregates (no ids in it). A request hook keeps every request's latency, and
the requests of each credential per second; on the way out the whole record is written as
JSON to the plan's ``report_path`` for :mod:`bench.load` to read.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

import gevent  # type: ignore[import-untyped]  # gevent ships no type hints
from locust import FastHttpUser, events, task
from locust.contrib.fasthttp import ResponseContextManager
from locust.env import Environment

from bench.mix import (
    GROUP_RETENTION,
    INTRODUCTION_PATHS,
    PERSON_PAGE,
    RECORD_INTERACTIONS,
    RECORD_SIDE_CONVERSATIONS,
    RELATIONSHIP,
)

PLAN_ENV: Final = "TIEGRAPH_LOAD_PLAN"

MIX: Final = {
    "person page": 25,
    "introductionPaths": 20,
    "relationship": 20,
    "groupRetention": 15,
    "recordInteractions": 12,
    "recordSideConversations": 8,
}
"""Percent of a normal user's requests per operation: 80 reads, 20 writes."""
WRITES: Final = frozenset({"recordInteractions", "recordSideConversations"})
ABUSIVE_NAME: Final = "abusive client: person lookup"
REASON_CHARS: Final = 160

ABUSIVE_LOOKUP: Final = "query AbusiveLookup($id: ID!) { person(id: $id) { key } }"


# -- the plan ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Member:
    """A member the load acts as: their token and the people they have a tie with."""

    key: str
    headers: dict[str, str]
    partners: tuple[tuple[str, str], ...]
    """(person, group) pairs: people they had side conversations with, and in which group."""


@dataclass(frozen=True, slots=True)
class Plan:
    """What :mod:`bench.load` prepared: who acts, on whom, and how."""

    seed: int
    run_id: str
    report_path: Path
    people: tuple[str, ...]
    members: tuple[Member, ...]
    groups: tuple[tuple[str, str], ...]
    """(group, leader) pairs."""
    leader_headers: dict[str, dict[str, str]]
    no_tie_pairs: tuple[tuple[int, str], ...]
    """(index into members, person) pairs the service answered "no tie" for before the run."""
    abusive_key: str
    abusive_headers: dict[str, str]
    abusive_users: int
    interactions_per_batch: int
    side_conversations_per_batch: int
    new_contact_share: float
    no_tie_share: float
    max_hops: int
    think_time_s: float
    writes_until: datetime

    @classmethod
    def read(cls, path: Path) -> Plan:
        """Read the plan :mod:`bench.load` wrote."""
        raw: dict[str, Any] = json.loads(path.read_text())
        members = tuple(
            Member(
                key=m["key"],
                headers=_headers(m["token"]),
                partners=tuple((p, g) for p, g in m["partners"]),
            )
            for m in raw["members"]
        )
        return cls(
            seed=int(raw["seed"]),
            run_id=str(raw["run_id"]),
            report_path=Path(raw["report_path"]),
            people=tuple(raw["people"]),
            members=members,
            groups=tuple((g, leader) for g, leader in raw["groups"]),
            leader_headers={key: _headers(token) for key, token in raw["leader_tokens"].items()},
            no_tie_pairs=tuple((int(i), str(b)) for i, b in raw["no_tie_pairs"]),
            abusive_key=str(raw["abusive"]["key"]),
            abusive_headers=_headers(raw["abusive"]["token"]),
            abusive_users=int(raw["abusive"]["users"]),
            interactions_per_batch=int(raw["interactions_per_batch"]),
            side_conversations_per_batch=int(raw["side_conversations_per_batch"]),
            new_contact_share=float(raw["new_contact_share"]),
            no_tie_share=float(raw["no_tie_share"]),
            max_hops=int(raw["max_hops"]),
            think_time_s=float(raw["think_time_s"]),
            writes_until=datetime.fromisoformat(raw["writes_until"]),
        )


def _headers(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}", "content-type": "application/json"}


# -- what happened ----------------------------------------------------------------------------


@dataclass(slots=True)
class Record:
    """Everything measured in this process, written as JSON when locust quits."""

    started_monotonic: float = 0.0
    started_wall: float = 0.0
    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    per_second: Counter[int] = field(default_factory=Counter)
    """Normal users' requests answered, by second since the start."""
    errors_per_second: Counter[int] = field(default_factory=Counter)
    by_credential: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    """Normal users' requests sent per credential, by second."""
    abusive_allowed: Counter[int] = field(default_factory=Counter)
    abusive_refused: Counter[int] = field(default_factory=Counter)
    abusive_refused_without_retry_after: int = 0
    retry_after_s: Counter[int] = field(default_factory=Counter)
    sent_again: Counter[str] = field(default_factory=Counter)
    """Requests answered 503 + Retry-After and sent again, by operation."""
    facts: Counter[str] = field(default_factory=Counter)
    """What the answers said, for the report: how many path searches found a path."""

    def second(self) -> int:
        """Whole seconds since the test started."""
        return int(time.monotonic() - self.started_monotonic)

    def on_request(self, name: str, response_time: float, exception: BaseException | None) -> None:
        """Keep one request's latency, and its failure reason if it failed."""
        self.latencies_ms[name].append(round(response_time, 3))
        if exception is not None:
            self.failures[name][_reason(exception)] += 1
        if name != ABUSIVE_NAME:
            second = self.second()
            self.per_second[second] += 1
            if exception is not None:
                self.errors_per_second[second] += 1

    def busiest_credential(self) -> tuple[str | None, int]:
        """The normal credential with the most requests in any 60 s, and that count."""
        best: tuple[str | None, int] = (None, 0)
        for credential, seconds in self.by_credential.items():
            if not seconds:
                continue
            last = max(seconds)
            window = sum(seconds[s] for s in range(0, 60))
            peak = window
            for end in range(60, last + 1):
                window += seconds[end] - seconds[end - 60]
                peak = max(peak, window)
            if peak > best[1]:
                best = (credential, peak)
        return best

    def to_json(self, plan: Plan | None) -> dict[str, Any]:
        """The record as plain values."""
        credential, peak = self.busiest_credential()
        return {
            "mix_percent": MIX,
            "writes": sorted(WRITES),
            "abusive_name": ABUSIVE_NAME,
            "started_monotonic": self.started_monotonic,
            "started_wall": self.started_wall,
            "latencies_ms": dict(self.latencies_ms),
            "failures": {name: dict(reasons) for name, reasons in self.failures.items()},
            "per_second": _seconds(self.per_second),
            "errors_per_second": _seconds(self.errors_per_second),
            "credentials_used": len(self.by_credential),
            "busiest_credential": {"credential": credential, "max_requests_in_60_s": peak},
            "abusive": {
                "key": plan.abusive_key if plan else None,
                "allowed_per_second": _seconds(self.abusive_allowed),
                "refused_per_second": _seconds(self.abusive_refused),
                "refused_without_retry_after": self.abusive_refused_without_retry_after,
                "retry_after_s": {str(k): v for k, v in sorted(self.retry_after_s.items())},
            },
            "sent_again_after_503": dict(self.sent_again),
            "facts": dict(self.facts),
        }


def _seconds(counts: Counter[int]) -> list[int]:
    """Counts by second as a dense list from second 0."""
    if not counts:
        return []
    return [counts[s] for s in range(max(counts) + 1)]


def _reason(exception: BaseException) -> str:
    # Locust wraps the text given to failure() in CatchResponseError; show that text alone.
    text = str(exception) if type(exception).__name__ == "CatchResponseError" else ""
    if not text:
        text = f"{type(exception).__name__}: {exception}"
    return text[:REASON_CHARS]


@dataclass(slots=True)
class _State:
    plan: Plan | None = None
    record: Record = field(default_factory=Record)


_state = _State()


def _plan() -> Plan:
    if _state.plan is None:
        raise RuntimeError(f"no plan: run through python -m bench.load (sets {PLAN_ENV})")
    return _state.plan


@events.init.add_listener  # type: ignore[untyped-decorator]  # untyped in locust
def _read_plan(environment: Environment, **_: Any) -> None:
    path = os.environ.get(PLAN_ENV)
    if path:
        _state.plan = Plan.read(Path(path))
        # Several users may share the abusive credential: one client, several connections.
        AbusiveClient.fixed_count = _state.plan.abusive_users


@events.test_start.add_listener  # type: ignore[untyped-decorator]  # untyped in locust
def _start_clock(environment: Environment, **_: Any) -> None:
    _state.record.started_monotonic = time.monotonic()
    _state.record.started_wall = time.time()


@events.request.add_listener  # type: ignore[untyped-decorator]  # untyped in locust
def _on_request(
    name: str, response_time: float, exception: BaseException | None = None, **_: Any
) -> None:
    _state.record.on_request(name, response_time, exception)


@events.quitting.add_listener  # type: ignore[untyped-decorator]  # untyped in locust
def _write_record(environment: Environment, **_: Any) -> None:
    plan = _state.plan
    if plan is not None:
        plan.report_path.write_text(json.dumps(_state.record.to_json(plan)))


# -- checking answers -------------------------------------------------------------------------


_STATUS_MEANING: Final = {
    0: " (no response: connection failed or timed out)",
    429: " (rate limited)",
    503: " (store unavailable: the service asks to retry)",
}


SENDS_AGAIN_AFTER_503: Final = 5
"""How often a user sends a request again after 503 + Retry-After before calling it an error."""
ANSWERED_503: Final = "(503, sent again)"


def _retry_after(response: ResponseContextManager) -> float | None:
    """Seconds to wait before sending again, for a 503 with a valid Retry-After; else None."""
    if response.status_code != 503:
        return None
    value = response.headers.get("Retry-After") if response.headers is not None else None
    try:
        seconds = float(value) if isinstance(value, str) else 0.0
    except ValueError:
        return None
    return seconds if 0 < seconds <= 60 else None


def _data(response: ResponseContextManager) -> tuple[dict[str, Any], str | None]:
    """The ``data`` object of a 200 answer without GraphQL errors, or why there is none."""
    if response.status_code != 200:
        suffix = _STATUS_MEANING.get(response.status_code, "")
        return {}, f"HTTP {response.status_code}{suffix}"
    try:
        document = json.loads(response.content or b"")
    except ValueError:
        return {}, "the body is not JSON"
    if not isinstance(document, dict):
        return {}, "the body is not a JSON object"
    errors = document.get("errors")
    if errors:
        first = errors[0] if isinstance(errors, list) and errors else errors
        message = first.get("message") if isinstance(first, dict) else first
        return {}, f"GraphQL errors: {message}"
    data = document.get("data")
    if not isinstance(data, dict):
        return {}, "no data in the answer"
    return data, None


def _written(data: dict[str, Any], field_name: str, kind: str, expected: int) -> str | None:
    result = data.get(field_name)
    if not isinstance(result, dict):
        return f"{field_name}: no result"
    if result.get("__typename") != "WritePayload":
        return f"{field_name}: refused as {result.get('__typename')}: {result.get('message')}"
    counts = {c.get("kind"): c for c in result.get("counts") or []}
    for written_kind, count in counts.items():
        # Compared with what the store holds after the run: nothing lost, nothing twice.
        _state.record.facts[f"acknowledged as created: {written_kind}"] += count.get("created") or 0
    created = counts.get(kind, {}).get("created") or 0
    unchanged = counts.get(kind, {}).get("unchanged") or 0
    if created + unchanged != expected:
        return f"{field_name}: {kind} created {created} and unchanged {unchanged} of {expected}"
    if unchanged:  # keys are new: only a request sent again after a lost answer finds them
        _state.record.facts[f"{kind} already stored when sent again"] += unchanged
    return None


def _person_page(data: dict[str, Any], key: str) -> str | None:
    person = data.get("person")
    if not isinstance(person, dict) or person.get("key") != key:
        return "person page: not the person asked for"
    memberships = person.get("memberships")
    if not isinstance(memberships, dict) or not memberships.get("totalCount"):
        return "person page: no memberships for a member"
    ties = person.get("ties")
    if not isinstance(ties, dict):
        return "person page: own ties hidden"
    edges = ties.get("edges")
    if not ties.get("totalCount") or not isinstance(edges, list) or not edges:
        return "person page: no ties for a person with ties"
    if any(not isinstance(e.get("node", {}).get("count"), int) for e in edges):
        return "person page: a tie without a count"
    return None


def _paths(data: dict[str, Any], source: str, target: str, max_hops: int) -> str | None:
    paths = data.get("introductionPaths")
    if not isinstance(paths, list):
        return "introductionPaths: not a list"
    for path in paths:
        hops = path.get("hops")
        links = path.get("links")
        people = path.get("people")
        if not isinstance(hops, int) or not 1 <= hops <= max_hops:
            return "introductionPaths: hops out of range"
        if not isinstance(links, list) or len(links) != hops:
            return "introductionPaths: links do not match hops"
        if not isinstance(people, list) or len(people) != hops + 1:
            return "introductionPaths: people do not match hops"
        ends = (people[0] or {}).get("key"), (people[-1] or {}).get("key")
        if ends != (source, target):
            return "introductionPaths: a path does not join the two people"
        if not isinstance(path.get("score"), int | float):
            return "introductionPaths: a path without a score"
    return None


def _relationship(data: dict[str, Any], has_tie: bool) -> str | None:
    view = data.get("relationship", "missing")
    if view == "missing":
        return "relationship: no field"
    if not has_tie:
        return None if view is None else "relationship: a tie where none was"
    if not isinstance(view, dict):
        return "relationship: no tie where one was"
    strength = view.get("strength") or {}
    if not isinstance(view.get("interactionCount"), int) or view["interactionCount"] < 1:
        return "relationship: a tie without interactions"
    if not isinstance(strength.get("strength"), int | float) or not strength.get("band"):
        return "relationship: a tie without a strength"
    return None


def _retention(data: dict[str, Any]) -> str | None:
    retention = data.get("groupRetention")
    if not isinstance(retention, dict):
        return "groupRetention: no result"
    if not isinstance(retention.get("memberCount"), int) or retention["memberCount"] < 1:
        return "groupRetention: no members"
    if not isinstance(retention.get("curve"), list) or not retention["curve"]:
        return "groupRetention: no curve"
    if retention.get("aggregated") is not False:
        return "groupRetention: aggregated for the group's leader"
    return None


# -- the users --------------------------------------------------------------------------------


class MemberTraffic(FastHttpUser):
    """Members and leaders using the service: 80 % reads, 20 % writes (see :data:`MIX`)."""

    weight = 1
    _serial = 0

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        MemberTraffic._serial += 1
        self.index = MemberTraffic._serial
        plan = _plan()
        self.plan = plan
        self.rng = random.Random(f"{plan.seed}-load-user-{self.index}")
        self.no_tie = {(plan.members[i].key, b) for i, b in plan.no_tie_pairs}
        self.sequence = 0

    def wait_time(self) -> float:
        """Think time between requests: none by default, so each user is a closed loop."""
        think = self.plan.think_time_s
        return self.rng.uniform(0.5 * think, 1.5 * think) if think > 0 else 0.0

    # -- sending --

    def _post(
        self,
        name: str,
        credential: str,
        headers: dict[str, str],
        body: dict[str, Any],
        check: Callable[[dict[str, Any]], str | None],
    ) -> None:
        record = _state.record
        payload = json.dumps(body)
        for attempt in range(1 + SENDS_AGAIN_AFTER_503):
            record.by_credential[credential][record.second()] += 1
            with self.client.post(
                "/graphql", data=payload, headers=headers, name=name, catch_response=True
            ) as response:
                wait = _retry_after(response)
                if wait is not None and attempt < SENDS_AGAIN_AFTER_503:
                    # The API's contract for an unavailable store: send the same request (same
                    # idempotency keys) again after Retry-After. Counted apart, not as an error
                    # and not in the operation's latencies.
                    response.request_meta["name"] = f"{name} {ANSWERED_503}"
                    response.success()
                    record.sent_again[name] += 1
                else:
                    data, problem = _data(response)
                    if problem is None:
                        problem = check(data)
                    if problem is None:
                        response.success()
                    else:
                        response.failure(problem)
                    return
            gevent.sleep(wait)

    def _member(self) -> Member:
        return self.rng.choice(self.plan.members)

    def _next_key(self, what: str, index: int) -> str:
        return f"load-{self.plan.run_id}-{what}-{self.index}-{self.sequence}-{index}"

    def _at(self) -> str:
        moment = self.plan.writes_until - timedelta(seconds=self.rng.randrange(90 * 86_400))
        return moment.isoformat()

    # -- reads --

    @task(MIX["person page"])
    def person_page(self) -> None:
        """A member opens their own page: profile, groups and ties."""
        member = self._member()
        self._post(
            "read: person page",
            member.key,
            member.headers,
            {"query": PERSON_PAGE, "operationName": "PersonPage", "variables": {"id": member.key}},
            lambda data: _person_page(data, member.key),
        )

    @task(MIX["introductionPaths"])
    def introduction_paths(self) -> None:
        """A member asks who can introduce them to someone, up to ``max_hops`` away."""
        member = self._member()
        target = self.rng.choice(self.plan.people)
        while target == member.key:
            target = self.rng.choice(self.plan.people)
        hops = self.plan.max_hops

        def check(data: dict[str, Any]) -> str | None:
            problem = _paths(data, member.key, target, hops)
            if problem is None:
                found = "found" if data["introductionPaths"] else "none"
                _state.record.facts[f"introductionPaths: {found}"] += 1
            return problem

        variables = {"from": member.key, "to": target, "maxHops": hops}
        self._post(
            "read: introductionPaths",
            member.key,
            member.headers,
            {
                "query": INTRODUCTION_PATHS,
                "operationName": "IntroductionPaths",
                "variables": variables,
            },
            check,
        )

    @task(MIX["relationship"])
    def relationship(self) -> None:
        """A member looks at a tie: mostly one they have, sometimes with someone they don't know."""
        plan = self.plan
        if plan.no_tie_pairs and self.rng.random() < plan.no_tie_share:
            index, other = self.rng.choice(plan.no_tie_pairs)
            member, has_tie, name = plan.members[index], False, "read: relationship (no tie)"
        else:
            member = self._member()
            other = self.rng.choice(member.partners)[0]
            has_tie, name = True, "read: relationship (tie)"
        variables = {"a": member.key, "b": other}
        self._post(
            name,
            member.key,
            member.headers,
            {"query": RELATIONSHIP, "operationName": "Relationship", "variables": variables},
            lambda data: _relationship(data, has_tie),
        )

    @task(MIX["groupRetention"])
    def group_retention(self) -> None:
        """A leader looks at who kept in touch after one of their groups."""
        group, leader = self.rng.choice(self.plan.groups)
        self._post(
            "read: groupRetention",
            leader,
            self.plan.leader_headers[leader],
            {
                "query": GROUP_RETENTION,
                "operationName": "GroupRetention",
                "variables": {"group": group},
            },
            _retention,
        )

    # -- writes --

    @task(MIX["recordInteractions"])
    def record_interactions(self) -> None:
        """A member records a batch of calls and messages with people they know."""
        plan = self.plan
        member = self._member()
        self.sequence += 1
        items = []
        for i in range(plan.interactions_per_batch):
            other = self.rng.choice(member.partners)[0]
            if self.rng.random() < plan.new_contact_share:
                candidate = self.rng.choice(plan.people)
                if candidate != member.key and (member.key, candidate) not in self.no_tie:
                    other = candidate
            call = self.rng.random() < 0.3
            items.append(
                {
                    "key": self._next_key("i", i),
                    "at": self._at(),
                    "kind": "CALL" if call else "MESSAGE",
                    "participants": [member.key, other],
                    # A member records contacts as themselves: started by them, or unsaid.
                    "initiator": member.key if self.rng.random() < 0.5 else None,
                    "durationSeconds": self.rng.randrange(60, 3600) if call else None,
                }
            )
        expected = len(items)
        self._post(
            "write: recordInteractions",
            member.key,
            member.headers,
            {
                "query": RECORD_INTERACTIONS,
                "operationName": "RecordInteractions",
                "variables": {"input": items},
            },
            lambda data: _written(data, "recordInteractions", "interaction", expected),
        )

    @task(MIX["recordSideConversations"])
    def record_side_conversations(self) -> None:
        """A member records conversations beside the meetings with members of their group."""
        plan = self.plan
        member = self._member()
        self.sequence += 1
        items = []
        for i in range(plan.side_conversations_per_batch):
            other, group = self.rng.choice(member.partners)
            items.append(
                {
                    "key": self._next_key("s", i),
                    "at": self._at(),
                    "participants": [member.key, other],
                    "initiator": member.key,
                    "durationSeconds": self.rng.randrange(300, 3600),
                    "channel": self.rng.choice(("phone", "video", "coffee")),
                    "group": group,
                }
            )
        expected = len(items)
        self._post(
            "write: recordSideConversations",
            member.key,
            member.headers,
            {
                "query": RECORD_SIDE_CONVERSATIONS,
                "operationName": "RecordSideConversations",
                "variables": {"input": items},
            },
            lambda data: _written(data, "recordSideConversations", "side_conversation", expected),
        )


class AbusiveClient(FastHttpUser):
    """A connection of the abusive client, whose credential must be refused with 429 over its
    limit; the plan sets how many of them run."""

    fixed_count = 1

    def wait_time(self) -> float:
        """No pause at all."""
        return 0.0

    @task
    def hammer(self) -> None:
        """Look itself up, again and again; 200 and 429 with ``Retry-After`` are both right."""
        plan = _plan()
        record = _state.record
        body = {
            "query": ABUSIVE_LOOKUP,
            "operationName": "AbusiveLookup",
            "variables": {"id": plan.abusive_key},
        }
        with self.client.post(
            "/graphql",
            data=json.dumps(body),
            headers=plan.abusive_headers,
            name=ABUSIVE_NAME,
            catch_response=True,
        ) as response:
            problem = self._judge(response, plan, record)
            if problem is None:
                response.success()
            else:
                response.failure(problem)

    @staticmethod
    def _judge(response: ResponseContextManager, plan: Plan, record: Record) -> str | None:
        second = record.second()
        if response.status_code == 429:
            record.abusive_refused[second] += 1
            found = response.headers.get("retry-after") if response.headers is not None else None
            header = str(found[0] if isinstance(found, list) else found or "")
            if not header.isdigit() or int(header) < 1:
                record.abusive_refused_without_retry_after += 1
                return "HTTP 429 without a valid Retry-After"
            record.retry_after_s[int(header)] += 1
            return None
        data, problem = _data(response)
        if problem is not None:
            return problem
        person = data.get("person")
        if not isinstance(person, dict) or person.get("key") != plan.abusive_key:
            return "abusive lookup: not the person asked for"
        record.abusive_allowed[second] += 1
        return None
