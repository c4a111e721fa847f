"""The execution DAG and the fork scopes inside it.

A ``fork`` execution F and its ``join`` J delimit a scope: F and every descendant of F that is
not J or below J run once per fork value. Scopes nest.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx

from metalus_py.model.application import Application
from metalus_py.plan.dag import Adjacency


@dataclass(frozen=True)
class PlanProblem:
    """A problem with the plan: where (JSON path), what, and the execution ids involved."""

    path: str
    message: str
    suggestion: str | None = None


class ExecutionGraph:
    """Executions as a DAG with their fork scopes."""

    def __init__(self, application: Application) -> None:
        self.application = application
        self.kinds: dict[str, str] = {}
        self.parents: dict[str, list[str]] = {}
        for execution in application.executions:
            eid = execution.id or ""
            self.kinds[eid] = execution.kind
            self.parents[eid] = execution.parent_ids
        self.joins: dict[str, str] = {}
        self.members: dict[str, set[str]] = {}
        self.chains: dict[str, tuple[str, ...]] = {}

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The networkx DAG (built, and networkx imported, on first use)."""
        import networkx

        graph = networkx.DiGraph()
        graph.add_nodes_from(self.kinds)
        for eid, parents in self.parents.items():
            graph.add_edges_from((parent, eid) for parent in parents if parent in self.kinds)
        return graph

    @cached_property
    def adjacency(self) -> Adjacency:
        """The DAG as successor lists (what planning needs, without importing networkx)."""
        adjacency = Adjacency()
        adjacency.add_nodes_from(self.kinds)
        for eid, parents in self.parents.items():
            for parent in parents:
                if parent in self.kinds:
                    adjacency.add_edge(parent, eid)
        return adjacency

    @property
    def has_edges(self) -> bool:
        return any(self.parents.values())

    def _index(self, eid: str) -> int:
        for index, execution in enumerate(self.application.executions):
            if execution.id == eid:
                return index
        return -1

    def _joins_of(self, fork: str) -> set[str]:
        joins: set[str] = set()
        successors = self.adjacency.successors
        stack = list(successors(fork))
        visited: set[str] = set()
        while stack:
            node = stack.pop()
            if node in visited:
                continue
            visited.add(node)
            if self.kinds[node] == "join":
                joins.add(node)
                continue
            if self.kinds[node] == "fork":
                inner = self._joins_of(node)
                stack.extend(s for j in inner for s in successors(j))
                continue
            stack.extend(successors(node))
        return joins

    # -- scopes ----------------------------------------------------------------------------
    def compute_scopes(self) -> None:
        """Fill ``joins``, ``members`` and ``chains`` (for a plan that passed validation)."""
        for fork in [e for e, k in self.kinds.items() if k == "fork"]:
            join = next(iter(self._joins_of(fork)))
            self.joins[fork] = join
            below_join = self.adjacency.descendants(join) | {join}
            self.members[fork] = ({fork} | self.adjacency.descendants(fork)) - below_join
        for eid in self.kinds:
            enclosing = [f for f, m in self.members.items() if eid in m]
            enclosing.sort(key=lambda f: -len(self.members[f]))
            self.chains[eid] = tuple(enclosing)

    def scope_problems(self) -> list[PlanProblem]:
        """Executions that depend on one inside a fork without going through its join.

        The other plan checks (ids, parents, cycles, one join per fork) are validation's
        (:mod:`metalus_py.validation.plan_checks`); call this only once they passed.
        """
        self.compute_scopes()
        found: list[PlanProblem] = []
        for eid, parents in self.parents.items():
            chain = self.chains[eid]
            for parent in parents:
                parent_chain = self.chains[parent]
                if self.kinds[eid] == "join" and parent_chain[:-1] == chain and parent_chain:
                    continue
                if parent_chain[: len(chain)] != chain[: len(parent_chain)] or len(parent_chain) > len(chain):
                    found.append(PlanProblem(
                        f"executions[{self._index(eid)}].parents",
                        f"execution {eid!r} depends on {parent!r} inside fork "
                        f"{parent_chain[-1]!r} without going through its join {self.joins[parent_chain[-1]]!r}"))
        return found

    def join_fork(self, join: str) -> str | None:
        """The fork a join closes."""
        for fork, j in self.joins.items():
            if j == join:
                return fork
        return None

    def roots(self, selected: list[str] | None = None) -> list[str]:
        """Executions to start from: ``root-executions`` when any match, else those without parents."""
        if selected:
            chosen = [e for e in selected if e in self.kinds]
            if chosen:
                return chosen
        return [e for e, parents in self.parents.items() if not parents]

