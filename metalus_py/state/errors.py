"""Errors raised by the state layer.

Each carries the ids it concerns as attributes and pickles (see :class:`MetalusError`).
"""

from __future__ import annotations

from metalus_py.base.exceptions import MetalusError

__all__ = [
    "ArtifactError",
    "ClaimLostError",
    "LeaseHeldError",
    "RunExistsError",
    "StaleArtifactError",
    "StateError",
    "StoreClosedError",
    "UnknownRunError",
]


class StateError(MetalusError):
    """Base of the state store's errors (bad URL, unreachable database, schema problems)."""

    terminal = True


class StoreClosedError(StateError):
    """The store was used after :meth:`close` (e.g. by a background thread of a stopping monitor)."""


class RunExistsError(StateError):
    """``create_run`` was given a run id that is already recorded."""

    def __init__(self, message: str = "", *, run_id: str | None = None) -> None:
        super().__init__(message or f"run {run_id!r} already exists", run_id=run_id)
        self.run_id = run_id


class UnknownRunError(StateError):
    """A run id that the store does not know."""

    def __init__(self, message: str = "", *, run_id: str | None = None) -> None:
        super().__init__(
            message or f"run {run_id!r} is not recorded in this state store (see `metalus runs`)",
            run_id=run_id,
        )
        self.run_id = run_id


class ClaimLostError(StateError):
    """The caller tried to complete or fail a step run it no longer owns.

    This happens when the owner's lease died and another owner took the step over; the
    caller's result is discarded and the step stays with the new owner.
    """

    def __init__(
        self,
        message: str = "",
        *,
        run_id: str | None = None,
        step: str | None = None,
        owner: str | None = None,
        holder: str | None = None,
    ) -> None:
        super().__init__(
            message or f"step {step!r} of run {run_id!r} is not held by {owner!r} (held by {holder!r})",
            run_id=run_id,
            step=step,
            owner=owner,
            holder=holder,
        )
        self.run_id = run_id
        self.step = step
        self.owner = owner
        self.holder = holder


class LeaseHeldError(StateError):
    """The run is leased by another live owner (e.g. a second ``resume`` of a running run)."""

    def __init__(
        self,
        message: str = "",
        *,
        run_id: str | None = None,
        holder: str | None = None,
        expires_in: float | None = None,
    ) -> None:
        super().__init__(
            message
            or (
                f"run {run_id!r} is being run by {holder!r} (lease alive for another "
                f"{expires_in or 0:.0f}s); wait for it to end, or `metalus kill {run_id}` it first"
            ),
            run_id=run_id,
            holder=holder,
            expires_in=expires_in,
        )
        self.run_id = run_id
        self.holder = holder
        self.expires_in = expires_in


class ArtifactError(StateError):
    """An artifact could not be written or read back."""

    def __init__(self, message: str = "", *, url: str | None = None) -> None:
        super().__init__(message, url=url)
        self.url = url


class StaleArtifactError(ArtifactError):
    """A stored query plan reads a source that changed since it was recorded: recompute the step."""

    def __init__(self, message: str = "", *, url: str | None = None, source: str | None = None) -> None:
        super().__init__(message or f"artifact {url} is stale: its source {source} changed", url=url)
        self.source = source
