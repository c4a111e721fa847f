"""Naming where a failing step is defined: its JSON path and the parameter involved.

A step's failure gets ``json_path`` (``executions[0].pipelines[0].steps[2]``, with
``.params[i]`` when a parameter is involved; ``pipeline [P] steps[2]`` when the pipeline's place
in a file is unknown) and ``parameter`` in its ``details``. The run result document carries them
as ``jsonPath``/``parameter`` of the error, and the command line prints them.
"""

from __future__ import annotations

from metalus_py.base.classes import snake_case
from metalus_py.base.exceptions import PipelineException
from metalus_py.model.pipeline import Pipeline, PipelineStep


def step_path(pipeline: Pipeline, step: PipelineStep) -> str:
    """The JSON path of ``step`` (prefixed by where its pipeline is defined, when known)."""
    index = next((i for i, s in enumerate(pipeline.steps) if s is step), None)
    if index is None:
        index = next((i for i, s in enumerate(pipeline.steps) if s.id == step.id), 0)
    where = f"steps[{index}]"
    return f"{pipeline.location}.{where}" if pipeline.location else f"pipeline [{pipeline.id}] {where}"


def locate_failure(error: PipelineException, pipeline: Pipeline, step: PipelineStep) -> None:
    """Record the step's JSON path (and the parameter, as the file names it) on ``error``, once
    (the innermost step wins). The message is left as the step raised it."""
    if "json_path" in error.details:
        return
    path = step_path(pipeline, step)
    parameter = error.details.get("parameter")
    if isinstance(parameter, str):
        index = _param_index(step, parameter)
        if index is not None:
            path = f"{path}.params[{index}]"
            error.details["parameter"] = step.params[index].name
    error.details["json_path"] = path


def where(error: BaseException) -> str | None:
    """``executions[0].pipelines[0].steps[2].params[1] (parameter count)`` for a located failure."""
    details = getattr(error, "details", None) or {}
    path = details.get("json_path")
    if not isinstance(path, str):
        return None
    parameter = details.get("parameter")
    return f"{path} (parameter {parameter})" if isinstance(parameter, str) else path


def _param_index(step: PipelineStep, name: str) -> int | None:
    for index, param in enumerate(step.params):
        if param.name == name or (param.name and snake_case(param.name) == name):
            return index
    return None
