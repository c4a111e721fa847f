"""The worker side of the seam, in this process: a recipe is rebuilt from the store and run once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from metalus_py.base.secrets import REDACTED
from metalus_py.executors.recipe import ExecutionRecipe, RunReference
from metalus_py.executors.stored import OutputsReader
from metalus_py.executors.worker import run_recipe, secrets_from_environment
from metalus_py.plan.setup import prepare_application
from metalus_py.plan.work import ParentInput, ReadyExecution
from metalus_py.state import ArtifactStore, open_store
from tests.executors.apps import fork_join_application


def _recorded(tmp_path: Path) -> tuple[RunReference, object]:
    app = fork_join_application(3)
    path = tmp_path / "app.json"
    path.write_text(json.dumps(app))
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    assert store is not None
    root = str(tmp_path / "artifacts" / "r1")
    store.create_run(run_id="r1", application_id="a", application_json=json.dumps(app), parameters={},
                     artifact_root=root)
    reference = RunReference.build(run_id="r1", owner="driver:1:x", state_url=store.url, artifact_root=root,
                                   persist=True, application_json=json.dumps(app), source=str(path),
                                   parameters={"sideEffect": str(tmp_path / "side.txt")}, max_workers=2)
    return reference, store


def test_a_task_run_twice_does_not_run_its_execution_again(tmp_path: Path) -> None:
    reference, store = _recorded(tmp_path)
    root = ReadyExecution("ROOT", (), [], "pipeline")
    first = run_recipe(ExecutionRecipe.of(reference, root, attempt=1))
    assert first.status == "COMPLETE" and first.worker is not None
    ran = (tmp_path / "side.txt").read_text().splitlines()
    again = run_recipe(ExecutionRecipe.of(reference, root, attempt=1))
    assert again.status == "ERROR"
    assert again.reason is not None and again.reason.startswith("worker lost: attempt 1 of ROOT was already started")
    assert (tmp_path / "side.txt").read_text().splitlines() == ran  # no step ran a second time
    assert run_recipe(ExecutionRecipe.of(reference, root, attempt=2)).status == "COMPLETE"  # a resume's new attempt


def test_children_see_their_parents_results_from_the_artifact_store(tmp_path: Path) -> None:
    reference, store = _recorded(tmp_path)
    root = ReadyExecution("ROOT", (), [], "pipeline")
    assert run_recipe(ExecutionRecipe.of(reference, root, attempt=1)).status == "COMPLETE"
    parent = ParentInput("ROOT", ("ROOT",))
    fork = ReadyExecution("FORK", (), [parent], "fork")
    for i, value in enumerate(["v0", "v1", "v2"]):
        assert run_recipe(ExecutionRecipe.of(reference, fork.for_value(i, value), attempt=1)).status == "COMPLETE"
    from metalus_py.model.application import Application

    prepared = prepare_application(Application.model_validate(json.loads(reference.application_json)),
                                   reference.source, dict(reference.parameters))
    reader = OutputsReader(ArtifactStore(reference.artifact_root), prepared)
    _, view, _ = reader.view(ParentInput("FORK", ("FORK[0]", "FORK[1]", "FORK[2]"), merged=True))
    f2 = view["pipelineParameters"]["P_FORK"]["F2"].primary_return
    assert [v.split(":")[0] for v in f2] == ["v0", "v1", "v2"]
    assert view["globals"]["executionForkValue"] == ["v0", "v1", "v2"]
    # a fork value's globals keep the parent's view as a reference, rebuilt on reading
    fork_value = reader.outcome("FORK[1]")
    assert fork_value.globals["ROOT"]["pipelineParameters"]["P_ROOT"]["R3"].primary_return.endswith(">R3")


def test_redacted_parameters_come_from_the_worker_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METALUS_CREDENTIAL_DB_PASSWORD", "from-the-worker")
    filled = secrets_from_environment({"db.password": REDACTED, "plain": "x", "other": REDACTED})
    assert str.__str__(filled["db.password"]) == "from-the-worker"
    assert filled["plain"] == "x" and filled["other"] == REDACTED
