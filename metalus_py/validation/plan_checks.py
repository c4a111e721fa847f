"""The execution plan: ids, parents, cycles, execution types and fork/join shapes.

Every problem is reported (not only the first); fork scope problems (an execution depending on
the inside of a fork without going through its join) come from ``ExecutionGraph`` once the
plan is otherwise sound.
"""

from __future__ import annotations

import difflib
from typing import Any

from metalus_py.base.problems import ValidationReport
from metalus_py.model.application import Application
from metalus_py.plan.dag import Adjacency
from metalus_py.plan.graph import ExecutionGraph

EXECUTION_TYPES = ("pipeline", "fork", "join")


def did_you_mean(name: str, options: list[str] | tuple[str, ...], cutoff: float = 0.6) -> str | None:
    """``"did you mean 'x'?"`` for the option closest to ``name``, if any is close."""
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=cutoff)
    return f"did you mean {close[0]!r}?" if close else None


def check_plan(application: Application, report: ValidationReport) -> None:
    """Report every problem of the execution DAG."""
    before = len(report.errors)
    executions = application.executions
    ids: dict[str, int] = {}
    for index, execution in enumerate(executions):
        if execution.id:
            if execution.id in ids:
                report.error(f"executions[{index}].id",
                             f"duplicate execution id {execution.id!r} (also executions[{ids[execution.id]}])",
                             "give every execution a unique id", subject=execution.id)
            ids.setdefault(execution.id, index)
        else:
            report.error(f"executions[{index}].id", "execution has no id (expected a unique, non-empty string)")
    graph = Adjacency()
    graph.add_nodes_from(ids)
    for index, execution in enumerate(executions):
        eid = execution.id or ""
        for p_index, parent in enumerate(execution.parent_ids):
            path = f"executions[{index}].parents[{p_index}]"
            if parent not in ids:
                report.error(path, f"execution {eid!r} names unknown parent {parent!r} "
                             f"(expected one of the execution ids: {', '.join(sorted(ids)) or 'none'})",
                             did_you_mean(parent, sorted(ids)), subject=parent)
            elif parent == eid:
                report.error(path, f"execution {eid!r} is its own parent", subject=eid)
            elif eid:
                graph.add_edge(parent, eid)
        if execution.kind not in EXECUTION_TYPES:
            report.error(f"executions[{index}].executionType",
                         f"execution {eid!r} has executionType {execution.execution_type!r}; "
                         "expected 'pipeline', 'fork' or 'join'",
                         did_you_mean(execution.kind, EXECUTION_TYPES, 0.4), subject=eid)
    if not graph.is_acyclic():  # networkx is only needed (and imported) to report a cycle
        _report_cycles(_digraph(graph), ids, report)
    kinds = {e.id: e.kind for e in executions if e.id}
    for index, execution in enumerate(executions):
        if execution.kind != "fork" or not execution.id:
            continue
        fork = execution.id
        if not (execution.fork_by_values or "").strip():
            report.error(f"executions[{index}].forkByValues",
                         f"fork execution {fork!r} has no forkByValues (expected a dotted path into its globals "
                         "or a mapping string giving a list)", subject=fork)
        joins = _joins_of(graph, kinds, fork, set())
        if not joins:
            report.error(f"executions[{index}]", f"Unable to find a join execution for the fork execution {fork}",
                         "add an execution with executionType 'join' below the fork", subject=fork)
        elif len(joins) > 1:
            report.error(f"executions[{index}]",
                         f"Multiple join executions found for {fork}: {', '.join(sorted(joins))}",
                         "each fork must be closed by exactly one join", subject=fork)
    if len(report.errors) == before and executions:
        for problem in ExecutionGraph(application).scope_problems():
            report.error(problem.path, problem.message)


def _report_cycles(graph: Any, ids: dict[str, int], report: ValidationReport) -> None:
    """Each cycle of executions, named from the execution listed first."""
    for component in _networkx().strongly_connected_components(graph):
        if len(component) < 2:
            continue
        cycle = [edge[0] for edge in _networkx().find_cycle(graph.subgraph(component))]
        first = min(cycle, key=lambda e: ids[e])
        start = cycle.index(first)
        ordered = cycle[start:] + cycle[:start]
        report.error(f"executions[{ids[first]}].parents",
                     f"executions form a cycle: {' -> '.join([*ordered, ordered[0]])} "
                     f"(members: {', '.join(sorted(component))})",
                     "remove one of these parents so the plan is a DAG", subject=first)


def _networkx() -> Any:
    import networkx

    return networkx


def _digraph(graph: Adjacency) -> Any:
    """The same graph in networkx (nodes and edges in the same order), to report its cycles."""
    import networkx

    digraph = networkx.DiGraph()
    digraph.add_nodes_from(graph.successor_lists)
    digraph.add_edges_from(graph.edges)
    return digraph


def _joins_of(graph: Adjacency, kinds: dict[str, str], fork: str, visiting: set[str]) -> set[str]:
    """The joins closing ``fork``: a nested fork's own join is skipped over."""
    if fork in visiting:
        return set()
    visiting = visiting | {fork}
    joins: set[str] = set()
    stack = list(graph.successors(fork))
    visited: set[str] = set()
    while stack:
        node = stack.pop()
        if node in visited:
            continue
        visited.add(node)
        if kinds.get(node) == "join":
            joins.add(node)
        elif kinds.get(node) == "fork":
            for inner in _joins_of(graph, kinds, node, visiting):
                stack.extend(graph.successors(inner))
        else:
            stack.extend(graph.successors(node))
    return joins
