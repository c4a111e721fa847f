"""Small builders for the flow tests: steps, parameters and running a pipeline through the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from metalus_py.api import run_pipeline
from metalus_py.base.exceptions import PipelineException
from metalus_py.base.records import PipelineRecord
from metalus_py.steps.context import PipelineContext
from metalus_py.steps.response import StepResponse

PACKAGES = ["com.acxiom.pipeline.steps"]
CORPUS_PIPELINES = Path(__file__).resolve().parents[1] / "resources" / "corpus" / "pipelines"


def p(name: str, value: Any = None, type_: str = "text", **extra: Any) -> dict[str, Any]:
    """A parameter definition as written in a file."""
    param: dict[str, Any] = {"name": name, "type": type_}
    if value is not None:
        param["value"] = value
    param.update(extra)
    return param


def result(name: str, target: str) -> dict[str, Any]:
    return p(name, target, "result")


def step(step_id: str, function: str | None = None, *params: dict[str, Any], type_: str = "Pipeline",
         next_: str | None = None, **extra: Any) -> dict[str, Any]:
    """A step; ``function`` is ``Object.function`` (Metalus ``engineMeta.spark``)."""
    definition: dict[str, Any] = {"id": step_id, "type": type_, "params": list(params)}
    if function:
        definition["engineMeta"] = {"spark": function}
    if next_:
        definition["nextStepId"] = next_
    definition.update(extra)
    return definition


def pipeline(pipeline_id: str, *steps: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": pipeline_id, "name": pipeline_id, "steps": list(steps), **extra}


def corpus(name: str) -> dict[str, Any]:
    return json.loads((CORPUS_PIPELINES / f"{name}.json").read_text())


def run(definition: dict[str, Any], globals_: dict[str, Any] | None = None, **kwargs: Any) -> PipelineContext:
    return run_pipeline(definition, globals_ or {}, step_packages=PACKAGES, **kwargs)


def run_failing(definition: dict[str, Any], globals_: dict[str, Any] | None = None,
                **kwargs: Any) -> PipelineException:
    """Run a pipeline that must fail; return the exception."""
    try:
        run(definition, globals_, **kwargs)
    except PipelineException as error:
        return error
    raise AssertionError("the pipeline should have failed")


def response(ctx: PipelineContext, pipeline_id: str, step_id: str) -> StepResponse:
    value = ctx.parameters.get(pipeline_id, step_id)
    assert isinstance(value, StepResponse), f"{pipeline_id}.{step_id} has no result: {value!r}"
    return value


def primary(ctx: PipelineContext, pipeline_id: str, step_id: str) -> Any:
    return response(ctx, pipeline_id, step_id).primary_return


def records(ctx: PipelineContext) -> PipelineRecord:
    found = getattr(ctx, "records", None)
    assert isinstance(found, PipelineRecord)
    return found
