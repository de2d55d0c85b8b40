"""The application service: every read and write a viewer can ask for, authorized and private.

Delivery layers (GraphQL, CLI) call this and nothing below it. Each method takes the
:class:`~graph.usecases.viewer.Viewer` first, checks :mod:`graph.usecases.policy`, applies the
people's consent flags, and only then touches the store.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from graph.domain.batch import WriteBatch, WriteSummary, check_instant, validate_batch
from graph.domain.codec import R, Record
from graph.domain.erasure import ERASED_BY_THEMSELVES, ErasureReceipt
from graph.domain.model import (
    Attendance,
    Breakout,
    Group,
    Interaction,
    Interest,
    Introduction,
    Meeting,
    Membership,
    MembershipStatus,
    Organization,
    Person,
    SideConversation,
    Tie,
)
from graph.ports import GraphStore, Page, PeopleQuery, check_page_size
from graph.usecases.budget import DEFAULT_BUDGETS, Budgets
from graph.usecases.discovery import Discovery
from graph.usecases.enrolment import Enrolment
from graph.usecases.facts import group_facts
from graph.usecases.insights import Insights, utc_now
from graph.usecases.introductions import Introductions
from graph.usecases.meetings import Meetings
from graph.usecases.nudges import KeepInTouch
from graph.usecases.policy import Action, Facts, authorize, may
from graph.usecases.viewer import Viewer
from graph.usecases.writes import authorize_batch, settle_enrolments

__all__ = ["Service", "redact"]


def redact(person: Person) -> Person:
    """Return ``person`` with only the public profile fields."""
    return replace(
        person,
        email=None,
        profile_url=None,
        offers=(),
        seeks=(),
        blocked_ids=(),
    )


PUBLIC_KINDS: frozenset[type[Record]] = frozenset({Organization, Interest, Group, Meeting})
"""Kinds anyone signed in may read whole; the others carry people's data and are filtered."""


def _check_public(kind: type[object]) -> None:
    if kind not in PUBLIC_KINDS:
        raise TypeError(f"{kind.__name__} is not public: read it through its own use case")


