"""Who may read and write what: tiegraph's authorization policy, in one place.

The rules, in words:

- Nobody unauthenticated gets anything but health checks (enforced by the service).
- Anyone authenticated reads public profile fields (name, title, profession, organization,
  industry, location, interests) of people who are discoverable, and of anyone by key.
- A person reads and writes their own data (private fields: e-mail, profile URL, offers,
  seeks, consent flags), requests introductions for themselves and answers those they are
  asked to make.
- A person records only contacts (interactions, side conversations) they took part in, as
  themselves: the initiator is the viewer or nobody; tagging a group needs belonging to it or
  leading it; a member-recorded contact names at most a configured number of people
  (``max_recorded_participants``, default 20) and is not of a kind that meetings, breakouts or
  introductions leave behind (those are how groups and introductions are recorded).
- A leader (role ``leader``) reads everything about the groups they lead — members, meetings,
  attendance, breakouts, and the private profile fields of the members who accepted — and
  records groups, memberships, meetings, attendance and breakouts for them. Members read
  their own groups.
- **Ownership on every write.** A write by key is checked against the stored record as well as
  the new one: a meeting, membership, breakout, attendance or group belongs to the leader of
  the *stored* group, and a write may not move a record to another group, or change its
  people, unless the viewer may do both. Attendance and breakouts name only the group's
  members (or its leader). A group's leader changes only by an admin. Organizations and
  interests are created by leaders; changing a stored one is for admins.
- **Enrolment by consent.** A leader's enrolment of someone else is an invitation: the
  membership is ``invited`` until the person accepts it (``active``) or declines it. Only
  active memberships count, for everything the leader role grants about members. Nobody but
  the person (or an admin) changes a membership's state; admins and imports enrol directly.
- Introductions change only through the workflow (request, answer, outcome); writing them
  directly (``upsertIntroduction``) is for admins and imports.
- How strong a tie is (its strength, history and evidence) is for the two people in it and
  for the leader of a group both belong to. A person's ranked or drifting ties are their own.
- A group's keep-in-touch figures are for its leader and its members (members of a group
  smaller than the configured minimum see them only in aggregate); per-pair drift within a
  group is for its leader.
- Speaking balance and breakout planning are for a group's leader (any leader may plan an
  ad-hoc session). Following a group's activity live (attendance, breakouts, side
  conversations as they are recorded) is for its leader.
- A person looks for introduction paths from themselves; how far apart two people are and
  whom they both know is for either of them.
- An admin reads and writes everything.
- **Uniform refusals.** A record named by id that the viewer may not see or touch is answered
  exactly as an unknown one (:func:`authorize_or_hide`), so ids do not tell what exists.

Derived answers follow the same rules as direct reads (the same :class:`Action` decides both):

- A ranking, score, reason or link that is computed from someone else's data uses only the
  data the viewer may read directly. Retention pairs are the viewer's own pairs, or pairs
  whose strength the viewer may read (:data:`Action.READ_RELATIONSHIP`); a recommendation or a
  cohort is scored and explained from public interests, the viewer's own offers and seeks, and
  another person's offers, seeks and pre-interview answers only where the viewer may read that
  person's private profile (:data:`Action.READ_PRIVATE_PROFILE`) — so neither the reasons nor
  the order reveal what the viewer may not read; breakout suggestions weigh only the ties whose
  strength the leader may read; a path link names only groups whose members the viewer may see
  (:data:`Action.READ_GROUP_DETAILS`); a group's ties and drift, and a pair's tie read by
  their leader, show contact after the group's end only for pairs who both share post-group
  contact.
- Consent flags (discoverable, intermediary, share post-group contact) and block lists are the
  person's own (:data:`Action.READ_CONSENT`).
- A block between two people holds everywhere: someone blocked, or who blocked the asker, is
  answered for as if unknown (shared interests), never recommended, never put in one breakout
  group with them, and cannot be asked for or through in an introduction (refused with the
  same answer as someone who does not make introductions, so the refusal does not say who
  blocked whom).
- **Small groups cannot be differenced.** For a group with fewer members than the configured
  minimum (``TIEGRAPH_PRIVACY_MIN_GROUP``), a viewer who is not its leader (nor an admin) gets
  aggregates only, and only those that one pair's contact cannot change: every figure that
  counts pairs (shares during and after, the survival curve's shares) changes when a single
  pair's contact does, so comparing two answers (two instants, two ``after`` moments, two
  horizons) would pin that pair's contact; those figures are withheld (``None``). What remains
  (how many members and pairs, the horizons) does not depend on anyone's contact. Every time in
  such an answer is a whole UTC day (``at`` and ``after`` are floored to midnight), so not even
  the moment asked about can be narrowed below a day. Withholding depends on the group's size
  only, never on the data, so that a withheld figure tells nothing either.

Use cases call :func:`authorize` (or :func:`may`) with an :class:`Action` and the facts that
matter (whose data, which group), so every feature inherits the same rules.
:data:`OPERATION_ACTIONS` names the action each API operation needs; a test fails when an
operation has none.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass, field

from graph.domain.errors import Forbidden, NotFound
from graph.usecases.viewer import Role, Viewer

__all__ = ["Action", "Facts", "authorize", "authorize_or_hide", "may"]


class Action(enum.StrEnum):
    """Something a viewer may try to do."""

    READ_PUBLIC_PROFILE = "read a public profile"
    READ_PRIVATE_PROFILE = "read a private profile"
    WRITE_PERSON = "write a person"
    ERASE_PERSON = "erase a person"
    WRITE_DIRECTORY = "write organizations and interests"
    AMEND_DIRECTORY = "change stored organizations and interests"
    READ_GROUP = "read a group"
    READ_GROUP_DETAILS = "read a group's members and meetings"
    WRITE_GROUP = "write a group"
    RECORD_GROUP_EVENT = "record memberships, meetings, attendance and breakouts"
    ENROL_DIRECTLY = "enrol someone in a group without their consent"
    ANSWER_INVITATION = "accept or decline an invitation to a group"
    READ_CONTACTS = "read interactions and side conversations"
    RECORD_CONTACT = "record interactions and side conversations"
    READ_INTRODUCTION = "read an introduction"
    WRITE_INTRODUCTION = "request or answer an introduction"
    IMPORT_INTRODUCTION = "write introductions directly"
    READ_TIES = "read a person's ties"
    READ_RELATIONSHIP = "read how strong a tie is"
    READ_GROUP_RETENTION = "read who kept in touch after a group"
    READ_GROUP_TIES = "read the ties among a group's members"
    FIND_INTRODUCTIONS = "find introduction paths from a person"
    RUN_MEETINGS = "see speaking balance and plan breakouts"
    READ_CONNECTION_DEGREE = "read how far apart two people are"
    READ_STATISTICS = "read store statistics"
    READ_CONSENT = "read a person's consent flags and blocks"
    FOLLOW_GROUP = "follow what is recorded for a group as it happens"


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    """What the decision depends on: whose data it is and which groups it belongs to.

    ``people`` are the people the data is about (all must be the viewer for "own data" rules
    that need it; one suffices for "takes part" rules); ``groups`` the groups it belongs to;
    ``led_by_viewer`` the groups among them the viewer leads; ``member_of`` those the viewer
    belongs to (actively). For group events, ``members`` are the people among ``people`` who
    actively belong to (or lead) every one of ``groups``; for contacts, ``initiator`` is who the
    record says started it.
    """

    people: Collection[str] = ()
    groups: Collection[str] = ()
    led_by_viewer: Collection[str] = field(default_factory=frozenset)
    member_of: Collection[str] = field(default_factory=frozenset)
    members: Collection[str] = field(default_factory=frozenset)
    initiator: str | None = None


def _is_self(viewer: Viewer, facts: Facts) -> bool:
    return viewer.person_id is not None and set(facts.people) == {viewer.person_id}


def _takes_part(viewer: Viewer, facts: Facts) -> bool:
    return viewer.person_id is not None and viewer.person_id in facts.people


def _leads_all(viewer: Viewer, facts: Facts) -> bool:
    return (
        Role.LEADER in viewer.roles
        and bool(facts.groups)
        and set(facts.groups) <= set(facts.led_by_viewer)
    )


def _leads_any(viewer: Viewer, facts: Facts) -> bool:
    return Role.LEADER in viewer.roles and bool(set(facts.groups) & set(facts.led_by_viewer))


def _belongs(viewer: Viewer, facts: Facts) -> bool:
    return bool(facts.groups) and set(facts.groups) <= set(facts.member_of)


def may(viewer: Viewer, action: Action, facts: Facts | None = None) -> bool:
    """Return whether ``viewer`` may do ``action`` given ``facts``.

    >>> may(Viewer(person_id="ada", roles=frozenset({Role.MEMBER}), subject="ada"),
    ...     Action.WRITE_PERSON, Facts(people=["ada"]))
    True
    >>> may(Viewer(person_id="ada", roles=frozenset({Role.MEMBER}), subject="ada"),
    ...     Action.WRITE_PERSON, Facts(people=["bo"]))
    False
    """
    if viewer.is_admin:
        return True
    if not viewer.roles:
        return False  # not signed in as anyone: nothing at all
    f = facts or Facts()
    match action:
        case Action.READ_PUBLIC_PROFILE | Action.READ_GROUP:
            return True
        case Action.READ_PRIVATE_PROFILE:
            return _is_self(viewer, f) or _leads_any(viewer, f)
        case Action.WRITE_PERSON | Action.ERASE_PERSON | Action.READ_TIES:
            return _is_self(viewer, f)
        case Action.WRITE_DIRECTORY:
            return Role.LEADER in viewer.roles
        case Action.AMEND_DIRECTORY | Action.IMPORT_INTRODUCTION:
            return False
        case Action.READ_GROUP_DETAILS:
            return _leads_all(viewer, f) or _belongs(viewer, f)
        case Action.WRITE_GROUP:
            # A leader creates groups they lead and changes the ones they already lead; the
            # people are the new leader and the stored one, so both must be the viewer.
            return (
                Role.LEADER in viewer.roles
                and _is_self(viewer, f)
                and (not f.groups or _leads_all(viewer, f))
            )
        case Action.RECORD_GROUP_EVENT:
            # People named by the event (attendees, breakout members) must belong to the group.
            return _leads_all(viewer, f) and set(f.people) <= set(f.members)
        case Action.ENROL_DIRECTLY:
            # A leader's own membership of a group they lead needs nobody else's consent.
            return _is_self(viewer, f) and _leads_all(viewer, f)
        case Action.ANSWER_INVITATION:
            return _is_self(viewer, f)
        case Action.READ_CONTACTS:
            return _takes_part(viewer, f) or _leads_all(viewer, f)
        case Action.RECORD_CONTACT:
            return (
                _takes_part(viewer, f)
                and f.initiator in (None, viewer.person_id)
                and (not f.groups or _belongs(viewer, f) or _leads_all(viewer, f))
            )
        case Action.READ_INTRODUCTION | Action.WRITE_INTRODUCTION:
            return _takes_part(viewer, f)
        case Action.READ_RELATIONSHIP:
            return _takes_part(viewer, f) or _leads_any(viewer, f)
        case Action.READ_GROUP_RETENTION:
            return _leads_all(viewer, f) or _belongs(viewer, f)
        case Action.READ_GROUP_TIES | Action.FOLLOW_GROUP:
            return _leads_all(viewer, f)
        case Action.RUN_MEETINGS:
            # A group's leader for its meetings; any leader for an ad-hoc session.
            return _leads_all(viewer, f) or (Role.LEADER in viewer.roles and not f.groups)
        case Action.FIND_INTRODUCTIONS:
            return _is_self(viewer, f)
        case Action.READ_CONNECTION_DEGREE:
            return _takes_part(viewer, f)
        case Action.READ_STATISTICS:
            return False
        case Action.READ_CONSENT:
            return _is_self(viewer, f)
    return False  # pragma: no cover - every action is matched above


def authorize(viewer: Viewer, action: Action, facts: Facts | None = None) -> None:
    """Return if ``viewer`` may do ``action``; raise :class:`Forbidden` naming it if not."""
    if not may(viewer, action, facts):
        raise Forbidden(f"not allowed to {action.value}")


def authorize_or_hide(
    viewer: Viewer, action: Action, facts: Facts | None, *, entity: str, key: str
) -> None:
    """Return if ``viewer`` may do ``action``; if not, raise the :class:`NotFound` an unknown
    ``key`` raises, so a refusal does not tell that the record exists.

    Call it right after the one store read that found the record, and raise
    ``NotFound(entity, key)`` the same way when nothing was found: both answers then cost the
    same and read the same.
    """
    if not may(viewer, action, facts):
        raise NotFound(entity, key)
