"""The HTML pages (``/`` the runs, ``/runs/{run}`` one run) and the assets under ``/static``.

Pages are thin shells: the scripts in ``static/`` read the JSON API and draw everything.
Every asset ships in the package; nothing is loaded from another site.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

router = APIRouter()

STATIC = Path(str(files("metalus_py.ui") / "static"))

#: Only our own scripts, styles and connections (no inline script, nothing from another site).
_SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "connect-src 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
}


def _page(name: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse((STATIC / name).read_text(encoding="utf-8"), status_code=status, headers=_SECURITY_HEADERS)


@router.get("/", response_class=HTMLResponse)
def runs_page() -> HTMLResponse:
    """The runs list."""
    return _page("index.html")


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: str) -> HTMLResponse:
    """One run: graph, timeline, steps and events (404 page for an unknown run)."""
    found = request.app.state.store.get_run(run_id=run_id) is not None
    return _page("run.html", 200 if found else 404)


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    return Response((STATIC / "favicon.svg").read_bytes(), media_type="image/svg+xml")


def mount_static(app: FastAPI) -> None:
    """Serve ``static/`` under ``/static``."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
