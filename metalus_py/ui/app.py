"""The monitor's ASGI application: :func:`create_app` wires the store, the routers and the guard.

    from metalus_py.state import open_store
    from metalus_py.ui import create_app
    app = create_app(open_store("postgresql://..."), state_url="postgresql://...", token="T")

Routers, one per resource: :mod:`~metalus_py.ui.api` (runs, plan, actions),
:mod:`~metalus_py.ui.events` (server-sent events) and :mod:`~metalus_py.ui.pages` (HTML and
the assets shipped in ``static/``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from metalus_py.state import StateStore
from metalus_py.ui import api, events, pages
from metalus_py.ui.launch import Launcher
from metalus_py.ui.security import Guard


def create_app(store: StateStore, *, state_url: str | None = None, token: str | None = None) -> Any:
    """The monitor over ``store``.

    Args:
        store: the state store to show (shared by every request; stores are thread-safe).
        state_url: the URL worker processes open for resume/retrigger (default ``store.url``;
            give the original when it holds a password, which ``store.url`` leaves out).
        token: when set, every request must carry it (see :mod:`~metalus_py.ui.security`).

    Returns:
        An ASGI application (the FastAPI app wrapped in the token/same-origin guard).
    """
    app = FastAPI(title="metalus monitor", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store = store
    app.state.launcher = Launcher(state_url or store.url)
    app.include_router(api.router)
    app.include_router(events.router)
    app.include_router(pages.router)
    pages.mount_static(app)
    guarded = Guard(app, token=token)
    guarded.state = app.state  # type: ignore[attr-defined]
    return guarded
