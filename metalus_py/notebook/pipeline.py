"""Build a pipeline in code: ``Pipeline("id").step("READ", fn_or_"Obj.func", param=value, ...)``.

Steps run in the order added: each plain step's ``nextStepId`` is the step added after it,
unless ``next=`` says otherwise (``next=None`` ends the flow there). Branch steps name their
targets (``results={"true": "A", "false": "B"}``) and never chain on. Parameter values are
literals or mapping strings (``"!global"``, ``"@STEP"``, ``"$param"``); their file ``type`` is
inferred (``boolean``, ``integer``, ``double``, ``list``, ``object``, else ``text``); use
:func:`param` to set it, or ``params={...}`` for names that are not Python identifiers.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from metalus_py.notebook.registry import REGISTRY_OBJECT, command_for

#: Step fields set from keyword arguments of :meth:`Pipeline.step` that are not parameters.
_STEP_OPTIONS = {
    "description": "description",
    "display_name": "displayName",
    "on_error": "nextStepOnError",
    "retry": "retryLimit",
    "execute_if_empty": "executeIfEmpty",
}


class _Auto:
    def __repr__(self) -> str:
        return "AUTO"


#: ``next=AUTO`` (the default): the next step added follows this one.
AUTO: Any = _Auto()


@dataclass(frozen=True)
class Param:
    """A parameter value with an explicit file ``type`` (and other parameter fields)."""

    value: Any
    type: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def param(value: Any = None, type: str | None = None, **fields: Any) -> Param:  # noqa: A002 - the file's name
    """A parameter with an explicit ``type`` or other fields (``required=True``, ``defaultValue=...``)."""
    return Param(value, type, dict(fields))


def infer_type(value: Any) -> str:
    """The parameter ``type`` written for a Python value."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "double"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, Mapping):
        return "object"
    return "text"


def parameter(name: str, value: Any) -> dict[str, Any]:
    """One ``params[]`` entry."""
    if isinstance(value, Param):
        entry = {"name": name, "type": value.type or infer_type(value.value), "value": _plain(value.value)}
        entry.update(value.extra)
        return entry
    return {"name": name, "type": infer_type(value), "value": _plain(value)}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def command(function: Callable[..., Any] | str) -> str:
    """The ``engineMeta.command`` for a function (registered on the fly) or an ``Object.function`` string."""
    if isinstance(function, str):
        return function
    if callable(function):
        return command_for(function)
    raise TypeError(f"a step runs a function or names one ('Object.function'), not {function!r}")


