"""One pipeline being run (:class:`PipelineRun`), and what the block steps share with the step loop.

Fork, split and step-group modules take a :data:`PathRunner` (the step loop's ``run_path``)
as an argument instead of importing the step loop, so the flow modules form no cycle.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from metalus_py.flow.structure import FlowStructure
from metalus_py.flow.tracker import StepTracker
from metalus_py.model.pipeline import Pipeline, PipelineStep
from metalus_py.steps.context import PipelineContext
from metalus_py.steps.response import GLOBAL_LINK_PREFIX, GLOBALS_PREFIX, METRICS_PREFIX, StepResponse

#: The most times one step may be reached in one pipeline run, unless configured otherwise.
DEFAULT_VISIT_LIMIT = 10_000
#: The global and environment variable that set it.
VISIT_LIMIT_GLOBAL = "maxStepVisits"
VISIT_LIMIT_ENV = "METALUS_MAX_STEP_VISITS"


@dataclass
class PipelineRun:
    """One pipeline being run: its definition, step table and tracker."""

    pipeline: Pipeline
    tracker: StepTracker
    #: The top-level pipeline whose step keys this run's steps share (set for step groups, whose
    #: steps are keyed under the enclosing pipeline with the group's path, so keys never collide).
    key_pipeline_id: str | None = None
    steps: dict[str, PipelineStep] = field(init=False)
    #: How many times each step path was reached in this pipeline run (a loop reaches one again).
    visits: dict[str, int] = field(default_factory=dict)
    pipeline_id: str = field(init=False)
    journal_pipeline_id: str = field(init=False)
    #: ``METALUS_MAX_STEP_VISITS`` as it was when the run started (read once, not per step).
    visit_limit_env: str = field(init=False)
    #: Each step's compiled form (:class:`metalus_py.flow.bound.BoundStep`), by the step's ``id()``,
    #: kept on the pipeline so later runs, fork values and loops reuse it.
    bound: dict[int, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.steps = self.pipeline.step_map()
        self.pipeline_id = self.pipeline.id or ""
        self.journal_pipeline_id = self.key_pipeline_id or self.pipeline_id
        self.visit_limit_env = os.environ.get(VISIT_LIMIT_ENV, "")
        self.bound = self.pipeline.bound_steps

    @cached_property
    def structure(self) -> FlowStructure:
        return FlowStructure(self.pipeline)


#: Runs the steps of ``run`` from a step id until the path ends; returns the context.
PathRunner = Callable[[PipelineRun, str | None, PipelineContext], PipelineContext]


def apply_secondary_returns(ctx: PipelineContext, response: StepResponse, metrics: dict[str, Any]) -> None:
    """Apply ``$globals.``, ``$globalLink.`` and ``$metrics.`` named returns."""
    if not response.named_returns:
        return
    for name, value in response.named_returns.items():
        if name.startswith(GLOBALS_PREFIX):
            ctx.globals[name[len(GLOBALS_PREFIX) :]] = value
        elif name.startswith(GLOBAL_LINK_PREFIX):
            ctx.set_global_link(name[len(GLOBAL_LINK_PREFIX) :], str(value))
        elif name.startswith(METRICS_PREFIX):
            metrics[name[len(METRICS_PREFIX) :]] = value


def visit_path(path: str, visit: int) -> str:
    """The journal path of a step's ``visit``-th run: the path itself first, then ``path~2``, ``path~3``..."""
    return path if visit == 1 else f"{path}~{visit}"


def visit_limit(ctx: PipelineContext, env_value: str | None = None) -> int:
    """The most times one step may be reached in one pipeline run (global, env, else the default)."""
    if env_value is None:
        env_value = os.environ.get(VISIT_LIMIT_ENV)
    for raw in (ctx.globals.get(VISIT_LIMIT_GLOBAL), env_value):
        if raw is None or isinstance(raw, bool):
            continue
        try:
            value = int(str(raw))
        except ValueError:
            continue
        if value > 0:
            return value
    return DEFAULT_VISIT_LIMIT
