"""fsspec helpers: resolve URLs, tell local paths from remote ones, turn paths back into URLs.

A *URL* is anything fsspec understands: a plain local path, ``file://...``, ``memory://...``
or any installed backend (``s3://``, ``gs://``, ...). Listing functions return URLs in the
same spelling as the input (a plain path stays a plain path), so they can be fed back to the
read steps or used as ``forkByValues``.
"""

from __future__ import annotations

import re
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

_GLOB_CHARS = re.compile(r"[*?\[]")
#: Files that readers skip when a directory is read (Spark/Hadoop markers, hidden files).
_IGNORED_PREFIXES = ("_", ".")


def url_to_fs(
    url: str, storage_options: dict[str, Any] | None = None
) -> tuple[fsspec.AbstractFileSystem, str]:
    """Return the filesystem for ``url`` and the path inside it."""
    fs, path = fsspec.core.url_to_fs(str(url), **(storage_options or {}))
    return fs, path


def is_local(url: str) -> bool:
    """Whether ``url`` names the local filesystem (a plain path or ``file://``)."""
    fs, _ = url_to_fs(url)
    return isinstance(fs, LocalFileSystem)


def local_path(url: str) -> str:
    """The local path for a plain path or ``file://`` URL."""
    _, path = url_to_fs(url)
    return path


def has_glob(url: str) -> bool:
    """Whether ``url`` contains glob characters (``*``, ``?``, ``[``)."""
    return bool(_GLOB_CHARS.search(str(url)))


def to_url(fs: fsspec.AbstractFileSystem, path: str, like: str) -> str:
    """Spell ``path`` (inside ``fs``) the way ``like`` was spelt: plain path or ``protocol://``."""
    if "://" in str(like):
        return str(fs.unstrip_protocol(path))
    return path


def join(url: str, *parts: str) -> str:
    """Join path segments onto a URL with ``/``."""
    return "/".join([str(url).rstrip("/"), *(part.strip("/") for part in parts)])


def expand(url: str, storage_options: dict[str, Any] | None = None) -> list[str]:
    """The data files named by ``url``: itself, every file of a directory (recursively), or a glob.

    Hidden files and markers (``_SUCCESS``, ``.crc``) are skipped. Results are sorted URLs.
    """
    fs, path = url_to_fs(url, storage_options)
    if has_glob(path):
        found = [item for item in fs.glob(path) if fs.isfile(item)]
    elif fs.isdir(path):
        found = list(fs.find(path))
    else:
        return [url]
    kept = [item for item in found if not item.rsplit("/", 1)[-1].startswith(_IGNORED_PREFIXES)]
    return [to_url(fs, item, url) for item in sorted(kept)]


def hive_partitions(file_url: str, root_url: str) -> dict[str, str]:
    """``key=value`` directory segments between ``root_url`` and ``file_url`` (hive partitioning)."""
    _, file_path = url_to_fs(file_url)
    _, root_path = url_to_fs(root_url)
    root_path = root_path.rstrip("/")
    if has_glob(root_path):
        root_path = _GLOB_CHARS.split(root_path, maxsplit=1)[0].rsplit("/", 1)[0]
    relative = file_path[len(root_path) :] if file_path.startswith(root_path) else file_path
    segments = [segment for segment in relative.strip("/").split("/")[:-1] if "=" in segment]
    return dict(segment.split("=", 1) for segment in segments)
