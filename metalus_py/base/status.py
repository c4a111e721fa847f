"""Status words (DESIGN.md section 6) and the outcome word of a run.

Each enum is a ``StrEnum``: a member compares equal to its word (``RunStatus.COMPLETE ==
"COMPLETE"``) and serialises as the word, so JSON output keeps the same words.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

__all__ = [
    "ClaimOutcome",
    "ExecutionStatus",
    "PipelineStatus",
    "RunStatus",
    "StepStatus",
    "outcome_word",
]


class RunStatus(StrEnum):
    """Status of a run."""

    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"
    PAUSED = "PAUSED"
    KILLED = "KILLED"

    @property
    def finished(self) -> bool:
        """True for every status but ``RUNNING``."""
        return self is not RunStatus.RUNNING


class ExecutionStatus(StrEnum):
    """Status of one execution key (an execution, or one fork value of it)."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    ERROR = "ERROR"
    PAUSED = "PAUSED"
    STOPPED = "STOPPED"
    SKIPPED = "SKIPPED"
    BLOCKED = "BLOCKED"
    KILLED = "KILLED"

    @property
    def finished(self) -> bool:
        """True once the execution ended (everything but ``PENDING`` and ``RUNNING``)."""
        return self not in (ExecutionStatus.PENDING, ExecutionStatus.RUNNING)


class PipelineStatus(StrEnum):
    """Status of one pipeline of an execution key."""

    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    ERROR = "ERROR"
    PAUSED = "PAUSED"
    SKIPPED = "SKIPPED"
    KILLED = "KILLED"

    @property
    def finished(self) -> bool:
        """True for every status but ``RUNNING``."""
        return self is not PipelineStatus.RUNNING


class StepStatus(StrEnum):
    """Status of one step run. Only ``COMPLETE`` is final: the others can be claimed again."""

    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    ERROR = "ERROR"
    KILLED = "KILLED"


class ClaimOutcome(StrEnum):
    """What :meth:`StateStore.claim_step` decided."""

    #: The caller owns the step now and must run it, then complete or fail it.
    CLAIMED = "CLAIMED"
    #: The step completed earlier; restore its output from the returned record.
    ALREADY_COMPLETE = "ALREADY_COMPLETE"
    #: Another live owner holds the step (or the run); do not run it.
    HELD = "HELD"


def outcome_word(status: str, execution_statuses: Iterable[str] = ()) -> str:
    """The word ``runs``, ``show`` and the monitor print for a run.

    ``COMPLETE (stopped by evaluation)`` when a COMPLETE run has a STOPPED execution,
    ``COMPLETE (skipped)`` when it has a SKIPPED one (and none STOPPED), else the run status
    (COMPLETE, FAILED, PAUSED, KILLED, RUNNING).
    """
    if status != RunStatus.COMPLETE:
        return str(status)
    seen = {str(s) for s in execution_statuses}
    if ExecutionStatus.STOPPED in seen:
        return "COMPLETE (stopped by evaluation)"
    if ExecutionStatus.SKIPPED in seen:
        return "COMPLETE (skipped)"
    return str(RunStatus.COMPLETE)
