"""Split and merge steps: run several paths at once and merge their results.

Paths are the split step's ``result`` parameters. Either every path ends at the same merge
(then the flow continues after it) or some end at one merge and the others at the pipeline end
(then the merged paths' continuation runs alongside the others and the pipeline ends after).
Each path keeps its step messages; ``$globals``/``$globalLink`` updates made in paths reach the
parent, as in Metalus.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from metalus_py.base.exceptions import PipelineException, SplitStepException
from metalus_py.flow.run import PathRunner, PipelineRun, apply_secondary_returns
from metalus_py.flow.structure import SplitPath
from metalus_py.model.pipeline import PipelineStep
from metalus_py.steps.context import PipelineContext
from metalus_py.steps.response import StepResponse


def run_split(run: PipelineRun, step: PipelineStep, ctx: PipelineContext, run_path: PathRunner) -> str | None:
    """Run every path of the split; return the step to continue at (``None``: pipeline ends)."""
    split_id = step.id or ""
    paths = run.structure.split_paths(split_id)
    groups: dict[str | None, list[SplitPath]] = {}
    for path in paths:
        groups.setdefault(path.merge_id, []).append(path)
    merges = [m for m in groups if m is not None]
    if len(groups) > 2 or len(merges) > 1:
        raise PipelineException(
            "Flows must either terminate at a single merge step or pipeline end!", step_id=split_id,
            pipeline_id=run.pipeline_id,
        )

    def run_branch(root: str, base: PipelineContext) -> PipelineContext:
        branch = base.branch()
        branch.globals.pop("groupId", None)
        return run_path(run, root, branch)

    errors: dict[str, BaseException] = {}
    with ThreadPoolExecutor(max_workers=len(paths) + 1, thread_name_prefix=f"split-{split_id}") as pool:
        if len(groups) == 1:
            futures = {p.root: pool.submit(run_branch, p.root, ctx) for p in paths}
            _collect(ctx, run, futures, errors)
            if errors:
                raise SplitStepException(exceptions=errors, step_id=split_id, pipeline_id=run.pipeline_id)
            merge_id = merges[0] if merges else None
            return run.steps[merge_id].next_step_id if merge_id else None
        merge_id = merges[0]
        end_futures = {p.root: pool.submit(run_branch, p.root, ctx) for p in groups[None]}
        continuation = ctx.branch()
        merge_futures = {p.root: pool.submit(run_branch, p.root, ctx) for p in groups[merge_id]}
        _collect(continuation, run, merge_futures, errors)
        after_merge = run.steps[merge_id].next_step_id
        if not errors and after_merge:
            try:
                run_path(run, after_merge, continuation)
            except Exception as exc:
                errors[after_merge] = exc
        _collect(ctx, run, end_futures, errors)
        _absorb(ctx, run, continuation)
    if errors:
        raise SplitStepException(exceptions=errors, step_id=split_id, pipeline_id=run.pipeline_id)
    return None


def _collect(
    target: PipelineContext, run: PipelineRun, futures: dict[str, Future[PipelineContext]],
    errors: dict[str, BaseException],
) -> None:
    for root, future in futures.items():
        try:
            _absorb(target, run, future.result())
        except Exception as exc:
            errors[root] = exc


def _absorb(target: PipelineContext, run: PipelineRun, branch: PipelineContext) -> None:
    """Copy a path's step results, messages and global updates into ``target``."""
    for step_id, value in branch.parameters.own().get(run.pipeline_id, {}).items():
        target.set_step_result(run.pipeline_id, step_id, value)
        if isinstance(value, StepResponse):
            apply_secondary_returns(target, value, {})
    target.step_messages.extend(branch.step_messages)
