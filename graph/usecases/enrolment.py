"""Joining a group by consent: a leader invites, the person accepts or declines.

A leader's enrolment of someone else is stored as an ``invited`` membership
(:func:`graph.usecases.writes.settle_enrolments`); stores answer ``memberships()`` with active
ones only, so until the person accepts here, the leader role grants nothing about them — not
their private fields, not any figure derived from the group's members.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from graph.domain.errors import Conflict, InvalidInput, NotFound, Problem
from graph.domain.model import Membership, MembershipStatus
from graph.ports import GraphStore, batch_of
from graph.usecases.policy import Action, Facts, authorize_or_hide
from graph.usecases.viewer import Viewer

__all__ = ["Enrolment"]


@dataclass(frozen=True, slots=True)
class Enrolment:
    """Answering invitations to groups, over one store."""

    store: GraphStore
    clock: Callable[[], datetime]

    async def answer_invitation(
        self, viewer: Viewer, group_id: str, *, accept: bool, person_id: str | None = None
    ) -> Membership:
        """The invited person (``person_id``, default the viewer; an admin may answer for
        anyone) accepts or declines; answering again the same way changes nothing.

        An invitation the viewer may not answer is answered as an unknown one (``NotFound``).
        Accepting sets the day joined when none was given.
        """
        person = person_id or viewer.person_id
        if person is None:
            raise InvalidInput(
                [Problem("input", "person", None, "give who answers, or sign in as a person")]
            )
        key = f"{group_id}|{person}"
        found = (await self.store.get(Membership, [key])).get(key)
        if found is None:
            raise NotFound("invitation", group_id)
        authorize_or_hide(
            viewer,
            Action.ANSWER_INVITATION,
            Facts(people=[person]),
            entity="invitation",
            key=group_id,
        )
        wanted = MembershipStatus.ACTIVE if accept else MembershipStatus.DECLINED
        if found.status is wanted:
            return found
        if found.status is not MembershipStatus.INVITED:
            raise Conflict(
                [
                    Problem(
                        "input",
                        "accept",
                        accept,
                        f"the membership is {found.status.value}; it was answered already",
                    )
                ]
            )
        joined = found.joined_on
        if accept and joined is None:
            joined = self.clock().date()
        answered = replace(found, status=wanted, joined_on=joined)
        await self.store.apply(batch_of([answered]))
        return answered
