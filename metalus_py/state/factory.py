"""Opening a state store from a URL (the ``--state`` option and ``METALUS_STATE``).

Accepted forms:

* ``None`` – the ``METALUS_STATE`` environment variable if set, else the default below.
* ``""`` – the default: SQLite at ``./.metalus/state.db``.
* ``"none"`` – no store at all (the run cannot be resumed): returns ``None``.
* ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``, ``file:///path.db``, or a
  plain file path (a directory means ``<dir>/state.db``) – SQLite.
* ``postgresql://...`` / ``postgres://...`` / ``postgresql+psycopg://...`` – PostgreSQL
  (``?schema=name`` selects the schema).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from metalus_py.state.errors import StateError
from metalus_py.state.protocol import StateStore

__all__ = ["DEFAULT_SQLITE_PATH", "ENV_VAR", "open_store"]

#: Environment variable giving the default store URL.
ENV_VAR: Final = "METALUS_STATE"
#: Where the default SQLite store lives, relative to the current directory.
DEFAULT_SQLITE_PATH: Final = Path(".metalus") / "state.db"

_PG_PREFIXES: Final = ("postgresql://", "postgres://", "postgresql+psycopg://", "postgresql+psycopg3://")


def open_store(
    url: str | None = None,
    *,
    artifact_base: str | None = None,
    clock: Callable[[], float] | None = None,
    must_exist: bool = False,
    **options: Any,
) -> StateStore | None:
    """Open the state store named by ``url`` (forms in the module docstring).

    Args:
        url: the store URL, ``"none"``, ``""`` or ``None``.
        artifact_base: fsspec URL under which run artifact folders go (store default if None).
        clock: epoch-seconds clock for leases (tests only).
        must_exist: for SQLite, fail instead of creating a database file that is not there
            (commands that only read or act on recorded runs).
        **options: passed to the store class (e.g. ``busy_timeout`` for SQLite, ``schema`` for
            PostgreSQL).

    Returns:
        The store, or ``None`` for ``"none"``.

    Raises:
        StateError: an unsupported URL scheme, or a store that cannot be opened.
    """
    if url is None:
        url = os.environ.get(ENV_VAR, "")
    url = url.strip()
    if url.lower() == "none":
        return None
    if not url:
        return _sqlite(Path.cwd() / DEFAULT_SQLITE_PATH, artifact_base, clock, options, must_exist)
    lowered = url.lower()
    if lowered.startswith(_PG_PREFIXES):
        from metalus_py.state.postgres import PostgresStateStore

        rest = url.split("://", 1)[1]
        return PostgresStateStore(f"postgresql://{rest}", artifact_base=artifact_base, clock=clock, **options)
    if lowered.startswith("sqlite://"):
        path = url[len("sqlite://") :]
        if not path.startswith("/") or path == "/":
            raise StateError(
                f"bad SQLite URL {url!r}: use sqlite:///relative/path.db or sqlite:////absolute/path.db"
            )
        return _sqlite(Path(path[1:]), artifact_base, clock, options, must_exist)
    if lowered.startswith("file://"):
        return _sqlite(Path(url[len("file://") :]), artifact_base, clock, options, must_exist)
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme:
        raise StateError(
            f"unsupported state store URL {url!r}: use a file path, sqlite:///path.db, "
            "postgresql://user@host/db, or 'none'"
        )
    return _sqlite(Path(url), artifact_base, clock, options, must_exist)


def _sqlite(
    path: Path, artifact_base: str | None, clock: Callable[[], float] | None, options: dict[str, Any],
    must_exist: bool = False,
) -> StateStore:
    from metalus_py.state.sqlite import SqliteStateStore

    path = path.expanduser()
    if path.is_dir():
        path = path / "state.db"
    if must_exist and not path.exists():
        raise StateError(f"no state store at {path} (no run has been recorded there)")
    return SqliteStateStore(path, artifact_base=artifact_base, clock=clock, **options)
