"""``metalus ui``: a live web monitor over the state store (DESIGN §12).

:func:`create_app` builds the ASGI application (FastAPI); :func:`serve` runs it with uvicorn;
the command line is :mod:`metalus_py.ui.cli`. :mod:`~metalus_py.ui.plan_graph` and
:mod:`~metalus_py.ui.svg` (the plan as a laid-out graph and as SVG) import no web library, so
notebooks use them too.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app", "serve"]


def create_app(*args: Any, **kwargs: Any) -> Any:
    """See :func:`metalus_py.ui.app.create_app`."""
    from metalus_py.ui.app import create_app as factory

    return factory(*args, **kwargs)


def serve(*args: Any, **kwargs: Any) -> None:
    """See :func:`metalus_py.ui.cli.serve`."""
    from metalus_py.ui.cli import serve as run

    run(*args, **kwargs)
