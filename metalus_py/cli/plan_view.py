"""Rendering the execution plan: a text tree, a mermaid flowchart or a graphviz dot graph."""

from __future__ import annotations

from typing import Any

from metalus_py.api import load_document
from metalus_py.model.application import Application
from metalus_py.plan.setup import PreparedApplication, prepare_application


def render_plan(location: str, parameters: dict[str, Any], fmt: str) -> str:
    prepared = prepare_application(Application.model_validate(load_document(location)), location, parameters,
                                   build_objects=False)
    if fmt == "mermaid":
        return _mermaid(prepared)
    if fmt == "dot":
        return _dot(prepared)
    return _text(prepared)


def _label(prepared: PreparedApplication, eid: str) -> str:
    execution = prepared.executions[eid].execution
    kind = execution.kind
    extra = f" forkByValues={execution.fork_by_values}" if kind == "fork" else ""
    return f"{eid} ({kind}{extra})" if kind != "pipeline" else eid


def _text(prepared: PreparedApplication) -> str:
    lines = [f"application {prepared.application_id}"]
    for eid, execution in prepared.executions.items():
        parents = execution.execution.parent_ids
        lines.append(f"execution {_label(prepared, eid)}" + (f" <- {', '.join(parents)}" if parents else " (root)"))
        for pipeline in execution.evaluation_pipelines:
            lines.append(f"  evaluation pipeline {pipeline.id}")
            lines.extend(f"    step {s.id} [{s.type_name}]" for s in pipeline.steps)
        for pipeline in execution.pipelines:
            lines.append(f"  pipeline {pipeline.id}")
            for step in pipeline.steps:
                nxt = f" -> {step.next_step_id}" if step.next_step_id else ""
                lines.append(f"    step {step.id} [{step.type_name}]{nxt}")
    return "\n".join(lines)


def _node(eid: str) -> str:
    return "e_" + "".join(ch if ch.isalnum() else "_" for ch in eid)


def _mermaid(prepared: PreparedApplication) -> str:
    lines = ["flowchart TD"]
    for eid, execution in prepared.executions.items():
        pipelines = "<br/>".join(p.id or "" for p in execution.pipelines)
        shape = ("{{", "}}") if execution.execution.kind in ("fork", "join") else ("[", "]")
        lines.append(f'  {_node(eid)}{shape[0]}"{_label(prepared, eid)}<br/><small>{pipelines}</small>"{shape[1]}')
    for eid, execution in prepared.executions.items():
        lines.extend(f"  {_node(p)} --> {_node(eid)}" for p in execution.execution.parent_ids)
    return "\n".join(lines)


def _dot(prepared: PreparedApplication) -> str:
    lines = ["digraph metalus {", "  rankdir=TB;", "  node [shape=box];"]
    for eid, execution in prepared.executions.items():
        shape = "diamond" if execution.execution.kind in ("fork", "join") else "box"
        pipelines = "\\n".join(p.id or "" for p in execution.pipelines)
        lines.append(f'  "{eid}" [shape={shape}, label="{_label(prepared, eid)}\\n{pipelines}"];')
    for eid, execution in prepared.executions.items():
        lines.extend(f'  "{p}" -> "{eid}";' for p in execution.execution.parent_ids)
    lines.append("}")
    return "\n".join(lines)
