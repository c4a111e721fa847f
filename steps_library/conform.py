"""Map frames onto a Metalus ``Schema`` with a ``Transformations`` object (``TransformationSteps``).

The order of operations follows Metalus's ``mapDataFrameToSchema``: rename input columns by
their ``inputAliases``; apply ``expression``s (replacing a column or adding a new one);
add destination columns that are missing (nulls); cast to the destination types; apply the
``filter``; order columns as the destination schema, then (``add_new_columns``) the rest.
Everything stays lazy on a LazyFrame.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from steps_library import transforms
from steps_library._frames import Frame, restore, to_lazy
from steps_library.schema import Transformations, schema_to_polars
from steps_library.transforms import cast_expression, clean_column_name


def _apply_aliases(lf: pl.LazyFrame, transforms: Transformations) -> pl.LazyFrame:
    clean = transforms.standardize_column_names
    aliases: dict[str, str] = {}
    for detail in transforms.column_details:
        output = clean_column_name(detail.output_field) if clean else detail.output_field
        for alias in detail.input_aliases:
            aliases[clean_column_name(alias) if clean else alias] = output
    mapping: dict[str, str] = {}
    for name in lf.collect_schema().names():
        key = clean_column_name(name) if clean else name
        mapping[name] = aliases.get(key, key)
    return lf.rename({old: new for old, new in mapping.items() if old != new})


def _apply_expressions(lf: pl.LazyFrame, transforms: Transformations) -> pl.LazyFrame:
    clean = transforms.standardize_column_names
    exprs = [
        pl.sql_expr(detail.expression).alias(
            clean_column_name(detail.output_field) if clean else detail.output_field
        )
        for detail in transforms.column_details
        if detail.expression
    ]
    return lf.with_columns(exprs) if exprs else lf


def _transform(lf: pl.LazyFrame, transforms: Transformations) -> pl.LazyFrame:
    return _apply_expressions(_apply_aliases(lf, transforms), transforms)


def apply_transforms(data_frame: Frame, transforms: Any) -> Frame:
    """Rename columns by their input aliases and compute the expressions of a Transformations object.

    Args:
        data_frame: the input frame.
        transforms: ``{"columnDetails": [{"outputField", "inputAliases", "expression"}],
            "standardizeColumnNames": bool}``; an expression replaces a column of the same
            name or is appended as a new column.
    """
    return restore(_transform(to_lazy(data_frame), Transformations.parse(transforms)), data_frame)


def _conform(
    lf: pl.LazyFrame, destination: dict[str, pl.DataType], transforms: Transformations, add_new_columns: bool
) -> pl.LazyFrame:
    if transforms.standardize_column_names:
        destination = {clean_column_name(name): kind for name, kind in destination.items()}
    lf = _transform(lf, transforms)
    current = lf.collect_schema()
    missing = [
        pl.lit(None, dtype=kind).alias(name) for name, kind in destination.items() if name not in current
    ]
    casts = [
        cast_expression(name, current[name], kind)
        for name, kind in destination.items()
        if name in current and current[name] != kind
    ]
    lf = lf.with_columns([*missing, *casts])
    if transforms.filter:
        lf = lf.filter(pl.sql_expr(transforms.filter))
    extra = (
        [name for name in lf.collect_schema().names() if name not in destination] if add_new_columns else []
    )
    return lf.select([*destination, *extra])


def apply_schema(
    data_frame: Frame, schema: Any, transforms: Any = None, add_new_columns: bool = True
) -> Frame:
    """Conform a frame to a schema: aliases, expressions, missing columns, types, filter, column order.

    Args:
        data_frame: the input frame.
        schema: a Metalus Schema (``{"attributes": [{"name", "dataType": {"baseType"}}]}``) or a
            ``{name: type}`` mapping.
        transforms: an optional Metalus Transformations object (aliases, expressions, filter,
            ``standardizeColumnNames``).
        add_new_columns: keep input columns that the schema does not name (after its columns).
    """
    destination = schema_to_polars(schema)
    result = _conform(to_lazy(data_frame), destination, Transformations.parse(transforms), add_new_columns)
    return restore(result, data_frame)


def map_data_frame_to_schema(
    input_data_frame: Frame, destination_schema: Any, transforms: Any = None, add_new_columns: bool = True
) -> Frame:
    """Map a frame to a pre-defined schema (Metalus ``mapDataFrameToSchema``; see ``apply_schema``).

    Args:
        input_data_frame: the input frame.
        destination_schema: the Metalus Schema to map to.
        transforms: an optional Transformations object.
        add_new_columns: keep input columns the schema does not name.
    """
    return apply_schema(input_data_frame, destination_schema, transforms, add_new_columns)


def map_to_destination_data_frame(
    input_data_frame: Frame,
    destination_data_frame: Frame,
    transforms: Any = None,
    add_new_columns: bool = True,
) -> Frame:
    """Map a frame to the columns and types of another frame (Metalus ``mapToDestinationDataFrame``).

    Args:
        input_data_frame: the input frame.
        destination_data_frame: the frame whose schema to match (only its schema is read).
        transforms: an optional Transformations object.
        add_new_columns: keep input columns the destination does not have.
    """
    destination = dict(to_lazy(destination_data_frame).collect_schema())
    return apply_schema(input_data_frame, destination, transforms, add_new_columns)


def merge_data_frames(
    input_data_frame: Frame,
    destination_data_frame: Frame,
    transforms: Any = None,
    add_new_columns: bool = True,
    distinct: bool = True,
) -> Frame:
    """Map a frame onto another frame's schema and union them, destination rows first (``mergeDataFrames``).

    Args:
        input_data_frame: the frame to map and append.
        destination_data_frame: the frame driving the schema.
        transforms: an optional Transformations object.
        add_new_columns: keep input columns the destination does not have (null for its rows).
        distinct: drop duplicate rows after the union.
    """
    parsed = Transformations.parse(transforms)
    destination_lazy = to_lazy(destination_data_frame)
    destination = dict(destination_lazy.collect_schema())
    mapped = _conform(to_lazy(input_data_frame), destination, parsed, add_new_columns)
    merged = pl.concat([_apply_aliases(destination_lazy, parsed), mapped], how="diagonal_relaxed")
    if distinct:
        merged = merged.unique(maintain_order=True)
    return restore(merged, input_data_frame, destination_data_frame)


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
    apply_transforms = staticmethod(apply_transforms)
    apply_schema = staticmethod(apply_schema)
    map_data_frame_to_schema = staticmethod(map_data_frame_to_schema)
    map_to_destination_data_frame = staticmethod(map_to_destination_data_frame)
    merge_data_frames = staticmethod(merge_data_frames)