class Pipeline:
    """A pipeline under construction; ``to_dict()`` gives the file's pipeline object."""

    def __init__(self, pipeline_id: str, name: str | None = None, **fields: Any) -> None:
        self.id = pipeline_id
        self.name: str | None = name or pipeline_id
        self.fields = dict(fields)
        self.steps: list[dict[str, Any]] = []
        #: Modules of functions named ``module.function``: step packages of an application using them.
        self.modules: list[str] = []
        self._open: str | None = None  # the step whose nextStepId the next step fills

    # -- steps ---------------------------------------------------------------------------------
    def step(
        self,
        step_id: str,
        function: Callable[..., Any] | str,
        *,
        next: Any = AUTO,  # noqa: A002 - the natural name in a builder
        params: Mapping[str, Any] | None = None,
        **values: Any,
    ) -> Pipeline:
        """Add a step running ``function`` with parameters ``values`` (and ``params``).

        Options among the keywords: ``description``, ``display_name``, ``on_error`` (step id),
        ``retry`` (retry limit), ``execute_if_empty``.
        """
        return self._add(step_id, "Pipeline", function, next, params, values)

    def branch(
        self,
        step_id: str,
        function: Callable[..., Any] | str,
        results: Mapping[str, str],
        *,
        params: Mapping[str, Any] | None = None,
        **values: Any,
    ) -> Pipeline:
        """Add a branch step: its return value picks the next step from ``results`` (value -> step id)."""
        self._add(step_id, "branch", function, None, params, values)
        self.steps[-1]["params"].extend(
            {"name": str(key), "type": "result", "value": target} for key, target in results.items()
        )
        return self

    def fork(self, step_id: str, by: Any, *, method: str = "serial", next: Any = AUTO) -> Pipeline:  # noqa: A002
        """Add a fork step: the steps up to the matching :meth:`join` run once per value of ``by``."""
        params = [parameter("forkByValues", by), parameter("forkMethod", method)]
        return self._append({"id": step_id, "type": "fork", "params": params}, next)

    def join(self, step_id: str, *, next: Any = AUTO) -> Pipeline:  # noqa: A002
        """Close the innermost open fork: later steps see the forked results as lists."""
        return self._append({"id": step_id, "type": "join", "params": []}, next)

    def step_group(
        self, step_id: str, pipeline: Pipeline | str, *, next: Any = AUTO, **values: Any  # noqa: A002
    ) -> Pipeline:
        """Add a step group running another pipeline (a builder, or its id) with ``values`` as ``$`` parameters."""
        target = pipeline.to_dict() if isinstance(pipeline, Pipeline) else None
        params = [parameter("pipeline", target) if target else parameter("pipelineId", pipeline)]
        if values:
            params.append(parameter("pipelineMappings", values))
        return self._append({"id": step_id, "type": "step-group", "params": params}, next)

    def _add(
        self,
        step_id: str,
        kind: str,
        function: Callable[..., Any] | str,
        next_step: Any,
        params: Mapping[str, Any] | None,
        values: dict[str, Any],
    ) -> Pipeline:
        options = {key: values.pop(key) for key in list(values) if key in _STEP_OPTIONS}
        entry: dict[str, Any] = {"id": step_id, "type": kind}
        entry.update({_STEP_OPTIONS[key]: value for key, value in options.items() if value is not None})
        merged = {**values, **dict(params or {})}
        entry["params"] = [parameter(name, value) for name, value in merged.items()]
        entry["engineMeta"] = {"command": command(function)}
        if callable(function) and not isinstance(function, str):
            module_name = getattr(function, "__module__", None)
            if isinstance(module_name, str) and entry["engineMeta"]["command"].startswith(f"{module_name}."):
                self.modules.append(module_name)  # an exported function's module becomes a step package
        return self._append(entry, next_step)

    def _append(self, entry: dict[str, Any], next_step: Any) -> Pipeline:
        if any(existing["id"] == entry["id"] for existing in self.steps):
            raise ValueError(f"pipeline {self.id!r} already has a step {entry['id']!r}")
        if self._open is not None:
            previous = self._find(self._open)
            previous.setdefault("nextStepId", entry["id"])
        self.steps.append(entry)
        self._open = None
        if next_step is AUTO:
            self._open = entry["id"] if entry["type"] != "branch" else None
        elif next_step is not None:
            entry["nextStepId"] = str(next_step)
        return self

    def _find(self, step_id: str) -> dict[str, Any]:
        for entry in self.steps:
            if entry["id"] == step_id:
                return entry
        raise KeyError(step_id)

    # -- export --------------------------------------------------------------------------------
    def uses_registry(self) -> bool:
        """Whether a step runs a ``@step``-registered function."""
        return any(
            str(entry.get("engineMeta", {}).get("command", "")).startswith(f"{REGISTRY_OBJECT}.")
            for entry in self.steps
        )

    def to_dict(self) -> dict[str, Any]:
        """The pipeline as the application file writes it."""
        head: dict[str, Any] = {"id": self.id} if self.name is None else {"id": self.id, "name": self.name}
        return {**head, **copy.deepcopy(self.fields), "steps": copy.deepcopy(self.steps)}

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> Pipeline:
        """A builder holding a pipeline read from a file (steps kept as they are)."""
        fields = {key: copy.deepcopy(value) for key, value in document.items() if key not in ("id", "name", "steps")}
        pipeline = cls(str(document.get("id", "")), None, **fields)
        pipeline.name = document.get("name")
        pipeline.steps = copy.deepcopy(list(document.get("steps") or []))
        return pipeline

    def __repr__(self) -> str:
        return f"Pipeline({self.id!r}, steps={[entry['id'] for entry in self.steps]})"
