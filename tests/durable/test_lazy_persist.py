"""A lazy pipeline persisted as query plans: resume reuses them, a changed source recomputes.

Real ``metalus`` processes on the default SQLite store with every step persisted. The pipeline
SCAN -> DOUBLE -> TAG -> TOTAL: SCAN and DOUBLE return LazyFrames over a CSV file (stored as
plans), TAG joins an in-memory frame (streamed to an Arrow file), TOTAL collects a number and
fails while ``--failFlag`` is true.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.durable.apps import SIDE, p, step, write
from tests.durable.conftest import Metalus, side_effect_counts


def lazy_application() -> dict[str, Any]:
    steps = [
        step("SCAN", "LazySteps.scan", p("path", "!source"), SIDE, next_="DOUBLE"),
        step("DOUBLE", "LazySteps.double", p("frame", "@SCAN"), SIDE, next_="TAG"),
        step("TAG", "LazySteps.tag", p("frame", "@DOUBLE"), SIDE, next_="TOTAL"),
        step("TOTAL", "LazySteps.total", p("frame", "@DOUBLE"), SIDE, p("failFlag", "!failFlag || false")),
    ]
    return {
        "id": "lazy_persist",
        "stepPackages": ["lazy_steps"],
        "globals": {},
        "pipelines": [{"id": "P", "name": "P", "steps": steps}],
        "executions": [{"id": "E", "pipelineIds": ["P"]}],
    }


def _write_source(path: Path, values: list[int]) -> None:
    path.write_text("x\n" + "".join(f"{v}\n" for v in values))


def _failed_run(metalus: Metalus, run_id: str) -> tuple[Path, Path]:
    app = write(lazy_application(), metalus.cwd)
    source = metalus.cwd / "source.csv"
    _write_source(source, [1, 2, 3])
    side = metalus.cwd / "side.txt"
    first = metalus("run", str(app), "--run-id", run_id, "--persist", "all", "--sideEffect", str(side),
                    "--source", str(source), "--failFlag", "true")
    assert first.returncode == 1, first.stderr[-3000:]
    assert side_effect_counts(side) == {"E.P.SCAN": 1, "E.P.DOUBLE": 1, "E.P.TAG": 1, "E.P.TOTAL": 1}
    return source, side


def _total(metalus: Metalus, run_id: str) -> Any:
    record = metalus.store().get_step(run_id=run_id, execution_key="E", pipeline_id="P", step_path="TOTAL")
    assert record is not None and record.output_ref is not None
    return record.output_ref["primary"]["value"]


def test_resume_reuses_stored_plans(sqlite_metalus: Metalus) -> None:
    metalus = sqlite_metalus
    _, side = _failed_run(metalus, "lz1")
    store = metalus.store()
    refs = {r.step_path: r.output_ref for r in store.list_steps(run_id="lz1") if r.output_ref}
    assert refs["SCAN"]["primary"]["format"] == "plan"
    assert refs["DOUBLE"]["primary"]["format"] == "plan"
    assert refs["TAG"]["primary"]["format"] == "arrow"  # reads in-memory data: streamed to a file
    assert Path(refs["DOUBLE"]["primary"]["url"].removeprefix("file://")).name == "primary.plan.json"

    resumed = metalus("resume", "lz1", "--failFlag", "false")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert side_effect_counts(side) == {"E.P.SCAN": 1, "E.P.DOUBLE": 1, "E.P.TAG": 1, "E.P.TOTAL": 2}
    assert _total(metalus, "lz1") == 12
    kinds = [e.event.get("event") for e in store.list_events(run_id="lz1")]
    assert "step_stale" not in kinds


def test_a_changed_source_recomputes_the_stale_steps(sqlite_metalus: Metalus) -> None:
    metalus = sqlite_metalus
    source, side = _failed_run(metalus, "lz2")
    _write_source(source, [10, 20, 30, 40])  # another size: the fingerprint differs whatever the clock

    resumed = metalus("resume", "lz2", "--failFlag", "false")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    counts = side_effect_counts(side)
    # TAG was streamed to a file, but its reference keeps the fingerprint of the CSV it read.
    assert counts == {"E.P.SCAN": 2, "E.P.DOUBLE": 2, "E.P.TAG": 2, "E.P.TOTAL": 2}
    assert _total(metalus, "lz2") == 200
    stale = [e.event for e in metalus.store().list_events(run_id="lz2") if e.event.get("event") == "step_stale"]
    assert {e.get("stepId") for e in stale} == {"SCAN", "DOUBLE", "TAG"}
    assert all("source.csv" in str(e.get("data", {}).get("reason")) for e in stale)
    # The recomputed steps were claimed again and stored anew.
    record = metalus.store().get_step(run_id="lz2", execution_key="E", pipeline_id="P", step_path="DOUBLE")
    assert record is not None and str(record.status) == "COMPLETE" and record.attempts == 2
