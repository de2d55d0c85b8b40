"""The HTTP/1.1 protocol ``tiegraph serve`` runs: uvicorn's httptools parser, with a bound on
the request head.

httptools (llhttp, in C) parses a request in a fraction of h11's time, but buffers a header of
any size until it is whole, so a client could make the server hold a 100 MB header. h11 has a
limit for that (``h11_max_incomplete_event_size``); this protocol keeps the same limit over
httptools: it counts the bytes received while a request's line and headers are incomplete,
and past the limit answers 431 and closes the connection. A head larger than the limit that
arrives whole in one read is refused by :class:`api.http.middleware.HeaderLimitMiddleware`.
"""

from __future__ import annotations

from typing import Any, Final

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["BoundedHttpToolsProtocol"]

DEFAULT_HEAD_LIMIT: Final = 16_384
"""Used when uvicorn's config names no limit (it always does under ``tiegraph serve``)."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a request head over the configured limit.

    The limit is uvicorn's ``h11_max_incomplete_event_size``, which ``tiegraph serve`` sets to
    ``TIEGRAPH_MAX_HEADER_BYTES``: the same setting bounds the head whichever parser runs.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = self.config.h11_max_incomplete_event_size
        self._head_limit = int(limit) if limit else DEFAULT_HEAD_LIMIT
        self._in_head = True
        self._head_bytes = 0

    def data_received(self, data: bytes) -> None:
        reading_head = self._in_head
        super().data_received(data)
        if not (reading_head and self._in_head) or self.transport.is_closing():
            return
        # The head is still incomplete after this read: what httptools holds grows by it.
        self._head_bytes += len(data)
        if self._head_bytes > self._head_limit:
            self._refuse_head()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def _refuse_head(self) -> None:
        message = f"request line and headers are larger than {self._head_limit} bytes".encode()
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: text/plain; charset=utf-8\r\n"
            b"connection: close\r\n"
            b"content-length: " + str(len(message)).encode() + b"\r\n\r\n" + message
        )
        self.transport.close()
