"""``tiegraph paths``, ``strength``, ``nudges``, ``retention`` and ``balance``: the use cases'
answers in a terminal (rich tables) or for scripts (``--json``).

Each command opens the configured store, asks :class:`~graph.usecases.service.Service` as the
operator (an admin viewer), prints the answer on stdout and exits with the status
:class:`api.cli.ExitCode` defines: 1 when an id given does not exist or there is no answer
(no path; no contact between the two by then), 2 for a bad argument, 3 when the store is
unavailable. Errors are one line on stderr naming the argument.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from api.cli.options import (
    EXIT_CODES_HELP,
    DataDirOption,
    ExitCode,
    Neo4jDatabaseOption,
    Neo4jUriOption,
    StoreOption,
    at_option,
    fail,
    open_store_and_run,
    settings_from_options,
)
from api.cli.output import (
    OPERATOR,
    JsonOption,
    explainer,
    facts_table,
    iso,
    number,
    parse_moment,
    print_json,
    stdout,
)
from api.settings import Settings
from graph.domain.balance import MeetingBalance
from graph.domain.errors import NotFound
from graph.domain.model import Group, Person, Tie
from graph.domain.paths import MAX_HOPS, Strategy
from graph.domain.retention import GroupRetention
from graph.ports import GraphStore
from graph.usecases.insights import DEFAULT_HORIZONS, MAX_EVIDENCE, RelationshipReport, utc_now
from graph.usecases.introductions import MAX_PATHS, ExplainedPath
from graph.usecases.meetings import GroupBalance
from graph.usecases.nudges import KeepInTouchNudge
from graph.usecases.service import Service

__all__ = [
    "balance_document",
    "nudges_document",
    "paths_document",
    "register",
    "retention_document",
    "strength_document",
]


class Mode(enum.StrEnum):
    """How introduction paths are ranked."""

    STRONGEST = "strongest"
    SHORTEST = "shortest"


def _service(store: GraphStore, settings: Settings, now: datetime) -> Service:
    """The use cases over ``store``, with "now" fixed for the whole command."""
    return Service(
        store,
        clock=lambda: now,
        privacy_min_group=settings.privacy_min_group,
        max_recorded_participants=settings.max_recorded_participants,
        budgets=settings.budgets(),
    )


async def _people(service: Service, arguments: dict[str, str]) -> dict[str, Person]:
    """Return the people the arguments name, by id; raise ``NotFound`` for the first unknown."""
    ids = list(dict.fromkeys(arguments.values()))
    found = {p.id: p for p in await service.people(OPERATOR, ids) if p is not None}
    for value in arguments.values():
        if value not in found:
            raise NotFound("person", value)
    return found


def _who(person_id: str, people: dict[str, Person]) -> str:
    person = people.get(person_id)
    return person_id if person is None else f"{person.name} ({person_id})"


def _hops(n: int) -> str:
    return "1 hop" if n == 1 else f"{n} hops"


def _tie_document(tie: Tie | None) -> dict[str, Any] | None:
    if tie is None:
        return None
    return {
        "first_contact": iso(tie.first_at),
        "last_contact": iso(tie.last_at),
        "count": tie.count,
        "counts": {kind.value: n for kind, n in sorted(tie.counts.items()) if n},
        "initiated": {tie.a: tie.initiated_by_a, tie.b: tie.initiated_by_b},
    }


# -- paths --------------------------------------------------------------------------------------


def paths_document(
    found: Sequence[ExplainedPath],
    people: dict[str, Person],
    *,
    source: str,
    target: str,
    mode: Mode,
    max_hops: int,
    at: datetime,
) -> dict[str, Any]:
    """The ``paths --json`` document."""
    return {
        "from": source,
        "to": target,
        "mode": mode.value,
        "max_hops": max_hops,
        "at": iso(at),
        "paths": [
            {
                "rank": rank,
                "score": explained.path.score,
                "hops": explained.path.hops,
                "people": [
                    {"id": pid, "name": people[pid].name if pid in people else None}
                    for pid in explained.path.people
                ],
                "links": [
                    {
                        "from": hop.a,
                        "to": hop.b,
                        "strength": hop.strength,
                        "band": hop.band.value,
                        "shared_groups": [{"id": g.id, "name": g.name} for g in hop.shared_groups],
                        "shared_interests": list(hop.shared_interests),
                        "tie": _tie_document(hop.tie),
                    }
                    for hop in explained.hops
                ],
            }
            for rank, explained in enumerate(found, start=1)
        ],
    }


def _print_paths(
    found: Sequence[ExplainedPath],
    people: dict[str, Person],
    *,
    source: str,
    target: str,
    mode: Mode,
    max_hops: int,
) -> None:
    out = stdout()
    out.print(
        f"Introduction paths from {_who(source, people)} to {_who(target, people)}:"
        f" {mode.value} first, at most {_hops(max_hops)}",
        soft_wrap=True,
    )
    for rank, explained in enumerate(found, start=1):
        chain = " → ".join(explained.path.people)
        out.print(
            f"\n{rank}. score {explained.path.score:.4g}, {_hops(explained.path.hops)}: {chain}",
            soft_wrap=True,
        )
        table = Table()
        for heading in ("link", "strength", "band", "why: shared groups", "shared interests"):
            table.add_column(heading, justify="right" if heading == "strength" else "left")
        table.add_column("contacts", justify="right")
        table.add_column("last contact")
        for hop in explained.hops:
            table.add_row(
                f"{_who(hop.a, people)} – {_who(hop.b, people)}",
                f"{hop.strength:.3g}",
                hop.band.value,
                ", ".join(g.name for g in hop.shared_groups) or "–",
                ", ".join(hop.shared_interests) or "–",
                str(hop.tie.count) if hop.tie else "–",
                hop.tie.last_at.date().isoformat() if hop.tie else "–",
            )
        out.print(table)


def paths_command(
    a: Annotated[
        str, typer.Argument(metavar="A", help="Who wants the introduction (a person id).")
    ],
    b: Annotated[str, typer.Argument(metavar="B", help="Whom they want to meet (a person id).")],
    limit: Annotated[
        int, typer.Option("--limit", help=f"How many paths to show, 1 to {MAX_PATHS}.")
    ] = 5,
    max_hops: Annotated[
        int, typer.Option("--max-hops", help=f"The longest path to search, 1 to {MAX_HOPS} ties.")
    ] = 3,
    mode: Annotated[
        Mode,
        typer.Option(
            "--mode",
            help="strongest: best score first; shortest: fewest hops only, best score first.",
        ),
    ] = Mode.STRONGEST,
    json_output: JsonOption = False,
    store: StoreOption = None,
    data_dir: DataDirOption = None,
    neo4j_uri: Neo4jUriOption = None,
    neo4j_database: Neo4jDatabaseOption = None,
) -> None:
    """Show who can introduce A to B, through whom, and why each link holds.

    A path's score is the product of its links' strengths (each 0 to 1, now). Exits 1 when
    there is no path within --max-hops (with --json, the document lists no paths).
    """
    if not 1 <= limit <= MAX_PATHS:
        fail(f"--limit {limit}: must be 1 to {MAX_PATHS}", ExitCode.USAGE)
    if not 1 <= max_hops <= MAX_HOPS:
        fail(f"--max-hops {max_hops}: must be 1 to {MAX_HOPS}", ExitCode.USAGE)
    if a == b:
        fail(f"B {b!r}: must be someone other than A", ExitCode.USAGE)
    settings = settings_from_options(store, data_dir, neo4j_uri, neo4j_database)
    now = utc_now()

    async def work(opened: GraphStore) -> tuple[list[ExplainedPath], dict[str, Person]]:
        service = _service(opened, settings, now)
        people = await _people(service, {"A": a, "B": b})
        found = await service.introductions.introduction_paths(
            OPERATOR, a, b, max_hops=max_hops, first=limit, strategy=Strategy(mode.value)
        )
        via = sorted({p for e in found for p in e.path.people} - people.keys())
        people.update({p.id: p for p in await service.people(OPERATOR, via) if p is not None})
        return found, people

    found, people = open_store_and_run(
        settings,
        work,
        explain=explainer({"A": a, "B": b}, {"maxHops": "--max-hops", "first": "--limit"}),
    )
    if json_output:
        print_json(
            paths_document(found, people, source=a, target=b, mode=mode, max_hops=max_hops, at=now)
        )
    elif found:
        _print_paths(found, people, source=a, target=b, mode=mode, max_hops=max_hops)
    if not found:
        fail(
            f"no introduction path from A {a!r} to B {b!r} within {_hops(max_hops)}",
            ExitCode.NOT_FOUND,
        )


# -- strength -----------------------------------------------------------------------------------


def strength_document(
    report: RelationshipReport, *, a: str, b: str, evidence: bool
) -> dict[str, Any]:
    """The ``strength --json`` document."""
    assessment = report.relationship.assessment
    parts = assessment.components
    document: dict[str, Any] = {
        "a": a,
        "b": b,
        "at": iso(assessment.at),
        "strength": assessment.strength,
        "band": assessment.band.value,
        "score": assessment.score,
        "components": {
            "recency": parts.recency,
            "frequency": parts.frequency,
            "longevity": parts.longevity,
            "reciprocity": parts.reciprocity,
            "diversity": parts.diversity,
            "embeddedness": parts.embeddedness,
        },
        "tie": _tie_document(report.relationship.tie),
        "recent_interactions": report.recent_interactions,
        "shared_contacts": report.shared_contacts,
        "shared_groups": report.shared_groups,
    }
    if evidence:
        document["evidence"] = [
            {
                "key": interaction.key,
                "at": iso(interaction.at),
                "kind": interaction.kind.value,
                "participants": list(interaction.participant_ids),
                "initiator": interaction.initiator_id,
                "channel": interaction.channel,
                "duration_s": interaction.duration_s,
                "contribution": adds,
            }
            for interaction, adds in report.evidence
        ]
    return document


def _print_strength(
    report: RelationshipReport, people: dict[str, Person], *, a: str, b: str, evidence: bool
) -> None:
    out = stdout()
    assessment = report.relationship.assessment
    tie = report.relationship.tie
    out.print(f"{_who(a, people)} and {_who(b, people)} at {iso(assessment.at)}", soft_wrap=True)
    out.print(
        f"strength {assessment.strength:.3f} ({assessment.band.value}),"
        f" decayed score {assessment.score:.3f}",
        soft_wrap=True,
    )
    components = ("recency", "frequency", "longevity", "reciprocity", "diversity", "embeddedness")
    out.print(
        facts_table(
            "Components (0-1)",
            "component",
            [(name, number(getattr(assessment.components, name))) for name in components],
        )
    )
    facts = facts_table(
        "The tie",
        "fact",
        [
            ("first contact", iso(tie.first_at)),
            ("last contact", iso(tie.last_at)),
            ("contacts", str(tie.count)),
            *((f"  {kind.value}", str(n)) for kind, n in sorted(tie.counts.items()) if n),
            (f"started by {tie.a}", str(tie.initiated_by_a)),
            (f"started by {tie.b}", str(tie.initiated_by_b)),
            ("contacts in the last 90 days", str(report.recent_interactions)),
            ("shared contacts", str(report.shared_contacts)),
            ("shared groups", str(report.shared_groups)),
        ],
    )
    out.print(facts)
    if evidence:
        table = Table(title="Evidence: the contacts that add most to the score then")
        for heading in ("when", "kind", "key", "started by"):
            table.add_column(heading)
        table.add_column("adds", justify="right")
        for interaction, adds in report.evidence:
            table.add_row(
                interaction.at.date().isoformat(),
                interaction.kind.value,
                interaction.key,
                interaction.initiator_id or "–",
                number(adds),
            )
        out.print(table)


def strength_command(
    a: Annotated[str, typer.Argument(metavar="A", help="One person id.")],
    b: Annotated[str, typer.Argument(metavar="B", help="The other person id.")],
    at: Annotated[
        str | None,
        at_option(
            "The moment to assess: ISO-8601 with a time zone, or a date (UTC). Default: now."
        ),
    ] = None,
    evidence: Annotated[
        bool, typer.Option("--evidence", help="Also list the contacts behind the score.")
    ] = False,
    evidence_limit: Annotated[
        int,
        typer.Option(
            "--evidence-limit", help=f"How many contacts --evidence lists, 1 to {MAX_EVIDENCE}."
        ),
    ] = 10,
    json_output: JsonOption = False,
    store: StoreOption = None,
    data_dir: DataDirOption = None,
    neo4j_uri: Neo4jUriOption = None,
    neo4j_database: Neo4jDatabaseOption = None,
) -> None:
    """Show how strong the tie between A and B is (now, or --at a past moment), and why.

    Exits 1 when the two had no contact by then (with --json, the document is null).
    """
    if not 1 <= evidence_limit <= MAX_EVIDENCE:
        fail(f"--evidence-limit {evidence_limit}: must be 1 to {MAX_EVIDENCE}", ExitCode.USAGE)
    if a == b:
        fail(f"B {b!r}: must be someone other than A", ExitCode.USAGE)
    moment = parse_moment(at, "--at") if at is not None else None
    settings = settings_from_options(store, data_dir, neo4j_uri, neo4j_database)
    now = utc_now()

    async def work(opened: GraphStore) -> tuple[RelationshipReport | None, dict[str, Person]]:
        service = _service(opened, settings, now)
        people = await _people(service, {"A": a, "B": b})
        report = await service.insights.relationship(
            OPERATOR, a, b, at=moment, evidence=evidence_limit if evidence else 0
        )
        return report, people

    report, people = open_store_and_run(
        settings,
        work,
        explain=explainer({"A": a, "B": b}, {"at": "--at", "evidence": "--evidence-limit"}),
    )
    if report is None:
        if json_output:
            print_json(None)
        when = iso(moment or now)
        fail(f"A {a!r} and B {b!r} had no contact by {when}", ExitCode.NOT_FOUND)
    if json_output:
        print_json(strength_document(report, a=a, b=b, evidence=evidence))
    else:
        _print_strength(report, people, a=a, b=b, evidence=evidence)


# -- nudges -------------------------------------------------------------------------------------


def nudges_document(
    nudges: Sequence[KeepInTouchNudge], *, person: str, at: datetime
) -> dict[str, Any]:
    """The ``nudges --json`` document."""
    return {
        "person": person,
        "at": iso(at),
        "nudges": [
            {
                "other": n.nudge.tie.other_id,
                "worth": n.nudge.worth,
                "peak": {
                    "strength": n.nudge.tie.peak,
                    "band": n.nudge.peak_band.value,
                    "at": iso(n.nudge.tie.peak_at),
                },
                "now": {"strength": n.nudge.tie.now, "band": n.nudge.now_band.value},
                "last_contact": {
                    "at": iso(n.last_interaction.at),
                    "kind": n.last_interaction.kind.value,
                    "channel": n.last_interaction.channel,
                    "group": None if n.last_group is None else n.last_group.id,
                },
                "started_last_by": n.started_last_by,
                "shared_group": None if n.shared_group is None else n.shared_group.id,
                "reason": n.reason,
            }
            for n in nudges
        ],
    }


def _print_nudges(
    nudges: Sequence[KeepInTouchNudge], people: dict[str, Person], *, person: str, at: datetime
) -> None:
    out = stdout()
    if not nudges:
        out.print(f"Nothing to renew for {_who(person, people)} at {iso(at)}.", soft_wrap=True)
        return
    table = Table(title=f"Worth renewing for {_who(person, people)} at {iso(at)}")
    for heading in ("with", "was", "now", "last contact", "shared group"):
        table.add_column(heading)
    table.add_column("worth", justify="right")
    for n in nudges:
        last = n.last_interaction
        table.add_row(
            _who(n.nudge.tie.other_id, people),
            f"{n.nudge.peak_band.value} {number(n.nudge.tie.peak)} ({n.nudge.tie.peak_at:%Y-%m})",
            f"{n.nudge.now_band.value} {number(n.nudge.tie.now)}",
            f"{last.at.date().isoformat()} {last.kind.value}"
            + (f" ({last.channel})" if last.channel else ""),
            "–" if n.shared_group is None else n.shared_group.name,
            number(n.nudge.worth),
        )
    out.print(table)
    for n in nudges:
        out.print(f"- {n.reason}", soft_wrap=True)


def nudges_command(
    person: Annotated[str, typer.Argument(metavar="PERSON", help="Whose ties to look at.")],
    first: Annotated[int, typer.Option("--first", help="How many nudges at most, 1 to 100.")] = 5,
    at: Annotated[
        str | None,
        at_option(
            "The moment to look at: ISO-8601 with a time zone, or a date (UTC). Default: now."
        ),
    ] = None,
    json_output: JsonOption = False,
    store: StoreOption = None,
    data_dir: DataDirOption = None,
    neo4j_uri: Neo4jUriOption = None,
    neo4j_database: Neo4jDatabaseOption = None,
) -> None:
    """Show PERSON's ties worth renewing now: strong once, fading now, most worth first.

    Each with the group they shared, the last contact, who started it, and why. An empty
    list is an answer (status 0).
    """
    if not 1 <= first <= 100:
        fail(f"--first {first}: must be 1 to 100", ExitCode.USAGE)
    moment = parse_moment(at, "--at") if at is not None else None
    settings = settings_from_options(store, data_dir, neo4j_uri, neo4j_database)
    now = utc_now()
    when = moment or now

    async def work(opened: GraphStore) -> tuple[list[KeepInTouchNudge], dict[str, Person]]:
        service = _service(opened, settings, now)
        people = await _people(service, {"PERSON": person})
        found = await service.nudges.keep_in_touch(OPERATOR, person, first=first, at=moment)
        others = [n.nudge.tie.other_id for n in found]
        people.update({p.id: p for p in await service.people(OPERATOR, others) if p is not None})
        return found, people

    found, people = open_store_and_run(
        settings, work, explain=explainer({"PERSON": person}, {"at": "--at", "first": "--first"})
    )
    if json_output:
        print_json(nudges_document(found, person=person, at=when))
    else:
        _print_nudges(found, people, person=person, at=when)


# -- retention ----------------------------------------------------------------------------------


def _horizons(values: Sequence[str] | None) -> list[int]:
    """Read ``--horizon-days`` (repeated, or comma-separated) as whole days > 0."""
    if not values:
        return list(DEFAULT_HORIZONS)
    days: list[int] = []
    for value in values:
        for item in value.split(","):
            text = item.strip()
            if not text.isdigit() or int(text) == 0:
                fail(
                    f"--horizon-days {text!r}: must be a whole number of days > 0",
                    ExitCode.USAGE,
                )
            days.append(int(text))
    return sorted(set(days))


def retention_document(retention: GroupRetention, group: Group) -> dict[str, Any]:
    """The ``retention --json`` document."""
    return {
        "group": group.id,
        "name": group.name,
        "after": iso(retention.after),
        "at": iso(retention.now),
        "member_count": retention.member_count,
        "pair_count": retention.pair_count,
        "share_during": retention.share_during,
        "share_after": retention.share_after,
        "curve": [
            {"days": point.days, "share": point.share, "pairs": point.pairs}
            for point in retention.curve
        ],
        "pairs": [
            {
                "a": pair.a,
                "b": pair.b,
                "contact_during": pair.contact_during,
                "contact_after": pair.contact_after,
                "last_contact": iso(pair.last_contact),
                "days_in_contact_after": pair.days_in_contact_after,
                "strength_now": pair.strength_now,
                "band_now": pair.band_now.value,
                "keep_in_touch_probability": pair.keep_in_touch_probability,
            }
            for pair in retention.pairs
        ],
        "members": [
            {
                "person": member.person_id,
                "group_mates_in_contact": member.group_mates_in_contact,
                "other_groups_reached": member.other_groups_reached,
            }
            for member in retention.members
        ],
        "bridges": list(retention.bridges),
        "aggregated": retention.aggregated,
    }


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share:.0%}"


def _print_retention(retention: GroupRetention, group: Group) -> None:
    out = stdout()
    out.print(
        f"Keep-in-touch in {group.name} ({group.id}): after {iso(retention.after)},"
        f" as of {iso(retention.now)}",
        soft_wrap=True,
    )
    out.print(
        facts_table(
            "The group",
            "figure",
            [
                ("members analysed", str(retention.member_count)),
                ("pairs", str(retention.pair_count)),
                ("pairs in direct contact during", _percent(retention.share_during)),
                ("pairs in direct contact after", _percent(retention.share_after)),
            ],
        )
    )
    curve = Table(title="Still in touch, days after the end")
    for heading in ("days", "share of pairs", "pairs"):
        curve.add_column(heading, justify="right")
    for point in retention.curve:
        observable = point.share is not None
        curve.add_row(
            str(point.days),
            _percent(point.share) if observable else "not yet",
            str(point.pairs) if observable else "–",
        )
    out.print(curve)
    if retention.pairs:
        pairs = Table(title="Pairs")
        pairs.add_column("pair")
        for heading in ("during", "after", "last contact", "days after"):
            pairs.add_column(heading)
        for heading in ("strength", "band", "p(keep)"):
            pairs.add_column(heading, justify="right")
        for pair in retention.pairs:
            pairs.add_row(
                f"{pair.a} – {pair.b}",
                "yes" if pair.contact_during else "no",
                "yes" if pair.contact_after else "no",
                pair.last_contact.date().isoformat() if pair.last_contact else "–",
                number(pair.days_in_contact_after, 0),
                number(pair.strength_now),
                pair.band_now.value,
                number(pair.keep_in_touch_probability, 2),
            )
        out.print(pairs)
    if retention.members:
        members = Table(title="Members")
        members.add_column("member")
        members.add_column("group-mates in contact after", justify="right")
        members.add_column("other groups reached", justify="right")
        for member in retention.members:
            members.add_row(
                member.person_id,
                str(member.group_mates_in_contact),
                str(member.other_groups_reached),
            )
        out.print(members)
    if retention.bridges:
        out.print(f"Bridges to other groups: {', '.join(retention.bridges)}", soft_wrap=True)


def retention_command(
    group: Annotated[str, typer.Argument(metavar="GROUP", help="A group id.")],
    at: Annotated[
        str | None, at_option("As seen at this moment (ISO-8601 or a date). Default: now.")
    ] = None,
    after: Annotated[
        str | None,
        typer.Option(
            "--after",
            help="Count contact after this moment. Default: the end of the group's end date.",
            show_default=False,
        ),
    ] = None,
    horizon_days: Annotated[
        list[str] | None,
        typer.Option(
            "--horizon-days",
            help="Days after the end to read the curve at; repeat or separate with commas."
            f" Default: {','.join(map(str, DEFAULT_HORIZONS))}.",
            show_default=False,
        ),
    ] = None,
    json_output: JsonOption = False,
    store: StoreOption = None,
    data_dir: DataDirOption = None,
    neo4j_uri: Neo4jUriOption = None,
    neo4j_database: Neo4jDatabaseOption = None,
) -> None:
    """Show which members of a group kept in touch after it ended: shares, curve, pairs."""
    horizons = _horizons(horizon_days)
    moment = parse_moment(at, "--at") if at is not None else None
    end = parse_moment(after, "--after") if after is not None else None
    settings = settings_from_options(store, data_dir, neo4j_uri, neo4j_database)
    now = utc_now()

    async def work(opened: GraphStore) -> tuple[GroupRetention, Group]:
        service = _service(opened, settings, now)
        retention = await service.insights.group_retention(
            OPERATOR, group, after=end, horizons=horizons, at=moment
        )
        [found] = await service.get(OPERATOR, Group, [group])
        assert isinstance(found, Group)
        return retention, found

    retention, found = open_store_and_run(
        settings,
        work,
        explain=explainer(
            {"GROUP": group}, {"at": "--at", "after": "--after", "horizons": "--horizon-days"}
        ),
    )
    if json_output:
        print_json(retention_document(retention, found))
    else:
        _print_retention(retention, found)


# -- balance ------------------------------------------------------------------------------------


def _meeting_document(balance: MeetingBalance) -> dict[str, Any]:
    return {
        "meeting": balance.meeting_id,
        "fair_share": balance.fair_share,
        "gini": balance.gini,
        "speakers": [
            {
                "person": s.person_id,
                "seconds": s.seconds,
                "share": s.share,
                "relative": s.relative,
                "quiet": s.quiet,
            }
            for s in balance.speakers
        ],
        "unknown": list(balance.unknown),
        "quiet": list(balance.quiet),
    }


def balance_document(balance: MeetingBalance | GroupBalance) -> dict[str, Any]:
    """The ``balance --json`` document: one meeting's, or a group's across its meetings."""
    if isinstance(balance, MeetingBalance):
        return _meeting_document(balance)
    return {
        "group": balance.group_id,
        "meetings": [_meeting_document(m) for m in balance.meetings],
        "members": [
            {
                "person": m.person_id,
                "relative": list(m.relative),
                "mean_relative": m.mean_relative,
                "trend": m.trend,
                "quiet_meetings": m.quiet_meetings,
            }
            for m in balance.members
        ],
    }


def _print_meeting(balance: MeetingBalance) -> None:
    out = stdout()
    out.print(
        f"Speaking balance of meeting {balance.meeting_id}: fair share"
        f" {number(balance.fair_share)}, Gini {number(balance.gini)} (0: all equal)",
        soft_wrap=True,
    )
    table = Table()
    table.add_column("person")
    for heading in ("seconds", "share", "× fair share"):
        table.add_column(heading, justify="right")
    table.add_column("quiet")
    for s in balance.speakers:
        table.add_row(
            s.person_id,
            str(s.seconds),
            f"{s.share:.1%}",
            number(s.relative, 2),
            "quiet" if s.quiet else "",
        )
    out.print(table)
    if balance.unknown:
        out.print(f"No speaking time recorded for: {', '.join(balance.unknown)}", soft_wrap=True)


def _print_group(balance: GroupBalance) -> None:
    out = stdout()
    out.print(f"Speaking balance across the meetings of {balance.group_id}", soft_wrap=True)
    meetings = Table(title="Meetings")
    meetings.add_column("meeting")
    meetings.add_column("fair share", justify="right")
    meetings.add_column("Gini", justify="right")
    meetings.add_column("quiet")
    meetings.add_column("no time recorded")
    for m in balance.meetings:
        meetings.add_row(
            m.meeting_id,
            number(m.fair_share),
            number(m.gini),
            ", ".join(m.quiet) or "–",
            ", ".join(m.unknown) or "–",
        )
    out.print(meetings)
    members = Table(title="Members: share × fair share per meeting, in meeting order")
    members.add_column("member")
    members.add_column("per meeting")
    for heading in ("mean", "trend", "quiet meetings"):
        members.add_column(heading, justify="right")
    for row in balance.members:
        members.add_row(
            row.person_id,
            " ".join(number(r, 2) for r in row.relative),
            number(row.mean_relative, 2),
            number(row.trend, 3),
            str(row.quiet_meetings),
        )
    out.print(members)


def balance_command(
    meeting: Annotated[
        str | None,
        typer.Argument(
            metavar="MEETING", help="A meeting id (or give --group instead).", show_default=False
        ),
    ] = None,
    group: Annotated[
        str | None,
        typer.Option(
            "--group", help="A group id: the balance across its meetings.", show_default=False
        ),
    ] = None,
    json_output: JsonOption = False,
    store: StoreOption = None,
    data_dir: DataDirOption = None,
    neo4j_uri: Neo4jUriOption = None,
    neo4j_database: Neo4jDatabaseOption = None,
) -> None:
    """Show who spoke how much in a meeting, or across a group's meetings (--group)."""
    if (meeting is None) == (group is None):
        fail(
            "MEETING: give a meeting id, or --group GROUP, not both"
            if meeting is not None
            else "MEETING: give a meeting id, or --group GROUP",
            ExitCode.USAGE,
        )
    settings = settings_from_options(store, data_dir, neo4j_uri, neo4j_database)
    now = utc_now()

    async def work(opened: GraphStore) -> MeetingBalance | GroupBalance:
        meetings = _service(opened, settings, now).meetings
        if meeting is not None:
            return await meetings.meeting_balance(OPERATOR, meeting)
        assert group is not None
        return await meetings.group_balance(OPERATOR, group)

    named = {"MEETING": meeting} if meeting is not None else {"--group": group or ""}
    balance = open_store_and_run(settings, work, explain=explainer(named))
    if json_output:
        print_json(balance_document(balance))
    elif isinstance(balance, MeetingBalance):
        _print_meeting(balance)
    else:
        _print_group(balance)


def register(app: typer.Typer) -> None:
    """Add ``paths``, ``strength``, ``nudges``, ``retention`` and ``balance`` to the command
    line."""
    app.command("paths", epilog=EXIT_CODES_HELP)(paths_command)
    app.command("strength", epilog=EXIT_CODES_HELP)(strength_command)
    app.command("nudges", epilog=EXIT_CODES_HELP)(nudges_command)
    app.command("retention", epilog=EXIT_CODES_HELP)(retention_command)
    app.command("balance", epilog=EXIT_CODES_HELP)(balance_command)
