"""The :class:`StateStore` interface: what the engine records about runs, and how it claims steps.

Every method is keyword-only so new optional arguments can be added without breaking callers
or implementations. Implementations must be safe to share between the threads of a process,
and several processes may use the same store at once. Each write is one transaction.

Built-in implementations: :class:`~metalus_py.state.sqlite.SqliteStateStore` and
:class:`~metalus_py.state.postgres.PostgresStateStore`; :func:`~metalus_py.state.open_store`
picks one from a URL. To add another backend, implement this protocol (the shared test suite in
``tests/state/test_store.py`` shows the required behaviour).

Step-run lifecycle::

    claim_step ──CLAIMED──> (run the step) ──> complete_step | fail_step
        │                         │              └─ or batched: complete_steps, claim_step(completions=...)
        │                         └─ record_retry (each retry is an attempt)
        ├─ALREADY_COMPLETE──> restore the output from ``result.record.output_ref``
        └─HELD──> another live owner runs it

Claim rules, decided inside one transaction:

* A ``COMPLETE`` step is never claimable again (ALREADY_COMPLETE), unless the caller reopens it
  (``reopen_complete``: its stored result is stale).
* If another owner holds a live lease on the run, the claim is HELD (fencing: a process that
  lost its run lease cannot start steps).
* A step never started, or left ``ERROR``/``KILLED``, is CLAIMED (``attempts`` + 1).
* A ``RUNNING`` step of the same owner is HELD (one claim per owner, exactly once).
* A ``RUNNING`` step of another owner is taken over (CLAIMED, ``taken_over_from`` set) when that
  owner's run lease is dead: the caller holds the live lease itself, or the run's lease is
  expired or released. If the run never had a lease, the claim is HELD: hold a lease to take
  over claims.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

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
from metalus_py.state.status import ExecutionStatus, PipelineStatus, RunStatus, StepStatus

__all__ = ["StateStore"]


@runtime_checkable
class StateStore(Protocol):
    """Durable record of runs, executions, pipelines, step runs, events, kills and leases."""

    @property
    def url(self) -> str:
        """Where the store lives (a URL without password)."""
        ...

    def default_artifact_root(self, *, run_id: str) -> str:
        """The fsspec URL of the folder where a run's artifacts go unless configured otherwise."""
        ...

    def close(self) -> None:
        """Release connections. The store must not be used afterwards."""
        ...

    # -- runs -----------------------------------------------------------------------------
    def create_run(
        self,
        *,
        run_id: str,
        application_id: str,
        application_json: str,
        parameters: Mapping[str, Any],
        persist_policy: str = "all",
        artifact_root: str | None = None,
        parent_run_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        status: RunStatus | str = RunStatus.RUNNING,
    ) -> RunRecord:
        """Record a new run.

        Raises:
            RunExistsError: ``run_id`` is already recorded.
        """
        ...

    def get_run(self, *, run_id: str) -> RunRecord | None:
        """The run with its parameter changes, or ``None``."""
        ...

    def list_runs(
        self,
        *,
        application_id: str | None = None,
        status: RunStatus | str | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        """Runs, newest first, optionally filtered."""
        ...

    def set_run_status(self, *, run_id: str, status: RunStatus | str) -> RunRecord:
        """Change a run's status; a finished status sets ``ended_at``, ``RUNNING`` clears it.

        Raises:
            UnknownRunError: no such run.
        """
        ...

    def record_parameter_change(
        self, *, run_id: str, changes: Mapping[str, Any], reason: str | None = None
    ) -> ParameterChange:
        """Append a parameter change (e.g. new ``--name value`` pairs given to ``resume``).

        Raises:
            UnknownRunError: no such run.
        """
        ...

    def delete_run(self, *, run_id: str) -> bool:
        """Delete everything recorded about a run (not its artifacts). True if it existed."""
        ...

    # -- executions and pipelines ---------------------------------------------------------
    def record_execution(
        self,
        *,
        run_id: str,
        execution_key: str,
        execution_id: str,
        status: ExecutionStatus | str,
        fork_indices: Sequence[int] = (),
        reason: str | None = None,
        error: Mapping[str, Any] | None = None,
    ) -> ExecutionRecord:
        """Insert or update one execution key (each call sets every field given here).

        ``started_at`` is set each time the status becomes ``RUNNING`` (each attempt has its own
        start, so durations never span attempts); ``ended_at`` is set by a finished status and
        cleared by ``PENDING``/``RUNNING`` (a resume).
        """
        ...

    def get_execution(self, *, run_id: str, execution_key: str) -> ExecutionRecord | None:
        """One execution key, or ``None``."""
        ...

    def list_executions(self, *, run_id: str) -> list[ExecutionRecord]:
        """Every execution key of a run, ordered by key."""
        ...

    def record_pipeline(
        self, *, run_id: str, execution_key: str, pipeline_id: str, status: PipelineStatus | str
    ) -> PipelineRunRecord:
        """Insert or update one pipeline of an execution key (timestamps as for executions)."""
        ...

    def list_pipelines(self, *, run_id: str, execution_key: str | None = None) -> list[PipelineRunRecord]:
        """Pipelines of a run (or of one execution key)."""
        ...

    # -- step runs ------------------------------------------------------------------------
    def claim_step(
        self,
        *,
        run_id: str,
        execution_key: str,
        pipeline_id: str,
        step_path: str,
        owner: str,
        input_summary: Any = None,
        reopen_complete: bool = False,
        completions: Sequence[StepCompletion] = (),
    ) -> ClaimResult:
        """Atomically claim a step run before executing it (rules in the module docstring).

        ``reopen_complete``: a ``COMPLETE`` step is claimed again like an ``ERROR`` one (its
        stored result turned out stale); the lease rules still apply.
        ``completions``: steps of the same run and owner to mark ``COMPLETE`` first, in the same
        round trip (as :meth:`complete_steps`); the claim is made only when all were recorded.

        Raises:
            ClaimLostError: the owner no longer held one of ``completions`` (nothing claimed).
        """
        ...

    def record_retry(
        self,
        *,
        run_id: str,
        execution_key: str,
        pipeline_id: str,
        step_path: str,
        owner: str,
        error: Mapping[str, Any] | None = None,
    ) -> StepRunRecord:
        """Count one more attempt of a step the caller holds (a retry), keeping the last error.

        Raises:
            ClaimLostError: the caller does not hold the step.
        """
        ...

    def complete_step(
        self,
        *,
        run_id: str,
        execution_key: str,
        pipeline_id: str,
        step_path: str,
        owner: str,
        output_ref: Mapping[str, Any] | None = None,
        named_return_keys: Sequence[str] = (),
        metrics: Mapping[str, Any] | None = None,
    ) -> StepRunRecord:
        """Mark a held step ``COMPLETE`` with its output reference.

        Raises:
            ClaimLostError: the caller does not hold the step (its claim was taken over).
        """
        ...

    def complete_steps(self, *, run_id: str, owner: str, completions: Sequence[StepCompletion]) -> None:
        """Mark held steps ``COMPLETE`` in one round trip (as :meth:`complete_step` does one).

        Raises:
            ClaimLostError: the owner no longer held one of them (the others are recorded).
        """
        ...

    def fail_step(
        self,
        *,
        run_id: str,
        execution_key: str,
        pipeline_id: str,
        step_path: str,
        owner: str,
        error: Mapping[str, Any] | None,
        status: StepStatus | str = StepStatus.ERROR,
        metrics: Mapping[str, Any] | None = None,
    ) -> StepRunRecord:
        """Mark a held step ``ERROR`` (or ``KILLED``) with its error; it can be claimed again.

        Raises:
            ClaimLostError: the caller does not hold the step.
            ValueError: ``status`` is not ERROR or KILLED.
        """
        ...

    def get_step(
        self, *, run_id: str, execution_key: str, pipeline_id: str, step_path: str
    ) -> StepRunRecord | None:
        """One step run, or ``None``."""
        ...

    def list_steps(
        self, *, run_id: str, execution_key: str | None = None, pipeline_id: str | None = None
    ) -> list[StepRunRecord]:
        """Step runs of a run, ordered by (execution key, pipeline, started_at)."""
        ...

    def copy_completed_steps(
        self, *, source_run_id: str, target_run_id: str, steps: Iterable[StepKey] | None = None
    ) -> int:
        """Copy ``COMPLETE`` step runs into another run (for a retrigger), returning how many.

        Args:
            source_run_id: the run the results come from.
            target_run_id: the run that reuses them (steps it already has are left alone).
            steps: which steps; ``None`` copies every completed step.
        """
        ...

    # -- events ---------------------------------------------------------------------------
    def append_event(self, *, run_id: str, event: Mapping[str, Any]) -> int:
        """Append one JSON event to a run's log, returning its sequence number (from 1).

        Raises:
            UnknownRunError: no such run.
        """
        ...

    def append_events(self, *, run_id: str, events: Sequence[Mapping[str, Any]]) -> list[int]:
        """Append JSON events to a run's log in one transaction, returning their sequence numbers.

        Raises:
            UnknownRunError: no such run.
        """
        ...

    def list_events(self, *, run_id: str, after_seq: int = 0, limit: int | None = None) -> list[EventRecord]:
        """Events with ``seq > after_seq`` in order (poll with the last seq seen)."""
        ...

    # -- kill requests --------------------------------------------------------------------
    def request_kill(
        self, *, run_id: str, target: str | None = None, reason: str | None = None
    ) -> KillRequest:
        """Ask the process running ``run_id`` to kill it (``target=None``) or one step of it."""
        ...

    def pending_kills(self, *, run_id: str) -> list[KillRequest]:
        """Kill requests not yet acknowledged, oldest first (the running process polls this)."""
        ...

    def acknowledge_kill(self, *, request_id: str) -> bool:
        """Mark a kill request handled. True if it was pending."""
        ...

    def kill_requests(self, *, run_id: str) -> list[KillRequest]:
        """Every kill request of ``run_id``, handled or not, oldest first."""
        ...

    # -- execution attempts (distributed executors) ---------------------------------------
    def claim_execution_attempt(self, *, run_id: str, execution_key: str, attempt: int, worker: str) -> str | None:
        """Claim attempt ``attempt`` of an execution instance for ``worker``.

        Returns:
            ``None`` when this call claimed it, else the worker that already holds it (a task
            run a second time by the engine must not run the execution again).
        """
        ...

    def execution_attempts(self, *, run_id: str) -> dict[str, int]:
        """The highest attempt claimed so far per execution key of a run."""
        ...

    # -- run lease ------------------------------------------------------------------------
    def acquire_lease(self, *, run_id: str, owner: str, ttl_seconds: float) -> LeaseResult:
        """Take the run's lease if it is free, expired, released, or already the owner's."""
        ...

    def renew_lease(self, *, run_id: str, owner: str, ttl_seconds: float) -> bool:
        """Extend the owner's live lease; False if the owner does not hold it (any more)."""
        ...

    def release_lease(self, *, run_id: str, owner: str) -> bool:
        """Release the owner's lease (its claims become stale); False if not held."""
        ...

    def get_lease(self, *, run_id: str) -> LeaseInfo | None:
        """The run's lease row (possibly expired or released), or ``None``."""
        ...

    def now(self) -> float:
        """The store's clock, in epoch seconds (what leases are compared against)."""
        ...
