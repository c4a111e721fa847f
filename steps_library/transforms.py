"""Row and column transforms on polars frames (``TransformationSteps``).

Every step takes a DataFrame, LazyFrame or Arrow table and gives back the same kind (see
:mod:`steps_library._frames`): LazyFrames stay lazy, so a chain of these steps builds a single
query that runs at the write step. Expressions are SQL expressions (``pl.sql_expr``):
``"amount * 2 AS doubled"``, ``"status = 'open' AND amount > 10"``.

To add a transform: write ``def step(data_frame: Frame, ...) -> Frame`` around
``apply_lazy(data_frame, lambda lf: ...)`` and list it on ``TransformationSteps`` in
``steps_library/__init__.py``.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl
import pyarrow as pa

from metalus_py.base.exceptions import PipelineException
from steps_library._frames import Frame, apply_lazy, as_list, column_names, restore, schema_of, to_lazy
from steps_library.schema import to_polars_type

_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")
_JOIN_TYPES = {
    "inner": "inner",
    "left": "left",
    "left_outer": "left",
    "leftouter": "left",
    "right": "right",
    "right_outer": "right",
    "rightouter": "right",
    "full": "full",
    "outer": "full",
    "full_outer": "full",
    "fullouter": "full",
    "semi": "semi",
    "left_semi": "semi",
    "leftsemi": "semi",
    "anti": "anti",
    "left_anti": "anti",
    "leftanti": "anti",
    "cross": "cross",
}
_AGGREGATIONS = {
    "sum": "sum",
    "mean": "mean",
    "avg": "mean",
    "average": "mean",
    "min": "min",
    "max": "max",
    "count": "count",
    "n_unique": "n_unique",
    "count_distinct": "n_unique",
    "first": "first",
    "last": "last",
    "median": "median",
    "std": "std",
    "var": "var",
    "list": "implode",
    "collect_list": "implode",
}
_EQUALITY = re.compile(r"^\s*([\w.]+)\s*={1,2}\s*([\w.]+)\s*$")


def clean_column_name(name: str) -> str:
    """Metalus's ``cleanColumnName``: upper-case ``name``, turn runs of other characters into ``_``,
    prefix a leading digit with ``C_``."""
    cleaned = re.sub(r"[^0-9A-Z]+", "_", str(name).upper()).strip("_") or "COL"
    return f"C_{cleaned}" if cleaned[0].isdigit() else cleaned


def cast_expression(name: str, source: pl.DataType, target: pl.DataType, strict: bool = False) -> pl.Expr:
    """An expression casting column ``name`` from ``source`` to ``target`` (strings parse as Spark does)."""
    column = pl.col(name)
    if source == target:
        return column
    if source == pl.String:
        if target == pl.Boolean:
            lowered = column.str.strip_chars().str.to_lowercase()
            return (
                pl.when(lowered.is_in(_TRUE)).then(True).when(lowered.is_in(_FALSE)).then(False).alias(name)
            )
        if target == pl.Date:
            return column.str.to_date(strict=strict).alias(name)
        if isinstance(target, pl.Datetime):
            return column.str.to_datetime(time_unit=target.time_unit, strict=strict).cast(target).alias(name)
        if target.is_numeric():
            return column.str.strip_chars().cast(target, strict=strict).alias(name)
    return column.cast(target, strict=strict).alias(name)


def select(data_frame: Frame, columns: list[str]) -> Frame:
    """Keep only the named columns, in the order given.

    Args:
        data_frame: the input frame.
        columns: column names to keep.
    """
    return apply_lazy(data_frame, lambda lf: lf.select(as_list(columns)))


def select_expressions(data_frame: Frame, expressions: list[str]) -> Frame:
    """Select a list of SQL expressions (``"a"``, ``"b * 2 AS c"``, ``"upper(name) AS name"``).

    Args:
        data_frame: the input frame.
        expressions: SQL expressions, each giving one output column.
    """
    return apply_lazy(data_frame, lambda lf: lf.select([pl.sql_expr(item) for item in as_list(expressions)]))


def rename(data_frame: Frame, mapping: dict[str, str]) -> Frame:
    """Rename columns (``{"old": "new"}``); unknown old names are an error.

    Args:
        data_frame: the input frame.
        mapping: old name -> new name.
    """
    return apply_lazy(data_frame, lambda lf: lf.rename(dict(mapping)))


def drop_columns(data_frame: Frame, column_names: list[str]) -> Frame:
    """Drop the named columns (names that do not exist are ignored).

    Args:
        data_frame: the input frame.
        column_names: columns to drop.
    """
    return apply_lazy(data_frame, lambda lf: lf.drop(as_list(column_names), strict=False))


def cast(data_frame: Frame, columns: dict[str, str], strict: bool = False) -> Frame:
    """Cast columns to types (``{"amount": "double", "day": "date", "id": "Int64"}``).

    Type names are Metalus base types (``string``, ``integer``, ``long``, ``double``,
    ``decimal(10,2)``, ``boolean``, ``date``, ``timestamp``) or polars type names.

    Args:
        data_frame: the input frame.
        columns: column name -> type name.
        strict: raise on a value that does not convert (default: it becomes null, as in Spark).
    """
    schema = schema_of(data_frame)
    unknown = [name for name in columns if name not in schema]
    if unknown:
        raise PipelineException(f"cast: unknown column(s) {unknown}; the frame has {list(schema)}")
    exprs = [
        cast_expression(name, schema[name], to_polars_type(kind), strict) for name, kind in columns.items()
    ]
    return apply_lazy(data_frame, lambda lf: lf.with_columns(exprs))


def apply_filter(data_frame: Frame, expression: str) -> Frame:
    """Keep the rows where a SQL boolean expression is true (``"amount > 10 AND status = 'open'"``).

    Args:
        data_frame: the input frame.
        expression: a SQL ``WHERE`` expression.
    """
    return apply_lazy(data_frame, lambda lf: lf.filter(pl.sql_expr(expression)))


def add_columns(data_frame: Frame, columns: dict[str, str], standardize_column_names: bool = False) -> Frame:
    """Add (or replace) columns computed by SQL expressions (``{"total": "price * qty"}``).

    Args:
        data_frame: the input frame.
        columns: output column name -> SQL expression.
        standardize_column_names: clean the output names (see ``standardize_column_names``).
    """
    exprs = [
        pl.sql_expr(expression).alias(clean_column_name(name) if standardize_column_names else name)
        for name, expression in columns.items()
    ]
    return apply_lazy(data_frame, lambda lf: lf.with_columns(exprs))


def add_column(
    data_frame: Frame, column_name: str, expression: str, standardize_column_name: bool = False
) -> Frame:
    """Add (or replace) one column computed by a SQL expression.

    Args:
        data_frame: the input frame.
        column_name: the output column.
        expression: SQL expression, e.g. ``"price * qty"``.
        standardize_column_name: clean the output name.
    """
    return add_columns(data_frame, {column_name: expression}, standardize_column_name)


def add_static_column(
    data_frame: Frame, column_name: str, column_value: Any, standardize_column_name: bool = False
) -> Frame:
    """Add a column holding the same value on every row.

    Args:
        data_frame: the input frame.
        column_name: the output column.
        column_value: the value (string, number, boolean or null).
        standardize_column_name: clean the output name.
    """
    name = clean_column_name(column_name) if standardize_column_name else column_name
    return apply_lazy(data_frame, lambda lf: lf.with_columns(pl.lit(column_value).alias(name)))


def add_unique_id(data_frame: Frame, id_column_name: str = "id") -> Frame:
    """Prepend a column numbering the rows 0, 1, 2, ...

    Args:
        data_frame: the input frame.
        id_column_name: name of the new column.
    """
    return apply_lazy(data_frame, lambda lf: lf.with_row_index(id_column_name))


def _join_keys(expression: str, left_alias: str, right_alias: str) -> tuple[list[str], list[str]]:
    """Split ``"l.a = r.b AND l.c = r.d"`` into left and right key column lists."""
    left_on: list[str] = []
    right_on: list[str] = []
    for clause in re.split(r"\s+and\s+", expression.strip(), flags=re.IGNORECASE):
        match = _EQUALITY.match(clause)
        if not match:
            raise PipelineException(
                f"join: only equality conditions joined by AND are supported, not '{clause}' "
                f"(use e.g. '{left_alias}.id = {right_alias}.id')"
            )
        first, second = match.group(1), match.group(2)
        if first.startswith(f"{right_alias}.") and not second.startswith(f"{right_alias}."):
            first, second = second, first
        left_on.append(first.split(".", 1)[1] if first.startswith(f"{left_alias}.") else first)
        right_on.append(second.split(".", 1)[1] if second.startswith(f"{right_alias}.") else second)
    return left_on, right_on


def join(
    left: Frame,
    right: Frame,
    expression: str | None = None,
    on: list[str] | None = None,
    join_type: str = "inner",
    left_alias: str = "left",
    right_alias: str = "right",
    suffix: str = "_right",
) -> Frame:
    """Join two frames on equal keys, given as column names (``on``) or a SQL condition.

    Args:
        left: left side.
        right: right side.
        expression: ``"left.id = right.customer_id AND left.day = right.day"`` (aliases below).
        on: key columns with the same name on both sides (instead of ``expression``).
        join_type: inner, left, right, full (outer), semi, anti or cross; Spark spellings accepted.
        left_alias: the name of the left side in ``expression``.
        right_alias: the name of the right side in ``expression``.
        suffix: appended to right-side column names that clash with left-side ones.

    Returns:
        The joined frame: lazy if either side is lazy.
    """
    how: Any = _JOIN_TYPES.get(str(join_type).lower().replace(" ", "_"))
    if how is None:
        raise PipelineException(
            f"join: unknown join type '{join_type}'; use one of {sorted(set(_JOIN_TYPES))}"
        )
    left_lazy, right_lazy = to_lazy(left), to_lazy(right)
    if how == "cross":
        return restore(left_lazy.join(right_lazy, how="cross", suffix=suffix), left, right)
    if on:
        result = left_lazy.join(right_lazy, on=as_list(on), how=how, suffix=suffix)
    elif expression:
        left_on, right_on = _join_keys(expression, left_alias, right_alias)
        result = left_lazy.join(right_lazy, left_on=left_on, right_on=right_on, how=how, suffix=suffix)
    else:
        raise PipelineException("join: give 'expression' or 'on' for every join type except cross")
    return restore(result, left, right)


def _aggregation(item: Any, name: str | None = None) -> pl.Expr:
    """One aggregation: a SQL expression string or ``{"column": ..., "agg": ..., "alias": ...}``."""
    if isinstance(item, str):
        expr = pl.sql_expr(item)
        return expr.alias(name) if name else expr
    if isinstance(item, dict) and "column" in item:
        agg = _AGGREGATIONS.get(str(item.get("agg", "sum")).lower())
        if agg is None:
            raise PipelineException(
                f"group_by: unknown aggregation {item.get('agg')!r}; use one of {sorted(_AGGREGATIONS)}"
            )
        column = str(item["column"])
        base = pl.len() if column == "*" and agg == "count" else getattr(pl.col(column), agg)()
        return base.alias(
            str(item.get("alias") or name or f"{column}_{item.get('agg', 'sum')}".replace("*", "all"))
        )
    raise PipelineException(
        f"group_by: an aggregation is a SQL expression or {{'column', 'agg'}}, not {item!r}"
    )


def group_by(data_frame: Frame, groupings: list[str], aggregations: Any) -> Frame:
    """Group rows and aggregate.

    Args:
        data_frame: the input frame.
        groupings: columns or SQL expressions to group by.
        aggregations: SQL expressions (``["sum(amount) AS total", "count(*) AS n"]``), a dict
            ``{"total": "sum(amount)"}`` (output name -> expression), or a list of
            ``{"column": "amount", "agg": "sum", "alias": "total"}`` (agg: sum, mean/avg, min,
            max, count, n_unique, first, last, median, std, var, list).

    Returns:
        One row per group, groups in order of first appearance.
    """
    if isinstance(aggregations, dict) and "column" not in aggregations:
        exprs = [_aggregation(expression, name) for name, expression in aggregations.items()]
    else:
        exprs = [_aggregation(item) for item in as_list(aggregations)]
    keys = [pl.sql_expr(item) if isinstance(item, str) else item for item in as_list(groupings)]
    return apply_lazy(data_frame, lambda lf: lf.group_by(keys, maintain_order=True).agg(exprs))


def union(data_frame: Frame, append: Any, distinct: bool = True) -> Frame:
    """Append the rows of one or more frames, matching columns by name (missing ones become null).

    Args:
        data_frame: the first frame.
        append: a frame, or a list of frames, to append.
        distinct: drop duplicate rows afterwards (Metalus's default).
    """
    others = append if isinstance(append, list) else [append]
    lazies = [to_lazy(data_frame), *(to_lazy(item) for item in others)]
    result = pl.concat(lazies, how="diagonal_relaxed")
    if distinct:
        result = result.unique(maintain_order=True)
    return restore(result, data_frame, *others)


def concat(data_frames: Any, distinct: bool = False) -> Frame:
    """Stack a list of frames into one, matching columns by name (missing ones become null).

    Made for a join after a fork, which sees one frame per fork value: ``None`` entries (a
    value that produced nothing) are left out, and an empty list gives an empty DataFrame.

    Args:
        data_frames: a list of DataFrames, LazyFrames or Arrow tables (or a single frame).
        distinct: drop duplicate rows afterwards.

    Returns:
        One frame: lazy if any input is lazy.
    """
    items = [data_frames] if isinstance(data_frames, pl.DataFrame | pl.LazyFrame | pa.Table) else data_frames
    frames = [item for item in as_list(items) if item is not None]
    if not frames:
        return pl.DataFrame()
    result = pl.concat([to_lazy(item) for item in frames], how="diagonal_relaxed")
    if distinct:
        result = result.unique(maintain_order=True)
    return restore(result, *frames)


def distinct(data_frame: Frame, columns: list[str] | None = None, keep: str = "first") -> Frame:
    """Drop duplicate rows (or rows duplicated on ``columns``), keeping the first occurrence.

    Args:
        data_frame: the input frame.
        columns: consider only these columns (default: all).
        keep: which duplicate to keep: first, last, any or none.
    """
    subset = as_list(columns) or None
    strategy: Any = keep
    return apply_lazy(data_frame, lambda lf: lf.unique(subset=subset, keep=strategy, maintain_order=True))


def sort(data_frame: Frame, columns: list[str], descending: Any = False, nulls_last: bool = False) -> Frame:
    """Sort rows by columns.

    Args:
        data_frame: the input frame.
        columns: sort keys, in priority order.
        descending: one flag for all keys or one per key.
        nulls_last: put nulls last instead of first.
    """
    flags = descending if isinstance(descending, list) else bool(descending)
    return apply_lazy(
        data_frame,
        lambda lf: lf.sort(as_list(columns), descending=flags, nulls_last=nulls_last, maintain_order=True),
    )


def sample(
    data_frame: Frame, n: int | None = None, fraction: float | None = None, seed: int | None = None
) -> Frame:
    """Keep a random sample of rows (without replacement); stays lazy on a LazyFrame.

    Args:
        data_frame: the input frame.
        n: number of rows to keep (or all rows if fewer).
        fraction: share of rows to keep, 0..1 (instead of ``n``).
        seed: random seed, for a repeatable sample.
    """
    if (n is None) == (fraction is None):
        raise PipelineException("sample: give exactly one of 'n' and 'fraction'")
    limit = pl.lit(n) if n is not None else (pl.len() * float(fraction or 0)).floor()
    return apply_lazy(data_frame, lambda lf: lf.filter(pl.int_range(pl.len()).shuffle(seed=seed) < limit))


def limit(data_frame: Frame, n: int) -> Frame:
    """Keep the first ``n`` rows.

    Args:
        data_frame: the input frame.
        n: number of rows.
    """
    return apply_lazy(data_frame, lambda lf: lf.head(int(n)))


def standardize_column_names(data_frame: Frame) -> Frame:
    """Clean every column name as Metalus does: upper case, non-alphanumerics → ``_``, duplicates suffixed ``_2``, ``_3``.

    Args:
        data_frame: the input frame.
    """
    mapping: dict[str, str] = {}
    for name in column_names(data_frame):
        cleaned = candidate = clean_column_name(name)
        index = 2
        while candidate in mapping.values():
            candidate, index = f"{cleaned}_{index}", index + 1
        mapping[name] = candidate
    return apply_lazy(data_frame, lambda lf: lf.rename(mapping))
