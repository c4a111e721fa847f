"""The value a step produces: a primary return and optional named (secondary) returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Named-return key prefixes that update the context when the step ends.
GLOBALS_PREFIX = "$globals."
GLOBAL_LINK_PREFIX = "$globalLink."
METRICS_PREFIX = "$metrics."


@dataclass(slots=True)
class StepResponse:
    """What a step returned.

    A step function may return any value (it becomes ``primary_return``) or a ``StepResponse``
    to also give ``named_returns``. Keys starting with ``$globals.``, ``$globalLink.`` or
    ``$metrics.`` update the globals, the global links or the step's metrics.

    Mapping strings reach the fields by their Metalus names: ``$step.primaryReturn``,
    ``$step.namedReturns.key`` (``namedReturn`` is accepted too).
    """

    primary_return: Any = None
    named_returns: dict[str, Any] | None = field(default=None)

    @property
    def primaryReturn(self) -> Any:  # noqa: N802 - the mapping-string spelling
        return self.primary_return

    @property
    def namedReturns(self) -> dict[str, Any] | None:  # noqa: N802
        return self.named_returns

    @property
    def namedReturn(self) -> dict[str, Any] | None:  # noqa: N802
        return self.named_returns


def as_step_response(value: Any) -> StepResponse:
    """Wrap a step function's return value (``None`` for no return)."""
    return value if isinstance(value, StepResponse) else StepResponse(value, None)
