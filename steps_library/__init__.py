"""The standard step library of metalus_py.

Put ``"steps_library"`` in an application's ``stepPackages`` and name steps as Metalus does,
``Object.function``: ``"engineMeta": {"command": "DataReaderSteps.readCsv"}``. Each step
object below is a namespace class whose attributes are the step functions (camelCase names
resolve to these snake_case functions). The functions themselves live in one module per idea
and can also be named by module (``"transforms.apply_filter"``) or called directly.

| Object               | Module               | What                                              |
|----------------------|----------------------|---------------------------------------------------|
| FileSteps            | ``files``            | list/copy/move/delete files through fsspec URLs   |
| DataReaderSteps      | ``readers``          | read CSV, Parquet, JSON, NDJSON, Arrow IPC        |
| DataWriterSteps      | ``writers``          | write them (streamed sinks for LazyFrames)        |
| TransformationSteps  | ``transforms``, ``conform`` | polars transforms, Metalus schema mapping  |
| SqlSteps             | ``sql``              | SQL over named frames (polars SQLContext)         |
| QualitySteps         | ``quality``          | row count, null, uniqueness and range checks      |
| DatabaseSteps        | ``database``         | read/write tables (SQLite, PostgreSQL, DuckDB)    |
| StringSteps          | ``strings``          | string helpers                                    |
| LoggingSteps         | ``logging_steps``    | log a message                                     |
| FlowSteps            | ``flow``             | compare/branch helpers, counts, retry, sleep      |
| ExceptionSteps       | ``exception_steps``  | skip, stop, pause or fail an execution            |

To add a step: write a typed function with a Google-style docstring (its first line is the
catalogue's summary) in the module of its idea, then list it on the object below.
"""

from __future__ import annotations

from steps_library import (
    conform,
    database,
    exception_steps,
    files,
    flow,
    logging_steps,
    quality,
    readers,
    sql,
    strings,
    transforms,
    writers,
)


class FileSteps:
    """File operations through fsspec URLs (local paths, ``memory://``, any installed backend)."""

    list_files = staticmethod(files.list_files)
    exists = staticmethod(files.exists)
    get_size = staticmethod(files.get_size)
    copy = staticmethod(files.copy)
    move = staticmethod(files.move)
    delete = staticmethod(files.delete)
    make_directories = staticmethod(files.make_directories)
    read_text = staticmethod(files.read_text)
    write_text = staticmethod(files.write_text)


class DataReaderSteps:
    """Read CSV, Parquet, JSON, NDJSON and Arrow IPC files, directories and globs into frames."""

    read_csv = staticmethod(readers.read_csv)
    read_parquet = staticmethod(readers.read_parquet)
    read_ipc = staticmethod(readers.read_ipc)
    read_ndjson = staticmethod(readers.read_ndjson)
    read_json = staticmethod(readers.read_json)
    read = staticmethod(readers.read)
    scan = staticmethod(readers.scan)


class DataWriterSteps:
    """Write frames as CSV, Parquet, JSON, NDJSON or Arrow IPC, optionally partitioned."""

    write_csv = staticmethod(writers.write_csv)
    write_parquet = staticmethod(writers.write_parquet)
    write_ipc = staticmethod(writers.write_ipc)
    write_ndjson = staticmethod(writers.write_ndjson)
    write_json = staticmethod(writers.write_json)
    write = staticmethod(writers.write)


class TransformationSteps:
    """Transforms on DataFrames, LazyFrames (kept lazy) and Arrow tables; Metalus schema mapping."""

    select = staticmethod(transforms.select)
    select_expressions = staticmethod(transforms.select_expressions)
    rename = staticmethod(transforms.rename)
    drop_columns = staticmethod(transforms.drop_columns)
    cast = staticmethod(transforms.cast)
    apply_filter = staticmethod(transforms.apply_filter)
    add_column = staticmethod(transforms.add_column)
    add_columns = staticmethod(transforms.add_columns)
    add_static_column = staticmethod(transforms.add_static_column)
    add_static_column_to_data_frame = staticmethod(transforms.add_static_column)
    add_unique_id = staticmethod(transforms.add_unique_id)
    add_unique_id_to_data_frame = staticmethod(transforms.add_unique_id)
    join = staticmethod(transforms.join)
    group_by = staticmethod(transforms.group_by)
    union = staticmethod(transforms.union)
    concat = staticmethod(transforms.concat)
    distinct = staticmethod(transforms.distinct)
    sort = staticmethod(transforms.sort)
    sample = staticmethod(transforms.sample)
    limit = staticmethod(transforms.limit)
    standardize_column_names = staticmethod(transforms.standardize_column_names)
    apply_transforms = staticmethod(conform.apply_transforms)
    apply_schema = staticmethod(conform.apply_schema)
    map_data_frame_to_schema = staticmethod(conform.map_data_frame_to_schema)
    map_to_destination_data_frame = staticmethod(conform.map_to_destination_data_frame)
    merge_data_frames = staticmethod(conform.merge_data_frames)


