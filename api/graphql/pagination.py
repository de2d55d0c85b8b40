"""Relay connections: pages of a list with opaque cursors, from the store or from memory."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import strawberry
from strawberry.dataloader import DataLoader

from graph.domain.codec import Record, record_id
from graph.domain.errors import InvalidInput, Problem
from graph.ports import MAX_PAGE, Page

__all__ = [
    "DEFAULT_PAGE",
    "Connection",
    "Edge",
    "PageInfo",
    "check_first",
    "connection",
    "cursor_key",
    "page_of",
    "paginate",
]

T = TypeVar("T")
S = TypeVar("S")
R = TypeVar("R", bound=Record)
DEFAULT_PAGE = 20


def _cursor(key: str) -> str:
    return base64.urlsafe_b64encode(f"after:{key}".encode()).decode()


def cursor_key(cursor: str | None, *, argument: str = "after") -> str | None:
    """Return the key a cursor points after; refuse cursors this API did not give out."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("utf-8")
    except (ValueError, UnicodeError, binascii.Error):
        text = ""
    if not text.startswith("after:"):
        raise InvalidInput(
            [Problem(argument, argument, cursor, "is not a cursor this API gave out")]
        )
    return text.removeprefix("after:")


def check_first(first: int) -> int:
    """Refuse page sizes outside 0..MAX_PAGE, naming the argument."""
    if not 0 <= first <= MAX_PAGE:
        raise InvalidInput([Problem("first", "first", first, f"must be 0-{MAX_PAGE}")])
    return first


@strawberry.type(description="Where a page of a connection stands.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="One item of a connection and the cursor to page after it.")
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of a list, Relay style.")
class Connection(Generic[T]):
    total_count: int
    page_info: PageInfo
    edges: list[Edge[T]]

    @strawberry.field(description="The items of this page, without their cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def connection(
    page: Page[S], *, key: Callable[[S], str], show: Callable[[S], T], after: bool
) -> Connection[T]:
    """Turn a store page into a connection."""
    edges = [Edge(cursor=_cursor(key(item)), node=show(item)) for item in page.items]
    return Connection(
        total_count=page.total,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=after,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        edges=edges,
    )


def paginate(
    items: Sequence[S],
    *,
    key: Callable[[S], str],
    show: Callable[[S], T],
    first: int,
    after: str | None,
    strict: bool = False,
) -> Connection[T]:
    """Page an in-memory list (already in its order) after the cursor ``after``.

    A cursor for an item the list does not hold gives an empty last page; with ``strict`` (for
    ranked lists, where no key order says where such an item would have been) it is refused.
    """
    check_first(first)
    start = 0
    after_key = cursor_key(after)
    if after_key is not None:
        keys = [key(item) for item in items]
        if after_key in keys:
            start = keys.index(after_key) + 1
        elif strict:
            raise InvalidInput(
                [Problem("after", "after", after, "is not a cursor of this list: page it again")]
            )
        else:
            start = len(items)
    chosen = list(items[start : start + first])
    page = Page(items=chosen, total=len(items), has_next=start + first < len(items))
    return connection(page, key=key, show=show, after=after_key is not None)


async def page_of(
    loader: DataLoader[str, list[R] | None],
    key: str,
    *,
    show: Callable[[R], T],
    first: int,
    after: str | None,
) -> Connection[T] | None:
    """Load one parent's records through ``loader`` and page them by record id.

    Returns ``None`` where the viewer may not see the list (the loader said so).
    """
    found = await loader.load(key)
    if found is None:
        return None
    return paginate(
        found,
        key=record_id,
        show=show,
        first=first,
        after=after,
    )
