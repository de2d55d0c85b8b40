"""Who is asking: the authenticated person and their roles, as use cases see them."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Role", "Viewer"]


class Role(enum.StrEnum):
    """What a viewer may do beyond their own data; see :mod:`graph.usecases.policy`."""

    MEMBER = "member"
    LEADER = "leader"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Viewer:
    """An authenticated caller: a person id (``None`` for a service) and roles.

    ``subject`` names the credential for rate limits and audit (a token's subject or an API
    key's name); it is never a secret.
    """

    person_id: str | None
    roles: frozenset[Role]
    subject: str

    @property
    def is_admin(self) -> bool:
        """Whether this viewer may do everything."""
        return Role.ADMIN in self.roles

    @classmethod
    def admin(cls, subject: str = "admin") -> Viewer:
        """A viewer who may do everything (e.g. ``serve --no-auth``, or the CLI)."""
        return cls(person_id=None, roles=frozenset({Role.ADMIN}), subject=subject)
