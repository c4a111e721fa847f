"""Metalus Schema and Transformations objects applied to frames."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
import pytest

from metalus_py.base.exceptions import PipelineException
from steps_library import TransformationSteps as T
from steps_library.schema import Transformations, schema_to_polars, to_polars_type

SCHEMA = {
    "attributes": [
        {"name": "id", "dataType": {"baseType": "long"}},
        {"name": "first_name", "dataType": {"baseType": "string"}},
        {"name": "amount", "dataType": {"baseType": "double"}},
        {"name": "joined", "dataType": {"baseType": "date"}},
        {"name": "active", "dataType": {"baseType": "boolean"}},
        {"name": "score", "dataType": {"baseType": "integer"}},
    ]
}


@pytest.fixture
def raw() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "ID": ["1", "2", "3"],
            "fname": ["ann", "bob", "cy"],
            "amount": ["1.5", "2.5", "oops"],
            "joined": ["2024-01-01", "2024-02-01", "2024-03-01"],
            "active": ["true", "false", "true"],
            "extra": ["x", "y", "z"],
        }
    )


TRANSFORMS = {
    "columnDetails": [
        {"outputField": "id", "inputAliases": ["ID"], "expression": None},
        {"outputField": "first_name", "inputAliases": ["fname"], "expression": "upper(first_name)"},
        {"outputField": "name_length", "inputAliases": [], "expression": "length(first_name)"},
    ],
    "filter": "id < 3",
}


def test_apply_schema_maps_aliases_expressions_types_filter_and_order(raw: pl.DataFrame) -> None:
    result = T.apply_schema(raw, SCHEMA, TRANSFORMS)
    assert isinstance(result, pl.DataFrame)
    assert result.columns == [
        "id",
        "first_name",
        "amount",
        "joined",
        "active",
        "score",
        "extra",
        "name_length",
    ]
    assert result.schema["id"] == pl.Int64
    assert result.schema["joined"] == pl.Date
    assert result.schema["score"] == pl.Int32
    assert result.rows() == [
        (1, "ANN", 1.5, dt.date(2024, 1, 1), True, None, "x", 3),
        (2, "BOB", 2.5, dt.date(2024, 2, 1), False, None, "y", 3),
    ]


def test_apply_schema_without_new_columns_and_lazy(raw: pl.DataFrame) -> None:
    result = T.map_data_frame_to_schema(raw.lazy(), SCHEMA, TRANSFORMS, add_new_columns=False)
    assert isinstance(result, pl.LazyFrame)
    collected = result.collect()
    assert collected.columns == [a["name"] for a in SCHEMA["attributes"]]
    assert collected["amount"].to_list() == [1.5, 2.5]


def test_unparseable_values_become_null_like_spark(raw: pl.DataFrame) -> None:
    result = T.apply_schema(raw, {"amount": "double"})
    assert result["amount"].to_list() == [1.5, 2.5, None]


def test_standardize_column_names_in_transformations() -> None:
    frame = pl.DataFrame({"Customer ID": [1], "E-Mail": ["a@b"]})
    transforms = {
        "standardizeColumnNames": True,
        "columnDetails": [{"outputField": "Email Address", "inputAliases": ["E-Mail"]}],
    }
    result = T.apply_transforms(frame, transforms)
    assert result.columns == ["CUSTOMER_ID", "EMAIL_ADDRESS"]  # Metalus's cleanColumnName upper-cases


def test_apply_transforms_replaces_and_appends(raw: pl.DataFrame) -> None:
    result = T.apply_transforms(raw.select("fname", "amount"), TRANSFORMS)
    assert result.columns == ["first_name", "amount", "name_length"]
    assert result["first_name"].to_list() == ["ANN", "BOB", "CY"]


def test_map_to_destination_and_merge() -> None:
    destination = pl.DataFrame({"id": [1], "name": ["old"]}, schema={"id": pl.Int64, "name": pl.String})
    incoming = pl.DataFrame({"ident": ["2", "1"], "name": ["new", "old"], "flag": [True, False]})
    transforms = {"columnDetails": [{"outputField": "id", "inputAliases": ["ident"]}]}
    mapped = T.map_to_destination_data_frame(incoming, destination, transforms, add_new_columns=False)
    assert mapped.rows() == [(2, "new"), (1, "old")]
    merged = T.merge_data_frames(incoming, destination, transforms)
    assert isinstance(merged, pl.DataFrame)
    assert merged.columns == ["id", "name", "flag"]
    assert merged.rows() == [(1, "old", None), (2, "new", True), (1, "old", False)]


def test_schema_and_type_parsing() -> None:
    nested = {
        "attributes": [
            {"name": "tags", "dataType": {"baseType": "array", "elementType": {"baseType": "string"}}},
            {
                "name": "addr",
                "dataType": {
                    "baseType": "struct",
                    "schema": {"attributes": [{"name": "zip", "dataType": {"baseType": "integer"}}]},
                },
            },
            {"name": "price", "dataType": {"baseType": "decimal", "precision": 10, "scale": 2}},
            {"name": "seen", "dataType": {"baseType": "timestamp"}},
        ]
    }
    assert schema_to_polars(nested) == {
        "tags": pl.List(pl.String),
        "addr": pl.Struct({"zip": pl.Int32}),
        "price": pl.Decimal(10, 2),
        "seen": pl.Datetime("us"),
    }
    assert to_polars_type("Float32") == pl.Float32
    assert to_polars_type("DECIMAL(5, 1)") == pl.Decimal(5, 1)
    with pytest.raises(PipelineException, match="baseType"):
        to_polars_type({"elementType": "string"})
    with pytest.raises(PipelineException, match="Not a schema"):
        schema_to_polars(42)


def test_transformations_parse_accepts_objects_with_snake_case_attributes() -> None:
    @dataclass
    class Detail:
        output_field: str
        input_aliases: list[str]
        expression: str | None = None

    @dataclass
    class Transforms:
        column_details: list[Detail]
        filter: str | None = None
        standardize_column_names: bool = False

    parsed = Transformations.parse(Transforms([Detail("id", ["ID"])], filter="id > 1"))
    assert parsed.column_details[0].output_field == "id"
    assert parsed.column_details[0].input_aliases == ["ID"]
    assert parsed.filter == "id > 1"


def test_schema_and_transformations_built_by_class_name_map_a_frame() -> None:
    """Globals named by ``className`` arrive as objects whose details are JSON dicts."""
    from metalus_py.base.classes import build_object
    from steps_library.conform import apply_schema, apply_transforms
    from steps_library.schema import ColumnDetails, Schema

    schema = build_object(
        "steps_library.schema.Schema",
        {
            "attributes": [
                {"name": "CUSTOMER_ID", "dataType": {"baseType": "Integer"}},
                {"name": "ACCOUNT_TYPE", "dataType": {"baseType": "String"}},
            ]
        },
    )
    transforms = build_object(
        "steps_library.schema.Transformations",
        {
            "columnDetails": [
                {"outputField": "ACCOUNT_TYPE", "inputAliases": ["CC_TYPE"], "expression": "upper(ACCOUNT_TYPE)"}
            ],
            "standardizeColumnNames": True,
        },
    )
    assert isinstance(schema, Schema)
    assert schema.to_polars() == {"CUSTOMER_ID": pl.Int32(), "ACCOUNT_TYPE": pl.String()}
    assert transforms.column_details == [
        ColumnDetails("ACCOUNT_TYPE", ["CC_TYPE"], "upper(ACCOUNT_TYPE)")
    ]
    frame = pl.DataFrame({"customer_id": [1, 2], "cc_type": ["jcb", "visa"], "extra": [0, 0]})
    renamed = apply_transforms(frame, transforms)
    assert renamed.columns == ["CUSTOMER_ID", "ACCOUNT_TYPE", "EXTRA"]
    result = apply_schema(frame, schema, transforms, add_new_columns=False)
    assert result.schema == pl.Schema({"CUSTOMER_ID": pl.Int32, "ACCOUNT_TYPE": pl.String})
    assert result.rows() == [(1, "JCB"), (2, "VISA")]
