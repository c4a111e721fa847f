"""Status words recorded by the state store: the enums of :mod:`metalus_py.base.status`."""

from __future__ import annotations

from metalus_py.base.status import ClaimOutcome, ExecutionStatus, PipelineStatus, RunStatus, StepStatus

__all__ = [
    "ClaimOutcome",
    "ExecutionStatus",
    "PipelineStatus",
    "RunStatus",
    "StepStatus",
]
