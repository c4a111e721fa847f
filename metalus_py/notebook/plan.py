"""The execution plan of an application as an SVG picture, a text diagram or a mermaid flowchart (Jupyter).

Works from the application document itself (no validation needed), so a half-built
application can be looked at too. Pipelines are found in the execution's own ``pipelines``,
then the application's; an id found in neither is shown as ``(not found)``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from metalus_py.api import load_document


def _pipelines(document: Mapping[str, Any], execution: Mapping[str, Any], key: str, ids_key: str) -> list[Any]:
    shared = {p.get("id"): p for p in document.get("pipelines") or []}
    inline = {p.get("id"): p for p in execution.get(key) or []}
    ids = list(execution.get(ids_key) or []) or list(inline)
    return [inline.get(pid) or shared.get(pid) or {"id": pid, "missing": True} for pid in ids]


def _kind(execution: Mapping[str, Any]) -> str:
    return str(execution.get("executionType") or "pipeline").lower()


def _label(execution: Mapping[str, Any]) -> str:
    kind = _kind(execution)
    fork = execution.get("forkByValues") or execution.get("forkByValue")
    if kind == "fork":
        return f"{execution.get('id')} (fork over {fork})"
    return f"{execution.get('id')} ({kind})" if kind != "pipeline" else str(execution.get("id"))


def _step_line(step: Mapping[str, Any]) -> str:
    kind = str(step.get("type") or "pipeline").lower()
    command = (step.get("engineMeta") or {}).get("command") or (step.get("engineMeta") or {}).get("spark")
    text = f"{step.get('id')} [{kind}]" + (f" {command}" if command else "")
    targets = [
        f"{p.get('name')}: {p.get('value')}"
        for p in step.get("params") or []
        if str(p.get("type", "")).lower() == "result"
    ]
    if step.get("nextStepId"):
        text += f" -> {step['nextStepId']}"
    elif targets:
        text += " -> " + " | ".join(str(t) for t in targets)
    if step.get("nextStepOnError"):
        text += f" (on error -> {step['nextStepOnError']})"
    return text


def render_text(document: Mapping[str, Any]) -> str:
    """Executions (with parents), their evaluation pipelines and pipelines, and each step's flow."""
    lines = [f"application {document.get('id') or ''}".rstrip()]
    for execution in document.get("executions") or []:
        parents = execution.get("parents") or []
        lines.append(f"execution {_label(execution)}" + (f" <- {', '.join(parents)}" if parents else " (root)"))
        for title, key, ids_key in (
            ("evaluation pipeline", "evaluationPipelines", "evaluationPipelineIds"),
            ("pipeline", "pipelines", "pipelineIds"),
        ):
            for pipeline in _pipelines(document, execution, key, ids_key):
                lines.append(f"  {title} {pipeline.get('id')}" + (" (not found)" if pipeline.get("missing") else ""))
                lines.extend(f"    step {_step_line(step)}" for step in pipeline.get("steps") or [])
    return "\n".join(lines)


def _node(execution_id: Any) -> str:
    return "e_" + "".join(ch if ch.isalnum() else "_" for ch in str(execution_id))


def _quote(text: str) -> str:
    return text.replace('"', "#quot;")


def render_mermaid(document: Mapping[str, Any]) -> str:
    """A mermaid flowchart: one node per execution (its pipelines listed), edges from parents."""
    lines = ["flowchart TD"]
    executions = list(document.get("executions") or [])
    for execution in executions:
        pipelines = [str(p.get("id")) for p in _pipelines(document, execution, "pipelines", "pipelineIds")]
        evaluations = [
            f"eval: {p.get('id')}"
            for p in _pipelines(document, execution, "evaluationPipelines", "evaluationPipelineIds")
        ]
        label = _quote("<br/>".join([f"<b>{_label(execution)}</b>", *evaluations, *pipelines]))
        left, right = ("{{", "}}") if _kind(execution) in ("fork", "join") else ("[", "]")
        lines.append(f'  {_node(execution.get("id"))}{left}"{label}"{right}')
    for execution in executions:
        lines.extend(f"  {_node(parent)} --> {_node(execution.get('id'))}" for parent in execution.get("parents") or [])
    return "\n".join(lines)


class PlanView:
    """An application's plan; Jupyter shows it as an SVG graph, with the text diagram and mermaid source."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document

    @classmethod
    def from_file(cls, location: str) -> PlanView:
        """The plan of an application file (local path or fsspec URL)."""
        return cls(load_document(location))

    def text(self) -> str:
        return render_text(self.document)

    def mermaid(self) -> str:
        return render_mermaid(self.document)

    def _repr_markdown_(self) -> str:
        return f"```mermaid\n{self.mermaid()}\n```"

    def svg(self) -> str:
        """The execution graph as an SVG picture (laid out here, no renderer needed)."""
        from metalus_py.plan.layout import plan_graph
        from metalus_py.plan.svg import plan_svg

        return plan_svg(plan_graph(self.document))

    def _repr_svg_(self) -> str:
        return self.svg()

    def _repr_html_(self) -> str:
        return (
            f'<div class="metalus-plan">{self.svg()}'
            '<details><summary>executions, pipelines and steps</summary><pre style="line-height:1.3">'
            f"{html.escape(self.text())}</pre></details>"
            "<details><summary>mermaid diagram source (paste into any mermaid renderer)</summary>"
            f'<pre class="mermaid">{html.escape(self.mermaid())}</pre></details></div>'
        )

    def __repr__(self) -> str:
        return self.text()
