"""A step compiled once per pipeline run: what stays the same every time the step runs.

The step loop asks :meth:`BoundStep.of` for each step it reaches. The first time, the step's
type, the parameters it maps (with the plain-text ones marked for the mapper's fast path), and,
on its first call, the resolved function, the plan binding parameters to its arguments and its
output contract are worked out; later visits (loops, retries) reuse them. Resolution stays
lazy so an unknown function still fails the step that names it, when that step runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from metalus_py.model.pipeline import Parameter, PipelineStep
from metalus_py.steps.binding import ArgumentPlan, plan_arguments
from metalus_py.steps.contracts import declared_schema

#: Step types whose body is a function call.
FUNCTION_TYPES = frozenset({"pipeline", "branch"})


@dataclass(frozen=True, slots=True)
class MappedParameter:
    """One parameter the step maps (``result`` parameters and unnamed ones are not mapped)."""

    index: int
    name: str
    param: Parameter
    #: The value when it is a plain text mapping string with nothing to cast (the mapper's fast path).
    text: str | None


@dataclass(frozen=True, slots=True)
class BoundCall:
    """The function a step calls, how its arguments are filled and the contract of its result."""

    function: Callable[..., Any]
    plan: ArgumentPlan
    schema: Any


@dataclass(slots=True)
class BoundStep:
    """One step with everything that does not change between its runs worked out."""

    step: PipelineStep
    step_id: str
    kind: str
    is_function: bool
    parameters: tuple[MappedParameter, ...]
    names: tuple[str, ...]
    call: BoundCall | None = field(default=None)

    @classmethod
    def of(cls, step: PipelineStep, cache: dict[int, BoundStep]) -> BoundStep:
        """The bound form of ``step`` from ``cache`` (a pipeline run's), built on first use."""
        bound = cache.get(id(step))
        if bound is None or bound.step is not step:
            bound = cache[id(step)] = _bind(step)
        return bound

    def bind_call(self, function: Callable[..., Any]) -> BoundCall:
        """The call of ``function`` (resolved by the caller), kept for the step's later runs."""
        call = self.call
        if call is None or call.function is not function:
            schema = self.step.output_schema if self.step.output_schema is not None else declared_schema(function)
            call = self.call = BoundCall(function, plan_arguments(function, self.names), schema)
        return call


def _bind(step: PipelineStep) -> BoundStep:
    parameters = tuple([
        MappedParameter(index, param.name, param, _plain_text(param))
        for index, param in enumerate(step.params)
        if param.type_name != "result" and param.name is not None
    ])
    kind = step.type_name
    names = tuple(dict.fromkeys([p.name for p in parameters]))  # a repeated name maps to one value
    return BoundStep(step, step.id or "", kind, kind in FUNCTION_TYPES, parameters, names)


def _plain_text(param: Parameter) -> str | None:
    """The value of a parameter the mapper resolves as plain text: a string value of a ``text``
    parameter without a class or a default (anything else goes through the full mapping)."""
    if not param.has_value() or param.has_default() or param.class_name or param.type_name != "text":
        return None
    value = param.value
    return value if type(value) is str else None
