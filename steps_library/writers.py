"""Write frames as CSV, Parquet, JSON, NDJSON or Arrow IPC through fsspec URLs (``DataWriterSteps``).

This is where a lazy chain runs. A LazyFrame written to a local path is streamed with
``sink_parquet``/``sink_ipc``/``sink_csv``/``sink_ndjson`` (``partition_by`` included), so it
never needs to fit in memory. Anything else (DataFrames, Arrow tables, remote URLs, JSON
arrays) is collected and written through an fsspec file handle.

Local writes go to a temporary sibling first and are renamed into place, so a reader never
sees a half-written file. ``partition_by`` writes hive-style ``col=value/`` directories,
which the read steps turn back into columns.

Every write step returns a ``StepResponse``: the URL written as primary return, named returns
``files`` (the data files), and ``rows`` plus the ``$metrics.rowsWritten`` metric when the
row count is known without re-reading (eager frames).
"""

from __future__ import annotations

import os
import shutil
import uuid
from typing import IO, Any
from urllib.parse import quote

import polars as pl

from metalus_py.base.exceptions import PipelineException
from metalus_py.steps.response import StepResponse
from steps_library import _fs
from steps_library._frames import Frame, as_list, collect
from steps_library.readers import infer_format

_MODES = ("overwrite", "error", "ignore")
#: Spark's save-mode names (as Metalus applications write them).
_MODE_ALIASES = {"errorifexists": "error", "error_if_exists": "error"}
_EXTENSIONS = {"csv": ".csv", "parquet": ".parquet", "ipc": ".ipc", "ndjson": ".ndjson", "json": ".json"}
_HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"


def _csv_kwargs(options: dict[str, Any]) -> dict[str, Any]:
    return {
        "include_header": bool(options.get("header", True)),
        "separator": options.get("separator", ","),
        "compression": options.get("compression") or "uncompressed",
        "check_extension": False,
    }


def _compression(options: dict[str, Any], default: str) -> dict[str, Any]:
    return {"compression": options.get("compression") or default}


def _write_eager(
    df: pl.DataFrame, target: IO[bytes] | str, file_format: str, options: dict[str, Any]
) -> None:
    if file_format == "csv":
        df.write_csv(target, **_csv_kwargs(options))
    elif file_format == "parquet":
        df.write_parquet(target, **_compression(options, "zstd"))
    elif file_format == "ipc":
        df.write_ipc(target, **_compression(options, "uncompressed"))
    elif file_format == "ndjson":
        df.write_ndjson(target, **_compression(options, "uncompressed"), check_extension=False)
    else:
        df.write_json(target)  # type: ignore[arg-type]


def _sink(lf: pl.LazyFrame, target: Any, file_format: str, options: dict[str, Any]) -> None:
    if file_format == "csv":
        lf.sink_csv(target, **_csv_kwargs(options), mkdir=True)
    elif file_format == "parquet":
        lf.sink_parquet(target, **_compression(options, "zstd"), mkdir=True)
    elif file_format == "ipc":
        lf.sink_ipc(target, **_compression(options, "uncompressed"), mkdir=True)
    else:
        lf.sink_ndjson(target, **_compression(options, "uncompressed"), check_extension=False, mkdir=True)


def _partition_dir(keys: tuple[Any, ...], columns: list[str]) -> str:
    return "/".join(
        f"{column}={_HIVE_NULL if value is None else quote(str(value), safe='')}"
        for column, value in zip(columns, keys, strict=True)
    )


def _write_partitions(
    df: pl.DataFrame, root: str, columns: list[str], file_format: str, options: dict[str, Any]
) -> None:
    fs, root_path = _fs.url_to_fs(root, options.get("storage_options"))
    fs.makedirs(root_path, exist_ok=True)
    for keys, part in df.partition_by(columns, as_dict=True, include_key=False, maintain_order=True).items():
        directory = _fs.join(root_path, _partition_dir(keys, columns))
        fs.makedirs(directory, exist_ok=True)
        with fs.open(_fs.join(directory, f"part-00000{_EXTENSIONS[file_format]}"), "wb") as handle:
            _write_eager(part, handle, file_format, options)


