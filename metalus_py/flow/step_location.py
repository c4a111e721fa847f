"""Naming where a failing step is defined: its JSON path and the parameter involved.

A step's failure gets ``json_path`` (``executions[0].pipelines[0].steps[2]``, or
``steps[2]`` of the pipeline when the pipeline's place in a file is unknown) and, when one is
involved, ``parameter`` in its ``details``; mapping, binding, definition and output-contract
errors (the ones a user fixes in the file) also name them in their message.
"""

from __future__ import annotations

from metalus_py.classes import snake_case
from metalus_py.exceptions import MappingError, PipelineException, StepDefinitionError, StepError
from metalus_py.model.pipeline import Pipeline, PipelineStep
from metalus_py.steps.contracts import OutputContractError


def step_path(pipeline: Pipeline, step: PipelineStep) -> str:
    """The JSON path of ``step`` (prefixed by where its pipeline is defined, when known)."""
    index = next((i for i, s in enumerate(pipeline.steps) if s is step), None)
    if index is None:
        index = next((i for i, s in enumerate(pipeline.steps) if s.id == step.id), 0)
    where = f"steps[{index}]"
    return f"{pipeline.location}.{where}" if pipeline.location else f"pipeline [{pipeline.id}] {where}"


def locate_failure(error: PipelineException, pipeline: Pipeline, step: PipelineStep) -> None:
    """Record the step's JSON path (and parameter) on ``error``, once (the innermost step wins)."""
    if "json_path" in error.details:
        return
    path = step_path(pipeline, step)
    parameter = error.details.get("parameter")
    shown = path
    if isinstance(parameter, str):
        index = _param_index(step, parameter)
        if index is not None:
            shown = f"{path}.params[{index}]"
            parameter = step.params[index].name
        shown = f"{shown} (parameter {parameter})"
    error.details["json_path"] = path
    if isinstance(error, MappingError | StepDefinitionError | StepError | OutputContractError) or type(
        error
    ) is PipelineException and isinstance(parameter, str):
        error.message = f"{error.message} [at {shown}]"
        error.args = (error.message,)


def _param_index(step: PipelineStep, name: str) -> int | None:
    for index, param in enumerate(step.params):
        if param.name == name or (param.name and snake_case(param.name) == name):
            return index
    return None
