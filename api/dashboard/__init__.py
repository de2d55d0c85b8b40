"""The leader's dashboard: one page and its static assets, served beside the GraphQL API.

The page holds no data. Everything it shows it asks ``/graphql`` for, with the token the user
pastes into it (kept in the tab's ``sessionStorage``), so the page and its assets are served
without authentication, like the health checks. Its third-party libraries are vendored under
``static/vendor/`` with their licences (``vendor.sh`` refreshes them from npm); nothing is
fetched from elsewhere and nothing is built at run time. See docs/dashboard.md.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import Response
from starlette.staticfiles import StaticFiles

__all__ = ["DASHBOARD_PATH", "STATIC_DIR", "mount_dashboard", "serves_no_data"]

DASHBOARD_PATH = "/dashboard"
STATIC_DIR = Path(__file__).parent / "static"
PAGE = Path(__file__).parent / "index.html"

_AUTH_MARKER = "{{auth}}"
_CYTOSCAPE_STYLE = "'sha256-pgvDUBa4IjFA2yuSJ2cqcyxmNYJMborsd0ORcRv9vw8='"
"""The one inline style allowed: the rule Cytoscape.js adds to the page for its containers
(``.__________cytoscape_container { position: relative; }``)."""
SECURITY_HEADERS = {
    # Only our own files, and no inline script or style: what the page needs and no more.
    "Content-Security-Policy": (
        f"default-src 'none'; script-src 'self'; style-src 'self' {_CYTOSCAPE_STYLE};"
        " img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none';"
        " form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def serves_no_data(path: str) -> bool:
    """Whether ``path`` is the dashboard's page or one of its assets (open to anyone).

    >>> serves_no_data("/dashboard"), serves_no_data("/dashboard/static/js/main.js")
    (True, True)
    >>> serves_no_data("/graphql"), serves_no_data("/dashboards")
    (False, False)
    """
    return path == DASHBOARD_PATH or path.startswith(DASHBOARD_PATH + "/")


def render_page(*, auth_required: bool) -> bytes:
    """Return the page, telling it whether it must ask for a token before anything else."""
    html = PAGE.read_text(encoding="utf-8")
    return html.replace(_AUTH_MARKER, "required" if auth_required else "off").encode()


def mount_dashboard(app: FastAPI, *, auth_required: bool) -> None:
    """Serve the page at ``/dashboard`` and its assets under ``/dashboard/static``."""
    page = render_page(auth_required=auth_required)

    @app.get(DASHBOARD_PATH, include_in_schema=False)
    async def dashboard() -> Response:
        """Serve the leader's dashboard page."""
        return Response(page, media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)

    app.mount(
        f"{DASHBOARD_PATH}/static", StaticFiles(directory=STATIC_DIR), name="dashboard-static"
    )
