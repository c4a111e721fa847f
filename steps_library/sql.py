"""SQL over named frames with polars' SQLContext (``SqlSteps``).

Tables are registered lazily, so a query over LazyFrames stays a LazyFrame (and joins into
the surrounding lazy chain); a query over DataFrames or Arrow tables returns a DataFrame.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from metalus_py.base.exceptions import PipelineException
from steps_library._frames import Frame, restore, to_lazy


def sql(query: str, tables: dict[str, Any], eager: bool | None = None) -> Frame:
    """Run a SQL query over frames registered under table names.

    Args:
        query: the SQL query (polars SQL dialect: SELECT, JOIN, GROUP BY, WINDOW, CTEs, ...).
        tables: table name -> DataFrame, LazyFrame or Arrow table.
        eager: force a DataFrame (true) or a LazyFrame (false); default: lazy if any table is.

    Returns:
        The query result.
    """
    if not tables:
        raise PipelineException("sql: give at least one table ({'name': frame})")
    context = pl.SQLContext({name: to_lazy(frame) for name, frame in tables.items()}, eager=False)
    try:
        result = context.execute(query, eager=False)
        assert isinstance(result, pl.LazyFrame)
        result.collect_schema()  # resolve names and types now, so a bad query fails in this step
        if eager is None:
            return restore(result, *tables.values())
        return result.collect() if eager else result
    except pl.exceptions.PolarsError as error:
        raise PipelineException(
            f"sql: the query failed on tables {sorted(tables)}: {error}", cause=error
        ) from error


def query_data_frame(data_frame: Frame, query: str, table_name: str = "dataFrame") -> Frame:
    """Run a SQL query over one frame, registered under ``table_name``.

    Args:
        data_frame: the frame to query.
        query: the SQL query, e.g. ``SELECT id, sum(x) AS x FROM dataFrame GROUP BY id``.
        table_name: the name of the frame in the query.
    """
    return sql(query, {table_name: data_frame})


class SqlSteps:
    """SQL over named frames with polars' SQLContext."""

    query_data_frame = staticmethod(query_data_frame)
    sql = staticmethod(sql)
