"""Steps of the static-check and output-contract tests: typed signatures and results of every shape."""

from __future__ import annotations

from typing import Any

import polars as pl

from metalus_py.steps.contracts import output_schema


class TypedSteps:
    @staticmethod
    def take(rows: list[int], count: int, lazy: bool = False) -> list[int]:
        """The first ``count`` rows."""
        return rows[: int(count)]

    @staticmethod
    def total(frame: pl.DataFrame, column: str = "a") -> int:
        """The sum of a column (fails on None: the frame is required)."""
        return int(frame[column].sum())

    @staticmethod
    def anything(**kwargs: Any) -> dict[str, Any]:
        return dict(kwargs)


class ResultSteps:
    @staticmethod
    def json_value(value: Any = None) -> Any:
        return value

    @staticmethod
    def frame(lazy: bool = False) -> pl.DataFrame | pl.LazyFrame:
        frame = pl.DataFrame({"id": [1, 2], "name": ["a", "b"]})
        return frame.lazy() if lazy else frame

    @staticmethod
    def exploding_lazy_frame() -> pl.LazyFrame:
        """A LazyFrame whose schema is known but whose collection raises: a contract check must not collect it."""

        def explode(series: pl.Series) -> pl.Series:
            raise RuntimeError("the LazyFrame was collected")

        return pl.LazyFrame({"id": [1, 2]}).select(
            pl.col("id").map_batches(explode, return_dtype=pl.Int64), pl.lit("x").alias("name"))

    @staticmethod
    @output_schema({"type": "object", "required": ["count"], "properties": {"count": {"type": "integer"}}})
    def declared(count: Any = 1) -> dict[str, Any]:
        """A step that declares its own contract."""
        return {"count": count}
