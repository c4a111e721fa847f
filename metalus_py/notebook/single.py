"""``app.run_step("E.P.S", dataFrame=frame)``: one step or one pipeline alone, for debugging.

The step runs through the normal engine (mapping, binding, coercion, ``pipelineContext``) in a
one-step pipeline: each given input becomes a hidden global its parameter maps to, so any
Python value (a frame, a table, an object) is passed as it is; parents do not run.
"""

from __future__ import annotations

import copy
import difflib
import inspect
import re
from collections.abc import Mapping
from typing import Any

from metalus_py.api import run_pipeline
from metalus_py.base.runscope import in_run_scope
from metalus_py.model.pipeline import Pipeline as PipelineModel
from metalus_py.notebook.names import UnknownStepError, check_step_name
from metalus_py.steps.resolution import StepResolver

_HIDDEN = "__run_step_input_"


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _find(document: Mapping[str, Any], execution_id: str, pipeline_id: str) -> tuple[Mapping[str, Any], dict[str, Any]]:
    execution = next(e for e in document.get("executions") or [] if e.get("id") == execution_id)
    inline = {p.get("id"): p for p in execution.get("pipelines") or []}
    shared = {p.get("id"): p for p in document.get("pipelines") or []}
    return execution, dict(inline.get(pipeline_id) or shared[pipeline_id])


def _globals(document: Mapping[str, Any], execution: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """The execution's globals as a run builds them (``className`` objects built), ``extra`` winning."""
    from metalus_py.model.application import Application as ApplicationModel
    from metalus_py.plan.setup import execution_globals

    model = ApplicationModel.model_validate(dict(document))
    entry = next(e for e in model.executions if e.id == execution.get("id"))
    return execution_globals(model, entry, dict(extra))


@in_run_scope
def run_single(document: Mapping[str, Any], name: str, globals_: dict[str, Any], inputs: dict[str, Any]) -> Any:
    """See :meth:`metalus_py.notebook.Application.run_step`."""
    parts = name.split(".")
    if len(parts) == 2:
        executions = {e.get("id"): e for e in document.get("executions") or []}
        execution = executions.get(parts[0])
        if execution is None or parts[1] not in _pipeline_ids(document, execution):
            known = [f"{e.get('id')}.{p}" for e in executions.values() for p in _pipeline_ids(document, e)]
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise UnknownStepError(f"run_step={name!r} names no pipeline of an execution (EXEC.PIPELINE){hint}")
        _, pipeline = _find(document, parts[0], parts[1])
        return run_pipeline(
            pipeline, _globals(document, execution, {**globals_, **inputs}),
            step_packages=list(document.get("stepPackages") or []),
            pipelines=[PipelineModel.model_validate(p) for p in document.get("pipelines") or []],
        )
    check_step_name(name, document, option="run_step")
    execution_id, pipeline_id, step_id = name.split(".", 2)
    execution, pipeline = _find(document, execution_id, pipeline_id)
    step = copy.deepcopy(next(s for s in pipeline.get("steps") or [] if s.get("id") == step_id))
    if str(step.get("type") or "pipeline").lower() not in ("pipeline", "branch"):
        raise UnknownStepError(f"run_step runs function steps (type pipeline or branch); {name} is a {step.get('type')} step")
    step.pop("nextStepId", None)
    step.pop("nextStepOnError", None)
    params = [p for p in step.get("params") or [] if str(p.get("type", "")).lower() != "result"]
    hidden: dict[str, Any] = {}
    by_name = {p.get("name"): p for p in params}
    for given, value in inputs.items():
        target = _match(given, by_name, step, document)
        key = f"{_HIDDEN}{len(hidden)}"
        hidden[key] = value
        entry = by_name.get(target)
        if entry is None:
            entry = {"name": target, "type": "text"}
            params.append(entry)
            by_name[target] = entry
        entry["value"] = f"!{key}"
        entry.pop("defaultValue", None)
        entry["type"] = "text"
    step["params"] = params
    context = run_pipeline(
        {"id": pipeline_id, "steps": [step]}, _globals(document, execution, {**globals_, **hidden}),
        step_packages=list(document.get("stepPackages") or []),
        pipelines=[PipelineModel.model_validate(p) for p in document.get("pipelines") or []],
    )
    response = context.parameters.get(pipeline_id, step_id)
    return getattr(response, "primary_return", response)


def _pipeline_ids(document: Mapping[str, Any], execution: Mapping[str, Any]) -> list[str]:
    return list(execution.get("pipelineIds") or []) or [p.get("id") for p in execution.get("pipelines") or []]


def _match(given: str, params: Mapping[str, Any], step: Mapping[str, Any], document: Mapping[str, Any]) -> str:
    """The parameter a keyword names: exactly, or in the other spelling (camelCase / snake_case)."""
    for candidate in params:
        if candidate is not None and given in (candidate, _snake(candidate)) or _snake(given) == _snake(str(candidate)):
            return str(candidate)
    accepted = _function_parameters(step, document)
    for candidate in accepted:
        if _snake(given) == _snake(candidate):
            return candidate
    if any(kind == inspect.Parameter.VAR_KEYWORD for kind in accepted.values()):
        return given
    options = list(dict.fromkeys([str(p) for p in params] + list(accepted)))
    close = difflib.get_close_matches(given, options, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownStepError(f"run_step: step {step.get('id')!r} has no parameter {given!r}{hint}")


def _function_parameters(step: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    meta = step.get("engineMeta") or {}
    target = meta.get("command") or meta.get("spark")
    if not target:
        return {}
    function = StepResolver(list(document.get("stepPackages") or [])).resolve(str(target), meta.get("pkg"))
    try:
        return {name: p.kind for name, p in inspect.signature(function).parameters.items()}
    except (TypeError, ValueError):
        return {}
