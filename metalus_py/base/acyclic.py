"""Whether a directed graph has no cycle, without networkx (imported only to name a cycle)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

Node = TypeVar("Node", bound=Hashable)


def is_acyclic(successors: Mapping[Node, Sequence[Node]]) -> bool:
    """True when no node can reach itself: Kahn's topological sort consumes every node.

    ``successors`` maps every node to the nodes it points at (each of them a key too).
    """
    incoming = dict.fromkeys(successors, 0)
    for targets in successors.values():
        for target in targets:
            incoming[target] += 1
    ready = [node for node, count in incoming.items() if count == 0]
    seen = 0
    while ready:
        node = ready.pop()
        seen += 1
        for target in successors[node]:
            incoming[target] -= 1
            if incoming[target] == 0:
                ready.append(target)
    return seen == len(successors)