class SqlSteps:
    """SQL over named frames with polars' SQLContext."""

    query_data_frame = staticmethod(sql.query_data_frame)
    sql = staticmethod(sql.sql)  # after the line above: from here on ``sql`` names the step


class QualitySteps:
    """Data quality checks that fail the step or return ``passed``/``failed`` for a branch."""

    check_row_count = staticmethod(quality.check_row_count)
    check_not_null = staticmethod(quality.check_not_null)
    check_unique = staticmethod(quality.check_unique)
    check_range = staticmethod(quality.check_range)


class DatabaseSteps:
    """Read and write tables through SQLite, PostgreSQL or DuckDB connection URLs."""

    read_table = staticmethod(database.read_table)
    write_table = staticmethod(database.write_table)
    execute_sql = staticmethod(database.execute_sql)


class StringSteps:
    """String helpers (Metalus's StringSteps and more)."""

    to_string = staticmethod(strings.to_string)
    list_to_string = staticmethod(strings.list_to_string)
    concat = staticmethod(strings.concat)
    format_string = staticmethod(strings.format_string)
    to_lower_case = staticmethod(strings.to_lower_case)
    to_upper_case = staticmethod(strings.to_upper_case)
    string_split = staticmethod(strings.string_split)
    split = staticmethod(strings.split)
    substring = staticmethod(strings.substring)
    replace = staticmethod(strings.replace)
    string_equals = staticmethod(strings.string_equals)
    string_matches = staticmethod(strings.string_matches)


class LoggingSteps:
    """Log messages through the standard logging module."""

    log_message = staticmethod(logging_steps.log_message)


class FlowSteps:
    """Comparison and branch helpers, counts, retry decisions and sleep."""

    compare = staticmethod(flow.compare)
    compare_values = staticmethod(flow.compare_values)
    is_empty = staticmethod(flow.is_empty)
    count = staticmethod(flow.count)
    sleep = staticmethod(flow.sleep)
    simple_retry = staticmethod(flow.simple_retry)


class ExceptionSteps:
    """Skip, stop, pause or fail an execution (Metalus's ExceptionSteps plus pause/error messages)."""

    throw_skip_execution_exception = staticmethod(exception_steps.throw_skip_execution_exception)
    throw_pipeline_exception = staticmethod(exception_steps.throw_pipeline_exception)
    throw_pause_exception = staticmethod(exception_steps.throw_pause_exception)
    pause = staticmethod(exception_steps.pause)
    error = staticmethod(exception_steps.error)


#: Metalus's name for the retry helper's object (``FlowUtilsSteps.simpleRetry``).
FlowUtilsSteps = FlowSteps

#: Every step object by name, for catalogues.
STEP_OBJECTS: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        FileSteps,
        DataReaderSteps,
        DataWriterSteps,
        TransformationSteps,
        SqlSteps,
        QualitySteps,
        DatabaseSteps,
        StringSteps,
        LoggingSteps,
        FlowSteps,
        ExceptionSteps,
    )
}

__all__ = [
    "STEP_OBJECTS",
    "DataReaderSteps",
    "DataWriterSteps",
    "DatabaseSteps",
    "ExceptionSteps",
    "FileSteps",
    "FlowSteps",
    "FlowUtilsSteps",
    "LoggingSteps",
    "QualitySteps",
    "SqlSteps",
    "StringSteps",
    "TransformationSteps",
]
