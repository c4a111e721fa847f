"""Step groups: run another pipeline as one step.

The sub-pipeline is found by ``pipelineId`` (through the pipeline manager) or given as
``pipeline`` (a pipeline object, ``&id`` or an inline map). Its globals are
``pipelineMappings`` (over the parent's when ``useParentGlobals``); its step results are its
own. The group's result is the ``result`` parameter (or the pipeline's ``stepGroupResult``)
mapped in the sub-pipeline's final context, else a map of the sub-steps' responses.
``$globals``/``$globalLink`` updates made by sub-steps reach the parent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from metalus_py.base.exceptions import PipelineException
from metalus_py.flow.run import PathRunner, PipelineRun, apply_secondary_returns, visit_path
from metalus_py.mapping import map_value
from metalus_py.model.pipeline import Pipeline, PipelineStep
from metalus_py.steps.context import PipelineContext, PipelineParameters
from metalus_py.steps.response import StepResponse

_RESERVED = frozenset({"pipelineId", "pipeline", "pipelineMappings", "useParentGlobals"})


def resolve_group_pipeline(step: PipelineStep, ctx: PipelineContext, values: Mapping[str, Any]) -> Pipeline:
    pipeline_id = values.get("pipelineId") or step.pipeline_id
    if pipeline_id:
        found = ctx.services.pipeline_manager.get_pipeline(str(pipeline_id))
        if found is None:
            raise PipelineException(f"Unable to retrieve required step group id {pipeline_id}", step_id=step.id)
        return found
    candidate = values.get("pipeline")
    if isinstance(candidate, Pipeline):
        return candidate
    if isinstance(candidate, Mapping):
        return Pipeline.model_validate(candidate)
    if candidate is None:
        raise PipelineException(
            f"Parameter [pipeline] or [pipelineId] is required for step group [{step.id}] in pipeline "
            f"[{ctx.pipeline_id}].",
            step_id=step.id,
        )
    raise PipelineException(
        f"Parameter [pipeline] or [pipelineId] is required for step group [{step.id}]; "
        f"got {type(candidate).__name__}",
        step_id=step.id,
    )


def run_step_group(
    run: PipelineRun, step: PipelineStep, ctx: PipelineContext, values: dict[str, Any], run_path: PathRunner
) -> StepResponse:
    pipeline = resolve_group_pipeline(step, ctx, values)
    mappings = values.get("pipelineMappings")
    use_parent = values.get("useParentGlobals") in (True, "true")
    sub_globals: dict[str, Any] = dict(ctx.globals) if use_parent else {}
    if isinstance(mappings, Mapping):
        sub_globals.update(mappings)
    if step.pipeline_id:  # Metalus 2.0 style: the group's other parameters become globals
        sub_globals.update({k: v for k, v in values.items() if k not in _RESERVED})
    sub_id = pipeline.id or ""
    first = pipeline.steps[0].id if pipeline.steps else None
    sub_globals.update(pipelineId=sub_id, stepId=first, groupId=f"{run.pipeline_id}::{step.id}")
    sub_ctx = PipelineContext(
        globals=sub_globals,
        parameters=PipelineParameters({sub_id: {}}),
        services=ctx.services,
        step_messages=ctx.step_messages,
        scope=(*ctx.scope, visit_path(step.id or "", ctx.step_visit), sub_id),
        execution_key=ctx.execution_key,
        durable=ctx.durable,
    )
    run_path(PipelineRun(pipeline, run.tracker, key_pipeline_id=run.journal_pipeline_id), first, sub_ctx)
    results = dict(sub_ctx.parameters.step_results(sub_id))
    for response in results.values():
        apply_secondary_returns(ctx, response, {})
    output = next((p for p in step.params if p.type_name == "result" and p.value is not None), None)
    expression = output.value if output is not None else pipeline.step_group_result or _output_mapping(pipeline)
    if expression is not None:
        primary = map_value(expression, sub_ctx, type_name="result")
        return StepResponse(primary, dict(results))
    return StepResponse(dict(results), None)


def _output_mapping(pipeline: Pipeline) -> str | None:
    """Metalus 2.0: ``parameters.output.primaryMapping`` gives a pipeline's result."""
    output = (pipeline.parameters or {}).get("output")
    mapping = output.get("primaryMapping") if isinstance(output, Mapping) else None
    return mapping if isinstance(mapping, str) else None
