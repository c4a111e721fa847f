"""An execution instance's outputs in the artifact store, so other processes can see them.

When an instance ends, the process that ran it writes an *outputs manifest*
(``<artifact root>/<instance>/outputs.json``): each step result and each final global, as an
output reference (small JSON inline, frames as Arrow IPC, other objects pickled). A child
running elsewhere reads its parents' manifests back to build the same parent views a local run
passes in memory. A global that *is* a parent's view is stored as a reference to that parent;
one still holding the execution's own starting value (from the application) is not stored at all.
Manifests are not fsynced: after a crash, ``resume`` runs the instance again (restoring its
steps) and writes its manifest anew.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from metalus_py.base.keys import parse_instance_key
from metalus_py.base.status import ExecutionStatus
from metalus_py.flow.execution import ExecutionOutcome
from metalus_py.plan.setup import PreparedApplication
from metalus_py.plan.work import ParentInput, ParentView, view_of
from metalus_py.state import ArtifactStore, load_artifact, write_artifact
from metalus_py.state.artifacts import safe_name
from metalus_py.state.errors import ArtifactError
from metalus_py.steps.response import StepResponse

_LOG = logging.getLogger("metalus_py.executors")


def manifest_url(artifact_root: str, key: str) -> str:
    return f"{artifact_root.rstrip('/')}/{safe_name(key)}/outputs"


def _parent_ref(parent: ParentInput) -> dict[str, Any]:
    skeleton = [parent.skeleton[0], parent.skeleton[1]] if parent.skeleton else None
    return {"$parent": {"id": parent.parent_id, "keys": list(parent.keys), "merged": parent.merged,
                        "skeleton": skeleton}}


def write_outputs(
    artifacts: ArtifactStore, outcome: ExecutionOutcome, parents: Sequence[ParentInput], views: Sequence[ParentView],
    base_globals: Mapping[str, Any],
) -> None:
    """Write the outputs manifest of a finished instance (``base_globals``: its globals from the application)."""
    key = outcome.key

    def persist(value: Any, folder: str, name: str) -> dict[str, Any]:
        try:
            return artifacts.persist_step_output(execution_key=key, pipeline_id=folder, step_path=name,
                                                 primary=value, named=None)["primary"]
        except Exception as exc:  # an object that cannot be stored: the child sees None
            _LOG.warning("execution %s: %s %s cannot be stored for other workers: %s", key, folder, name, exc)
            return {"format": "inline", "$type": "json", "value": None}

    parameters: dict[str, dict[str, Any]] = {}
    for pipeline_id, values in outcome.parameters.items():
        entries: dict[str, Any] = {}
        for name, value in values.items():
            where = f"{safe_name(pipeline_id)}~{name}"
            if isinstance(value, StepResponse):
                refs = artifacts.persist_step_output(
                    execution_key=key, pipeline_id="outputs", step_path=where,
                    primary=value.primary_return, named=value.named_returns)
                entries[name] = {"response": refs, "hasNamed": value.named_returns is not None}
            else:
                entries[name] = {"value": persist(value, "outputs", where)}
        parameters[pipeline_id] = entries
    by_identity = {id(view): parent for parent, (_, view, _) in zip(parents, views, strict=True)}
    globals_: dict[str, Any] = {}
    for name, value in outcome.globals.items():
        parent = by_identity.get(id(value))
        if parent is not None:
            globals_[name] = _parent_ref(parent)
        elif name in base_globals and base_globals[name] is value:
            globals_[name] = {"$base": True}
        else:
            globals_[name] = {"value": persist(value, "globals", name)}
    write_artifact({"key": key, "parameters": parameters, "globals": globals_}, manifest_url(artifacts.root, key),
                   storage_options=artifacts.storage_options, fsync=False)


class OutputsReader:
    """Reads instances' manifests back as outcomes (a small cache keeps recent ones)."""

    def __init__(self, artifacts: ArtifactStore, prepared: PreparedApplication, *, cache_size: int = 32) -> None:
        self.artifacts = artifacts
        self.prepared = prepared
        self._cache: OrderedDict[str, ExecutionOutcome] = OrderedDict()
        self._cache_size = cache_size

    def outcome(self, key: str) -> ExecutionOutcome:
        """The parameters and globals an instance ended with.

        Raises:
            ArtifactError: the manifest is missing (the instance did not finish) or unreadable.
        """
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        url = manifest_url(self.artifacts.root, key) + ".json"
        manifest = load_artifact({"format": "json", "url": url, "$type": "json"},
                                 storage_options=self.artifacts.storage_options)
        execution_id, index = parse_instance_key(key)
        outcome = ExecutionOutcome(key, execution_id, list(index) or None, ExecutionStatus.COMPLETE)
        for pipeline_id, entries in manifest["parameters"].items():
            values: dict[str, Any] = {}
            for name, entry in entries.items():
                if "response" in entry:
                    primary, named = self.artifacts.load_step_output(entry["response"])
                    values[name] = StepResponse(primary, named if entry.get("hasNamed") else None)
                else:
                    values[name] = self.artifacts.load(entry["value"])
            outcome.parameters[pipeline_id] = values
        for name, entry in manifest["globals"].items():
            if "$parent" in entry:
                outcome.globals[name] = self.view(_parent_input(entry["$parent"]))[1]
            elif "$base" in entry:
                outcome.globals[name] = self.prepared.executions[execution_id].globals.get(name)
            else:
                outcome.globals[name] = self.artifacts.load(entry["value"])
        self._cache[key] = outcome
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return outcome

    def view(self, parent: ParentInput) -> ParentView:
        """How a child sees ``parent``, from the parent instances' manifests."""
        try:
            outcomes = [self.outcome(key) for key in parent.keys]
        except ArtifactError as exc:
            raise ArtifactError(f"the results of parent {parent.parent_id!r} cannot be read: {exc}") from exc
        return view_of(parent, outcomes)


def _parent_input(data: dict[str, Any]) -> ParentInput:
    skeleton = data.get("skeleton")
    return ParentInput(data["id"], tuple(data["keys"]), bool(data.get("merged")),
                       (skeleton[0], skeleton[1]) if skeleton else None)