def _write_local(
    frame: Frame, target: str, file_format: str, options: dict[str, Any], partition: list[str]
) -> int | None:
    """Write to a temporary sibling of ``target``, then move it into place. Returns rows if known."""
    parent = os.path.dirname(os.path.abspath(target))
    os.makedirs(parent, exist_ok=True)
    temporary = os.path.join(parent, f".{os.path.basename(target)}.tmp-{uuid.uuid4().hex}")
    rows: int | None = None
    try:
        if isinstance(frame, pl.LazyFrame) and file_format != "json":
            sink_target = (
                pl.PartitionBy(temporary, key=partition, include_key=False) if partition else temporary
            )
            _sink(frame, sink_target, file_format, options)
        else:
            df = collect(frame)
            rows = df.height
            if partition:
                _write_partitions(df, temporary, partition, file_format, options)
            else:
                _write_eager(df, temporary, file_format, options)
        _remove(target)
        os.replace(temporary, target)
    finally:
        _remove(temporary)
    return rows


def _remove(path: str) -> None:
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)


def write_frame(
    data_frame: Frame,
    path: str,
    file_format: str | None = None,
    options: dict[str, Any] | None = None,
    partition_by: list[str] | None = None,
    mode: str = "overwrite",
    storage_options: dict[str, Any] | None = None,
) -> StepResponse:
    """Write a frame to ``path`` (the engine under every write step)."""
    options = {**(options or {}), "storage_options": storage_options}
    kind = (file_format or infer_format(path)).lower()
    if kind not in _EXTENSIONS:
        raise PipelineException(f"Unknown file format '{file_format}'; use one of {sorted(_EXTENSIONS)}")
    mode = _MODE_ALIASES.get(str(mode).lower(), str(mode).lower())  # Metalus/Spark spellings too
    if mode not in _MODES:
        raise PipelineException(f"Unknown write mode '{mode}'; use one of {list(_MODES)}")
    partition = [str(column) for column in as_list(partition_by)]
    fs, fs_path = _fs.url_to_fs(path, storage_options)
    if fs.exists(fs_path) and mode != "overwrite":
        if mode == "error":
            raise PipelineException(
                f"'{path}' already exists (mode 'error'); use mode 'overwrite' to replace it"
            )
        return StepResponse(path, {"files": [], "skipped": True})
    if _fs.is_local(path):
        rows = _write_local(data_frame, fs_path, kind, options, partition)
    else:
        df = collect(data_frame)
        rows = df.height
        if fs.exists(fs_path):
            fs.rm(fs_path, recursive=True)
        if partition:
            _write_partitions(df, path, partition, kind, options)
        else:
            with fs.open(fs_path, "wb") as handle:
                _write_eager(df, handle, kind, options)
    files = _fs.expand(path, storage_options)
    named: dict[str, Any] = {"files": files}
    if rows is not None:
        named.update({"rows": rows, "$metrics.rowsWritten": rows})
    return StepResponse(path, named)


def write_csv(
    data_frame: Frame,
    path: str,
    header: bool = True,
    separator: str = ",",
    compression: str | None = None,
    partition_by: list[str] | None = None,
    mode: str = "overwrite",
    storage_options: dict[str, Any] | None = None,
) -> StepResponse:
    """Write a frame as CSV (a LazyFrame to a local path is streamed with ``sink_csv``).

    Args:
        data_frame: the frame to write.
        path: fsspec URL or local path (a directory when ``partition_by`` is given).
        header: write the column names first.
        separator: field separator.
        compression: ``gzip`` or ``zstd`` (default: none).
        partition_by: columns to partition by (``col=value/`` directories).
        mode: overwrite, error (fail if the path exists) or ignore (skip if it exists).
        storage_options: options for the storage backend.

    Returns:
        The path; named returns ``files``, ``rows`` and ``$metrics.rowsWritten``.
    """
    options = {"header": header, "separator": separator, "compression": compression}
    return write_frame(data_frame, path, "csv", options, partition_by, mode, storage_options)


