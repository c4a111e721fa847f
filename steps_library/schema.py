"""Metalus ``Schema`` and ``Transformations`` objects, and data type names, mapped onto polars.

A Metalus schema is ``{"attributes": [{"name": "id", "dataType": {"baseType": "integer"}}]}``;
``dataType`` may nest (``"array"`` with ``elementType``, ``"struct"`` with ``schema``, ``"map"``
with ``keyType``/``valueType``). Transformations are ``{"columnDetails": [{"outputField": ...,
"inputAliases": [...], "expression": ...}], "filter": ..., "standardizeColumnNames": bool}``.
Both may arrive as plain JSON dicts or as objects with the same attribute names (camelCase or
snake_case). A type may also be given as a name (``"long"``, ``"Int64"``, ``"decimal(10,2)"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from metalus_py.base.exceptions import PipelineException

_BASE_TYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "str": pl.String(),
    "text": pl.String(),
    "varchar": pl.String(),
    "utf8": pl.String(),
    "char": pl.String(),
    "integer": pl.Int32(),
    "int": pl.Int32(),
    "long": pl.Int64(),
    "bigint": pl.Int64(),
    "short": pl.Int16(),
    "smallint": pl.Int16(),
    "byte": pl.Int8(),
    "tinyint": pl.Int8(),
    "float": pl.Float32(),
    "real": pl.Float32(),
    "double": pl.Float64(),
    "boolean": pl.Boolean(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
    "timestamp": pl.Datetime("us"),
    "datetime": pl.Datetime("us"),
    "binary": pl.Binary(),
    "decimal": pl.Decimal(38, 18),
    "null": pl.Null(),
}
_DECIMAL = re.compile(r"^decimal\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$", re.IGNORECASE)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    """Read ``name`` (camelCase) or its snake_case spelling from a dict or an object."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    for key in (name, snake):
        if isinstance(obj, dict) and key in obj:
            return obj[key]
        if not isinstance(obj, dict) and hasattr(obj, key):
            return getattr(obj, key)
    return default


def to_polars_type(data_type: Any) -> pl.DataType:
    """Convert a Metalus ``dataType`` object, a type name or a polars type to a polars DataType.

    Raises:
        PipelineException: the type is not known.
    """
    if isinstance(data_type, pl.DataType):
        return data_type
    if isinstance(data_type, type) and issubclass(data_type, pl.DataType):
        return data_type()
    if isinstance(data_type, str):
        name = data_type.strip()
        match = _DECIMAL.match(name)
        if match:
            return pl.Decimal(int(match.group(1)), int(match.group(2) or 0))
        if name.lower() in _BASE_TYPES:
            return _BASE_TYPES[name.lower()]
        polars_type = getattr(pl, name, None)
        if isinstance(polars_type, type) and issubclass(polars_type, pl.DataType):
            return polars_type()
        raise PipelineException(f"Unknown data type '{data_type}'; use one of {sorted(_BASE_TYPES)}")
    base = str(_get(data_type, "baseType", "") or "").lower()
    if base == "array":
        return pl.List(to_polars_type(_get(data_type, "elementType", "string")))
    if base == "struct":
        return pl.Struct(schema_to_polars(_get(data_type, "schema", {"attributes": []})))
    if base == "map":
        key_type = to_polars_type(_get(data_type, "keyType", "string"))
        value_type = to_polars_type(_get(data_type, "valueType", "string"))
        return pl.List(pl.Struct({"key": key_type, "value": value_type}))
    if base == "decimal" and (_get(data_type, "precision") is not None):
        return pl.Decimal(int(_get(data_type, "precision")), int(_get(data_type, "scale", 0) or 0))
    if not base:
        raise PipelineException(f"A data type needs a 'baseType': {data_type!r}")
    return to_polars_type(base)


def schema_to_polars(schema: Any) -> dict[str, pl.DataType]:
    """Convert a schema to an ordered ``{name: polars type}`` dict.

    Accepts a Metalus Schema (``{"attributes": [...]}``), a ``{name: type}`` mapping, a list of
    attributes or a polars Schema.
    """
    if schema is None:
        return {}
    if isinstance(schema, pl.Schema):
        return dict(schema)
    attributes = _get(schema, "attributes")
    if attributes is None and isinstance(schema, dict):
        return {str(name): to_polars_type(kind) for name, kind in schema.items()}
    if attributes is None and isinstance(schema, list):
        attributes = schema
    if attributes is None:
        raise PipelineException(f"Not a schema (expected 'attributes' or a name -> type map): {schema!r}")
    return {str(_get(item, "name")): to_polars_type(_get(item, "dataType", "string")) for item in attributes}


@dataclass(frozen=True)
class Schema:
    """A Metalus ``Schema``: ``attributes`` of ``{"name", "dataType": {"baseType"}}``.

    Named by ``className`` (``"steps_library.schema.Schema"``) a global becomes this object;
    every step taking a schema also accepts the plain JSON form.
    """

    attributes: list[Any] = field(default_factory=list)

    def to_polars(self) -> dict[str, pl.DataType]:
        """The ordered ``{name: polars type}`` of the attributes."""
        return schema_to_polars({"attributes": self.attributes})


@dataclass(frozen=True)
class ColumnDetails:
    """One column of a Transformations object."""

    output_field: str
    input_aliases: list[str] = field(default_factory=list)
    expression: str | None = None

    @classmethod
    def parse(cls, item: Any) -> ColumnDetails:
        """Build from a dict or an object with camelCase or snake_case attribute names."""
        if isinstance(item, ColumnDetails):
            return item
        return cls(
            output_field=str(_get(item, "outputField")),
            input_aliases=[str(alias) for alias in (_get(item, "inputAliases") or [])],
            expression=_get(item, "expression"),
        )


@dataclass(frozen=True)
class Transformations:
    """Aliases, expressions and a filter applied when mapping a frame to a schema.

    Built by ``className`` (``"steps_library.schema.Transformations"``) from a Metalus object,
    ``columnDetails`` arrive as JSON dicts: they are turned into :class:`ColumnDetails` here.
    """

    column_details: list[ColumnDetails] = field(default_factory=list)
    filter: str | None = None
    standardize_column_names: bool = False

    def __post_init__(self) -> None:
        details = [ColumnDetails.parse(item) for item in (self.column_details or [])]
        object.__setattr__(self, "column_details", details)
        object.__setattr__(self, "standardize_column_names", bool(self.standardize_column_names))

    @classmethod
    def parse(cls, value: Any) -> Transformations:
        """Build from a dict or an object with Metalus (camelCase) or snake_case attribute names."""
        if value is None:
            return cls()
        if isinstance(value, Transformations):
            return value
        details = [ColumnDetails.parse(item) for item in (_get(value, "columnDetails") or [])]
        return cls(details, _get(value, "filter"), bool(_get(value, "standardizeColumnNames", False)))
