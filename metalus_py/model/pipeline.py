"""Pipelines, steps and step parameters."""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

from pydantic import Field, PrivateAttr, StrictBool, StrictInt

from metalus_py.model.base import FileModel

#: Step types, as written in files (compared case-insensitively).
STEP_TYPES = ("pipeline", "branch", "fork", "join", "split", "merge", "step-group")


class EngineMeta(FileModel):
    """Which function a step runs: ``command`` (or Metalus's ``spark``) as ``Object.function``."""

    command: str | None = None
    spark: str | None = None
    pkg: str | None = None
    results: Any = None

    @property
    def target(self) -> str | None:
        """The function reference, from ``command`` or else ``spark``."""
        return self.command or self.spark


class Parameter(FileModel):
    """One step parameter: a literal or mapping-string ``value`` (or ``defaultValue``)."""

    name: str | None = None
    type: str | None = None
    value: Any = None
    default_value: Any = None
    required: StrictBool = False
    class_name: str | None = None
    language: str | None = None
    description: str | None = None
    parameter_type: str | None = None

    @cached_property
    def type_name(self) -> str:
        """The parameter type lower-cased (``text`` when absent)."""
        return (self.type or "text").lower()

    def has_value(self) -> bool:
        return "value" in self.model_fields_set and self.value is not None

    def has_default(self) -> bool:
        return "default_value" in self.model_fields_set and self.default_value is not None


class RetryPolicy(FileModel):
    """Delay between retries: ``fixed`` or ``exponential`` with a cap and jitter (seconds)."""

    type: Literal["fixed", "exponential", "linear"] = "exponential"
    delay_seconds: float = 1.0
    max_delay_seconds: float = 60.0
    multiplier: float = 2.0
    jitter: float = 0.0


class PipelineStep(FileModel):
    """One step of a pipeline."""

    id: str | None = None
    step_id: str | None = None
    step_template_id: str | None = None
    display_name: str | None = None
    description: str | None = None
    type: str | None = None
    next_step_id: str | None = None
    next_step_on_error: str | None = None
    retry_limit: StrictInt = -1
    retry_policy: RetryPolicy | None = None
    execute_if_empty: str | None = None
    params: list[Parameter] = Field(default_factory=list)
    engine_meta: EngineMeta | None = None
    category: str | None = None
    tags: list[str] | None = None
    #: Step groups may name their pipeline directly (Metalus 2.0 style).
    pipeline_id: str | None = None
    #: ``False`` keeps this step's output out of the artifact store.
    persist: StrictBool | None = None
    #: The contract of the step's result: a JSON Schema, or ``{"columns": {...}, "required": [...]}``.
    output_schema: Any = None

    @cached_property
    def type_name(self) -> str:
        """The step type lower-cased (``pipeline`` when absent)."""
        return (self.type or "pipeline").lower()

    def param(self, name: str) -> Parameter | None:
        """The first parameter called ``name``."""
        for p in self.params:
            if p.name == name:
                return p
        return None


class Pipeline(FileModel):
    """An ordered flow of steps; execution starts at the first step."""

    id: str | None = None
    name: str | None = None
    steps: list[PipelineStep] = Field(default_factory=list)
    category: str | None = None
    tags: list[str] | None = None
    description: str | None = None
    step_group_result: str | None = None
    parameters: dict[str, Any] | None = None
    #: Where the pipeline is defined (``executions[0].pipelines[1]``), set when an application is prepared.
    _location: str | None = PrivateAttr(default=None)
    #: The step loop's compiled steps (``flow.bound``), by step ``id()``: shared by every run of this pipeline.
    _bound_steps: dict[int, Any] = PrivateAttr(default_factory=dict)

    @property
    def location(self) -> str | None:
        return self._location

    def locate(self, location: str) -> None:
        """Record where this pipeline is defined (kept when already known)."""
        if self._location is None:
            self._location = location

    def __getstate__(self) -> dict[Any, Any]:
        # The compiled steps hold resolved functions and live only in this process: never pickled.
        state = super().__getstate__()
        private = state.get("__pydantic_private__")
        if private and private.get("_bound_steps"):
            state["__pydantic_private__"] = {**private, "_bound_steps": {}}
        return state

    @property
    def bound_steps(self) -> dict[int, Any]:
        """The step loop's cache of compiled steps (filled as steps first run)."""
        return self._bound_steps

    def step_map(self) -> dict[str, PipelineStep]:
        """Steps by id (the last definition wins, as Metalus)."""
        return {s.id: s for s in self.steps if s.id is not None}
