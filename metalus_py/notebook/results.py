"""Run results in a notebook: step results as polars frames, a step table, an HTML summary.

:class:`NotebookResult` is a :class:`metalus_py.RunResult` (same fields, same document) with
helpers; ``NotebookResult.of(run_application(...))`` wraps any result.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import polars as pl
import pyarrow as pa

from metalus_py.api.results import RunResult
from metalus_py.notebook.display import result_html
from metalus_py.steps.response import StepResponse


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
    """A run result with notebook helpers: ``frame()``, ``frames()``, ``steps()``, HTML display.

    A result of a recorded run (``app.run()`` with a store, :func:`open_run`) also knows its
    store: step outputs not held in memory are read from the run's artifacts when first asked
    for, and :meth:`retrigger` starts a new run from a chosen step.
    """

    #: The application document (for JSON paths and step names).
    document: dict[str, Any] | None = dataclasses.field(default=None, repr=False)
    #: The state store holding the run (``None``: run without a store).
    store: Any = dataclasses.field(default=None, repr=False)
    #: Output references of recorded steps, by ``(execution key, pipeline, step path)``.
    output_refs: dict[tuple[str, str, str], dict[str, Any]] = dataclasses.field(default_factory=dict, repr=False)
    #: The globals given to the run that were not stored (values that are not JSON), for retrigger.
    live: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, result: RunResult, *, document: Mapping[str, Any] | None = None, store: Any = None) -> NotebookResult:
        """Wrap a result from ``run_application`` (no copy of the step results)."""
        if isinstance(result, cls):
            wrapped = result
        else:
            wrapped = cls(**{f.name: getattr(result, f.name) for f in dataclasses.fields(RunResult)})
        if document is not None:
            wrapped.document = dict(document)
        if store is not None:
            wrapped.store = store
        return wrapped

    @property
    def status(self) -> str:
        """The run status (as recorded in the store for an opened run, e.g. RUNNING)."""
        return str(self.extra.get("recordedStatus") or super().status)

    @property
    def reused(self) -> list[str]:
        """The steps this run reused from an earlier run instead of running them (``EXEC.PIPELINE.STEP``)."""
        return [
            f"{key}.{pipeline_id}.{path}"
            for key, outcome in self.executions.items()
            for pipeline_id, record in outcome.pipelines.items()
            for path, step in record.steps.items()
            if step.restored
        ]

    @property
    def state_url(self) -> str | None:
        """The store's URL (password masked), or ``None``."""
        return str(self.store.url) if self.store is not None else None

    def _response(self, execution: str, pipeline: str, step: str) -> Any:
        outcome = self.executions[execution]
        steps = outcome.parameters.get(pipeline, {})
        if step not in steps and (execution, pipeline, step) in self.output_refs:
            from metalus_py.state import load_step_output

            primary, named = load_step_output(self.output_refs[(execution, pipeline, step)])
            outcome.parameters.setdefault(pipeline, {})[step] = StepResponse(primary, named or None)
            steps = outcome.parameters[pipeline]
        return steps.get(step)

    def step_result(self, execution: str, pipeline_id: str, step_id: str) -> Any:
        """The primary return of a step (read from the run's artifacts the first time, if recorded)."""
        value = self._response(execution, pipeline_id, step_id)
        return getattr(value, "primary_return", value)

    def value(self, execution: str, pipeline: str, step: str) -> Any:
        """The live primary return of a step (``None`` when the step did not run)."""
        return self.step_result(execution, pipeline, step)

    def named(self, execution: str, pipeline: str, step: str) -> dict[str, Any]:
        """The live named returns of a step (empty when it had none)."""
        response = self._response(execution, pipeline, step)
        return dict(getattr(response, "named_returns", None) or {})

    def retrigger(self, parameters: Mapping[str, Any] | None = None, /, *, from_: str, **globals: Any) -> NotebookResult:
        """A new recorded run reusing this run's results before ``from_`` (``EXEC`` or ``EXEC.PIPELINE.STEP``).

        Raises:
            UnknownStepError: ``from_`` names no execution or step (with did-you-mean).
            ApplicationError: the run was made without a store.
        """
        from metalus_py.notebook.recorded import retrigger

        return retrigger(self, from_, {**dict(parameters or {}), **globals})

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
            for pipeline_id, record in outcome.pipelines.items():
                for step_id in record.steps:
                    if "." in step_id or record.evaluation:
                        continue
                    value = self.value(key, pipeline_id, step_id)
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
                            "reused": step.restored,
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
            "reused": pl.Boolean,
            "seconds": pl.Float64,
            "error": pl.String,
        }
        return pl.DataFrame(rows, schema=schema)

    def timings(self) -> pl.DataFrame:
        """The per-step timing table: steps that ran, slowest first."""
        return self.steps().filter(pl.col("seconds").is_not_null()).sort("seconds", descending=True)

    def _repr_html_(self) -> str:
        return result_html(self)
