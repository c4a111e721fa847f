"""``metalus ui``: a live web monitor over the state store (DESIGN §12).

:func:`create_app` builds the ASGI application (FastAPI); :func:`serve` runs it with uvicorn;
the command line is :mod:`metalus_py.ui.cli`. The plan's layout and its SVG picture live in
:mod:`metalus_py.plan.layout` and :mod:`metalus_py.plan.svg`, shared with notebooks and the CLI.
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
