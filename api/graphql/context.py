"""What every resolver gets: the viewer, the use cases, and this request's DataLoaders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property
from typing import TypeVar

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from graph.domain import model
from graph.domain.relationship import Assessment
from graph.usecases.service import Service
from graph.usecases.viewer import Viewer

__all__ = ["Context", "Info", "Loaders"]

K = TypeVar("K")
V = TypeVar("V")
R = TypeVar("R", model.Organization, model.Group, model.Meeting)

MeetingDetails = tuple[list[model.Attendance] | None, list[model.Breakout] | None]
"""A meeting's attendance and breakouts (``None`` where the viewer may not see them)."""


def _loader(load: Callable[[list[K]], Awaitable[Sequence[V]]]) -> DataLoader[K, V]:
    return DataLoader(load_fn=load)


class Loaders:
    """The DataLoaders of one request: each batches what a whole query level asks for.

    Each is made the first time a resolver asks for it: a lookup that reads one person does
    not pay for the ten it does not use.
    """

    def __init__(self, service: Service, viewer: Viewer) -> None:
        self._service = service
        self._viewer = viewer

    def _public(self, kind: type[R]) -> DataLoader[str, R | None]:
        service, viewer = self._service, self._viewer

        async def load(keys: list[str]) -> list[R | None]:
            return await service.get(viewer, kind, keys)

        return _loader(load)

    @cached_property
    def person(self) -> DataLoader[str, model.Person | None]:
        service, viewer = self._service, self._viewer
        return _loader(lambda keys: service.people(viewer, keys))

    @cached_property
    def organization(self) -> DataLoader[str, model.Organization | None]:
        return self._public(model.Organization)

    @cached_property
    def group(self) -> DataLoader[str, model.Group | None]:
        return self._public(model.Group)

    @cached_property
    def meeting(self) -> DataLoader[str, model.Meeting | None]:
        return self._public(model.Meeting)

    @cached_property
    def group_memberships(self) -> DataLoader[str, list[model.Membership] | None]:
        service, viewer = self._service, self._viewer
        return _loader(lambda keys: service.memberships_of_groups(viewer, keys))

    @cached_property
    def person_memberships(self) -> DataLoader[str, list[model.Membership]]:
        service, viewer = self._service, self._viewer
        return _loader(lambda keys: service.memberships_of_people(viewer, keys))

    @cached_property
    def group_meetings(self) -> DataLoader[str, list[model.Meeting] | None]:
        service, viewer = self._service, self._viewer
        return _loader(lambda keys: service.meetings_of_groups(viewer, keys))

    @cached_property
    def meeting_details(self) -> DataLoader[str, MeetingDetails]:
        """Attendance and breakouts of each meeting, read together in one batch."""
        service, viewer = self._service, self._viewer

        async def load(keys: list[str]) -> list[MeetingDetails]:
            attendance, breakouts = await service.meeting_details(viewer, keys)
            return list(zip(attendance, breakouts, strict=True))

        return _loader(load)

    @cached_property
    def group_standing(self) -> DataLoader[str, tuple[bool, bool]]:
        """Whether the viewer leads, and belongs to, each group: for policy checks that a
        query makes once per item (every link of every path), read once for all of them."""
        service, viewer = self._service, self._viewer

        async def load(keys: list[str]) -> list[tuple[bool, bool]]:
            facts = await service.facts(viewer, groups=keys)
            return [(k in facts.led_by_viewer, k in facts.member_of) for k in keys]

        return _loader(load)

    @cached_property
    def ties(self) -> DataLoader[str, list[model.Tie] | None]:
        service, viewer = self._service, self._viewer
        return _loader(lambda keys: service.ties(viewer, keys))

    @cached_property
    def tie_strength(self) -> DataLoader[tuple[str, str], Assessment | None]:
        """Each (person, other) tie's strength now: only the ties a page shows are assessed."""
        service, viewer = self._service, self._viewer
        return _loader(lambda keys: service.insights.strengths_of_ties(viewer, keys))


class Context(BaseContext):
    """What every resolver gets: the viewer, the use cases and this request's DataLoaders."""

    def __init__(self, service: Service, viewer: Viewer) -> None:
        super().__init__()
        self.service = service
        self.viewer = viewer
        self.loaders = Loaders(service, viewer)


Info = strawberry.Info[Context, None]
