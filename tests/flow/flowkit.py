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
from tests.builders import param
from tests.builders import pipeline as pipeline
from tests.builders import step as step

PACKAGES = ["com.acxiom.pipeline.steps"]
CORPUS_PIPELINES = Path(__file__).resolve().parents[1] / "resources" / "corpus" / "pipelines"


p = param


def result(name: str, target: str) -> dict[str, Any]:
    return p(name, target, "result")


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
