"""Opening text files: local paths with ``open``, URLs through fsspec (imported only for them)."""

from __future__ import annotations

import os
from typing import IO, Any


def is_local_path(location: str) -> bool:
    """Whether ``location`` is a plain local path (no ``scheme://`` URL, no ``::`` chain)."""
    return "://" not in location and "::" not in location


def open_text(location: str, mode: str = "r", *, make_parents: bool = False) -> IO[Any]:
    """An open UTF-8 text file at a local path or fsspec URL (``file://``, ``memory://``, ``s3://`` ...).

    Args:
        location: the path or URL.
        mode: ``r``, ``w`` or ``a``.
        make_parents: create the parent directory first (for writing).
    """
    if is_local_path(location):
        path = os.path.expanduser(location)
        parent = os.path.dirname(path)
        if make_parents and parent:
            os.makedirs(parent, exist_ok=True)
        return open(path, mode, encoding="utf-8")  # noqa: SIM115 - the caller closes it
    import fsspec

    if make_parents:
        fs, path = fsspec.core.url_to_fs(location)
        parent = path.rsplit("/", 1)[0] if "/" in path else ""
        if parent:
            fs.makedirs(parent, exist_ok=True)
    handle: IO[Any] = fsspec.open(location, mode, encoding="utf-8").open()
    return handle


def file_exists(location: str) -> bool:
    """Whether a local path or fsspec URL names an existing file (``False`` when it cannot be told)."""
    try:
        if is_local_path(location):
            return os.path.exists(os.path.expanduser(location))
        import fsspec

        fs, path = fsspec.core.url_to_fs(location)
        return bool(fs.exists(path))
    except (OSError, ValueError):
        return False