@dataclass(frozen=True, slots=True)
class Service:
    """tiegraph's use cases over one store."""

    store: GraphStore
    clock: Callable[[], datetime] = utc_now
    """What "now" is for insights (strength decays with time)."""
    privacy_min_group: int = 5
    """Groups smaller than this are shown to anyone but their leader only in aggregate."""
    max_recorded_participants: int = 20
    """The most people one contact recorded by a member (not an admin) may name."""
    budgets: Budgets = DEFAULT_BUDGETS
    """How long one request's computation may take."""

    @property
    def meetings(self) -> Meetings:
        """Speaking balance and breakout suggestions."""
        return Meetings(self.store, self.clock, budgets=self.budgets)

    @property
    def discovery(self) -> Discovery:
        """Shared interests, recommended people and a group's interest overlap."""
        return Discovery(self.store, budgets=self.budgets)

    @property
    def introductions(self) -> Introductions:
        """Introduction paths, connection degrees and mutual connections."""
        return Introductions(self.store, self.clock, budgets=self.budgets)

    @property
    def enrolment(self) -> Enrolment:
        """Answering invitations to groups."""
        return Enrolment(self.store, self.clock)

    @property
    def insights(self) -> Insights:
        """The relationship-strength and keep-in-touch use cases over the same store."""
        return Insights(
            self.store,
            self.clock,
            privacy_min_group=self.privacy_min_group,
            budgets=self.budgets,
        )

    @property
    def nudges(self) -> KeepInTouch:
        """Keep-in-touch nudges: a person's own fading ties worth renewing."""
        return KeepInTouch(self.store, self.clock, budgets=self.budgets)

    # -- facts ----------------------------------------------------------------------------------

    async def facts(
        self, viewer: Viewer, *, people: Collection[str] = (), groups: Collection[str] = ()
    ) -> Facts:
        """Gather what the policy needs: which of ``groups`` the viewer leads or belongs to."""
        return await group_facts(self.store, viewer, groups, people=people)

    async def people(self, viewer: Viewer, keys: Sequence[str]) -> list[Person | None]:
        """Return each person by key (``None`` if unknown), private fields only where allowed.

        Costs a fixed number of store calls however many keys are asked for.
        """
        shown = await self.shown(viewer, await self.store.get(Person, list(keys)))
        return [shown.get(key) for key in keys]

    async def shown(self, viewer: Viewer, found: Mapping[str, Person]) -> dict[str, Person]:
        """Shape people already read for ``viewer``: private fields only where allowed, the
        rest redacted (what :meth:`people` answers, without reading them again)."""
        private = await self._sees_private(viewer, list(found))
        return {k: p if k in private else redact(p) for k, p in found.items()}

    async def _sees_private(self, viewer: Viewer, person_ids: list[str]) -> set[str]:
        """Return which of ``person_ids`` the viewer may see the private fields of."""
        if viewer.is_admin:
            return set(person_ids)
        allowed = {pid for pid in person_ids if pid == viewer.person_id}
        # The viewer's own memberships could only allow the viewer again: not read.
        others = [pid for pid in person_ids if pid not in allowed]
        if viewer.person_id is None or not others:
            return allowed
        memberships = await self.store.memberships(person_ids=others)
        led = await self._led_groups(viewer, {m.group_id for m in memberships})
        allowed |= {m.person_id for m in memberships if m.group_id in led}
        return allowed

    async def _led_groups(self, viewer: Viewer, group_ids: Collection[str]) -> set[str]:
        """Return which of ``group_ids`` the viewer leads (as leader role and group leader)."""
        facts = await self.facts(viewer, groups=sorted(group_ids))
        return {
            gid
            for gid in facts.led_by_viewer
            if may(viewer, Action.READ_PRIVATE_PROFILE, replace(facts, groups=(gid,), people=()))
        }

    async def search_people(
        self, viewer: Viewer, query: PeopleQuery, *, first: int, after: str | None = None
    ) -> Page[Person]:
        """Search people who agreed to be discoverable (admins see everyone)."""
        authorize(viewer, Action.READ_PUBLIC_PROFILE)
        check_page_size(first)
        visible = replace(query, discoverable_only=not viewer.is_admin)
        page = await self.store.search_people(visible, first=first, after=after)
        items = [
            p if viewer.is_admin or p.id == viewer.person_id else redact(p) for p in page.items
        ]
        return Page(items=items, total=page.total, has_next=page.has_next)

    async def ties(self, viewer: Viewer, person_ids: Sequence[str]) -> list[list[Tie] | None]:
        """Return each person's ties where the viewer may see them (``None`` where not)."""
        allowed = [pid for pid in person_ids if may(viewer, Action.READ_TIES, Facts(people=[pid]))]
        found = await self.store.ties_of(allowed) if allowed else {}
        return [found.get(pid, []) if pid in found else None for pid in person_ids]

    async def records(
        self, viewer: Viewer, kind: type[Record], keys: Sequence[str]
    ) -> list[Record | None]:
        """Return any kind of record by key, ``None`` where unknown or not the viewer's to see.

        Used to resolve global ids: a record the viewer may not read looks like a missing one,
        so ids do not reveal what exists.
        """
        if kind is Person:
            return list(await self.people(viewer, keys))
        found = await self.store.get(kind, list(keys))
        visible: dict[str, Record] = {}
        for key, record in found.items():
            if await self._may_read(viewer, record):
                visible[key] = record
        return [visible.get(key) for key in keys]

    async def _may_read(self, viewer: Viewer, record: Record) -> bool:
        match record:
            case Organization() | Interest() | Group() | Meeting():
                return may(viewer, Action.READ_GROUP)
            case Membership():
                if record.person_id == viewer.person_id:
                    return True
                if record.status is not MembershipStatus.ACTIVE:
                    return bool(await self._led_by(viewer, [record.group_id]))
                return bool(await self._group_details(viewer, [record.group_id]))
            case Attendance() | Breakout():
                meeting = (await self.store.get(Meeting, [record.meeting_id])).get(
                    record.meeting_id
                )
                return meeting is not None and bool(
                    await self._group_details(viewer, [meeting.group_id])
                )
            case SideConversation():
                groups = [record.group_id] if record.group_id else []
                facts = await self.facts(viewer, people=record.participant_ids, groups=groups)
                return may(viewer, Action.READ_CONTACTS, facts)
            case Interaction():
                return may(viewer, Action.READ_CONTACTS, Facts(people=record.participant_ids))
            case Introduction():
                people = (record.requester_id, record.introducer_id, record.target_id)
                return may(viewer, Action.READ_INTRODUCTION, Facts(people=people))
        return viewer.is_admin  # pragma: no cover - every kind is matched above

    # -- groups and meetings --------------------------------------------------------------------

    async def get(self, viewer: Viewer, kind: type[R], keys: Sequence[str]) -> list[R | None]:
        """Return records of a public kind (groups, organizations, interests, meetings) by key."""
        _check_public(kind)
        authorize(viewer, Action.READ_GROUP)
        found = await self.store.get(kind, list(keys))
        return [found.get(key) for key in keys]

    async def list_records(
        self, viewer: Viewer, kind: type[R], *, first: int, after: str | None = None
    ) -> Page[R]:
        """List records of a public kind (groups, organizations) in key order."""
        _check_public(kind)
        authorize(viewer, Action.READ_GROUP)
        return await self.store.list_records(kind, first=first, after=after)

    async def _group_details(self, viewer: Viewer, group_ids: Sequence[str]) -> set[str]:
        """Return which of ``group_ids`` the viewer may see the members and meetings of.

        Two store calls at most, however many groups are asked about.
        """
        wanted = sorted(set(group_ids))
        if viewer.is_admin:
            return set(wanted)
        facts = await self.facts(viewer, groups=wanted)
        return {
            gid
            for gid in wanted
            if may(viewer, Action.READ_GROUP_DETAILS, replace(facts, groups=(gid,)))
        }

    async def _led_by(self, viewer: Viewer, group_ids: Collection[str]) -> set[str]:
        """Return which of ``group_ids`` the viewer may record events for (leads)."""
        wanted = sorted(set(group_ids))
        if viewer.is_admin:
            return set(wanted)
        facts = await self.facts(viewer, groups=wanted)
        return {
            gid
            for gid in wanted
            if may(viewer, Action.RECORD_GROUP_EVENT, replace(facts, groups=(gid,)))
        }

    async def memberships_of_groups(
        self, viewer: Viewer, group_ids: Sequence[str]
    ) -> list[list[Membership] | None]:
        """Return each group's memberships (``None`` where the viewer may not see them);
        invitations not yet accepted only to those who lead the group."""
        allowed = await self._group_details(viewer, group_ids)
        found = (
            await self.store.memberships(group_ids=sorted(allowed), accepted_only=False)
            if allowed
            else []
        )
        led = await self._led_by(viewer, allowed) if allowed else set()
        by_group: dict[str, list[Membership]] = {gid: [] for gid in allowed}
        for m in found:
            if m.status is MembershipStatus.ACTIVE or m.group_id in led:
                by_group[m.group_id].append(m)
        return [by_group.get(gid) for gid in group_ids]

    async def memberships_of_people(
        self, viewer: Viewer, person_ids: Sequence[str]
    ) -> list[list[Membership]]:
        """Return each person's memberships that the viewer may see (a person sees their own
        invitations; a leader, those to the groups they lead)."""
        found = await self.store.memberships(person_ids=list(person_ids), accepted_only=False)
        group_ids = [m.group_id for m in found]
        allowed = await self._group_details(viewer, group_ids)
        pending = [m.group_id for m in found if m.status is not MembershipStatus.ACTIVE]
        led = await self._led_by(viewer, pending) if pending else set()
        out: dict[str, list[Membership]] = {pid: [] for pid in person_ids}
        for m in found:
            visible = (
                m.group_id in allowed
                if m.status is MembershipStatus.ACTIVE
                else (m.group_id in led)
            )
            if visible or m.person_id == viewer.person_id:
                out[m.person_id].append(m)
        return [out[pid] for pid in person_ids]

    async def meetings_of_groups(
        self, viewer: Viewer, group_ids: Sequence[str]
    ) -> list[list[Meeting] | None]:
        """Return each group's meetings in time order (``None`` where not allowed)."""
        allowed = await self._group_details(viewer, group_ids)
        found = await self.store.meetings_of(sorted(allowed)) if allowed else []
        by_group: dict[str, list[Meeting]] = {gid: [] for gid in allowed}
        for m in found:
            by_group[m.group_id].append(m)
        return [by_group.get(gid) for gid in group_ids]

    async def meeting_details(
        self, viewer: Viewer, meeting_ids: Sequence[str]
    ) -> tuple[list[list[Attendance] | None], list[list[Breakout] | None]]:
        """Return each meeting's attendance and breakouts (``None`` where not allowed)."""
        meetings = await self.store.get(Meeting, list(meeting_ids))
        allowed_groups = await self._group_details(viewer, [m.group_id for m in meetings.values()])
        allowed = [mid for mid, m in meetings.items() if m.group_id in allowed_groups]
        attendance = await self.store.attendance(meeting_ids=allowed) if allowed else []
        breakouts = await self.store.breakouts_of(allowed) if allowed else []
        by_meeting_a: dict[str, list[Attendance]] = {mid: [] for mid in allowed}
        by_meeting_b: dict[str, list[Breakout]] = {mid: [] for mid in allowed}
        for a in attendance:
            by_meeting_a[a.meeting_id].append(a)
        for b in breakouts:
            by_meeting_b[b.meeting_id].append(b)
        return (
            [by_meeting_a.get(mid) for mid in meeting_ids],
            [by_meeting_b.get(mid) for mid in meeting_ids],
        )

    # -- contacts -------------------------------------------------------------------------------

    async def interactions_of(
        self,
        viewer: Viewer,
        person_id: str,
        *,
        other_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Interaction]:
        """Return a person's interactions; only the person themselves (or an admin) may."""
        authorize(viewer, Action.READ_CONTACTS, Facts(people=[person_id]))
        return await self.store.interactions_of(
            person_id,
            other_id=other_id,
            since=None if since is None else check_instant("since", since),
            until=None if until is None else check_instant("until", until),
        )

    async def side_conversations_of(self, viewer: Viewer, person_id: str) -> list[SideConversation]:
        """Return a person's side conversations; only the person themselves (or an admin) may."""
        authorize(viewer, Action.READ_CONTACTS, Facts(people=[person_id]))
        return await self.store.side_conversations_of(person_id)

    async def introductions_of(self, viewer: Viewer, person_id: str) -> list[Introduction]:
        """Return the introductions a person is part of; only they (or an admin) may."""
        authorize(viewer, Action.READ_INTRODUCTION, Facts(people=[person_id]))
        return await self.store.introductions_of(person_id)

    async def counts(self, viewer: Viewer) -> dict[str, int]:
        """Return how many records of each kind are stored (admins only)."""
        authorize(viewer, Action.READ_STATISTICS)
        return await self.store.counts()

    async def erase_person(self, viewer: Viewer, person_id: str, *, at: datetime) -> ErasureReceipt:
        """Erase a person (GDPR): themselves or an admin may; erasing twice changes nothing."""
        authorize(viewer, Action.ERASE_PERSON, Facts(people=[person_id]))
        # The audit record never names the erased person, even as the one who asked.
        by = ERASED_BY_THEMSELVES if viewer.person_id == person_id else viewer.subject
        return await self.store.erase_person(person_id, by=by, at=at)

    # -- writes ---------------------------------------------------------------------------------

    async def settle_enrolments(self, viewer: Viewer, batch: WriteBatch) -> WriteBatch:
        """Return ``batch`` with a leader's enrolments of others turned into invitations (see
        :func:`graph.usecases.writes.settle_enrolments`); :meth:`write` refuses them otherwise."""
        return await settle_enrolments(self.store, viewer, batch)

    async def write(self, viewer: Viewer, batch: WriteBatch) -> WriteSummary:
        """Authorize every record of ``batch`` for ``viewer`` (as stored and as written, see
        :mod:`graph.usecases.writes`), then apply it all or nothing."""
        validate_batch(batch)
        await authorize_batch(
            self.store, viewer, batch, max_recorded_participants=self.max_recorded_participants
        )
        return await self.store.apply(batch)
