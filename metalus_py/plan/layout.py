"""The execution plan of a recorded run as a graph with a layout: what the run page and notebooks draw.

Built from the application document the run recorded, so executions that have not run yet are
there too. Pipelines come from the prepared application (pipeline files included) when it can
be prepared, else from the document alone. The layout is layered: an execution sits one layer
below its deepest parent; nodes of a layer are ordered by the mean position of their parents
(one sweep of the barycentre heuristic), which keeps simple DAGs free of crossings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx

#: Size of one execution box and the gaps between boxes, in SVG user units.
NODE_WIDTH = 190
NODE_HEIGHT = 58
GAP_X = 40
GAP_Y = 50
MARGIN = 16


def _kind(execution: Mapping[str, Any]) -> str:
    return str(execution.get("executionType") or "pipeline").lower()


def _document_pipelines(document: Mapping[str, Any], execution: Mapping[str, Any]) -> list[dict[str, Any]]:
    shared = {p.get("id"): p for p in document.get("pipelines") or []}
    inline = {p.get("id"): p for p in execution.get("pipelines") or []}
    ids = list(execution.get("pipelineIds") or []) or list(inline)
    found = []
    for pid in ids:
        pipeline = inline.get(pid) or shared.get(pid) or {"id": pid, "steps": []}
        found.append({"id": pid, "steps": [_document_step(s) for s in pipeline.get("steps") or []]})
    return found


def _document_step(step: Mapping[str, Any]) -> dict[str, Any]:
    nexts = [step["nextStepId"]] if step.get("nextStepId") else []
    nexts += [p.get("value") for p in step.get("params") or []
              if str(p.get("type", "")).lower() == "result" and isinstance(p.get("value"), str)]
    if step.get("nextStepOnError"):
        nexts.append(step["nextStepOnError"])
    return {"id": step.get("id"), "type": str(step.get("type") or "pipeline").lower(), "next": nexts}


def _resolved_pipelines(document: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Pipelines per execution id, pipeline files included ({} when the document does not parse).

    Only pipelines are looked up: no global is built and no class or function of the file is
    touched (the monitor runs no code from the application).
    """
    try:
        from metalus_py.flow.structure import successors
        from metalus_py.model.application import Application
        from metalus_py.model.loader import pipeline_directories
        from metalus_py.plan.setup import evaluation_pipelines, execution_pipelines
        from metalus_py.steps.runtime import MapPipelineManager

        application = Application.model_validate(dict(document))
        manager = MapPipelineManager({p.id: p for p in application.pipelines if p.id},
                                     pipeline_directories(source, application.step_packages))
        out: dict[str, Any] = {}
        for execution in application.executions:
            main, _ = execution_pipelines(execution, application, manager)
            evaluations, _ = evaluation_pipelines(execution, application, manager)
            out[execution.id or ""] = [
                {"id": p.id, "evaluation": index < len(evaluations),
                 "steps": [{"id": s.id, "type": s.type_name, "next": successors(s)} for s in p.steps]}
                for index, p in enumerate([*evaluations, *main])
            ]
        return out
    except Exception:  # a plan that no longer loads still shows what the document says
        return {}


def plan_graph(document: Mapping[str, Any], *, source: str = "") -> dict[str, Any]:
    """Executions (with pipelines, steps and layout box), edges between executions, and the canvas size.

    Returns:
        ``{"applicationId", "executions": [{"id", "kind", "parents", "forkByValues", "pipelines":
        [{"id", "steps": [{"id", "type", "next"}]}], "layer", "x", "y", "width", "height"}],
        "edges": [{"from", "to"}], "width", "height"}``.
    """
    executions = [e for e in document.get("executions") or [] if isinstance(e, Mapping) and e.get("id")]
    prepared = _resolved_pipelines(document, source)
    graph = networkx.DiGraph()
    ids = [str(e["id"]) for e in executions]
    graph.add_nodes_from(ids)
    for execution in executions:
        for parent in execution.get("parents") or []:
            if str(parent) in graph:
                graph.add_edge(str(parent), str(execution["id"]))
    layers = _layers(graph, ids)
    positions = _positions(graph, layers)
    width = max((len(layer) for layer in layers), default=1) * (NODE_WIDTH + GAP_X) + GAP_X
    height = len(layers) * (NODE_HEIGHT + GAP_Y) - GAP_Y + 2 * MARGIN
    nodes = []
    for execution in executions:
        eid = str(execution["id"])
        layer, x = positions[eid]
        nodes.append({
            "id": eid,
            "kind": _kind(execution),
            "parents": [str(p) for p in execution.get("parents") or []],
            "forkByValues": execution.get("forkByValues") or execution.get("forkByValue"),
            "pipelines": prepared.get(eid) or _document_pipelines(document, execution),
            "layer": layer,
            "x": x,
            "y": MARGIN + layer * (NODE_HEIGHT + GAP_Y),
            "width": NODE_WIDTH,
            "height": NODE_HEIGHT,
        })
    edges = [{"from": a, "to": b} for a, b in graph.edges]
    return {"applicationId": document.get("id"), "executions": nodes, "edges": edges, "width": width,
            "height": height}


def _layers(graph: networkx.DiGraph, order: list[str]) -> list[list[str]]:
    if not networkx.is_directed_acyclic_graph(graph):  # invalid plans still draw, one per row
        return [[node] for node in order]
    depth: dict[str, int] = {}
    for node in networkx.topological_sort(graph):
        depth[node] = max((depth[p] + 1 for p in graph.predecessors(node)), default=0)
    layers: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for node in order:
        layers[depth[node]].append(node)
    return layers


def _positions(graph: networkx.DiGraph, layers: list[list[str]]) -> dict[str, tuple[int, float]]:
    """x of each node: under the mean of its parents where there is room, else pushed right."""
    widest = max((len(layer) for layer in layers), default=1)
    total = widest * (NODE_WIDTH + GAP_X) + GAP_X
    step = NODE_WIDTH + GAP_X
    centre: dict[str, float] = {}
    positions: dict[str, tuple[int, float]] = {}
    for index, layer in enumerate(layers):
        span = len(layer) * step - GAP_X
        even = [(total - span) / 2 + slot * step for slot in range(len(layer))]
        wanted: dict[str, float] = {}
        for slot, node in enumerate(layer):
            parents = [centre[p] for p in graph.predecessors(node) if p in centre]
            wanted[node] = sum(parents) / len(parents) - NODE_WIDTH / 2 if parents else even[slot]
        if index > 0:
            rank = {node: slot for slot, node in enumerate(layer)}
            layer.sort(key=lambda node: (wanted[node], rank[node]))
        xs: list[float] = []
        for node in layer:  # no overlaps, left to right, inside the canvas
            x = max(wanted[node], GAP_X, xs[-1] + step if xs else GAP_X)
            xs.append(x)
        overflow = xs[-1] + NODE_WIDTH + GAP_X - total if xs else 0
        if overflow > 0:
            xs = [x - overflow for x in xs]
            for slot in range(len(xs) - 1, 0, -1):  # pulled back left: keep the spacing
                xs[slot - 1] = min(xs[slot - 1], xs[slot] - step)
        for node, x in zip(layer, xs, strict=True):
            centre[node] = x + NODE_WIDTH / 2
            positions[node] = (index, round(x, 1))
    return positions
