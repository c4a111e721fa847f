"""A LazyFrame persisted as its query plan plus fingerprints of the files it scans.

Persisting a lazy step's result by collecting it runs the query once per step and holds the
whole frame in memory. Instead, when a plan only reads files, the plan itself is stored (polars'
JSON serialization) together with a fingerprint of every file it scans (size and modification
time, or the ETag on object stores, through fsspec ``info()``). Loading the plan back checks
the fingerprints first: a changed, added or removed source raises
:class:`~metalus_py.state.errors.StaleArtifactError`, so the step is computed again instead of
reading data that no longer matches what the step saw.

A plan is *not* stored (:func:`capture_plan` returns ``None``; the frame is then streamed to an
artifact file) when it cannot be serialized, reads in-memory data (a DataFrame, bytes, a file
object, a Python scan), calls Python functions, passes storage options to a scan (they may hold
credentials), or contains the value of a known secret anywhere in its serialized form. The
streamed file's output reference still carries the fingerprints of the files the plan scans, so
it goes stale like a plan when they change.
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import fsspec

from metalus_py.base.secrets import known_secrets
from metalus_py.state.errors import StaleArtifactError

__all__ = [
    "PlanCapture",
    "capture_plan",
    "check_sources",
    "fingerprint_sources",
    "inspect_plan",
    "load_plan",
    "plan_document",
]

#: Plan nodes that hold in-memory data or Python code: such a plan is streamed to a file instead.
_IN_MEMORY_NODES = frozenset(
    {"DataFrameScan", "PythonScan", "OpaquePython", "AnonymousFunction", "PythonUdf", "Buffers", "Files"}
)
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class PlanCapture:
    """A serialized plan (polars JSON; ``None`` when it must not be stored) and the paths it scans."""

    plan: str | None
    sources: tuple[str, ...]


def _serialize(lf: Any, fmt: str) -> Any:
    with warnings.catch_warnings():  # the JSON format is marked deprecated; it is what we can inspect
        warnings.simplefilter("ignore")
        return lf.serialize(format=fmt)


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                yield key, value
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)


def _holds_credentials(cloud_options: Any) -> bool:
    if not isinstance(cloud_options, dict):
        return False
    return cloud_options.get("config") is not None or cloud_options.get("credential_provider") is not None


def inspect_plan(lf: Any) -> PlanCapture | None:
    """The plan of ``lf`` if it may be stored, and the file paths it scans; ``None`` if unserializable."""
    try:
        text = _serialize(lf, "json")
        binary = _serialize(lf, "binary")
    except Exception:  # noqa: BLE001 - an unserializable plan is streamed instead
        return None
    secrets = [s for s in known_secrets() if s]
    storable = not any(s in text or s.encode() in binary for s in secrets)
    sources: list[str] = []
    for key, value in _walk(json.loads(text)):
        if key in _IN_MEMORY_NODES or (key == "cloud_options" and _holds_credentials(value)):
            storable = False
        elif key == "Paths" and isinstance(value, list):
            for entry in value:
                path = entry.get("inner") if isinstance(entry, dict) else entry
                if isinstance(path, str) and not any(s in path for s in secrets):
                    sources.append(path)
                else:
                    storable = False
    return PlanCapture(text if storable else None, tuple(dict.fromkeys(sources)))


def capture_plan(lf: Any) -> PlanCapture | None:
    """The plan of ``lf`` and the paths it scans, or ``None`` when the plan must not be stored."""
    inspection = inspect_plan(lf)
    return inspection if inspection is not None and inspection.plan is not None else None


def _files(fs: Any, path: str) -> list[str]:
    if any(ch in path for ch in _GLOB_CHARS):
        return sorted(fs.glob(path))
    if fs.isdir(path):
        return sorted(fs.find(path))
    return [path]


def fingerprint_sources(
    sources: tuple[str, ...] | list[str], *, storage_options: Mapping[str, Any] | None = None
) -> dict[str, list[list[Any]]]:
    """Per source (a path, glob or folder), ``[[file, size, mtime or ETag], ...]`` of its files.

    Raises:
        OSError: a source cannot be listed (missing, unreachable).
    """
    out: dict[str, list[list[Any]]] = {}
    for source in sources:
        fs, path = fsspec.core.url_to_fs(source, **dict(storage_options or {}))
        entries = []
        for file in _files(fs, path):
            info = fs.info(file)
            stamp = info.get("ETag") or info.get("etag") or info.get("mtime") or info.get("LastModified")
            entries.append([file, info.get("size"), str(stamp)])
        out[source] = entries
    return out


def plan_document(capture: PlanCapture, *, storage_options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What is stored for a plan: the polars version, the plan and its sources' fingerprints.

    ``storage_options`` are for the sources (scans with their own options are never planned).
    """
    import polars as pl

    return {
        "polars": pl.__version__,
        "plan": capture.plan,
        "sources": fingerprint_sources(capture.sources, storage_options=storage_options),
    }


def check_sources(
    recorded: Mapping[str, Any], *, url: str | None = None, storage_options: Mapping[str, Any] | None = None
) -> None:
    """Compare recorded fingerprints (from :func:`fingerprint_sources`) with the files now.

    Raises:
        StaleArtifactError: a source changed, gained or lost files, or cannot be read.
    """
    for source, entries in recorded.items():
        try:
            now = fingerprint_sources([source], storage_options=storage_options)[source]
        except (OSError, ValueError) as exc:
            raise StaleArtifactError(f"artifact {url}: its source {source} cannot be read: {exc}",
                                     url=url, source=source) from exc
        if now != entries:
            raise StaleArtifactError(url=url, source=source)


def load_plan(
    document: Mapping[str, Any], *, url: str | None = None, storage_options: Mapping[str, Any] | None = None
) -> Any:
    """The LazyFrame of a stored plan document.

    Raises:
        StaleArtifactError: a source changed (or is gone), or polars is another version.
    """
    import polars as pl

    if document.get("polars") != pl.__version__:
        raise StaleArtifactError(
            f"artifact {url} was planned with polars {document.get('polars')}, this is {pl.__version__}",
            url=url, source="polars",
        )
    check_sources(dict(document.get("sources") or {}), url=url, storage_options=storage_options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pl.LazyFrame.deserialize(io.StringIO(str(document["plan"])), format="json")
