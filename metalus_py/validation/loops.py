"""Loops of steps that no branch can leave (``nextStepId`` pointing back, with no way out).

The flow graph follows ``nextStepId`` and branch/split ``result`` targets (error edges are not a
way out: they are taken only on failure). A strongly connected set of steps (or a step naming
itself) is an endless loop when none of its steps ends the pipeline (a step with no next step)
or leads out of the set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from metalus_py.base.acyclic import is_acyclic
from metalus_py.base.problems import ValidationReport
from metalus_py.model.pipeline import Pipeline, PipelineStep
from metalus_py.validation.shapes import at

if TYPE_CHECKING:
    import networkx as nx


def _normal_successors(step: PipelineStep) -> list[str]:
    if step.type_name in ("branch", "split"):
        return [p.value for p in step.params if p.type_name == "result" and isinstance(p.value, str)]
    return [step.next_step_id] if step.next_step_id else []


def check_loops(pipeline: Pipeline, prefix: str, report: ValidationReport) -> None:
    """Report each loop of ``pipeline`` that no step can leave."""
    steps = pipeline.step_map()
    if _acyclic(steps):  # the common case, decided without importing networkx
        return
    import networkx

    index = {s.id: i for i, s in enumerate(pipeline.steps) if s.id}
    graph: nx.DiGraph = networkx.DiGraph()
    for step_id, step in steps.items():
        graph.add_node(step_id)
        for target in _normal_successors(step):
            if target in steps:
                graph.add_edge(step_id, target)
    for component in networkx.strongly_connected_components(graph):
        members = set(component)
        if len(members) == 1:
            only = next(iter(members))
            if not graph.has_edge(only, only):
                continue
        if any(_leaves(steps[m], members, steps) for m in members):
            continue
        ordered = sorted(members, key=lambda m: index.get(m, 0))
        first = ordered[0]
        loop = " -> ".join([*ordered, first]) if len(ordered) > 1 else f"{first} -> {first}"
        report.error(at(prefix, f"steps[{index.get(first, 0)}]"), f"steps of pipeline [{pipeline.id or '?'}] loop "
                     f"forever: {loop} (no branch leaves the loop and no step ends the pipeline)",
                     "point a nextStepId or a branch result outside the loop", subject=first)


def _acyclic(steps: dict[str, PipelineStep]) -> bool:
    """True when no step can reach itself again."""
    return is_acyclic({sid: [t for t in _normal_successors(step) if t in steps] for sid, step in steps.items()})


def _leaves(step: PipelineStep, members: set[str], steps: dict[str, PipelineStep]) -> bool:
    targets = _normal_successors(step)
    if not targets:
        return True  # the pipeline ends here (a branch without results ends it too)
    return any(t not in members or t not in steps for t in targets)
