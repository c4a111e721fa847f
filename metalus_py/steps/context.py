"""The live state a step sees: globals, step results (pipeline parameters) and step messages.

The context is mutable and updated in place as steps finish, so a long pipeline stays linear.
Fork values and split paths run on a :meth:`PipelineContext.branch` of it: a copy of the
globals and a layer of step results over the parent's, so branches never see each other.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from metalus_py.steps.response import StepResponse

if TYPE_CHECKING:
    from metalus_py.steps.runtime import RunServices

GLOBAL_LINKS = "GlobalLinks"


@dataclass(slots=True)
class StepMessage:
    """A message a step left for the end of its pipeline (``pause`` or ``error`` stop the execution)."""

    message: str
    kind: str
    step_id: str | None
    pipeline_id: str | None


class PipelineParameters:
    """Step results and initial ``$`` values by pipeline id, layered over an optional parent."""

    __slots__ = ("_own", "_parent")

    def __init__(
        self, initial: Mapping[str, Mapping[str, Any]] | None = None, parent: PipelineParameters | None = None
    ) -> None:
        self._own: dict[str, dict[str, Any]] = {pid: dict(values) for pid, values in (initial or {}).items()}
        self._parent = parent

    def get(self, pipeline_id: str, name: str) -> Any:
        own = self._own.get(pipeline_id)
        if own is not None and name in own:
            return own[name]
        return self._parent.get(pipeline_id, name) if self._parent is not None else None

    def contains(self, pipeline_id: str, name: str) -> bool:
        own = self._own.get(pipeline_id)
        if own is not None and name in own:
            return True
        return self._parent.contains(pipeline_id, name) if self._parent is not None else False

    def set(self, pipeline_id: str, name: str, value: Any) -> None:
        self._own.setdefault(pipeline_id, {})[name] = value

    def ensure(self, pipeline_id: str) -> None:
        """Make sure an (empty) entry exists for the pipeline."""
        self._own.setdefault(pipeline_id, {})

    def has_pipeline(self, pipeline_id: str) -> bool:
        return pipeline_id in self._own or (self._parent is not None and self._parent.has_pipeline(pipeline_id))

    def pipeline_ids(self) -> list[str]:
        ids = list(self._parent.pipeline_ids()) if self._parent is not None else []
        ids.extend(pid for pid in self._own if pid not in ids)
        return ids

    def pipeline(self, pipeline_id: str) -> dict[str, Any]:
        """All values of one pipeline, parents' first (a fresh dict)."""
        values = self._parent.pipeline(pipeline_id) if self._parent is not None else {}
        values.update(self._own.get(pipeline_id, {}))
        return values

    def own(self) -> dict[str, dict[str, Any]]:
        """Only the values set on this layer."""
        return self._own

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return {pid: self.pipeline(pid) for pid in self.pipeline_ids()}

    def child(self) -> PipelineParameters:
        return PipelineParameters(parent=self)

    def step_results(self, pipeline_id: str) -> Iterator[tuple[str, StepResponse]]:
        for name, value in self.pipeline(pipeline_id).items():
            if isinstance(value, StepResponse):
                yield name, value


@dataclass
class PipelineContext:
    """What a running step can see and change.

    Steps receive it by declaring a parameter named ``pipeline_context`` (or
    ``pipelineContext``, or annotated with this class).
    """

    globals: dict[str, Any]
    parameters: PipelineParameters
    services: RunServices
    step_messages: list[StepMessage] = field(default_factory=list)
    #: Ids of this context inside forks/step groups, e.g. ("FORK[1]", "GROUP.sub").
    scope: tuple[str, ...] = ()
    execution_key: str = ""
    step_metrics: dict[str, Any] = field(default_factory=dict)
    #: Whether steps run here are claimed and restored through the journal (not in evaluations).
    durable: bool = True
    #: The key the state store records the running step under (``EXEC.PIPELINE.PATH``).
    step_key: str = ""
    #: Which visit of the running step this is (a loop reaches a step again: 2, 3, ...).
    step_visit: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- globals ---------------------------------------------------------------------------
    def get_global(self, name: str) -> Any:
        """The global (or the text of a global link) called ``name``; ``None`` when absent."""
        links = self.globals.get(GLOBAL_LINKS)
        if isinstance(links, Mapping) and name in links:
            return links[name]
        return self.globals.get(name)

    def get_global_string(self, name: str) -> str | None:
        value = self.get_global(name)
        return value if isinstance(value, str) else None

    def set_global(self, name: str, value: Any) -> None:
        self.globals[name] = value

    def set_globals(self, values: Mapping[str, Any]) -> None:
        self.globals.update(values)

    def remove_global(self, name: str) -> None:
        self.globals.pop(name, None)

    def global_links(self) -> dict[str, Any]:
        links = self.globals.get(GLOBAL_LINKS)
        return dict(links) if isinstance(links, Mapping) else {}

    def is_global_link(self, name: str) -> bool:
        links = self.globals.get(GLOBAL_LINKS)
        return isinstance(links, Mapping) and name in links

    def set_global_link(self, name: str, value: Any) -> None:
        links = self.global_links()
        links[name] = value
        self.globals[GLOBAL_LINKS] = links

    # -- step results ----------------------------------------------------------------------
    @property
    def pipeline_id(self) -> str | None:
        value = self.globals.get("pipelineId")
        return value if isinstance(value, str) else None

    def step_result(self, step_id: str, pipeline_id: str | None = None) -> StepResponse | None:
        value = self.parameters.get(pipeline_id or self.pipeline_id or "", step_id)
        return value if isinstance(value, StepResponse) else None

    def set_step_result(self, pipeline_id: str, step_id: str, response: StepResponse) -> None:
        self.parameters.set(pipeline_id, step_id, response)

    # -- messages --------------------------------------------------------------------------
    def add_step_message(self, message: str, kind: str = "error") -> None:
        """Leave a message for the end of the pipeline: ``pause`` pauses, ``error`` fails the execution."""
        kind = kind.lower()
        if kind not in ("pause", "error", "warn", "info", "skip"):
            raise ValueError(f"unknown step message kind {kind!r}; expected pause, error, warn, info or skip")
        with self._lock:
            self.step_messages.append(
                StepMessage(message, kind, self.globals.get("stepId"), self.globals.get("pipelineId"))
            )

    # -- metrics ---------------------------------------------------------------------------
    def add_step_metric(self, name: str, value: Any) -> None:
        """Add a metric to the running step's audit."""
        self.step_metrics[name] = value

    # -- branching -------------------------------------------------------------------------
    def branch(self, scope_segment: str | None = None, *, share_messages: bool = False) -> PipelineContext:
        """A context for a fork value or split path: own globals copy and result layer."""
        return PipelineContext(
            globals=dict(self.globals),
            parameters=self.parameters.child(),
            services=self.services,
            step_messages=self.step_messages if share_messages else [],
            scope=self.scope + ((scope_segment,) if scope_segment else ()),
            execution_key=self.execution_key,
            durable=self.durable,
        )
