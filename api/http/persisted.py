"""Automatic persisted queries, the convention Apollo's clients (and others) follow.

A client sends ``extensions.persistedQuery = {"version": 1, "sha256Hash": <hex>}`` without the
query. If the server knows the hash it runs the query it stands for; if not, it answers the
error ``PersistedQueryNotFound`` (code ``PERSISTED_QUERY_NOT_FOUND``) and the client sends the
hash again with the query, which the server checks against the hash and keeps. Requests get
smaller, and a GET with only the hash can be cached by a CDN.

The server keeps the ``size`` most recently used queries, so a client cannot fill its memory;
a forgotten query costs the client one round trip more. Queries are kept per credential: were
they shared, anyone could send the hash of a query with its values written in (``person(id:
"klara")``) and learn from the answer whether somebody else had asked it.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any, Final

from cross_web import HTTPException
from graphql import GraphQLError

__all__ = [
    "NOT_FOUND",
    "NOT_FOUND_CODE",
    "QUERIES_KEPT",
    "PersistedQueries",
    "PersistedQueryNotFound",
]

NOT_FOUND: Final = "PersistedQueryNotFound"
NOT_FOUND_CODE: Final = "PERSISTED_QUERY_NOT_FOUND"
QUERIES_KEPT: Final = 1024
"""Distinct persisted queries kept; the least recently used is forgotten first."""


class PersistedQueryNotFound(GraphQLError):
    """The hash is not one this server knows: send it again with the query."""

    def __init__(self) -> None:
        super().__init__(NOT_FOUND, extensions={"code": NOT_FOUND_CODE})


class PersistedQueries:
    """The queries known by their owner and SHA-256, least recently used forgotten first."""

    def __init__(self, size: int = QUERIES_KEPT) -> None:
        self.size = size
        self._queries: OrderedDict[tuple[str, str], str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._queries)

    def resolve(
        self, query: str | None, extensions: dict[str, Any] | None, *, owner: str
    ) -> str | None:
        """Return the query to run for a request's ``query`` and ``extensions``, sent by
        ``owner`` (the credential's subject; a hash is known only to whoever sent its query).

        Without ``persistedQuery`` the query is returned as it is. Raises
        :class:`PersistedQueryNotFound` for an unknown hash without a query, and
        :class:`~cross_web.HTTPException` 400 for a malformed one or a query whose hash is
        not the one given.
        """
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            return query
        if not isinstance(persisted, dict):
            raise HTTPException(400, "extensions.persistedQuery must be an object")
        if persisted.get("version") != 1:
            raise HTTPException(400, "Unsupported persisted query version (only 1 is)")
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or len(digest) != 64:
            raise HTTPException(400, "extensions.persistedQuery.sha256Hash must be 64 hex digits")
        key = (owner, digest.lower())
        if query is None:
            known = self._queries.get(key)
            if known is None:
                raise PersistedQueryNotFound
            self._queries.move_to_end(key)
            return known
        if hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest() != key[1]:
            raise HTTPException(400, "provided sha does not match query")
        self._queries[key] = query
        self._queries.move_to_end(key)
        if len(self._queries) > self.size:
            self._queries.popitem(last=False)
        return query
