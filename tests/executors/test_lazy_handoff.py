"""LazyFrames handed between executions run by workers: always streamed files, never query plans.

A worker on another host may not see the files a plan reads, so results written by workers are
materialised (streamed with ``sink_ipc``); a child reads its parent's LazyFrame back as a scan.
In-process: the worker side of the seam, a real SQLite store and real files.
"""

from __future__ import annotations

import json
from pathlib import Path

from metalus_py.executors.recipe import ExecutionRecipe, RunReference
from metalus_py.executors.stored import OutputsReader
from metalus_py.executors.worker import run_recipe
from metalus_py.model.application import Application
from metalus_py.plan.setup import prepare_application
from metalus_py.plan.work import ParentInput, ReadyExecution
from metalus_py.state import ArtifactStore, open_store
from tests.durable.apps import SIDE, p, step


def _application() -> dict:
    root = [step("SCAN", "LazySteps.scan", p("path", "!source"), SIDE, next_="DOUBLE"),
            step("DOUBLE", "LazySteps.double", p("frame", "@SCAN"), SIDE)]
    child = [step("TOTAL", "LazySteps.total", p("frame", "!ROOT.pipelineParameters.P_ROOT.DOUBLE.primaryReturn"),
                  SIDE, p("failFlag", False, "boolean"))]
    return {
        "id": "lazy_handoff",
        "stepPackages": ["lazy_steps"],
        "pipelines": [{"id": "P_ROOT", "name": "P_ROOT", "steps": root},
                      {"id": "P_CHILD", "name": "P_CHILD", "steps": child}],
        "executions": [{"id": "ROOT", "pipelineIds": ["P_ROOT"]},
                       {"id": "CHILD", "pipelineIds": ["P_CHILD"], "parents": ["ROOT"]}],
    }


def test_a_lazy_result_reaches_a_child_execution_as_a_streamed_file(tmp_path: Path) -> None:
    source = tmp_path / "source.csv"
    source.write_text("x\n1\n2\n3\n")
    app = _application()
    path = tmp_path / "app.json"
    path.write_text(json.dumps(app))
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    assert store is not None
    root = str(tmp_path / "artifacts" / "r1")
    parameters = {"sideEffect": str(tmp_path / "side.txt"), "source": str(source)}
    store.create_run(run_id="r1", application_id="a", application_json=json.dumps(app), parameters=parameters,
                     artifact_root=root)
    reference = RunReference.build(run_id="r1", owner="driver:1:x", state_url=store.url, artifact_root=root,
                                   persist=True, application_json=json.dumps(app), source=str(path),
                                   parameters=parameters, max_workers=1)
    assert run_recipe(ExecutionRecipe.of(reference, ReadyExecution("ROOT", (), [], "pipeline"),
                                         attempt=1)).status == "COMPLETE"
    child = ReadyExecution("CHILD", (), [ParentInput("ROOT", ("ROOT",))], "pipeline")
    assert run_recipe(ExecutionRecipe.of(reference, child, attempt=1)).status == "COMPLETE"

    written = [f for f in (tmp_path / "artifacts").rglob("*") if f.is_file()]
    assert not [f for f in written if f.name.endswith(".plan.json")]
    assert [f for f in written if f.suffix == ".arrow"]
    prepared = prepare_application(Application.model_validate(app), str(path), parameters)
    reader = OutputsReader(ArtifactStore(root), prepared)
    assert reader.outcome("CHILD").parameters["P_CHILD"]["TOTAL"].primary_return == 12
    store.close()
