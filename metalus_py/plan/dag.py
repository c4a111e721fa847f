"""The execution DAG as plain adjacency lists: what running a plan needs, without importing networkx.

Importing networkx costs a run tens of milliseconds; planning only needs successors,
descendants and whether the graph has a cycle. Reporting a cycle (an invalid plan) still uses
networkx (:mod:`metalus_py.validation.plan_checks`).
"""

from __future__ import annotations

from collections.abc import Iterable

from metalus_py.base.acyclic import is_acyclic


class Adjacency:
    """A directed graph as successor lists, in the order nodes and edges were added."""

    def __init__(self) -> None:
        self.successor_lists: dict[str, list[str]] = {}
        self.edges: list[tuple[str, str]] = []

    def add_nodes_from(self, nodes: Iterable[str]) -> None:
        for node in nodes:
            self.successor_lists.setdefault(node, [])

    def add_edge(self, parent: str, child: str) -> None:
        self.successor_lists.setdefault(child, [])
        self.successor_lists.setdefault(parent, [])
        if child not in self.successor_lists[parent]:  # one edge per pair, as a DiGraph keeps
            self.successor_lists[parent].append(child)
            self.edges.append((parent, child))

    def number_of_edges(self) -> int:
        return len(self.edges)

    def successors(self, node: str) -> list[str]:
        return self.successor_lists.get(node, [])

    def descendants(self, node: str) -> set[str]:
        """Every node reachable from ``node`` (not ``node`` itself unless on a cycle)."""
        found: set[str] = set()
        stack = list(self.successors(node))
        while stack:
            current = stack.pop()
            if current not in found:
                found.add(current)
                stack.extend(self.successors(current))
        return found

    def is_acyclic(self) -> bool:
        """True when no node can reach itself."""
        return is_acyclic(self.successor_lists)
