"""The notebook loop from Python: incremental runs, until=, open_run, retrigger, run_step, previews.

Steps count their executions in a file (a side effect the store cannot fake), so "reused"
is checked against what really ran.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from metalus_py.base.exceptions import ApplicationError
from metalus_py.notebook import (
    Application,
    Pipeline,
    RunNotFoundError,
    UnknownStepError,
    open_run,
    step,
)
from metalus_py.notebook.registry import register
from metalus_py.state import open_store

ROOT = Path(__file__).resolve().parents[2]
COUNTS: dict[str, Path] = {}


def _mark(name: str) -> None:
    with COUNTS["file"].open("a", encoding="utf-8") as handle:
        handle.write(name + "\n")


def ran() -> list[str]:
    path = COUNTS["file"]
    names = path.read_text(encoding="utf-8").split() if path.exists() else []
    path.write_text("", encoding="utf-8")
    return names


@step(name="loopLoad")
def loop_load(n: int) -> pl.DataFrame:
    _mark("load")
    return pl.DataFrame({"x": list(range(n))})


@step(name="loopDouble")
def loop_double(data_frame: pl.DataFrame) -> pl.DataFrame:
    _mark("double")
    return data_frame.with_columns(y=pl.col("x") * 2)


@step(name="loopSide")
def loop_side(data_frame: pl.DataFrame) -> int:
    _mark("side")
    return data_frame.height


@step(name="loopTotal")
def loop_total(data_frame: pl.DataFrame, label: str = "total") -> dict[str, Any]:
    _mark("total")
    return {label: int(data_frame["y"].sum())}


@pytest.fixture(autouse=True)
def counter(tmp_path: Path) -> Path:
    COUNTS["file"] = tmp_path / "ran.txt"
    for name, function in (("loopLoad", loop_load), ("loopDouble", loop_double), ("loopSide", loop_side),
                           ("loopTotal", loop_total)):
        register(function, name)  # undo the edits an earlier test made
    return COUNTS["file"]


def loop_app() -> Application:
    pipeline = (
        Pipeline("P")
        .step("LOAD", "NotebookSteps.loopLoad", n="!size")
        .step("DOUBLE", "NotebookSteps.loopDouble", data_frame="@LOAD")
        .step("SIDE", "NotebookSteps.loopSide", data_frame="@LOAD")
        .step("TOTAL", "NotebookSteps.loopTotal", data_frame="@DOUBLE", label="!label")
    )
    return Application("loop", globals={"size": 4, "label": "sum"}).execution("E", [pipeline])


def test_unchanged_run_reuses_every_step_and_an_edit_reruns_only_its_dependants(tmp_path: Path) -> None:
    app = loop_app()
    first = app.run()
    assert first.status == "COMPLETE" and first.reused == []
    assert ran() == ["load", "double", "side", "total"]

    again = app.run()
    assert ran() == []
    assert sorted(again.reused) == ["E.P.DOUBLE", "E.P.LOAD", "E.P.SIDE", "E.P.TOTAL"]
    assert again.value("E", "P", "TOTAL") == {"sum": 12}
    assert again.frame("E", "P", "DOUBLE")["y"].to_list() == [0, 2, 4, 6]

    @step(name="loopDouble")
    def edited(data_frame: pl.DataFrame) -> pl.DataFrame:
        _mark("double")
        return data_frame.with_columns(y=pl.col("x") * 3)

    after_edit = app.run()
    assert ran() == ["double", "total"]  # SIDE reads LOAD only: not a dependant of DOUBLE
    assert sorted(after_edit.reused) == ["E.P.LOAD", "E.P.SIDE"]
    assert after_edit.value("E", "P", "TOTAL") == {"sum": 18}

    app.run(label="sum3")  # a global read by TOTAL only
    assert ran() == ["total"]

    fresh = app.run(fresh=True)
    assert fresh.reused == [] and ran() == ["load", "double", "side", "total"]

    store = open_store(os.environ["METALUS_STATE"])
    assert store is not None and len(store.list_runs(application_id="loop")) == 5


def test_until_stops_after_the_step_and_the_run_is_paused_and_resumable(tmp_path: Path) -> None:
    app = loop_app()
    paused = app.run(until="E.P.DOUBLE")
    assert paused.status == "PAUSED"
    assert paused.executions["E"].reason == "until E.P.DOUBLE"
    assert ran() == ["load", "double"]
    assert set(paused.executions["E"].pipelines["P"].steps) == {"LOAD", "DOUBLE"}
    assert paused.frame("E", "P", "DOUBLE").height == 4

    from metalus_py.durable.session import resume_run

    store = open_store(os.environ["METALUS_STATE"])
    assert store is not None
    resumed = resume_run(store, paused.run_id, {})
    assert resumed.status == "COMPLETE" and ran() == ["side", "total"]

    rest = app.run()
    assert ran() == [] and len(rest.reused) == 4
    again = app.run(until="E.P.DOUBLE")  # a reused step stops the run too
    assert again.status == "PAUSED" and ran() == [] and sorted(again.reused) == ["E.P.DOUBLE", "E.P.LOAD"]


def test_a_retriggered_run_with_other_globals_is_not_a_cache_and_python_values_are_given_again() -> None:
    app = loop_app()
    first = app.run(frame_global=pl.DataFrame({"x": [1]}))
    ran()
    changed = first.retrigger(from_="E.P.TOTAL", label="other")
    assert changed.value("E", "P", "TOTAL") == {"other": 12} and ran() == ["total"]
    back = app.run(frame_global=pl.DataFrame({"x": [1]}))  # label "sum" again: not the retriggered output
    assert back.value("E", "P", "TOTAL") == {"sum": 12} and ran() == []
    opened = open_run(first.run_id, state=os.environ["METALUS_STATE"])
    with pytest.raises(ApplicationError, match="frame_global as Python values, which are not stored"):
        opened.retrigger(from_="E.P.TOTAL")
    assert opened.retrigger(from_="E.P.TOTAL", frame_global=pl.DataFrame({"x": [2]})).status == "COMPLETE"


def test_until_runs_only_the_executions_the_step_needs_and_resume_runs_the_rest() -> None:
    first = Pipeline("P").step("LOAD", "NotebookSteps.loopLoad", n="!size")
    double = Pipeline("D").step("DOUBLE", "NotebookSteps.loopDouble", data_frame="!ROOT.pipelineParameters.P.LOAD.primaryReturn")
    side = Pipeline("S").step("SIDE", "NotebookSteps.loopSide", data_frame="!ROOT.pipelineParameters.P.LOAD.primaryReturn")
    app = (
        Application("branches", globals={"size": 3})
        .execution("ROOT", [first])
        .execution("LEFT", [double], parents=["ROOT"])
        .execution("RIGHT", [side], parents=["ROOT"])
        .execution("OTHER", [Pipeline("O").step("LOAD", "NotebookSteps.loopLoad", n=1)])
    )
    paused = app.run(until="LEFT.D.DOUBLE")
    assert ran() == ["load", "double"]
    statuses = {key: (o.status, o.reason) for key, o in paused.executions.items()}
    assert statuses == {
        "ROOT": ("COMPLETE", None),
        "LEFT": ("PAUSED", "until LEFT.D.DOUBLE"),
        "RIGHT": ("BLOCKED", "not needed until LEFT.D.DOUBLE"),
        "OTHER": ("BLOCKED", "not needed until LEFT.D.DOUBLE"),
    }
    from metalus_py.durable.session import resume_run

    store = open_store(os.environ["METALUS_STATE"])
    assert store is not None
    resumed = resume_run(store, paused.run_id, {})
    assert resumed.status == "COMPLETE" and sorted(ran()) == ["load", "side"]


def test_until_naming_no_step_is_an_error_with_did_you_mean_and_nothing_runs() -> None:
    app = loop_app()
    with pytest.raises(UnknownStepError, match=r"until='E\.P\.DUBLE'.*did you mean 'E\.P\.DOUBLE'"):
        app.run(until="E.P.DUBLE")
    assert ran() == []
    store = open_store(os.environ["METALUS_STATE"])
    assert store is not None and store.list_runs() == []


def test_reserved_names_are_globals_in_the_positional_mapping_and_none_runs_without_store(tmp_path: Path) -> None:
    pipeline = Pipeline("P").step("ECHO", "NotebookSteps.loopLoad", n="!until")
    result = Application("reserved").execution("E", [pipeline]).run({"until": 3}, state="none")
    assert result.frame("E", "P", "ECHO").height == 3
    assert not Path(os.environ["METALUS_STATE"]).exists()  # state="none" wrote no store


def test_a_frame_global_is_fingerprinted_not_stored() -> None:
    pipeline = Pipeline("P").step("DOUBLE", "NotebookSteps.loopDouble", data_frame="!frame")
    app = Application("frames").execution("E", [pipeline])
    first = app.run(frame=pl.DataFrame({"x": [1, 2]}))
    assert first.frame("E", "P", "DOUBLE")["y"].to_list() == [2, 4]
    app.run(frame=pl.DataFrame({"x": [1, 2]}))
    assert ran() == ["double"]  # the equal frame: reused
    app.run(frame=pl.DataFrame({"x": [1, 5]}))
    assert ran() == ["double"]  # a different frame: run again
    store = open_store(os.environ["METALUS_STATE"])
    assert store is not None
    recorded = store.get_run(run_id=first.run_id)
    assert recorded is not None
    assert recorded.parameters["frame"]["$type"] == "polars.dataframe.frame.DataFrame"
    assert set(recorded.parameters["frame"]) == {"$type", "fingerprint"}


def test_run_step_runs_one_step_with_given_inputs_without_its_parents() -> None:
    app = loop_app()
    frame = pl.DataFrame({"x": [1, 2]})
    assert app.run_step("E.P.DOUBLE", dataFrame=frame)["y"].to_list() == [2, 4]
    assert app.run_step("E.P.DOUBLE", data_frame=frame)["y"].to_list() == [2, 4]
    assert app.run_step("E.P.TOTAL", data_frame=frame.with_columns(y=pl.col("x"))) == {"sum": 3}
    assert app.run_step("E.P.TOTAL", dataFrame=frame.with_columns(y=pl.col("x")), globals={"label": "L"}) == {"L": 3}
    assert ran() == ["double", "double", "total", "total"]  # LOAD never ran
    with pytest.raises(UnknownStepError, match="did you mean 'data_frame'"):
        app.run_step("E.P.DOUBLE", dataFrme=frame)
    with pytest.raises(UnknownStepError, match="did you mean 'E.P.DOUBLE'"):
        app.run_step("E.P.DOUBL", dataFrame=frame)
    context = app.run_step("E.P", globals={"size": 2})  # a whole pipeline, with its globals
    assert context.parameters.get("P", "TOTAL").primary_return == {"sum": 2}
    with pytest.raises(UnknownStepError, match="did you mean 'E.P'"):
        app.run_step("E.Q")


def test_from_json_of_a_file_and_of_a_dict(tmp_path: Path) -> None:
    path = tmp_path / "loop.json"
    loop_app().to_json(path)
    from_file = Application.from_json(path)
    assert from_file.path == str(path.resolve())
    assert Application.from_json(json.loads(path.read_text())).to_dict() == from_file.to_dict()
    assert from_file.run_step("E.P.LOAD", n=2).height == 2


def test_html_view_previews_frames_shows_reuse_timing_and_the_failed_step(tmp_path: Path) -> None:
    @step(name="loopBoom")
    def boom(data_frame: pl.DataFrame) -> None:
        raise ValueError("no good <value>")

    pipeline = (
        Pipeline("P")
        .step("LOAD", "NotebookSteps.loopLoad", n="!size")
        .step("BOOM", "NotebookSteps.loopBoom", data_frame="@LOAD")
    )
    app = Application("boom", globals={"size": 3}).execution("E", [pipeline])
    result = app.run()
    assert result.status == "FAILED"
    html = result._repr_html_()
    assert "E.P.BOOM" in html and "pipelines[0].steps[1]" in html
    assert "no good &lt;value&gt;" in html and "Traceback" in html
    assert "Frames" in html and "E.P.LOAD" in html and "first 3 rows" in html
    opened = open_run(result.run_id, os.environ["METALUS_STATE"])  # the same view from the store
    assert opened.status == "FAILED"
    opened_html = opened._repr_html_()
    assert "pipelines[0].steps[1]" in opened_html and "no good &lt;value&gt;" in opened_html
    assert "Traceback" in opened_html and "first 3 rows" in opened_html
    again = app.run()
    assert again.reused == ["E.P.LOAD"] and "reused" in again._repr_html_()
    timings = again.timings()
    assert timings.columns[:4] == ["execution", "execution_status", "pipeline", "step"]
    assert again.steps().filter(pl.col("step") == "LOAD")["reused"].to_list() == [True]


def test_a_lazy_frame_preview_never_collects_without_a_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    csv = tmp_path / "big.csv"
    pl.DataFrame({"a": list(range(1000)), "b": ["x"] * 1000}).write_csv(csv)
    pipeline = Pipeline("P").step("SCAN", "DataReaderSteps.readCsv", path=str(csv), lazy=True)
    result = Application("lazy").execution("E", [pipeline]).run(state="none")
    assert isinstance(result.value("E", "P", "SCAN"), pl.LazyFrame)
    original = pl.LazyFrame.collect
    collected: list[str] = []

    def limited_collect(self: pl.LazyFrame, *args: Any, **kwargs: Any) -> pl.DataFrame:
        plan = self.explain(optimized=False)
        if "SLICE" not in plan and "slice" not in plan:
            raise AssertionError(f"collect without a row limit:\n{plan}")
        collected.append(plan)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pl.LazyFrame, "collect", limited_collect)
    html = result._repr_html_()
    assert collected and "E.P.SCAN" in html and "first 5 rows" in html
    with pytest.raises(AssertionError, match="collect without a row limit"):
        pl.scan_csv(csv).collect()  # the guard does catch a full collect


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "metalus_py.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=180,
        env=dict(os.environ),
    )


def _statuses(document: dict[str, Any]) -> dict[str, Any]:
    return {
        key: (execution["status"], {
            pid: (pipeline["status"], {sid: s["status"] for sid, s in pipeline["steps"].items()})
            for pid, pipeline in execution["pipelines"].items()
        })
        for key, execution in document["executions"].items()
    }


def test_open_run_of_a_command_line_run_matches_show_and_the_frames_written(tmp_path: Path) -> None:
    state = f"sqlite:///{tmp_path / 'cli.db'}"
    out = tmp_path / "out"
    proc = _cli("run", str(ROOT / "application_configs/orders/application.json"), "--state", state,
                "--run-id", "orders-1", "--outputPath", str(out), "--quiet", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    show = _cli("show", "orders-1", "--state", state, "--json", cwd=ROOT)
    assert show.returncode == 0, show.stderr
    shown = json.loads(show.stdout)

    opened = open_run("orders-1", state=state)
    assert opened.status == shown["status"] == "COMPLETE"
    assert _statuses(opened.to_dict()) == _statuses(shown)
    assert opened.output_refs and all(not o.parameters for o in opened.executions.values())  # nothing loaded yet
    products = opened.frame("PROD", "EXTRACT_PRODUCT_DATA_PIPELINE", "SORTSTEP")
    assert products.equals(pl.read_parquet(out / "products.parquet"))
    html = opened._repr_html_()  # previews scanned from the artifact files, a few rows each
    assert "<code>PROD.EXTRACT_PRODUCT_DATA_PIPELINE.SORTSTEP</code> — first 5 rows" in html

    again = opened.retrigger(from_="SAVE.WRITE_DATA_PIPELINE.SUMMARYSTEP", outputPath=str(tmp_path / "out2"))
    assert again.status == "COMPLETE"
    assert "PROD.EXTRACT_PRODUCT_DATA_PIPELINE.SORTSTEP" in again.reused
    assert (tmp_path / "out2" / "customer_product_summary.parquet").exists()
    with pytest.raises(UnknownStepError, match="did you mean 'SAVE.WRITE_DATA_PIPELINE.SUMMARYSTEP'"):
        opened.retrigger(from_="SAVE.WRITE_DATA_PIPELINE.SUMARYSTEP")


def test_open_run_of_an_unknown_or_pruned_run_names_the_run_and_the_store(tmp_path: Path) -> None:
    app = loop_app()
    result = app.run()
    state = os.environ["METALUS_STATE"]
    with pytest.raises(RunNotFoundError, match=f"no run 'nope' in the state store sqlite:///{tmp_path}"):
        open_run("nope", state=state)
    store = open_store(state)
    assert store is not None
    record = store.get_run(run_id=result.run_id)
    assert record is not None and record.artifact_root
    shutil.rmtree(record.artifact_root.removeprefix("file://"))
    with pytest.raises(RunNotFoundError, match=f"run '{result.run_id}' .* has been pruned"):
        open_run(result.run_id, state=state)


def _postgres_url() -> str:
    url = os.environ.get("METALUS_TEST_POSTGRES_URL", "").strip()
    if not url:
        if os.environ.get("METALUS_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required here (METALUS_REQUIRE_POSTGRES=1)")
        pytest.skip("needs METALUS_TEST_POSTGRES_URL")
    return url


def test_the_loop_on_postgresql_and_errors_mask_the_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uuid

    import psycopg
    from psycopg import sql

    url = _postgres_url()
    monkeypatch.chdir(tmp_path)  # the PostgreSQL store keeps artifacts under ./.metalus/
    schema = f"metalus_test_{uuid.uuid4().hex[:12]}"
    state = f"{url}{'&' if '?' in url else '?'}schema={schema}"
    try:
        app = loop_app()
        first = app.run(state=state)
        assert ran() == ["load", "double", "side", "total"]
        again = app.run(state=state)
        assert ran() == [] and len(again.reused) == 4
        opened = open_run(again.run_id, state=state)
        assert opened.frame("E", "P", "DOUBLE").equals(first.frame("E", "P", "DOUBLE"))
        secret = state.replace("postgres@", "postgres:hunter2secret@", 1)
        assert "hunter2secret" in secret
        with pytest.raises(RunNotFoundError) as caught:
            open_run("missing-run", state=secret)
        assert "'missing-run'" in str(caught.value) and schema in str(caught.value)
        assert "hunter2secret" not in str(caught.value)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def test_fingerprints_follow_mappings_and_never_hash_a_secret_plainly() -> None:
    from metalus_py.notebook.fingerprint import (
        Fingerprinter,
        global_fingerprint,
        references,
        value_fingerprint,
    )

    assert references({"t": ["!a.b", "@STEP || !c"], "s": "x-${d}-!{e.f}"}) == [
        ("!", "a.b"), ("@", "STEP"), ("!", "c"), ("$", "d"), ("!", "e.f")]
    nested = {"db": {"password": "hunter2", "host": "h"}}
    assert global_fingerprint("conn", nested) != global_fingerprint("conn", {"db": {"password": "x", "host": "h"}})
    assert value_fingerprint("hunter2") not in {global_fingerprint("dbPassword", "hunter2"),
                                                global_fingerprint("conn", nested)}
    document = loop_app().to_dict()
    from metalus_py.steps.resolution import StepResolver

    resolve = StepResolver(document["stepPackages"]).resolve
    prints = Fingerprinter(document, {}, resolve).all()
    other = Fingerprinter(document, {"size": 5}, resolve).all()
    assert [name for name in prints if prints[name] != other[name]] == ["E.P.LOAD", "E.P.DOUBLE", "E.P.SIDE", "E.P.TOTAL"]
    relabelled = Fingerprinter(document, {"label": "x"}, resolve).all()
    assert [name for name in prints if prints[name] != relabelled[name]] == ["E.P.TOTAL"]
