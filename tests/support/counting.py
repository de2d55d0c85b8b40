"""A store that counts the calls made to it, delegating everything to a real store."""

from __future__ import annotations

from collections import Counter
from typing import Any

from graph.ports import GraphStore


class CountingStore:
    """Wraps a real store; ``calls`` counts each read and write method by name.

    Not a mock: every call reaches the wrapped store and returns its answer.
    """

    def __init__(self, inner: GraphStore) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()
        self.backend = inner.backend

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if name in {"open", "close", "ping"} or not callable(attribute):
            return attribute

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return await attribute(*args, **kwargs)

        return counted
