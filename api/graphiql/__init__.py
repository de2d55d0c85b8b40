"""GraphiQL, served from this process: its page at ``/graphql`` and its assets beside it.

Strawberry's own GraphiQL page loads React and GraphiQL from a CDN, so without internet it stays
blank. This one loads only files vendored under ``static/vendor/`` with their licences
(``vendor.sh`` refreshes them from npm at pinned versions) and allows nothing else: its
Content-Security-Policy names no other origin and no inline script. Like the dashboard, the
page and its assets hold no data and are served without authentication; the queries GraphiQL
sends carry the headers the user sets in it. See docs/api.md.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

__all__ = [
    "SECURITY_HEADERS",
    "STATIC_DIR",
    "mount_graphiql_assets",
    "render_page",
    "serves_no_data",
]

ASSETS_PATH = "/graphiql/static"
STATIC_DIR = Path(__file__).parent / "static"
PAGE = Path(__file__).parent / "index.html"

_AUTH_MARKER = "{{auth}}"
SECURITY_HEADERS = {
    # Only our own files; fonts and icons that GraphiQL's stylesheet embeds as data: URLs.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
        " font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none';"
        " frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def serves_no_data(path: str) -> bool:
    """Whether ``path`` is one of the GraphiQL page's assets (open to anyone).

    >>> serves_no_data("/graphiql/static/graphiql.js"), serves_no_data("/graphiql/static")
    (True, False)
    >>> serves_no_data("/graphql"), serves_no_data("/graphiql/statics/x.js")
    (False, False)
    """
    return path.startswith(ASSETS_PATH + "/")


def render_page(*, auth_required: bool) -> bytes:
    """Return the page, telling it whether the server asks for a token."""
    html = PAGE.read_text(encoding="utf-8")
    return html.replace(_AUTH_MARKER, "required" if auth_required else "off").encode()


def mount_graphiql_assets(app: FastAPI) -> None:
    """Serve the page's scripts, styles and vendored libraries under ``/graphiql/static``."""
    app.mount(ASSETS_PATH, StaticFiles(directory=STATIC_DIR), name="graphiql-static")
