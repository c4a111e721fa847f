"""Durable state: runs, step claims, leases, events and kill requests, plus step artifacts.

Use :func:`open_store` to get a :class:`StateStore` (SQLite by default, PostgreSQL by URL), a
:class:`LeaseKeeper` to hold a run while it executes, and :class:`ArtifactStore` to persist step
outputs. To add a backend, implement the :class:`StateStore` protocol.
"""

from metalus_py.state.artifacts import (
    ArtifactStore,
    inline_ref,
    load_artifact,
    load_step_output,
    write_artifact,
)
from metalus_py.state.errors import (
    ArtifactError,
    ClaimLostError,
    LeaseHeldError,
    RunExistsError,
    StateError,
    UnknownRunError,
)
from metalus_py.state.factory import open_store
from metalus_py.state.lease import LeaseKeeper
from metalus_py.state.protocol import StateStore
from metalus_py.state.records import (
    ClaimResult,
    EventRecord,
    ExecutionRecord,
    KillRequest,
    LeaseInfo,
    LeaseResult,
    ParameterChange,
    PipelineRunRecord,
    RunRecord,
    StepCompletion,
    StepKey,
    StepRunRecord,
)
from metalus_py.state.status import ClaimOutcome, ExecutionStatus, PipelineStatus, RunStatus, StepStatus
from metalus_py.state.summary import summarize_value

__all__ = [
    "ArtifactError",
    "ArtifactStore",
    "ClaimLostError",
    "ClaimOutcome",
    "ClaimResult",
    "EventRecord",
    "ExecutionRecord",
    "ExecutionStatus",
    "KillRequest",
    "LeaseHeldError",
    "LeaseInfo",
    "LeaseKeeper",
    "LeaseResult",
    "ParameterChange",
    "PipelineRunRecord",
    "PipelineStatus",
    "RunExistsError",
    "RunRecord",
    "RunStatus",
    "StateError",
    "StateStore",
    "StepCompletion",
    "StepKey",
    "StepRunRecord",
    "StepStatus",
    "UnknownRunError",
    "inline_ref",
    "load_artifact",
    "load_step_output",
    "open_store",
    "summarize_value",
    "write_artifact",
]
