"""Deciding what a re-trigger keeps: pure functions over the application and the recorded steps.

``--from EXEC`` recomputes that execution (every fork value) and all its descendants.
``--from EXEC.PIPELINE.STEP`` keeps what ran before that step: the step, every step the flow can
reach after it, the later pipelines of the execution and all descendant executions are
recomputed; everything else is restored from the earlier run.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

from metalus_py.base.exceptions import ApplicationError
from metalus_py.flow.structure import successors
from metalus_py.model.pipeline import Pipeline
from metalus_py.plan.graph import ExecutionGraph
from metalus_py.plan.setup import PreparedApplication
from metalus_py.state import StepRunRecord

_INDEX = re.compile(r"\[\d+\]")
#: Fork indexes and loop visits (``STEP~2``) inside a step path.
_STEP_SUFFIX = re.compile(r"\[\d+\]|~\d+$")


@dataclass(frozen=True)
class RetriggerPoint:
    """Where recomputation starts: an execution, optionally a pipeline step in it."""

    execution_id: str
    pipeline_id: str | None = None
    step_id: str | None = None

    @classmethod
    def parse(cls, text: str) -> RetriggerPoint:
        """``EXEC`` or ``EXEC.PIPELINE.STEP``.

        Raises:
            ApplicationError: any other shape.
        """
        parts = text.split(".")
        if len(parts) == 1 and parts[0]:
            return cls(parts[0])
        if len(parts) == 3 and all(parts):
            return cls(*parts)
        raise ApplicationError(f"--from expects EXEC or EXEC.PIPELINE.STEP, got {text!r}")


def downstream_steps(pipeline: Pipeline, step_id: str) -> set[str]:
    """``step_id`` and every step the flow can reach after it (fork bodies and joins included)."""
    steps = pipeline.step_map()
    seen: set[str] = set()
    queue = deque([step_id])
    while queue:
        current = queue.popleft()
        if current in seen or current not in steps:
            continue
        seen.add(current)
        queue.extend(successors(steps[current]))
    return seen


def _step_ids(path: str) -> list[str]:
    return [_STEP_SUFFIX.sub("", segment) for segment in path.split(".")]


def kept_steps(
    prepared: PreparedApplication, records: list[StepRunRecord], point: RetriggerPoint
) -> list[StepRunRecord]:
    """The completed step runs a re-trigger from ``point`` reuses.

    Raises:
        ApplicationError: ``point`` names no execution, pipeline or step of the application.
    """
    if point.execution_id not in prepared.executions:
        raise ApplicationError(f"--from: no execution {point.execution_id!r} in the application")
    graph = ExecutionGraph(prepared.application)
    import networkx

    dropped_executions = {point.execution_id} | networkx.descendants(graph.graph, point.execution_id)
    invalid_steps: set[str] = set()
    later_pipelines: set[str] = set()
    if point.step_id is not None:
        dropped_executions.discard(point.execution_id)
        pipelines = prepared.executions[point.execution_id].pipelines
        index = next((i for i, p in enumerate(pipelines) if p.id == point.pipeline_id), None)
        if index is None:
            raise ApplicationError(f"--from: execution {point.execution_id!r} runs no pipeline {point.pipeline_id!r}")
        pipeline = pipelines[index]
        if point.step_id not in pipeline.step_map():
            raise ApplicationError(f"--from: pipeline {point.pipeline_id!r} has no step {point.step_id!r}")
        invalid_steps = downstream_steps(pipeline, point.step_id)
        later_pipelines = {p.id or "" for p in pipelines[index + 1 :]}
    kept: list[StepRunRecord] = []
    for record in records:
        execution_id = _INDEX.sub("", record.execution_key)
        if execution_id in dropped_executions:
            continue
        if execution_id == point.execution_id and point.step_id is not None:
            ids = _step_ids(record.step_path)
            if record.pipeline_id in later_pipelines:
                continue
            # Steps inside fork values and step groups are keyed under the enclosing pipeline with
            # paths like FORK[1].STEP or GROUP.SUB.STEP: any segment downstream invalidates them.
            if record.pipeline_id == point.pipeline_id and invalid_steps & set(ids):
                continue
        kept.append(record)
    return kept
