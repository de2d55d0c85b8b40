"""What every resolver gets: the viewer, the use cases, and this request's DataLoaders."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from graph.domain import model
from graph.usecases.service import Service
from graph.usecases.viewer import Viewer

__all__ = ["Context", "Info", "Loaders"]


class Loaders:
    """The DataLoaders of one request: each batches what a whole query level asks for."""

    def __init__(self, service: Service, viewer: Viewer) -> None:
        def loader(fn: Callable[[list[str]], object]) -> DataLoader[str, object]:
            return DataLoader(load_fn=fn)  # type: ignore[arg-type]

        async def get(kind: type[model.Person] | type[object], keys: list[str]) -> list[object]:
            return list(await service.get(viewer, kind, keys))  # type: ignore[arg-type]

        async def meeting_attendance(keys: list[str]) -> list[object]:
            return list((await service.meeting_details(viewer, keys))[0])

        async def meeting_breakouts(keys: list[str]) -> list[object]:
            return list((await service.meeting_details(viewer, keys))[1])

        self.person = loader(lambda keys: service.people(viewer, keys))
        self.organization = loader(lambda keys: get(model.Organization, keys))
        self.group = loader(lambda keys: get(model.Group, keys))
        self.meeting = loader(lambda keys: get(model.Meeting, keys))
        self.group_memberships = loader(lambda keys: service.memberships_of_groups(viewer, keys))
        self.person_memberships = loader(lambda keys: service.memberships_of_people(viewer, keys))
        self.group_meetings = loader(lambda keys: service.meetings_of_groups(viewer, keys))
        self.meeting_attendance = loader(meeting_attendance)
        self.meeting_breakouts = loader(meeting_breakouts)
        self.ties = loader(lambda keys: service.ties(viewer, keys))
        self.tie_strengths = loader(lambda keys: service.insights.ties_with_strength(viewer, keys))


class Context(BaseContext):
    """What every resolver gets: the viewer, the use cases and this request's DataLoaders."""

    def __init__(self, service: Service, viewer: Viewer) -> None:
        super().__init__()
        self.service = service
        self.viewer = viewer
        self.loaders = Loaders(service, viewer)


Info = strawberry.Info[Context, None]
