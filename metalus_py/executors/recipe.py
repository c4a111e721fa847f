"""The unit of work sent to a worker: a reference to one execution instance, never its objects.

A recipe names the recorded run (state URL, run id, the driver's owner id), carries the
application document with its secrets redacted (and its hash, so a worker builds it once), the
execution instance (id, fork index and value, attempt) and which parent instances feed it. The
worker rebuilds everything else: the prepared application, the parents' results (from the state
store and the artifacts) and the run services. Every field pickles.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from metalus_py.base.secrets import redact_secrets
from metalus_py.plan.work import Index, ParentInput, ReadyExecution


@dataclass(frozen=True)
class RunReference:
    """What every task of one run shares: where the run is recorded and what it runs."""

    run_id: str
    owner: str
    state_url: str
    artifact_root: str
    persist: bool
    application_json: str
    application_hash: str
    source: str
    parameters: dict[str, Any]
    max_workers: int

    @classmethod
    def build(
        cls, *, run_id: str, owner: str, state_url: str, artifact_root: str, persist: bool,
        application_json: str, source: str, parameters: dict[str, Any], max_workers: int,
    ) -> RunReference:
        document = redact_secrets(json.loads(application_json))
        text = json.dumps(document, sort_keys=True)
        params = redact_secrets(dict(parameters))
        digest = hashlib.sha256((text + json.dumps(params, sort_keys=True, default=str)).encode()).hexdigest()
        return cls(run_id, owner, state_url, artifact_root, persist, text, digest, source, params, max_workers)


@dataclass(frozen=True)
class ExecutionRecipe:
    """One execution instance of a recorded run, as a worker receives it."""

    run: RunReference
    execution_id: str
    index: Index
    kind: str
    parents: tuple[ParentInput, ...]
    attempt: int
    fork_value: Any = None
    has_fork_value: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, run: RunReference, work: ReadyExecution, attempt: int) -> ExecutionRecipe:
        return cls(
            run, work.execution_id, work.index, work.kind, tuple(p.without_outcomes() for p in work.parents),
            attempt, work.fork_value if work.has_fork_value else None, work.has_fork_value,
        )

    @property
    def key(self) -> str:
        return self.work().key

    def work(self) -> ReadyExecution:
        """The planner's view of this instance again (without in-process outcomes)."""
        ready = ReadyExecution(self.execution_id, self.index[:-1] if self.has_fork_value else self.index,
                               list(self.parents), self.kind)
        return ready.for_value(self.index[-1], self.fork_value) if self.has_fork_value else ready
