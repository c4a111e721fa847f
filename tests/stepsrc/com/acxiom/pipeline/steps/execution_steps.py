"""``ExecutionSteps`` of Metalus's PipelineDependencyExecutorTests."""

from __future__ import annotations

import time
from typing import Any

from metalus_py import PipelineContext, PipelineException, StepResponse
from metalus_py.base.exceptions import SkipExecutionException


class ExecutionSteps:
    @staticmethod
    def normal_function(value: Any) -> StepResponse:
        return StepResponse(value, {"time": time.time(), "$metrics.funcMetric": value})

    @staticmethod
    def sleep_function(value: Any) -> StepResponse:
        time.sleep(0.05)
        return StepResponse(value, {"time": time.time(), "$metrics.funcMetric": value})

    @staticmethod
    def exception_step(value: Any) -> None:
        raise PipelineException(f"Called exception step: {value}")

    @staticmethod
    def pause_step(value: Any, pipeline_context: PipelineContext) -> None:
        pipeline_context.add_step_message(f"Called pause step: {value}", "pause")

    @staticmethod
    def throw_skip_execution_exception(message: str | None = None) -> None:
        raise SkipExecutionException(message or "Execution should be skipped")


class ExceptionSteps:
    """Metalus's ``ExceptionSteps`` (``throwSkipExecutionException``, ``throwPipelineException``)."""

    @staticmethod
    def throw_skip_execution_exception(message: str | None = None) -> None:
        raise SkipExecutionException(message or "Execution should be skipped")

    @staticmethod
    def throw_pipeline_exception(message: str, cause: Any = None, step_id_override: str | None = None) -> None:
        raise PipelineException(message, step_id=step_id_override, cause=cause)
