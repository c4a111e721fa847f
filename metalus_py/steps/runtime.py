"""Services shared by every context of a run: step resolution, pipelines, credentials, events, durability."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from metalus_py.base.keys import StepKey
from metalus_py.events import EventBus

if TYPE_CHECKING:
    from metalus_py.base.records import StepRecord
    from metalus_py.model.pipeline import Pipeline
    from metalus_py.steps.resolution import StepResolver
    from metalus_py.steps.response import StepResponse


class PipelineManager(Protocol):
    """Finds pipelines by id (``&id`` mappings, step groups by ``pipelineId``)."""

    def get_pipeline(self, pipeline_id: str) -> Pipeline | None: ...


class CredentialProvider(Protocol):
    """Gives named credentials for ``%name`` mappings."""

    def get_named_credential(self, name: str) -> Any: ...


class StepJournal(Protocol):
    """Durability hook around every step: restore finished work, record what runs.

    ``begin`` returns a stored response to reuse instead of running the step (resume), or
    ``None`` to run it; it sets ``record.attempts`` to the attempts recorded before this one (a
    restored step: all of them), so every output counts a step's attempts over the whole run.
    The default journal keeps nothing.
    """

    def begin(self, key: StepKey, record: StepRecord, *, persist: bool) -> StepResponse | None: ...

    def retried(self, key: StepKey, record: StepRecord, error: BaseException) -> None:
        """Record one more attempt of a step that failed and is tried again."""
        ...

    def completed(
        self, key: StepKey, record: StepRecord, response: StepResponse, *, persist: bool
    ) -> StepResponse | None:
        """Record a finished step; may return a replacement response (e.g. lazy frames materialized)."""
        ...

    def failed(self, key: StepKey, record: StepRecord) -> None: ...


class NullJournal:
    """Keeps nothing: every step runs."""

    def begin(self, key: StepKey, record: StepRecord, *, persist: bool) -> StepResponse | None:
        return None

    def retried(self, key: StepKey, record: StepRecord, error: BaseException) -> None:
        return None

    def completed(
        self, key: StepKey, record: StepRecord, response: StepResponse, *, persist: bool
    ) -> StepResponse | None:
        return None

    def failed(self, key: StepKey, record: StepRecord) -> None:
        return None


class KillSwitch:
    """Set from outside to end a run or a single step cooperatively."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._steps: set[str] = set()
        self._lock = threading.Lock()

    def kill_run(self) -> None:
        self._event.set()

    def kill_step(self, key: str) -> None:
        with self._lock:
            self._steps.add(key)

    @property
    def run_killed(self) -> bool:
        return self._event.is_set()

    def step_targeted(self, key: StepKey) -> bool:
        """Whether a kill names this very step (a run-level kill lets the running step finish)."""
        if not self._steps:
            return False
        with self._lock:
            return str(key) in self._steps

    def step_killed(self, key: StepKey) -> bool:
        if self._event.is_set():
            return True
        if not self._steps:  # the common case, without taking the lock
            return False
        with self._lock:
            return str(key) in self._steps


_INDEXES = re.compile(r"\[\d+\]")


def step_matches(key: StepKey, name: str) -> bool:
    """Whether ``name`` (``EXEC.PIPELINE.STEP``) names the step run ``key`` (any fork value)."""
    execution, _, rest = name.partition(".")
    pipeline, _, path = rest.partition(".")
    return (
        key.pipeline_id == pipeline
        and execution in (key.execution_key, _INDEXES.sub("", key.execution_key))
        and path in (key.path, _INDEXES.sub("", key.path))
    )


def default_workers() -> int:
    return max(2, os.cpu_count() or 2)


@dataclass
class RunServices:
    """Everything a context needs beyond its own globals and results."""

    resolver: StepResolver
    pipeline_manager: PipelineManager
    pipeline_ids: frozenset[str] = frozenset()
    credential_provider: CredentialProvider | None = None
    events: EventBus = field(default_factory=EventBus)
    journal: StepJournal = field(default_factory=NullJournal)
    kill: KillSwitch = field(default_factory=KillSwitch)
    max_workers: int = field(default_factory=default_workers)
    persist_default: bool = True
    run_id: str = ""
    #: ``"EXEC.PIPELINE.STEP"``: the run pauses after that step (``until`` of the notebook loop).
    stop_after: str | None = None
    #: When set, only these executions run; the others are BLOCKED (with ``stop_after``: the
    #: executions that step needs, so a run ``until`` a step does no other work).
    only_executions: frozenset[str] | None = None


class MapPipelineManager:
    """Pipelines from a mapping of id to pipeline, then ``<id>.json`` files in the given directories."""

    def __init__(self, pipelines: Mapping[str, Pipeline], directories: list[str] | None = None) -> None:
        self._pipelines = dict(pipelines)
        self._directories = list(directories or [])
        self._lock = threading.Lock()

    def get_pipeline(self, pipeline_id: str) -> Pipeline | None:
        with self._lock:
            found = self._pipelines.get(pipeline_id)
        if found is not None:
            return found
        from metalus_py.model.loader import load_pipeline_file

        for directory in self._directories:
            pipeline = load_pipeline_file(directory, pipeline_id)
            if pipeline is not None:
                with self._lock:
                    self._pipelines[pipeline_id] = pipeline
                return pipeline
        return None
