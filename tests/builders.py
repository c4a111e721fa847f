"""The one builder of application JSON for the tests: parameters, steps, pipelines, executions.

Every builder returns a plain JSON-able dict, shaped as written in an application file. Test
areas keep their own small vocabularies (``tests/flow/flowkit.py``, ``tests/plan/planapps.py``,
``tests/durable/apps.py``, ``tests/validation/builders.py``, ``tests/events``) on top of these.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def param(name: str, value: Any = None, type_: str = "text", **extra: Any) -> dict[str, Any]:
    """A parameter definition; ``value`` is left out when ``None``."""
    definition: dict[str, Any] = {"name": name, "type": type_}
    if value is not None:
        definition["value"] = value
    definition.update(extra)
    return definition


def step(step_id: str, function: str | None = None, *params: dict[str, Any], type_: str = "Pipeline",
         next_: str | None = None, meta: str = "spark", **extra: Any) -> dict[str, Any]:
    """A step; ``function`` is ``Object.function``, written as ``engineMeta.<meta>``."""
    definition: dict[str, Any] = {"id": step_id, "type": type_, "params": list(params)}
    if function:
        definition["engineMeta"] = {meta: function}
    if next_:
        definition["nextStepId"] = next_
    definition.update(extra)
    return definition


def chain_steps(*steps: dict[str, Any]) -> list[dict[str, Any]]:
    """Copies of the steps linked in order through ``nextStepId``."""
    linked = [dict(s) for s in steps]
    for current, following in zip(linked, linked[1:], strict=False):
        current["nextStepId"] = following["id"]
    return linked


def pipeline(pipeline_id: str, *steps: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A pipeline whose name is its id."""
    return {"id": pipeline_id, "name": pipeline_id, "steps": list(steps), **extra}


def execution(execution_id: str, *pipeline_ids: str, parents: list[str] | None = None,
              **fields: Any) -> dict[str, Any]:
    """An execution running the pipelines with these ids (``pipelineIds``)."""
    result: dict[str, Any] = {"id": execution_id, "pipelineIds": list(pipeline_ids)}
    if parents:
        result["parents"] = parents
    result.update(fields)
    return result


def write(document: dict[str, Any], folder: Path, name: str = "app.json") -> Path:
    """Write ``document`` as JSON to ``folder/name``; return the path."""
    path = folder / name
    path.write_text(json.dumps(document, indent=2))
    return path
