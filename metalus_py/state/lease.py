"""Keeping a run's lease alive while it runs.

A run process takes the run's lease before executing anything and renews it from a daemon
thread (:class:`LeaseKeeper`). A second ``resume`` of the same run sees a live lease and
refuses (:class:`~metalus_py.state.errors.LeaseHeldError`); once the first process dies its
lease expires after ``ttl_seconds`` and a resume takes the run over, together with the step
claims the dead process left behind.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from metalus_py.state.errors import LeaseHeldError
from metalus_py.state.protocol import StateStore
from metalus_py.state.records import LeaseResult

__all__ = ["LeaseKeeper"]

log = logging.getLogger(__name__)


class LeaseKeeper:
    """Acquires a run's lease and renews it every ``ttl_seconds / 3`` on a daemon thread.

    If a renewal finds the lease gone (expired and taken by another owner) or the store stays
    unreachable for a whole ``ttl_seconds``, :attr:`lost` becomes true and ``on_lost`` is called
    (from the keeper's thread); the run should then stop starting steps.

    Args:
        store: the state store.
        run_id: the run.
        owner: this process's owner id (also used to claim steps).
        ttl_seconds: how long the lease lives without renewal.
        on_lost: called once when the lease is lost.

    Example:
        >>> with LeaseKeeper(store, run_id=run_id, owner=owner, ttl_seconds=30) as keeper:
        ...     run_everything(stop_if=lambda: keeper.lost)  # doctest: +SKIP
    """

    def __init__(
        self,
        store: StateStore,
        *,
        run_id: str,
        owner: str,
        ttl_seconds: float = 30.0,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self.store = store
        self.run_id = run_id
        self.owner = owner
        self.ttl_seconds = float(ttl_seconds)
        self._on_lost = on_lost
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def lost(self) -> bool:
        """True once the lease could not be renewed."""
        return self._lost.is_set()

    @property
    def running(self) -> bool:
        """True while the renewal thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def wait_lost(self, timeout: float | None = None) -> bool:
        """Block until the lease is lost (or ``timeout``); return :attr:`lost`."""
        return self._lost.wait(timeout)

    def start(self) -> LeaseResult:
        """Acquire the lease and start renewing it.

        Returns:
            The acquisition result (``previous_owner`` names a dead owner taken over).

        Raises:
            LeaseHeldError: another live owner holds the run.
        """
        result = self.store.acquire_lease(run_id=self.run_id, owner=self.owner, ttl_seconds=self.ttl_seconds)
        if not result.acquired:
            raise LeaseHeldError(
                run_id=self.run_id,
                holder=result.lease.owner,
                expires_in=max(0.0, result.lease.expires_at - self.store.now()),
            )
        if result.taken_over:
            log.warning(
                "run %s: took over the lease of dead owner %s",
                self.run_id,
                result.previous_owner,
                extra={"run_id": self.run_id},
            )
        self._stop.clear()
        self._lost.clear()
        self._thread = threading.Thread(
            target=self._renew_loop, name=f"metalus-lease-{self.run_id}", daemon=True
        )
        self._thread.start()
        return result

    def stop(self, *, release: bool = True) -> None:
        """Stop renewing and (by default) release the lease so its claims become stale."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._thread = None
        if release and not self.lost:
            try:
                self.store.release_lease(run_id=self.run_id, owner=self.owner)
            except Exception:  # the lease expires by itself
                log.warning("run %s: could not release the lease", self.run_id, exc_info=True)

    def __enter__(self) -> LeaseKeeper:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _renew_loop(self) -> None:
        interval = self.ttl_seconds / 3.0
        last_ok = time.monotonic()
        while not self._stop.wait(interval):
            try:
                renewed = self.store.renew_lease(
                    run_id=self.run_id, owner=self.owner, ttl_seconds=self.ttl_seconds
                )
            except Exception:
                log.warning("run %s: lease renewal failed", self.run_id, exc_info=True)
                if time.monotonic() - last_ok < self.ttl_seconds:
                    continue
                renewed = False
            if renewed:
                last_ok = time.monotonic()
                continue
            log.error("run %s: lease lost by %s", self.run_id, self.owner, extra={"run_id": self.run_id})
            self._lost.set()
            if self._on_lost is not None:
                try:
                    self._on_lost()
                except Exception:
                    log.exception("run %s: on_lost callback failed", self.run_id)
            return
