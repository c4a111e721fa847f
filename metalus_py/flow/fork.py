"""Fork and join steps: run the fork body once per value, then merge results into lists.

Each value runs on a branch of the context (own globals copy, own result layer, own messages);
``$globals`` updates made inside values are discarded, as in Metalus. Results of every body step
become ``StepResponse([v0, v1, ...], {name: [..]})`` in value order, ``None`` where a value did
not produce one. A failing value does not stop the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from metalus_py.base.drain import run_all
from metalus_py.base.exceptions import ForkedPipelineStepException, PipelineException
from metalus_py.flow.run import PathRunner, PipelineRun
from metalus_py.model.pipeline import Parameter, PipelineStep
from metalus_py.steps.context import PipelineContext
from metalus_py.steps.response import StepResponse


def run_fork(run: PipelineRun, step: PipelineStep, ctx: PipelineContext, values: dict[str, Any],
             run_path: PathRunner) -> str | None:
    """Run the fork body for every value; return the step after the closing join."""
    fork_id = step.id or ""
    pipeline_id = run.pipeline_id
    missing = [name for name in ("forkByValues", "forkMethod") if not _defined(step.param(name))]
    if missing:
        names = "Parameters [forkByValues] and [forkMethod] is" if len(missing) == 2 else f"Parameter [{missing[0]}] is"
        raise PipelineException(
            f"{names} required for fork step [{fork_id}] in pipeline [{pipeline_id}].",
            step_id=fork_id,
            pipeline_id=pipeline_id,
        )
    fork_values = values.get("forkByValues")
    if isinstance(fork_values, tuple):
        fork_values = list(fork_values)
    if not isinstance(fork_values, list):
        raise PipelineException(
            f"Parameter [forkByValues] of fork step [{fork_id}] in pipeline [{pipeline_id}] must be a list, "
            f"got {type(fork_values).__name__}",
            step_id=fork_id,
            pipeline_id=pipeline_id,
        )
    method = str(values.get("forkMethod") or "").strip().lower()
    if method not in ("serial", "parallel"):
        raise PipelineException(
            f"Unsupported value [{values.get('forkMethod')}] for parameter [forkMethod]. Value must be one of the "
            f"supported values [serial, parallel] for fork step [{fork_id}] in pipeline [{pipeline_id}].",
            step_id=fork_id,
            pipeline_id=pipeline_id,
        )
    body = run.structure.fork_body(fork_id)

    def run_value(index: int) -> tuple[PipelineContext, BaseException | None]:
        value_ctx = ctx.branch(f"{fork_id}[{index}]")
        value_ctx.globals["groupId"] = f"{pipeline_id}.{fork_id}[{index}]"
        value_ctx.set_step_result(pipeline_id, fork_id, StepResponse(fork_values[index], None))
        try:
            run_path(run, step.next_step_id, value_ctx)
        except Exception as exc:  # one value's failure never stops the others
            return value_ctx, exc
        return value_ctx, None

    indexes = range(len(fork_values))
    if method == "parallel" and len(fork_values) > 1:
        workers = _limit(values.get("forkLimit"), ctx.services.max_workers)
        outcomes = run_all(indexes, run_value, min(workers, len(fork_values)), name=f"fork-{fork_id}")
    else:
        outcomes = [run_value(i) for i in indexes]
    _merge(ctx, pipeline_id, body.steps, outcomes)
    errors = {i: error for i, (_, error) in enumerate(outcomes) if error is not None}
    if errors:
        raise ForkedPipelineStepException(exceptions=errors, step_id=fork_id, pipeline_id=pipeline_id)
    if body.join_id is None:
        return None
    return run.steps[body.join_id].next_step_id


def _defined(param: Parameter | None) -> bool:
    return param is not None and (param.has_value() or param.has_default())


def _limit(raw: Any, default: int) -> int:
    text = str(raw).strip() if raw is not None else ""
    return int(text) if text.isdigit() and int(text) > 0 else default


def _merge(
    ctx: PipelineContext,
    pipeline_id: str,
    body_steps: Sequence[str],
    outcomes: Sequence[tuple[PipelineContext, BaseException | None]],
) -> None:
    # Failed values contribute the results they produced before failing (the context at the failure).
    layers = [value_ctx.parameters.own().get(pipeline_id, {}) for value_ctx, _ in outcomes]
    for step_id in body_steps:
        responses = [layer.get(step_id) for layer in layers]
        if all(r is None for r in responses):
            continue
        primary = [r.primary_return if isinstance(r, StepResponse) else None for r in responses]
        keys: list[str] = []
        for r in responses:
            if isinstance(r, StepResponse) and r.named_returns:
                keys.extend(k for k in r.named_returns if k not in keys)
        named = {
            k: [r.named_returns.get(k) if isinstance(r, StepResponse) and r.named_returns else None for r in responses]
            for k in keys
        }
        ctx.set_step_result(pipeline_id, step_id, StepResponse(primary, named))
    for value_ctx, _ in outcomes:
        ctx.step_messages.extend(value_ctx.step_messages)
