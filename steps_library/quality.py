"""Data quality checks (``QualitySteps``): row counts, nulls, uniqueness and value ranges.

Each check computes only aggregates (a LazyFrame is not materialised, though its query runs).
With ``fail=True`` (default) a failed check raises a ``PipelineException`` naming the
column(s) and the number of offending rows. With ``fail=False`` it returns a
``StepResponse`` whose primary return is ``"passed"`` or ``"failed"`` (for a branch step),
with named returns ``check``, ``passed``, ``offendingRows``, ``rows``, ``message``, details,
and ``$metrics.<check>.offendingRows`` / ``$metrics.<check>.rows`` metrics.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from metalus_py.base.exceptions import PipelineException
from metalus_py.steps.contracts import output_schema
from metalus_py.steps.response import StepResponse
from steps_library._frames import Frame, as_list, require_columns, to_lazy

#: Every check answers ``passed`` or ``failed`` (details in its named returns).
_CHECK_RESULT = {"type": "string", "enum": ["passed", "failed"]}


def _result(check: str, offending: int, rows: int, message: str, fail: bool, **details: Any) -> StepResponse:
    passed = offending == 0
    if not passed and fail:
        raise PipelineException(message, check=check, offending_rows=offending)
    return StepResponse(
        "passed" if passed else "failed",
        {
            "check": check,
            "passed": passed,
            "offendingRows": offending,
            "rows": rows,
            "message": "passed" if passed else message,
            **details,
            f"$metrics.{check}.offendingRows": offending,
            f"$metrics.{check}.rows": rows,
        },
    )


@output_schema(_CHECK_RESULT)
def check_row_count(
    data_frame: Frame, min_rows: int | None = 1, max_rows: int | None = None, fail: bool = True
) -> StepResponse:
    """Check that the number of rows is within ``[min_rows, max_rows]``.

    Args:
        data_frame: the frame to check.
        min_rows: the least number of rows allowed (default 1: not empty; ``None``: no minimum).
        max_rows: the most rows allowed (``None``: no maximum).
        fail: raise on failure (else return ``"failed"``).

    Returns:
        ``"passed"``/``"failed"``; ``offendingRows`` is how many rows short or over.
    """
    rows = int(to_lazy(data_frame).select(pl.len()).collect().item())
    short = max(0, int(min_rows) - rows) if min_rows is not None else 0
    over = max(0, rows - int(max_rows)) if max_rows is not None else 0
    message = f"Row count check failed: {rows} rows, expected between {min_rows} and {max_rows}"
    return _result("rowCount", short + over, rows, message, fail, minRows=min_rows, maxRows=max_rows)


@output_schema(_CHECK_RESULT)
def check_not_null(data_frame: Frame, columns: list[str], fail: bool = True) -> StepResponse:
    """Check that columns hold no nulls (NaN in float columns counts as null).

    Args:
        data_frame: the frame to check.
        columns: the columns to check.
        fail: raise on failure (else return ``"failed"``).

    Returns:
        ``"passed"``/``"failed"``; ``offendingRows`` counts rows with a null in any column and
        ``nullCounts`` gives the count per column.
    """
    names = as_list(columns)
    require_columns(data_frame, names, "check_not_null")
    lf = to_lazy(data_frame)
    schema = lf.collect_schema()

    def missing(name: str) -> pl.Expr:
        column = pl.col(name)
        return column.is_null() | column.is_nan() if schema[name].is_float() else column.is_null()

    counts = (
        lf.select(
            pl.len().alias("__rows"),
            pl.any_horizontal([missing(name) for name in names]).sum().alias("__offending"),
            *(missing(name).sum().alias(name) for name in names),
        )
        .collect()
        .row(0, named=True)
    )
    per_column = {name: int(counts[name]) for name in names}
    bad = ", ".join(f"'{name}' has {count} null row(s)" for name, count in per_column.items() if count)
    message = f"Null check failed: {bad}"
    return _result(
        "nullCheck", int(counts["__offending"]), int(counts["__rows"]), message, fail, nullCounts=per_column
    )


@output_schema(_CHECK_RESULT)
def check_unique(data_frame: Frame, columns: list[str], fail: bool = True) -> StepResponse:
    """Check that the combination of ``columns`` is unique across rows.

    Args:
        data_frame: the frame to check.
        columns: the key column(s).
        fail: raise on failure (else return ``"failed"``).

    Returns:
        ``"passed"``/``"failed"``; ``offendingRows`` counts rows whose key occurs more than once,
        ``duplicateKeys`` the number of distinct keys that repeat.
    """
    names = as_list(columns)
    require_columns(data_frame, names, "check_unique")
    groups = to_lazy(data_frame).group_by(names).agg(pl.len().alias("__count"))
    stats = (
        groups.select(
            pl.col("__count").sum().alias("rows"),
            pl.col("__count").filter(pl.col("__count") > 1).sum().alias("offending"),
            (pl.col("__count") > 1).sum().alias("keys"),
        )
        .collect()
        .row(0, named=True)
    )
    offending, rows, keys = int(stats["offending"] or 0), int(stats["rows"] or 0), int(stats["keys"] or 0)
    message = f"Uniqueness check failed: {names} has {offending} row(s) sharing {keys} duplicated value(s)"
    return _result("uniqueCheck", offending, rows, message, fail, duplicateKeys=keys)


@output_schema(_CHECK_RESULT)
def check_range(
    data_frame: Frame,
    column: str,
    min_value: Any = None,
    max_value: Any = None,
    inclusive: bool = True,
    fail: bool = True,
) -> StepResponse:
    """Check that a column's values lie within ``[min_value, max_value]`` (nulls are not counted).

    Args:
        data_frame: the frame to check.
        column: the column to check.
        min_value: the lowest value allowed (``None``: no lower bound).
        max_value: the highest value allowed (``None``: no upper bound).
        inclusive: the bounds themselves are allowed.
        fail: raise on failure (else return ``"failed"``).

    Returns:
        ``"passed"``/``"failed"``; ``offendingRows`` counts values out of range.
    """
    require_columns(data_frame, [column], "check_range")
    if min_value is None and max_value is None:
        raise PipelineException("check_range: give min_value, max_value or both")
    value = pl.col(column)
    dtype = to_lazy(data_frame).collect_schema()[column]
    min_value, max_value = _bound(min_value, dtype, column), _bound(max_value, dtype, column)
    outside = pl.lit(False)
    if min_value is not None:
        outside = outside | (value < min_value if inclusive else value <= min_value)
    if max_value is not None:
        outside = outside | (value > max_value if inclusive else value >= max_value)
    stats = (
        to_lazy(data_frame)
        .select(
            pl.len().alias("rows"),
            outside.fill_null(False).sum().alias("offending"),
            value.min().alias("min"),
            value.max().alias("max"),
        )
        .collect()
        .row(0, named=True)
    )
    offending = int(stats["offending"])
    bounds = f"[{min_value}, {max_value}]" if inclusive else f"({min_value}, {max_value})"
    message = f"Range check failed: column '{column}' has {offending} row(s) outside {bounds}"
    return _result(
        "rangeCheck",
        offending,
        int(stats["rows"]),
        message,
        fail,
        column=column,
        minValue=min_value,
        maxValue=max_value,
        actualMin=stats["min"],
        actualMax=stats["max"],
    )


def _bound(value: Any, dtype: pl.DataType, column: str) -> Any:
    """A bound comparable with the column: JSON gives dates and times as strings, so parse them."""
    if value is None or not isinstance(value, str) or not dtype.is_temporal():
        return value
    try:
        return pl.Series([value]).str.to_datetime(strict=True).cast(dtype)[0]
    except Exception as exc:  # noqa: BLE001 - polars raises several kinds of parse errors
        raise PipelineException(
            f"check_range: bound {value!r} for column '{column}' is not a valid {dtype} (use ISO 8601)"
        ) from exc


#: With ``fail=False`` each check answers ``passed`` or ``failed``: the catalogue offers them as branches.
for _check in (check_row_count, check_not_null, check_unique, check_range):
    setattr(_check, "branch_results", ("passed", "failed"))  # noqa: B010 - a plain function attribute


class QualitySteps:
    """Data quality checks that fail the step or return ``passed``/``failed`` for a branch."""

    check_row_count = staticmethod(check_row_count)
    check_not_null = staticmethod(check_not_null)
    check_unique = staticmethod(check_unique)
    check_range = staticmethod(check_range)
