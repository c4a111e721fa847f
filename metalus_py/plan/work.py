"""What the planner hands an executor: a ready execution instance and where its inputs come from.

Planning decides *which* instance runs and *which* parent instances feed it; an executor decides
*where* it runs. In one process the parents' outcomes are at hand; on a cluster a worker rebuilds
the same inputs from the state store and the artifacts, by the parents' instance keys. The pure
functions here turn either into the globals an execution starts with, so both give the same run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from metalus_py.base.keys import Index, instance_key
from metalus_py.flow.execution import ExecutionOutcome, ExecutionSpec
from metalus_py.plan.injection import FORK_INDEX, FORK_VALUE, inject, merged_view, parent_view
from metalus_py.plan.setup import PreparedApplication

#: A parent's contribution to a child: ``(parent id, view, parent globals)`` as :func:`inject` takes it.
ParentView = tuple[str, dict[str, Any], dict[str, Any]]


@dataclass(frozen=True)
class ParentInput:
    """One parent of a ready instance: the instance keys whose results it sees.

    ``merged`` (a join over an in-fork parent) makes every leaf a list in fork-value order;
    ``skeleton`` lists the step ids and global names an empty fork would still show.
    ``outcomes`` holds the parents' outcomes when they are in this process (never shipped).
    """

    parent_id: str
    keys: tuple[str, ...]
    merged: bool = False
    skeleton: tuple[dict[str, list[str]], list[str]] | None = None
    outcomes: tuple[ExecutionOutcome | None, ...] = field(default=(), compare=False, repr=False)

    def without_outcomes(self) -> ParentInput:
        return ParentInput(self.parent_id, self.keys, self.merged, self.skeleton)


_NO_VALUE: Any = object()


@dataclass
class ReadyExecution:
    """An execution instance whose parents are done: what to run, and from which inputs."""

    execution_id: str
    index: Index
    parents: list[ParentInput]
    kind: str
    fork_value: Any = _NO_VALUE

    @property
    def key(self) -> str:
        return instance_key(self.execution_id, self.index)

    @property
    def has_fork_value(self) -> bool:
        return self.fork_value is not _NO_VALUE

    def for_value(self, position: int, value: Any) -> ReadyExecution:
        """The instance of one fork value of this (fork) execution."""
        return ReadyExecution(self.execution_id, (*self.index, position), self.parents, self.kind, value)


def view_of(parent: ParentInput, outcomes: Sequence[ExecutionOutcome | None]) -> ParentView:
    """How a child sees a parent, given the parent instances' outcomes (in ``parent.keys`` order)."""
    if parent.merged:
        skeleton, names = parent.skeleton or ({}, [])
        return parent.parent_id, merged_view(outcomes, skeleton, names), {}
    outcome = outcomes[0]
    assert outcome is not None
    return parent.parent_id, parent_view(outcome), outcome.globals


def starting_globals(
    base_globals: dict[str, Any], work: ReadyExecution, views: Sequence[ParentView]
) -> dict[str, Any]:
    """The globals an instance starts with: its own, its parents' views, then its fork value."""
    globals_ = inject(base_globals, views, inherit_fork_value=work.kind not in ("fork", "join"))
    if work.has_fork_value:
        globals_[FORK_VALUE] = work.fork_value
        globals_[FORK_INDEX] = work.index[-1]
    return globals_


def execution_spec(prepared: PreparedApplication, work: ReadyExecution, globals_: dict[str, Any]) -> ExecutionSpec:
    """The spec :func:`~metalus_py.flow.execution.run_execution` runs for a ready instance."""
    execution = prepared.executions[work.execution_id]
    return ExecutionSpec(
        key=work.key,
        execution_id=work.execution_id,
        fork_index=list(work.index) if work.index else None,
        globals=globals_,
        parameters=execution.parameters,
        pipelines=execution.pipelines,
        evaluation_pipelines=[] if execution.execution.kind == "join" else execution.evaluation_pipelines,
        initial_pipeline_id=execution.execution.initial_pipeline_id,
    )