def write_parquet(
    data_frame: Frame,
    path: str,
    compression: str = "zstd",
    partition_by: list[str] | None = None,
    mode: str = "overwrite",
    storage_options: dict[str, Any] | None = None,
) -> StepResponse:
    """Write a frame as Parquet (a LazyFrame to a local path is streamed with ``sink_parquet``).

    Args:
        data_frame: the frame to write.
        path: fsspec URL or local path (a directory when ``partition_by`` is given).
        compression: zstd, snappy, gzip, lz4, brotli or uncompressed.
        partition_by: columns to partition by (``col=value/`` directories).
        mode: overwrite, error or ignore.
        storage_options: options for the storage backend.

    Returns:
        The path; named returns ``files``, ``rows`` and ``$metrics.rowsWritten``.
    """
    return write_frame(
        data_frame, path, "parquet", {"compression": compression}, partition_by, mode, storage_options
    )


def write_ipc(
    data_frame: Frame,
    path: str,
    compression: str = "uncompressed",
    partition_by: list[str] | None = None,
    mode: str = "overwrite",
    storage_options: dict[str, Any] | None = None,
) -> StepResponse:
    """Write a frame as Arrow IPC / Feather v2 (streamed with ``sink_ipc`` for a local LazyFrame).

    Args:
        data_frame: the frame to write.
        path: fsspec URL or local path.
        compression: uncompressed, lz4 or zstd.
        partition_by: columns to partition by.
        mode: overwrite, error or ignore.
        storage_options: options for the storage backend.

    Returns:
        The path; named returns ``files``, ``rows`` and ``$metrics.rowsWritten``.
    """
    return write_frame(
        data_frame, path, "ipc", {"compression": compression}, partition_by, mode, storage_options
    )


def write_ndjson(
    data_frame: Frame,
    path: str,
    compression: str | None = None,
    partition_by: list[str] | None = None,
    mode: str = "overwrite",
    storage_options: dict[str, Any] | None = None,
) -> StepResponse:
    """Write a frame as newline-delimited JSON, one object per row.

    Args:
        data_frame: the frame to write.
        path: fsspec URL or local path.
        compression: ``gzip`` or ``zstd`` (default: none).
        partition_by: columns to partition by.
        mode: overwrite, error or ignore.
        storage_options: options for the storage backend.

    Returns:
        The path; named returns ``files``, ``rows`` and ``$metrics.rowsWritten``.
    """
    return write_frame(
        data_frame, path, "ndjson", {"compression": compression}, partition_by, mode, storage_options
    )


def write_json(
    data_frame: Frame,
    path: str,
    partition_by: list[str] | None = None,
    mode: str = "overwrite",
    storage_options: dict[str, Any] | None = None,
) -> StepResponse:
    """Write a frame as one JSON array of row objects (always collected first).

    Args:
        data_frame: the frame to write.
        path: fsspec URL or local path.
        partition_by: columns to partition by.
        mode: overwrite, error or ignore.
        storage_options: options for the storage backend.

    Returns:
        The path; named returns ``files``, ``rows`` and ``$metrics.rowsWritten``.
    """
    return write_frame(data_frame, path, "json", {}, partition_by, mode, storage_options)


def write(
    data_frame: Frame,
    path: str,
    file_format: str | None = None,
    options: dict[str, Any] | None = None,
    partition_by: list[str] | None = None,
    mode: str = "overwrite",
    storage_options: dict[str, Any] | None = None,
) -> StepResponse:
    """Write a frame in any supported format, chosen by ``file_format`` or the path's extension.

    Args:
        data_frame: the frame to write.
        path: fsspec URL or local path.
        file_format: csv, parquet, ipc, ndjson or json (default: from the extension, else parquet).
        options: format options: ``header``, ``separator``, ``compression``.
        partition_by: columns to partition by.
        mode: overwrite, error or ignore.
        storage_options: options for the storage backend.

    Returns:
        The path; named returns ``files``, ``rows`` and ``$metrics.rowsWritten``.
    """
    return write_frame(data_frame, path, file_format, options, partition_by, mode, storage_options)


class DataWriterSteps:
    """Write frames as CSV, Parquet, JSON, NDJSON or Arrow IPC, optionally partitioned."""

    write_csv = staticmethod(write_csv)
    write_parquet = staticmethod(write_parquet)
    write_ipc = staticmethod(write_ipc)
    write_ndjson = staticmethod(write_ndjson)
    write_json = staticmethod(write_json)
    write = staticmethod(write)
