"""``MockStepObject`` of Metalus's flow tests (fork/join, split/merge, step groups, mapping)."""

from __future__ import annotations

from typing import Any

from metalus_py import PipelineContext, PipelineException, StepResponse


class MockStepObject:
    @staticmethod
    def mock_step_function(string: str, boolean: bool = False) -> StepResponse:
        return StepResponse(string, {"boolean": boolean, "string": string})

    @staticmethod
    def mock_step_globals_update_function(string: str, boolean: bool, global_: str | None = None) -> StepResponse:
        """Metalus's ``mockStepGlobalsUpdateFunction``: the file's ``global`` parameter binds to ``global_``."""
        named: dict[str, Any] = {"boolean": boolean, "string": string}
        if global_ is not None:
            named["$globals.mockGlobal"] = global_
            named["$globalLink.mockGlobalLink"] = "!some global link"
        return StepResponse(string, named)

    @staticmethod
    def mock_step_function_with_default_value(string: str, default: str | None = "chicken") -> str | None:
        return default

    @staticmethod
    def mock_step_function_with_default_value_no_option(string: str, default: str = "default chicken") -> str:
        return default

    @staticmethod
    def mock_step_with_list_of_options(s: list[Any]) -> str:
        return ",".join(str(v) for v in s if v is not None)

    @staticmethod
    def mock_flatten_list_of_options(s: list[Any]) -> list[Any]:
        return [v for inner in s if inner is not None for v in inner if v is not None]

    @staticmethod
    def mock_step_function_with_list(list_: list[Any] | None = None) -> Any:
        return list_

    @staticmethod
    def mock_exception_step_function(string: str) -> None:
        raise PipelineException(f"exception thrown for string value ({string})")

    @staticmethod
    def mock_value_error_step_function(string: str) -> None:
        """Like Metalus's ``mockExceptionStepFunction`` (an ``IllegalArgumentException``): not a PipelineException."""
        raise ValueError(f"exception thrown for string value ({string})")

    @staticmethod
    def error_handling_step(ex: PipelineException) -> str:
        return ex.message

    @staticmethod
    def mock_int_list_step_function(list_size: int) -> list[int]:
        return list(range(1, int(list_size) + 1))

    @staticmethod
    def mock_int_step_function(int: int, boolean: bool = False) -> StepResponse:  # noqa: A002
        return StepResponse(int, {"boolean": boolean, "int": int})

    @staticmethod
    def mock_sum_list_of_ints(ints: list[Any] | None = None, s: list[Any] | None = None) -> int:
        values = ints if ints is not None else s
        return _sum(values)

    @staticmethod
    def mock_sum_simple_list_of_ints(ints: list[int]) -> int:
        return sum(ints)

    @staticmethod
    def mock_list_of_ints_to_string(ints: list[int]) -> str:
        return ",".join(str(i) for i in ints)

    @staticmethod
    def mock_string_list_step_function(list_size: int) -> list[str]:
        return [str(i) for i in range(int(list_size))]

    @staticmethod
    def mock_no_params_step_function() -> str:
        return "no params"

    @staticmethod
    def mock_step_function_any_response(string: str) -> str:
        return f"string: {string}"

    @staticmethod
    def mock_step_function_with_optional_generic_params(string: str | None = None) -> str:
        return string if string is not None else "chicken"

    @staticmethod
    def mock_step_function_with_primitives(i: int, d: float, s: str, b: bool, items: list[Any]) -> dict[str, Any]:
        return {"i": i, "d": d, "s": s, "b": b, "items": items}

    @staticmethod
    def mock_step_set_global(string: str, global_name: str) -> StepResponse:
        return StepResponse(string, {f"$globals.{global_name}": string})

    @staticmethod
    def mock_step_set_metric(string: str, metric_name: str) -> StepResponse:
        return StepResponse(string, {f"$metrics.{metric_name}": string})

    @staticmethod
    def mock_return_none_step() -> None:
        return None

    @staticmethod
    def mock_retry_step(retry_count: int, pipeline_context: PipelineContext) -> str:
        """Fails until the attempt counter (global ``stepRetryCount``) reaches ``retry_count``."""
        attempt = int(pipeline_context.get_global("stepRetryCount") or 0)
        if attempt < int(retry_count):
            raise ValueError(f"attempt {attempt} failed")
        return f"Retried step {attempt} of {retry_count}"

    @staticmethod
    def mock_step_message(string: str, kind: str, pipeline_context: PipelineContext) -> str:
        """Leaves a step message of ``kind`` (``pause``/``error``) and returns ``string``."""
        pipeline_context.add_step_message(string, kind)
        return string

    @staticmethod
    def mock_context_step(pipeline_context: PipelineContext) -> str | None:
        return pipeline_context.pipeline_id

    @staticmethod
    def mock_boolean(value: bool) -> bool:
        return value

    @staticmethod
    def mock_increment(value: int) -> int:
        return int(value) + 1


def _sum(values: Any) -> int:
    if values is None:
        return 0
    if isinstance(values, list):
        return sum(_sum(v) for v in values)
    return int(values)


class ContextSteps:
    """Steps that receive the live context in the ways DESIGN.md section 3 allows."""

    @staticmethod
    def camel_named(pipelineContext: PipelineContext) -> str | None:  # noqa: N803 - the Metalus name
        return pipelineContext.pipeline_id

    @staticmethod
    def annotated(ctx: PipelineContext) -> str | None:
        return ctx.pipeline_id

    @staticmethod
    def keyword_args(value: Any = None, **kwargs: Any) -> dict[str, Any]:
        return {"value": value, **kwargs}

    @staticmethod
    def step_metric(value: Any, pipeline_context: PipelineContext) -> Any:
        pipeline_context.add_step_metric("seen", value)
        return value
