"""Step functions returning eager polars frames, for the tests of outputs written in the background.

Every step appends its key to the side-effect file (see ``durable_steps.mark``), so a test can
count how often each step really ran.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from durable_steps import mark

from metalus_py import PipelineContext, PipelineException


class FrameSteps:
    @staticmethod
    def make(rows: Any, sideEffect: str | None, pipeline_context: PipelineContext) -> pl.DataFrame:
        """``x = 0 .. rows - 1``."""
        mark(sideEffect, pipeline_context)
        return pl.DataFrame({"x": list(range(int(rows)))})

    @staticmethod
    def add(frame: pl.DataFrame, sideEffect: str | None, pipeline_context: PipelineContext) -> pl.DataFrame:
        """``x + 1``, and a column named after the step."""
        key = mark(sideEffect, pipeline_context)
        return frame.with_columns(pl.col("x") + 1, pl.lit(key.rsplit(".", 1)[-1]).alias("step"))

    @staticmethod
    def objects(
        frame: pl.DataFrame, sideEffect: str | None, pipeline_context: PipelineContext
    ) -> pl.DataFrame:
        """The frame with a column of Python objects (the Arrow writers refuse that dtype)."""
        mark(sideEffect, pipeline_context)
        return frame.with_columns(pl.Series("obj", [object() for _ in range(frame.height)], dtype=pl.Object))

    @staticmethod
    def total(
        frame: pl.DataFrame, sideEffect: str | None, failFlag: Any, pipeline_context: PipelineContext
    ) -> int:
        """The sum of ``x``; fails while ``failFlag`` is true."""
        key = mark(sideEffect, pipeline_context)
        if failFlag is True or str(failFlag).lower() == "true":
            raise PipelineException(f"failing on purpose at {key}")
        return int(frame["x"].sum())
