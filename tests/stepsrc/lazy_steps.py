"""Step functions returning polars LazyFrames, for the tests of persisted query plans.

Every step appends its key to the side-effect file (see ``durable_steps.mark``), so a test can
count how often each step really ran.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from durable_steps import mark

from metalus_py import PipelineContext, PipelineException


class LazySteps:
    @staticmethod
    def scan(path: str, sideEffect: str | None, pipeline_context: PipelineContext) -> pl.LazyFrame:
        """A lazy scan of a CSV file (stored as a plan)."""
        mark(sideEffect, pipeline_context)
        return pl.scan_csv(path)

    @staticmethod
    def double(frame: pl.LazyFrame, sideEffect: str | None, pipeline_context: PipelineContext) -> pl.LazyFrame:
        """``y = 2 * x`` (still a plan over the file)."""
        mark(sideEffect, pipeline_context)
        return frame.with_columns(y=pl.col("x") * 2)

    @staticmethod
    def tag(frame: pl.LazyFrame, sideEffect: str | None, pipeline_context: PipelineContext) -> pl.LazyFrame:
        """A join with an in-memory frame (cannot be stored as a plan: streamed to a file)."""
        mark(sideEffect, pipeline_context)
        tags = pl.DataFrame({"x": [1, 2, 3], "tag": ["one", "two", "three"]}).lazy()
        return frame.join(tags, on="x", how="left")

    @staticmethod
    def total(frame: pl.LazyFrame, sideEffect: str | None, failFlag: Any,
              pipeline_context: PipelineContext) -> int:
        """The sum of ``y``; fails while ``failFlag`` is true."""
        key = mark(sideEffect, pipeline_context)
        if failFlag is True or str(failFlag).lower() == "true":
            raise PipelineException(f"failing on purpose at {key}")
        return int(frame.select(pl.col("y").sum()).collect().item())
