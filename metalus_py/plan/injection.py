"""Parent results injected into a child execution's globals (DESIGN.md section 4).

Each parent appears as a global keyed by its id:
``{"pipelineParameters": {pipelineId: {stepId: StepResponse}}, "globals": {...}}``. A join sees
each in-fork parent with every leaf a list in fork-value order. GlobalLinks are inherited from
all parents in ``parents`` order (a later parent wins) and the child's own links win.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from metalus_py.flow.execution import ExecutionOutcome
from metalus_py.steps.context import GLOBAL_LINKS
from metalus_py.steps.response import StepResponse

FORK_VALUE = "executionForkValue"
FORK_INDEX = "executionForkValueIndex"


def parent_view(outcome: ExecutionOutcome) -> dict[str, Any]:
    """How a child sees one parent."""
    return {"pipelineParameters": outcome.parameters, "globals": outcome.globals}


def merged_view(
    outcomes: Sequence[ExecutionOutcome | None],
    skeleton: dict[str, list[str]] | None = None,
    global_names: Sequence[str] = (),
) -> dict[str, Any]:
    """How a join sees an in-fork parent: every step result and global as a list in value order.

    ``skeleton`` (pipeline id -> step ids of the parent's pipelines) and ``global_names`` make
    every known leaf present even when no value produced it, so an empty fork list gives the
    join empty lists (``[]``) rather than ``None``.
    """
    pipeline_ids: list[str] = list(skeleton or {})
    for outcome in outcomes:
        if outcome is not None:
            pipeline_ids.extend(p for p in outcome.parameters if p not in pipeline_ids)
    parameters: dict[str, dict[str, Any]] = {}
    for pid in pipeline_ids:
        names: list[str] = list((skeleton or {}).get(pid, []))
        for outcome in outcomes:
            if outcome is not None:
                names.extend(n for n in outcome.parameters.get(pid, {}) if n not in names)
        parameters[pid] = {name: _merge_values([_value(o, pid, name) for o in outcomes]) for name in names}
    names_of_globals: list[str] = list(global_names)
    seen = set(names_of_globals)
    for outcome in outcomes:
        if outcome is not None:
            for g in outcome.globals:
                if g not in seen:
                    seen.add(g)
                    names_of_globals.append(g)
    globals_ = {g: [o.globals.get(g) if o is not None else None for o in outcomes] for g in names_of_globals}
    return {"pipelineParameters": parameters, "globals": globals_}


def _value(outcome: ExecutionOutcome | None, pid: str, name: str) -> Any:
    return outcome.parameters.get(pid, {}).get(name) if outcome is not None else None


def _merge_values(values: list[Any]) -> Any:
    if not values or any(isinstance(v, StepResponse) for v in values):
        primary = [v.primary_return if isinstance(v, StepResponse) else None for v in values]
        keys: list[str] = []
        for v in values:
            if isinstance(v, StepResponse) and v.named_returns:
                keys.extend(k for k in v.named_returns if k not in keys)
        named = {
            k: [v.named_returns.get(k) if isinstance(v, StepResponse) and v.named_returns else None for v in values]
            for k in keys
        }
        return StepResponse(primary, named)
    return values


def inject(
    base_globals: dict[str, Any],
    parents: Sequence[tuple[str, dict[str, Any], dict[str, Any]]],
    *,
    inherit_fork_value: bool,
) -> dict[str, Any]:
    """The child's globals given ``(parent_id, view, parent_globals)`` for each parent in order."""
    globals_ = dict(base_globals)
    own_links = base_globals.get(GLOBAL_LINKS)
    links: dict[str, Any] = {}
    for parent_id, view, parent_globals in parents:
        globals_[parent_id] = view
        parent_links = parent_globals.get(GLOBAL_LINKS)
        if isinstance(parent_links, dict):
            links.update(parent_links)
        if inherit_fork_value and FORK_VALUE in parent_globals and not isinstance(parent_globals[FORK_VALUE], list):
            globals_[FORK_VALUE] = parent_globals[FORK_VALUE]
            globals_[FORK_INDEX] = parent_globals.get(FORK_INDEX)
    if isinstance(own_links, dict):
        links.update(own_links)
    if links:
        globals_[GLOBAL_LINKS] = links
    return globals_
