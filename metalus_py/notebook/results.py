"""Run results in a notebook: step results as polars frames, a step table, an HTML summary.

:class:`NotebookResult` is a :class:`metalus_py.RunResult` (same fields, same document) with
helpers; ``NotebookResult.of(run_application(...))`` wraps any result.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import polars as pl
import pyarrow as pa

from metalus_py.api.results import RunResult
from metalus_py.notebook.display import result_html


def to_frame(value: Any) -> pl.DataFrame:
    """A step result as a DataFrame: LazyFrames are collected, Arrow tables converted.

    Raises:
        TypeError: the value is not a frame.
    """
    if isinstance(value, pl.DataFrame):
        return value
    if isinstance(value, pl.LazyFrame):
        return value.collect()
    if isinstance(value, pa.Table):
        converted = pl.from_arrow(value)
        assert isinstance(converted, pl.DataFrame)
        return converted
    raise TypeError(f"the step result is a {type(value).__name__}, not a DataFrame, LazyFrame or Arrow table")


def is_frame(value: Any) -> bool:
    return isinstance(value, pl.DataFrame | pl.LazyFrame | pa.Table)


@dataclasses.dataclass
class NotebookResult(RunResult):
    """A run result with notebook helpers: ``frame()``, ``frames()``, ``steps()``, HTML display."""

    @classmethod
    def of(cls, result: RunResult) -> NotebookResult:
        """Wrap a result from ``run_application`` (no copy of the step results)."""
        if isinstance(result, cls):
            return result
        return cls(**{f.name: getattr(result, f.name) for f in dataclasses.fields(RunResult)})

    def value(self, execution: str, pipeline: str, step: str) -> Any:
        """The live primary return of a step (``None`` when the step did not run)."""
        return self.step_result(execution, pipeline, step)

    def named(self, execution: str, pipeline: str, step: str) -> dict[str, Any]:
        """The live named returns of a step (empty when it had none)."""
        response = self.executions[execution].parameters.get(pipeline, {}).get(step)
        return dict(getattr(response, "named_returns", None) or {})

    def frame(self, execution: str, pipeline: str, step: str) -> pl.DataFrame:
        """A step's primary return as a polars DataFrame (a LazyFrame is collected).

        Raises:
            KeyError: no such execution; TypeError: the result is not a frame (a list of
            frames after a fork: use :meth:`frame_list`).
        """
        if execution not in self.executions:
            raise KeyError(f"no execution {execution!r}; the run has {list(self.executions)}")
        return to_frame(self.value(execution, pipeline, step))

    def frame_list(self, execution: str, pipeline: str, step: str) -> list[pl.DataFrame | None]:
        """A list of frames (a fork step's result, one per value) as DataFrames."""
        values = self.value(execution, pipeline, step)
        if values is None:
            return []
        items = [values] if is_frame(values) else list(values)
        return [None if item is None else to_frame(item) for item in items]

    def frames(self, execution: str | None = None) -> dict[str, pl.DataFrame]:
        """Every frame-valued step result (of one execution, or all) as ``"EXEC.PIPELINE.STEP"`` -> DataFrame."""
        found: dict[str, pl.DataFrame] = {}
        for key, outcome in self.executions.items():
            if execution is not None and key != execution:
                continue
            for pipeline_id, steps in outcome.parameters.items():
                for step_id, response in steps.items():
                    value = getattr(response, "primary_return", response)
                    if is_frame(value):
                        found[f"{key}.{pipeline_id}.{step_id}"] = to_frame(value)
        return found

    def steps(self) -> pl.DataFrame:
        """One row per step run: execution, pipeline, step, status, attempts, seconds, error."""
        rows = []
        for key, outcome in self.executions.items():
            for pipeline_id, record in outcome.pipelines.items():
                for path, step in record.steps.items():
                    seconds = (step.ended_at - step.started_at) if step.ended_at else None
                    rows.append(
                        {
                            "execution": key,
                            "execution_status": outcome.status,
                            "pipeline": pipeline_id,
                            "step": path,
                            "status": step.status,
                            "attempts": step.attempts,
                            "seconds": seconds,
                            "error": step.error.message if step.error else None,
                        }
                    )
        schema = {
            "execution": pl.String,
            "execution_status": pl.String,
            "pipeline": pl.String,
            "step": pl.String,
            "status": pl.String,
            "attempts": pl.Int64,
            "seconds": pl.Float64,
            "error": pl.String,
        }
        return pl.DataFrame(rows, schema=schema)

    def _repr_html_(self) -> str:
        return result_html(self)
