"""Step names in a notebook (``EXEC.PIPELINE.STEP``): checking them, with did-you-mean, and JSON paths."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from metalus_py.base.exceptions import ApplicationError


class UnknownStepError(ApplicationError, ValueError):
    """A step name (``until=``, ``from_=``, ``run_step``) that matches no step of the application."""


def _pipelines(
    document: Mapping[str, Any], execution: Mapping[str, Any], e_index: int
) -> list[tuple[Mapping[str, Any], str]]:
    """The main pipelines of an execution with the JSON path of each (inline ones first)."""
    shared = {p.get("id"): (p, f"pipelines[{i}]") for i, p in enumerate(document.get("pipelines") or [])}
    inline = {
        p.get("id"): (p, f"executions[{e_index}].pipelines[{i}]") for i, p in enumerate(execution.get("pipelines") or [])
    }
    ids = list(execution.get("pipelineIds") or []) or list(inline)
    return [inline.get(pid) or shared[pid] for pid in ids if pid in inline or pid in shared]


def step_paths(document: Mapping[str, Any]) -> dict[str, str]:
    """``EXEC.PIPELINE.STEP`` -> the JSON path of the step's definition, for every main-pipeline step."""
    paths: dict[str, str] = {}
    for e_index, execution in enumerate(document.get("executions") or []):
        for pipeline, prefix in _pipelines(document, execution, e_index):
            for s_index, step in enumerate(pipeline.get("steps") or []):
                paths[f"{execution.get('id')}.{pipeline.get('id')}.{step.get('id')}"] = f"{prefix}.steps[{s_index}]"
    return paths


def check_step_name(name: str, document: Mapping[str, Any], *, option: str, execution_alone: bool = False) -> str:
    """Return ``name`` when it names a step (or, with ``execution_alone``, an execution).

    Raises:
        UnknownStepError: naming the option, the name and the closest names.
    """
    known = list(step_paths(document))
    executions = [str(e.get("id")) for e in document.get("executions") or []]
    if name in known or (execution_alone and name in executions):
        return name
    candidates = known + (executions if execution_alone else [])
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.5)
    if not close:
        # A right step id in the wrong place: suggest every full name ending with it.
        tail = name.rpartition(".")[2]
        close = [k for k in known if k.rpartition(".")[2] == tail][:3]
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    shape = "EXEC or EXEC.PIPELINE.STEP" if execution_alone else "EXEC.PIPELINE.STEP"
    raise UnknownStepError(f"{option}={name!r} names no step of the application (expected {shape}){hint}")
