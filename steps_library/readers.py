"""Read CSV, Parquet, JSON, NDJSON and Arrow IPC through fsspec URLs (``DataReaderSteps``).

A path may name one file, a directory (every data file below it; ``key=value`` directories
become columns, as written by the partitioned writers) or a glob (``data/*.csv``).

Local paths are scanned natively by polars (``scan_csv``, ``scan_parquet``, ``scan_ipc``,
``scan_ndjson``), so ``lazy=True`` gives a LazyFrame whose query reads only what it needs.
Other fsspec URLs (``memory://``, ``s3://`` ...) are read through fsspec into memory; with
``lazy=True`` the result is then wrapped as a LazyFrame. Give ``storage_options`` for a
backend polars supports natively (s3, gs, az, http) to have polars scan it directly instead.

To add a format: add a ``_scan_<format>`` (local path → LazyFrame) and ``_load_<format>``
(bytes → DataFrame) pair, register both in ``_FORMATS`` and its extensions in ``_EXTENSIONS``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import polars as pl

from metalus_py.base.exceptions import PipelineException
from steps_library import _fs
from steps_library.schema import schema_to_polars

_NATIVE_PROTOCOLS = ("s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "http", "https", "hf")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".arrow": "ipc",
    ".ipc": "ipc",
    ".feather": "ipc",
}
_COMPRESSION_SUFFIXES = (".gz", ".gzip", ".zst", ".zstd", ".bz2", ".xz", ".lz4", ".snappy")
_HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"


def infer_format(path: str) -> str:
    """The file format for a path from its extension (``.csv.gz`` → ``csv``); ``parquet`` for a directory."""
    name = str(path).rstrip("/").rsplit("/", 1)[-1].lower()
    for suffix in _COMPRESSION_SUFFIXES:
        name = name.removesuffix(suffix)
    extension = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    return _EXTENSIONS.get(extension, "parquet")


def _csv_options(options: dict[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "has_header": bool(options.get("header", True)),
        "separator": options.get("separator", ","),
        "quote_char": options.get("quote_char", '"'),
        "skip_rows": int(options.get("skip_rows", 0)),
        "infer_schema_length": options.get("infer_schema_length", 100),
        "try_parse_dates": bool(options.get("try_parse_dates", False)),
        "ignore_errors": bool(options.get("ignore_errors", False)),
    }
    if options.get("null_values") is not None:
        kwargs["null_values"] = options["null_values"]
    if options.get("encoding"):
        kwargs["encoding"] = options["encoding"]
    if options.get("storage_options"):
        kwargs["storage_options"] = options["storage_options"]
    if options.get("schema") is not None:
        # The schema's names replace the header line, which is then skipped as data.
        kwargs["schema"] = schema_to_polars(options["schema"])
        if kwargs["has_header"]:
            kwargs.update(has_header=False, skip_rows=kwargs["skip_rows"] + 1)
    return kwargs


def _json_options(options: dict[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"infer_schema_length": options.get("infer_schema_length", 100)}
    if options.get("storage_options"):
        kwargs["storage_options"] = options["storage_options"]
    if options.get("schema") is not None:
        kwargs["schema"] = schema_to_polars(options["schema"])
    return kwargs


def _select(frame: Any, options: dict[str, Any]) -> Any:
    return frame.select(options["columns"]) if options.get("columns") else frame


_Scan = Callable[[Any, dict[str, Any]], pl.LazyFrame]
_Load = Callable[[io.BytesIO, dict[str, Any]], pl.DataFrame]
_FORMATS: dict[str, tuple[_Scan, _Load]] = {
    "csv": (
        lambda source, opts: pl.scan_csv(source, **_csv_options(opts)),
        lambda data, opts: pl.read_csv(data, **_csv_options(opts)),
    ),
    "parquet": (
        lambda source, opts: _select(
            pl.scan_parquet(source, hive_partitioning=False, storage_options=opts.get("storage_options")),
            opts,
        ),
        lambda data, opts: _select(pl.read_parquet(data), opts),
    ),
    "ipc": (
        lambda source, opts: _select(
            pl.scan_ipc(source, hive_partitioning=False, storage_options=opts.get("storage_options")), opts
        ),
        lambda data, opts: _select(pl.read_ipc(data), opts),
    ),
    "ndjson": (
        lambda source, opts: pl.scan_ndjson(source, **_json_options(opts)),
        lambda data, opts: pl.read_ndjson(data, **_json_options(opts)),
    ),
    "json": (
        lambda source, opts: pl.read_json(source, **_json_options(opts)).lazy(),
        lambda data, opts: pl.read_json(data, **_json_options(opts)),
    ),
}


def _partition_types(files: list[tuple[str, dict[str, str]]]) -> dict[str, pl.DataType]:
    """The type of each hive key: Int64 if every value is an integer, else Float64 if numeric, else String."""
    kinds: dict[str, pl.DataType] = {}
    for key in dict.fromkeys(key for _, parts in files for key in parts):
        values = [parts[key] for _, parts in files if parts.get(key) not in (None, _HIVE_NULL)]
        kinds[key] = pl.String()
        for candidate, parse in ((pl.Int64(), int), (pl.Float64(), float)):
            try:
                [parse(value) for value in values]
            except ValueError:
                continue
            kinds[key] = candidate
            break
    return kinds


def _read_file(
    url: str, file_format: str, options: dict[str, Any], storage_options: dict[str, Any] | None
) -> pl.LazyFrame:
    scan, load = _FORMATS[file_format]
    if _fs.is_local(url):
        return scan(_fs.local_path(url), options)
    protocol = url.split("://", 1)[0].lower()
    if storage_options is not None and protocol in _NATIVE_PROTOCOLS and file_format != "json":
        return scan(url, {**options, "storage_options": storage_options})
    fs, path = _fs.url_to_fs(url, storage_options)
    with fs.open(path, "rb", compression="infer" if file_format in ("json", "ndjson") else None) as handle:
        data = io.BytesIO(handle.read())
    return load(data, options).lazy()


def read_frame(
    path: str,
    file_format: str | None = None,
    options: dict[str, Any] | None = None,
    lazy: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> pl.DataFrame | pl.LazyFrame:
    """Read a file, directory or glob into a frame (the engine under every read step).

    Raises:
        PipelineException: nothing matches ``path``, or the format is unknown.
    """
    options = dict(options or {})
    fs, fs_path = _fs.url_to_fs(path, storage_options)
    if not _fs.has_glob(fs_path) and not fs.exists(fs_path):
        raise PipelineException(f"No such file or directory: '{path}'")
    files = _fs.expand(path, storage_options)
    if not files:
        raise PipelineException(f"No data file matches '{path}'")
    kind = (file_format or infer_format(files[0])).lower()
    if kind not in _FORMATS:
        raise PipelineException(f"Unknown file format '{file_format}'; use one of {sorted(_FORMATS)}")
    with_parts = [(file, _fs.hive_partitions(file, path)) for file in files]
    partition_types = _partition_types(with_parts)
    frames = []
    for file, parts in with_parts:
        frame = _read_file(file, kind, options, storage_options)
        if partition_types:
            frame = frame.with_columns(
                pl.lit(None if parts.get(key) in (None, _HIVE_NULL) else unquote(parts[key]))
                .cast(dtype)
                .alias(key)
                for key, dtype in partition_types.items()
            )
        frames.append(frame)
    result = frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")
    return result if lazy else result.collect()


def read_csv(
    path: str,
    header: bool = True,
    separator: str = ",",
    schema: Any = None,
    null_values: Any = None,
    quote_char: str = '"',
    skip_rows: int = 0,
    encoding: str = "utf8",
    infer_schema_length: int | None = 100,
    try_parse_dates: bool = False,
    lazy: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> pl.DataFrame | pl.LazyFrame:
    """Read CSV (plain or gzip/zstd compressed) from a file, directory or glob.

    Args:
        path: fsspec URL or local path.
        header: the first line holds column names.
        separator: field separator (``"\\t"`` for TSV).
        schema: column types: a Metalus Schema or ``{name: type}`` (names replace the header).
        null_values: string(s) read as null.
        quote_char: quote character.
        skip_rows: lines to skip before the header.
        encoding: ``utf8`` or ``utf8-lossy``.
        infer_schema_length: rows used to infer types (``None``: all rows).
        try_parse_dates: parse date-like strings as dates/datetimes.
        lazy: return a LazyFrame (scanned natively for local files).
        storage_options: fsspec/polars options for the storage backend (credentials, region).
    """
    options = {
        "header": header,
        "separator": separator,
        "schema": schema,
        "null_values": null_values,
        "quote_char": quote_char,
        "skip_rows": skip_rows,
        "encoding": encoding,
        "infer_schema_length": infer_schema_length,
        "try_parse_dates": try_parse_dates,
    }
    return read_frame(path, "csv", options, lazy, storage_options)


def read_parquet(
    path: str,
    columns: list[str] | None = None,
    lazy: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> pl.DataFrame | pl.LazyFrame:
    """Read Parquet from a file, directory (hive partitions become columns) or glob.

    Args:
        path: fsspec URL or local path.
        columns: read only these columns.
        lazy: return a LazyFrame (scanned natively for local files).
        storage_options: options for the storage backend.
    """
    return read_frame(path, "parquet", {"columns": columns}, lazy, storage_options)


def read_ipc(
    path: str,
    columns: list[str] | None = None,
    lazy: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> pl.DataFrame | pl.LazyFrame:
    """Read Arrow IPC (Feather v2) from a file, directory or glob.

    Args:
        path: fsspec URL or local path.
        columns: read only these columns.
        lazy: return a LazyFrame (scanned natively for local files).
        storage_options: options for the storage backend.
    """
    return read_frame(path, "ipc", {"columns": columns}, lazy, storage_options)


def read_ndjson(
    path: str,
    schema: Any = None,
    infer_schema_length: int | None = 100,
    lazy: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> pl.DataFrame | pl.LazyFrame:
    """Read newline-delimited JSON (one object per line) from a file, directory or glob.

    Args:
        path: fsspec URL or local path.
        schema: column types: a Metalus Schema or ``{name: type}``.
        infer_schema_length: rows used to infer types.
        lazy: return a LazyFrame (scanned natively for local files).
        storage_options: options for the storage backend.
    """
    options = {"schema": schema, "infer_schema_length": infer_schema_length}
    return read_frame(path, "ndjson", options, lazy, storage_options)


def read_json(
    path: str, schema: Any = None, lazy: bool = False, storage_options: dict[str, Any] | None = None
) -> pl.DataFrame | pl.LazyFrame:
    """Read a JSON array of objects (``[{"a": 1}, ...]``) from a file, directory or glob.

    Args:
        path: fsspec URL or local path.
        schema: column types: a Metalus Schema or ``{name: type}``.
        lazy: return a LazyFrame (the file itself is read eagerly: JSON has no scanner).
        storage_options: options for the storage backend.
    """
    return read_frame(path, "json", {"schema": schema}, lazy, storage_options)


def read(
    path: str,
    file_format: str | None = None,
    options: dict[str, Any] | None = None,
    lazy: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> pl.DataFrame | pl.LazyFrame:
    """Read any supported format, chosen by ``file_format`` or the file extension.

    Args:
        path: fsspec URL or local path (file, directory or glob).
        file_format: csv, parquet, ipc, ndjson or json (default: from the extension).
        options: the format's options, as the keyword arguments of ``read_<format>``.
        lazy: return a LazyFrame.
        storage_options: options for the storage backend.
    """
    return read_frame(path, file_format, options, lazy, storage_options)


def scan(
    path: str,
    file_format: str | None = None,
    options: dict[str, Any] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> pl.DataFrame | pl.LazyFrame:
    """Scan any supported format lazily: ``read`` with ``lazy=True``, the start of a lazy chain.

    Args:
        path: fsspec URL or local path (file, directory or glob).
        file_format: csv, parquet, ipc, ndjson or json (default: from the extension).
        options: the format's options, as the keyword arguments of ``read_<format>``.
        storage_options: options for the storage backend.
    """
    return read_frame(path, file_format, options, True, storage_options)


class DataReaderSteps:
    """Read CSV, Parquet, JSON, NDJSON and Arrow IPC files, directories and globs into frames."""

    read_csv = staticmethod(read_csv)
    read_parquet = staticmethod(read_parquet)
    read_ipc = staticmethod(read_ipc)
    read_ndjson = staticmethod(read_ndjson)
    read_json = staticmethod(read_json)
    read = staticmethod(read)
    scan = staticmethod(scan)
