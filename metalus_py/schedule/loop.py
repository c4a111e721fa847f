"""The long-running scheduler: the tick engine in a loop, one lease per schedule.

Each schedule is served by the scheduler holding its lease in the state store (key
``scheduler/<name>``, which no run id can take), so two schedulers on one store never both
evaluate or launch the same schedule; if the holder dies its lease expires (or, on the same
host, is taken over at once) and the other continues. Exactly-once does not rest on the lease
alone: tick records and run ids make a second launch impossible anyway.

Stopping (:attr:`Scheduler.stop`, set by SIGTERM/SIGINT from the command line): nothing new is
launched, the runs this process executes finish, leases are released. A second signal
(:attr:`Scheduler.interrupt`) kills those runs instead; they end KILLED, resumable, and their
ticks are completed by the next scheduler or ``tick``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from metalus_py.durable.options import RunOptions
from metalus_py.durable.session import owner_process_dead
from metalus_py.events import Listener
from metalus_py.schedule.api import next_fire_times, prune_schedule
from metalus_py.schedule.engine import TickEngine
from metalus_py.schedule.timing import Clock
from metalus_py.schedule.validate import LoadedSchedule, LoadedSchedules
from metalus_py.state import LeaseHeldError, LeaseKeeper, StateStore

__all__ = ["Scheduler"]

_LOG = logging.getLogger("metalus_py.schedule")

#: Longest real sleep between two passes (stop requests and lease take-overs are noticed this fast).
MAX_SLEEP_SECONDS = 1.0
#: Real seconds between two retention prunes of a schedule.
PRUNE_EVERY_SECONDS = 300.0


class Scheduler:
    """Runs the ticks of ``schedules`` as their times come, until :attr:`stop` is set.

    Args:
        store: the state store.
        schedules: the checked schedules.
        clock: the clock (``Clock(start, speed)`` for tests; default: real time).
        options: run options for every run.
        listeners: makes extra listeners for a run, given its run id.
        lease_ttl: seconds a schedule's lease lives without renewal.
    """

    def __init__(
        self,
        store: StateStore,
        schedules: LoadedSchedules,
        *,
        clock: Clock | None = None,
        options: RunOptions | None = None,
        listeners: Callable[[str], list[Listener]] | None = None,
        lease_ttl: float = 30.0,
    ) -> None:
        self.store = store
        self.schedules = schedules
        self.clock = clock or Clock()
        self.engine = TickEngine(store, options=options, listeners=listeners)
        self.lease_ttl = lease_ttl
        self.stop = threading.Event()
        self.interrupt = threading.Event()
        self._leases: dict[str, LeaseKeeper] = {}
        self._pruned_at: dict[str, float] = {}

    def run(self) -> None:
        """Loop until :attr:`stop` is set, then wind down (see the module docstring)."""
        _LOG.info("scheduler %s: %d schedule(s) from %s, clock at %s (x%g)", self.engine.owner,
                  len(self.schedules.schedules), self.schedules.source, self.clock.now().isoformat(),
                  self.clock.speed)
        try:
            while not self.stop.is_set():
                self.stop.wait(self.run_once())
        finally:
            self._wind_down()

    def run_once(self) -> float:
        """One pass over the schedules this process holds; returns the real seconds to sleep."""
        now = self.clock.now()
        wake = MAX_SLEEP_SECONDS
        for schedule in self.schedules.schedules:
            if self.stop.is_set() or not self._hold(schedule):
                continue
            self.engine.reconcile(schedule)
            self.engine.evaluate(schedule, now)
            self.engine.launch(schedule)
            self._maybe_prune(schedule)
            upcoming = next_fire_times(schedule, now, 1)
            if upcoming:
                wait = self.clock.real_seconds((upcoming[0] - self.clock.now()).total_seconds())
                wake = min(wake, max(wait + 0.001, 0.01))
        return wake

    def _hold(self, schedule: LoadedSchedule) -> bool:
        keeper = self._leases.get(schedule.name)
        if keeper is not None and not keeper.lost:
            return True
        key = f"scheduler/{schedule.name}"
        keeper = LeaseKeeper(self.store, run_id=key, owner=self.engine.owner, ttl_seconds=self.lease_ttl)
        try:
            keeper.start()
        except LeaseHeldError as exc:
            if not owner_process_dead(exc.holder):
                return False
            self.store.release_lease(run_id=key, owner=exc.holder or "")
            try:
                keeper.start()
            except LeaseHeldError:
                return False
        _LOG.info("scheduler %s: serving schedule %s", self.engine.owner, schedule.name)
        self._leases[schedule.name] = keeper
        return True

    def _maybe_prune(self, schedule: LoadedSchedule) -> None:
        if schedule.retention is None:
            return
        last = self._pruned_at.get(schedule.name)
        if last is not None and time.monotonic() - last < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at[schedule.name] = time.monotonic()
        try:
            prune_schedule(self.store, schedule)
        except Exception:  # retention must never stop the scheduler
            _LOG.exception("schedule %s: pruning old runs failed", schedule.name)

    def _wind_down(self) -> None:
        self.engine.stopping.set()
        if self.engine.active:
            _LOG.info("scheduler %s: stopping; waiting for %d run(s) to finish (signal again to kill them)",
                      self.engine.owner, self.engine.active)
        killed = False
        while not self.engine.join(timeout=0.2):
            if self.interrupt.is_set() and not killed:
                killed = True
                self.engine.interrupting.set()
                for run_id in self.engine.running_run_ids():
                    self.store.request_kill(run_id=run_id, reason="the scheduler is stopping")
                    _LOG.warning("scheduler %s: killing run %s (it will be resumed)", self.engine.owner, run_id)
        for keeper in self._leases.values():
            keeper.stop(release=True)
        self._leases.clear()
        _LOG.info("scheduler %s: stopped", self.engine.owner)
