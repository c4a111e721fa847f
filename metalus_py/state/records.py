"""Immutable records returned by the state store.

Timestamps: every ``*_at`` field of a record is a UTC ISO-8601 string with microseconds and an
explicit offset (``2024-05-01T12:00:00.123456+00:00``); such strings sort chronologically. The
only exception is :attr:`LeaseInfo.expires_at`, an epoch float (seconds), because lease
deadlines are compared arithmetically against the store's clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from metalus_py.base.keys import StepKey
from metalus_py.state.status import (
    ClaimOutcome,
    ExecutionStatus,
    PipelineStatus,
    RunStatus,
    StepStatus,
)

__all__ = [
    "ClaimResult",
    "EventRecord",
    "ExecutionRecord",
    "KillRequest",
    "LeaseInfo",
    "LeaseResult",
    "ParameterChange",
    "PipelineRunRecord",
    "RunRecord",
    "StepCompletion",
    "StepKey",
    "StepRunRecord",
    "iso_timestamp",
]


def iso_timestamp(epoch: float) -> str:
    """Format epoch seconds as the UTC ISO-8601 string used in every record."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class ParameterChange:
    """Parameters changed when a run was resumed (each resume that changes any is recorded)."""

    seq: int
    changed_at: str
    changes: dict[str, Any]
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One recorded run."""

    run_id: str
    application_id: str
    status: RunStatus
    started_at: str
    ended_at: str | None
    updated_at: str
    application_json: str
    parameters: dict[str, Any]
    persist_policy: str
    artifact_root: str | None
    parent_run_id: str | None
    metadata: dict[str, Any] = field(default_factory=dict)
    parameter_changes: tuple[ParameterChange, ...] = ()

    @property
    def effective_parameters(self) -> dict[str, Any]:
        """The starting parameters with every recorded change applied in order."""
        merged = dict(self.parameters)
        for change in self.parameter_changes:
            merged.update(change.changes)
        return merged


@dataclass(frozen=True, slots=True)
class ExecutionRecord:
    """One execution key of a run: ``"E1"``, ``"Fork1[2]"``, ``"Fork1[2][0]"``."""

    run_id: str
    execution_key: str
    execution_id: str
    fork_indices: tuple[int, ...]
    status: ExecutionStatus
    reason: str | None
    error: dict[str, Any] | None
    started_at: str | None
    ended_at: str | None
    updated_at: str


@dataclass(frozen=True, slots=True)
class PipelineRunRecord:
    """One pipeline of one execution key."""

    run_id: str
    execution_key: str
    pipeline_id: str
    status: PipelineStatus
    started_at: str | None
    ended_at: str | None
    updated_at: str


@dataclass(frozen=True, slots=True)
class StepRunRecord:
    """One step run, keyed by (run, execution key, pipeline, step path).

    ``output_ref`` is the JSON output reference written by :mod:`metalus_py.state.artifacts`
    (where the artifacts are, their formats and summaries, or an inline JSON value);
    ``named_return_keys`` lists the step's named returns.
    """

    run_id: str
    execution_key: str
    pipeline_id: str
    step_path: str
    status: StepStatus
    attempts: int
    owner: str | None
    started_at: str | None
    ended_at: str | None
    updated_at: str
    error: dict[str, Any] | None
    input_summary: Any
    output_ref: dict[str, Any] | None
    named_return_keys: tuple[str, ...]
    metrics: dict[str, Any] | None

    @property
    def key(self) -> StepKey:
        """The step's key inside its run."""
        return StepKey(self.execution_key, self.pipeline_id, self.step_path)


@dataclass(frozen=True, slots=True)
class StepCompletion:
    """A held step's completion, recorded later in a batch (``claim_step(completions=...)``,
    ``complete_steps``) by the owner that claimed it; the fields are those of ``complete_step``.

    ``ended_at`` is when the step ended (a record timestamp; ``None``: when it is recorded).
    """

    execution_key: str
    pipeline_id: str
    step_path: str
    output_ref: dict[str, Any] | None = None
    named_return_keys: tuple[str, ...] = ()
    metrics: dict[str, Any] | None = None
    ended_at: str | None = None

    @property
    def key(self) -> StepKey:
        """The step's key inside its run."""
        return StepKey(self.execution_key, self.pipeline_id, self.step_path)


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """The answer of :meth:`StateStore.claim_step`.

    Attributes:
        outcome: CLAIMED, ALREADY_COMPLETE or HELD.
        record: the step run as stored after the decision (``None`` only when HELD by a
            run lease on a step never started).
        holder: for HELD, the owner that holds the step or the run.
        taken_over_from: for CLAIMED, the previous owner whose claim was stale, if any.
    """

    outcome: ClaimOutcome
    record: StepRunRecord | None
    holder: str | None = None
    taken_over_from: str | None = None

    @property
    def claimed(self) -> bool:
        """True when the caller must run the step."""
        return self.outcome is ClaimOutcome.CLAIMED


@dataclass(frozen=True, slots=True)
class LeaseInfo:
    """The lease of a run. ``expires_at`` is epoch seconds of the store's clock."""

    run_id: str
    owner: str
    acquired_at: str
    renewed_at: str
    expires_at: float
    released: bool

    def alive(self, now: float) -> bool:
        """True while the lease is neither released nor expired at ``now``."""
        return not self.released and self.expires_at > now


@dataclass(frozen=True, slots=True)
class LeaseResult:
    """The answer of :meth:`StateStore.acquire_lease`.

    Attributes:
        acquired: True when the caller holds the lease now.
        lease: the lease as stored after the call (the other holder's when not acquired).
        previous_owner: the owner of an expired or released lease the caller took over.
        taken_over: True when that lease expired while still held (its owner never released
            it: it died or lost contact), False when it had been released cleanly.
    """

    acquired: bool
    lease: LeaseInfo
    previous_owner: str | None = None
    taken_over: bool = False


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One entry of a run's append-only event log; ``seq`` counts from 1 per run."""

    run_id: str
    seq: int
    recorded_at: str
    event: dict[str, Any]


@dataclass(frozen=True, slots=True)
class KillRequest:
    """A request to kill a run (``target is None``) or one step of it (``target`` a selector)."""

    request_id: str
    run_id: str
    target: str | None
    reason: str | None
    requested_at: str
    acknowledged_at: str | None
