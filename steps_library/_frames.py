"""Frame helpers shared by the steps: accept DataFrames, LazyFrames and Arrow tables alike.

Every transform is written once, LazyFrame in and LazyFrame out, and wrapped by
:func:`apply_lazy`, which hands the result back in the kind the caller gave: a LazyFrame stays
lazy (so a chain of transform steps builds one query that runs only at a write step), a
DataFrame comes back collected, an Arrow table comes back as an Arrow table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

import polars as pl
import pyarrow as pa

from metalus_py.base.exceptions import PipelineException

#: Anything a frame parameter accepts.
Frame: TypeAlias = pl.DataFrame | pl.LazyFrame | pa.Table


def to_lazy(frame: Frame) -> pl.LazyFrame:
    """Return ``frame`` as a LazyFrame (no copy for polars frames)."""
    if isinstance(frame, pl.LazyFrame):
        return frame
    if isinstance(frame, pl.DataFrame):
        return frame.lazy()
    if isinstance(frame, pa.Table):
        converted = pl.from_arrow(frame)
        assert isinstance(converted, pl.DataFrame)
        return converted.lazy()
    raise PipelineException(
        f"Expected a polars DataFrame/LazyFrame or a pyarrow Table, got {type(frame).__name__}"
    )


def to_polars(frame: Frame) -> pl.DataFrame | pl.LazyFrame:
    """Return ``frame`` as a polars frame, keeping a LazyFrame lazy."""
    return frame if isinstance(frame, pl.LazyFrame) else collect(frame)


def collect(frame: Frame) -> pl.DataFrame:
    """Return ``frame`` as a DataFrame, running the query of a LazyFrame."""
    if isinstance(frame, pl.DataFrame):
        return frame
    return to_lazy(frame).collect()


def restore(result: pl.LazyFrame, *like: Frame) -> Frame:
    """Give ``result`` back in the kind of the inputs: lazy if any input is lazy, else like the first."""
    if any(isinstance(item, pl.LazyFrame) for item in like):
        return result
    collected = result.collect()
    if like and isinstance(like[0], pa.Table):
        return collected.to_arrow()
    return collected


def apply_lazy(frame: Frame, transform: Callable[[pl.LazyFrame], pl.LazyFrame]) -> Frame:
    """Run ``transform`` on ``frame`` as a LazyFrame and return the result in the kind given."""
    return restore(transform(to_lazy(frame)), frame)


def column_names(frame: Frame) -> list[str]:
    """The column names of ``frame`` (resolving a LazyFrame's schema, not its data)."""
    if isinstance(frame, pl.LazyFrame):
        return frame.collect_schema().names()
    return list(frame.column_names) if isinstance(frame, pa.Table) else frame.columns


def schema_of(frame: Frame) -> dict[str, pl.DataType]:
    """The polars schema of ``frame`` as a plain dict."""
    return dict(to_lazy(frame).collect_schema())


def row_count(frame: Frame) -> int:
    """Number of rows; a LazyFrame is counted with a ``len`` query, not materialised."""
    if isinstance(frame, pl.LazyFrame):
        return int(frame.select(pl.len()).collect().item())
    return int(frame.num_rows if isinstance(frame, pa.Table) else frame.height)


def as_list(value: Any) -> list[Any]:
    """``None`` → ``[]``, a string or scalar → ``[value]``, a sequence → a list."""
    if value is None:
        return []
    if isinstance(value, str | bytes | dict):
        return [value]
    try:
        return list(value)
    except TypeError:
        return [value]


def require_columns(frame: Frame, columns: list[str], step: str) -> None:
    """Raise a PipelineException naming any of ``columns`` that ``frame`` does not have."""
    existing = column_names(frame)
    missing = [name for name in columns if name not in existing]
    if missing:
        raise PipelineException(f"{step}: unknown column(s) {missing}; the frame has {existing}")
