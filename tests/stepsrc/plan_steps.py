"""Step functions used by the execution-plan behaviour tests (``tests/plan``)."""

from __future__ import annotations

import logging
from typing import Any

import polars as pl

from metalus_py import PipelineContext, PipelineException, StepResponse


class PlanSteps:
    @staticmethod
    def echo(value: Any = None) -> Any:
        """Return what the step received (the value the mapping produced)."""
        return value

    @staticmethod
    def named(value: Any = None, key: str = "k", other: Any = None) -> StepResponse:
        """Primary return ``value`` and a named return ``key`` -> ``other``."""
        return StepResponse(value, {key: other})

    @staticmethod
    def set_global(name: str, value: Any) -> StepResponse:
        return StepResponse(value, {f"$globals.{name}": value})

    @staticmethod
    def set_link(name: str, path: str) -> StepResponse:
        return StepResponse(path, {f"$globalLink.{name}": path})

    @staticmethod
    def fail(value: Any = None) -> None:
        raise PipelineException(f"failed on purpose: {value}")

    @staticmethod
    def log(message: str) -> str:
        logging.getLogger("plan_steps").info(message)
        return message

    @staticmethod
    def crash(value: Any = None) -> None:
        raise ValueError(f"broken input: {value}")

    @staticmethod
    def fail_on(value: Any = None, bad: Any = None) -> Any:
        if str(value) == str(bad):
            raise PipelineException(f"failed on value {value}")
        return value

    @staticmethod
    def pause(value: Any, pipeline_context: PipelineContext) -> Any:
        pipeline_context.add_step_message(f"paused at {value}", "pause")
        return value

    @staticmethod
    def frame(rows: int = 3) -> pl.DataFrame:
        return pl.DataFrame({"id": list(range(int(rows))), "name": [f"n{i}" for i in range(int(rows))]})

    @staticmethod
    def total(values: list[Any] | None = None) -> int:
        return sum(int(v) for v in values or [])
