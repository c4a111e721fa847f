"""Scheduling the execution DAG: independent executions at once, children when parents finish.

Execution *instances* are keyed by id and fork indices (``Fork1[2]``). A fork instance, once
its parents are done, evaluates ``forkByValues`` and spawns one instance per value of itself
and (as they become ready) of every execution in its scope; the join waits for all of them.
The scheduler only decides: it hands each ready instance (:class:`ReadyExecution`: which
execution, which fork value, which parent instances feed it) to an :class:`ExecutionBackend`,
which runs it in this process (``metalus_py.executors.local``) or on a cluster
(``metalus_py.executors.dask``).
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from metalus_py.base.keys import Index, instance_key, parse_instance_key
from metalus_py.base.records import ErrorInfo, now
from metalus_py.base.status import ExecutionStatus
from metalus_py.events import RunEvent
from metalus_py.flow.execution import ExecutionOutcome
from metalus_py.mapping import resolve_text
from metalus_py.mapping.extract import extract_path
from metalus_py.mapping.syntax import PREFIXES, has_template
from metalus_py.plan.graph import ExecutionGraph
from metalus_py.plan.injection import FORK_INDEX, FORK_VALUE
from metalus_py.plan.setup import PreparedApplication
from metalus_py.plan.work import ParentInput, ReadyExecution
from metalus_py.steps.context import PipelineContext, PipelineParameters
from metalus_py.steps.runtime import RunServices

_LOG = logging.getLogger("metalus_py.plan")

__all__ = ["ExecutionBackend", "PlanRunner", "PlanState", "instance_key"]


class ExecutionBackend(Protocol):
    """Runs ready execution instances (see :mod:`metalus_py.executors`)."""

    def input_globals(self, work: ReadyExecution) -> dict[str, Any]:
        """The globals ``work`` starts with (the planner evaluates ``forkByValues`` against them)."""
        ...

    def submit(self, work: ReadyExecution) -> Future[ExecutionOutcome]:
        """Start running ``work``; the future gives its outcome (never raises for step failures)."""
        ...

    def shutdown(self) -> None:
        """Stop: cancel what has not started, wait for what runs."""
        ...


@runtime_checkable
class ValuesBackend(Protocol):
    """A backend that takes all the values of one fork launch at once (no per-value hand-off)."""

    def submit_values(self, works: list[ReadyExecution], report: Callable[[list[ExecutionOutcome]], None]) -> None:
        """Start every instance of ``works`` (the values of one fork launch: same execution and
        parents); ``report`` receives their outcomes in batches, from any thread, each exactly once
        (an instance that could not run as an ERROR outcome)."""
        ...


@dataclass
class PlanState:
    """What the scheduler knows: finished instances, fork sizes, running futures."""

    outcomes: dict[str, ExecutionOutcome] = field(default_factory=dict)
    fork_sizes: dict[str, int] = field(default_factory=dict)
    running: dict[Future[ExecutionOutcome], str] = field(default_factory=dict)
    #: fork values handed to a :class:`ValuesBackend` whose outcomes have not been reported yet
    values_running: int = 0
    queued: set[str] = field(default_factory=set)
    #: finished instances per execution and enclosing fork value: ``E[0]`` counts ``E[0][*]``
    finished_values: dict[str, int] = field(default_factory=dict)


class PlanRunner:
    """Runs a prepared application's executions in dependency order."""

    def __init__(
        self,
        prepared: PreparedApplication,
        graph: ExecutionGraph,
        services: RunServices,
        backend: ExecutionBackend,
        *,
        root_executions: list[str] | None = None,
        on_outcome: Callable[[ExecutionOutcome], None] | None = None,
    ) -> None:
        self.prepared = prepared
        self.graph = graph
        self.services = services
        self.backend = backend
        self.roots = graph.roots(root_executions)
        self.state = PlanState()
        self.on_outcome = on_outcome
        #: finished futures, or batches of fork values' outcomes from a :class:`ValuesBackend`
        self._finished: queue.SimpleQueue[Future[ExecutionOutcome] | list[ExecutionOutcome]] = queue.SimpleQueue()
        self._children: dict[str, list[str]] = {e: [] for e in graph.kinds}
        for child, parents in graph.parents.items():
            for parent in parents:
                self._children.setdefault(parent, []).append(child)

    # -- driving ---------------------------------------------------------------------------
    def run(self) -> dict[str, ExecutionOutcome]:
        """Run until nothing more can start; return every instance's outcome by key."""
        for root in self.roots:
            self._consider(root, (), as_root=True)
        while self.state.running or self.state.values_running:
            # completions arrive through a queue: O(1) per finished instance however many run
            future = self._finished.get()
            if isinstance(future, list):
                self.state.values_running -= len(future)
                self._record_values(future)
                continue
            key = self.state.running.pop(future)
            try:
                outcome = future.result()
            except Exception as exc:  # the backend itself failed
                execution_id, index = parse_instance_key(key)
                outcome = self._synthetic(execution_id, index, ExecutionStatus.ERROR, f"execution could not run: {exc}")
                outcome.error = ErrorInfo(type(exc).__name__, str(exc))
            self._record(outcome)
        self._report_unreached()
        return self.state.outcomes

    def _record_values(self, outcomes: list[ExecutionOutcome]) -> None:
        """Record a batch of fork values' outcomes, then consider each child they may have readied
        once (a join over the fork is considered once per batch, not once per value)."""
        pending: dict[tuple[str, Index, bool], None] = {}
        for outcome in outcomes:
            self._store(outcome)
            for target in self._children_to_consider(outcome):
                pending[target] = None
        for target in pending:
            self._consider_target(*target)

    def _record(self, outcome: ExecutionOutcome) -> None:
        self._store(outcome)
        for target in self._children_to_consider(outcome):
            self._consider_target(*target)

    def _consider_target(self, child: str, index: Index, every: bool) -> None:
        if every:
            self._consider_all(child, index)
        else:
            self._consider(child, index)

    def _store(self, outcome: ExecutionOutcome) -> None:
        self.state.outcomes[outcome.key] = outcome
        if outcome.fork_index:
            scope_key = instance_key(outcome.execution_id, tuple(outcome.fork_index[:-1]))
            self.state.finished_values[scope_key] = self.state.finished_values.get(scope_key, 0) + 1
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        execution_id = outcome.execution_id
        index = tuple(outcome.fork_index or ())
        chain = self.graph.chains.get(execution_id, ())
        if outcome.status in (ExecutionStatus.ERROR, ExecutionStatus.PAUSED) and chain:
            self._mark_forks(outcome, chain, index)

    def _children_to_consider(self, outcome: ExecutionOutcome) -> list[tuple[str, Index, bool]]:
        """``(child, index, every known instance?)`` for each child this outcome may have readied."""
        index = tuple(outcome.fork_index or ())
        chain = self.graph.chains.get(outcome.execution_id, ())
        targets: list[tuple[str, Index, bool]] = []
        for child in self._children.get(outcome.execution_id, []):
            child_chain = self.graph.chains.get(child, ())
            if self.graph.kinds[child] == "join" and len(child_chain) < len(chain):
                targets.append((child, index[: len(child_chain)], False))
            elif len(child_chain) <= len(chain) or self.graph.kinds[child] == "fork":
                targets.append((child, index[: len(child_chain)] if self.graph.kinds[child] != "fork" else index,
                                False))
            else:
                targets.append((child, index, True))
        return targets

    def _mark_forks(self, outcome: ExecutionOutcome, chain: tuple[str, ...], index: Index) -> None:
        """A value that failed (or paused) between a fork and its join makes that fork value ERROR
        (or PAUSED) too, naming the execution that failed (DESIGN: each failing value reported)."""
        for depth, fork in enumerate(chain):
            fork_value = self.state.outcomes.get(instance_key(fork, index[: depth + 1]))
            if fork_value is None or fork_value is outcome or fork_value.status != ExecutionStatus.COMPLETE:
                continue
            fork_value.status = outcome.status
            verb = "failed" if outcome.status == ExecutionStatus.ERROR else "paused"
            fork_value.reason = f"fork value {index[depth]} {verb} in {outcome.key}: {outcome.reason or ''}".rstrip()
            fork_value.error = outcome.error
            self.services.events.emit(
                RunEvent("execution_stopped", run_id=self.services.run_id, execution_id=fork,
                         fork_index=fork_value.fork_index, status=fork_value.status, error=fork_value.reason)
            )

    def _consider_all(self, child: str, prefix: Index) -> None:
        """A child deeper in fork scopes than this parent: try each of its known instances."""
        chain = self.graph.chains[child]
        indexes = [prefix]
        for depth in range(len(prefix), len(chain)):
            fork = chain[depth]
            expanded: list[Index] = []
            for idx in indexes:
                size = self.state.fork_sizes.get(instance_key(fork, idx))
                if size is None:
                    return
                expanded.extend(idx + (i,) for i in range(size))
            indexes = expanded
        for idx in indexes:
            self._consider(child, idx)

    # -- readiness -------------------------------------------------------------------------
    def _consider(self, execution_id: str, index: Index, *, as_root: bool = False) -> None:
        is_fork_launch = self.graph.kinds[execution_id] == "fork" and len(index) < len(self.graph.chains[execution_id])
        key = "launch:" + instance_key(execution_id, index) if is_fork_launch else instance_key(execution_id, index)
        if key in self.state.queued or (not is_fork_launch and key in self.state.outcomes):
            return
        parents: list[ParentInput] = []
        blocked: list[str] = []
        if not as_root:
            for parent in self.graph.parents[execution_id]:
                found = self._parent_outcomes(execution_id, index, parent)
                if found is None:
                    return  # not ready yet
                parent_input, reasons = found
                if reasons:
                    blocked.extend(reasons)
                elif parent_input is not None:
                    parents.append(parent_input)
        self.state.queued.add(key)
        only = self.services.only_executions
        if not blocked and only is not None and execution_id not in only:
            blocked.append(f"not needed until {self.services.stop_after}" if self.services.stop_after
                           else "not among the executions to run")
        if blocked:
            reason = "; ".join(blocked)
            if is_fork_launch:
                self.state.fork_sizes[instance_key(execution_id, index)] = 0
            self._record(self._synthetic(execution_id, index, ExecutionStatus.BLOCKED, reason))
            return
        work = ReadyExecution(execution_id, index, parents, self.graph.kinds[execution_id])
        if is_fork_launch:
            self._launch_fork(work)
            return
        self._submit(work)

    def _parent_outcomes(
        self, child: str, index: Index, parent: str
    ) -> tuple[ParentInput | None, list[str]] | None:
        """Which parent instances feed the child, ``(None, reasons)`` when it blocks, ``None`` when not done."""
        parent_chain = self.graph.chains.get(parent, ())
        if self.graph.kinds[child] == "join" and len(parent_chain) > len(self.graph.chains[child]):
            fork = parent_chain[-1]
            size = self.state.fork_sizes.get(instance_key(fork, index))
            if size is None:
                return None
            launch = self.state.outcomes.get(instance_key(fork, index))
            if launch is not None and not launch.favourable:
                return None, [f"fork {fork!r} {launch.status}: {launch.reason}"]
            if self.state.finished_values.get(instance_key(parent, index), 0) < size:
                return None  # counted first: the join is considered once per finished value
            outcomes = [self.state.outcomes.get(instance_key(parent, index + (i,))) for i in range(size)]
            if any(o is None for o in outcomes):
                return None
            bad = [i for i, o in enumerate(outcomes) if o is not None and not o.favourable]
            if bad:
                return None, [f"fork {fork!r} value(s) {bad} of {parent!r} did not complete"]
            keys = tuple(instance_key(parent, index + (i,)) for i in range(size))
            return ParentInput(parent, keys, True, self._skeleton(parent, size), tuple(outcomes)), []
        outcome = self.state.outcomes.get(instance_key(parent, index[: len(parent_chain)]))
        if outcome is None:
            return None
        if not outcome.favourable:
            return None, [f"parent {outcome.key!r} is {outcome.status}"]
        return ParentInput(parent, (outcome.key,), outcomes=(outcome,)), []

    def _skeleton(self, execution_id: str, size: int) -> tuple[dict[str, list[str]], list[str]]:
        """The step ids and global names an execution would produce (for an empty fork's join)."""
        if size:
            return {}, []
        prepared = self.prepared.executions[execution_id]
        steps = {p.id or "": [s.id or "" for s in p.steps] for p in prepared.pipelines}
        return steps, [*prepared.globals, FORK_VALUE, FORK_INDEX]

    # -- launching -------------------------------------------------------------------------
    def _launch_fork(self, work: ReadyExecution) -> None:
        fork, index = work.execution_id, work.index
        prepared = self.prepared.executions[fork]
        expression = prepared.execution.fork_by_values or ""
        launch_key = instance_key(fork, index)
        failure: str | None
        try:
            globals_ = self.backend.input_globals(work)
        except Exception as exc:  # parents' results could not be read back (distributed executors)
            globals_, failure = {}, f"fork execution {fork}: its parents' results cannot be read: {exc}"
        else:
            failure = None
        values = self._fork_values(expression, globals_) if failure is None else None
        if not isinstance(values, list | tuple):
            self.state.fork_sizes[launch_key] = 0
            reason = failure or f"fork execution {fork} forkByValues {expression} does not point to a valid list"
            outcome = self._synthetic(fork, index, ExecutionStatus.ERROR, reason)
            outcome.error = ErrorInfo("ForkValuesError", reason)
            self._record(outcome)
            return
        self.state.fork_sizes[launch_key] = len(values)
        if not values:
            join = self.graph.joins[fork]
            self._consider(join, index)
            return
        self._submit_values([work.for_value(i, value) for i, value in enumerate(values)])

    def _submit_values(self, works: list[ReadyExecution]) -> None:
        if self.services.kill.run_killed or not isinstance(self.backend, ValuesBackend):
            for item in works:
                self._submit(item)
            return
        for item in works:
            self.state.queued.add(item.key)
        self.state.values_running += len(works)
        self.backend.submit_values(works, self._finished.put)

    def _fork_values(self, expression: str, globals_: dict[str, Any]) -> Any:
        if expression and (expression[0] in PREFIXES or has_template(expression)):
            ctx = PipelineContext(globals=globals_, parameters=PipelineParameters(), services=self.services)
            return resolve_text(expression, ctx)
        return extract_path(globals_, expression.split("."), methods_enabled=False)

    def _submit(self, work: ReadyExecution) -> None:
        key = work.key
        if self.services.kill.run_killed:
            self._record(self._synthetic(work.execution_id, work.index, ExecutionStatus.KILLED, "the run was killed"))
            return
        self.state.queued.add(key)
        future = self.backend.submit(work)
        self.state.running[future] = key
        future.add_done_callback(self._finished.put)

    def _synthetic(self, execution_id: str, index: Index, status: str, reason: str) -> ExecutionOutcome:
        outcome = ExecutionOutcome(
            instance_key(execution_id, index), execution_id, list(index) if index else None, status, reason=reason
        )
        outcome.ended_at = outcome.started_at = now()  # decided, never started: it takes no time
        if status in (ExecutionStatus.BLOCKED, ExecutionStatus.KILLED):
            self.services.events.emit(
                RunEvent("execution_stopped", run_id=self.services.run_id, execution_id=execution_id,
                         fork_index=outcome.fork_index, status=status, error=reason,
                         timestamp=outcome.ended_at, duration=0.0)
            )
        return outcome

    def _report_unreached(self) -> None:
        """Executions that never got an instance are reported BLOCKED with the reason."""
        reached = {o.execution_id for o in self.state.outcomes.values()}
        for execution_id in self.graph.kinds:
            if execution_id in reached:
                continue
            empty_forks = [f for f in self.graph.chains.get(execution_id, ())
                           if any(k == f or k.startswith(f + "[") for k, n in self.state.fork_sizes.items() if n == 0)]
            if empty_forks:
                status, reason = ExecutionStatus.SKIPPED, f"fork {empty_forks[-1]!r} had no values"
                self.state.outcomes[execution_id] = self._synthetic(execution_id, (), status, reason)
                continue
            if not self.graph.parents[execution_id] or execution_id in self.roots:
                reason = "not among the root-executions"
            else:
                upstream = [p for p in self.graph.parents[execution_id] if p not in reached]
                reason = (
                    f"parent(s) {upstream} did not run" if upstream else "a parent did not finish favourably"
                )
            self.state.outcomes[execution_id] = self._synthetic(execution_id, (), ExecutionStatus.BLOCKED, reason)
