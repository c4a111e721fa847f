"""Eager frames written in the background while the next step runs, recorded COMPLETE only once durable.

Real ``metalus`` processes on SQLite and PostgreSQL for runs, resumes, a failing write and a
SIGKILL; the journal itself for the overlap (a real fsspec filesystem whose writes wait on a gate
the test opens: the step that returned the frame is done while its artifact is still unwritten).
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fsspec
import polars as pl
import pytest
from fsspec.implementations.memory import MemoryFileSystem
from polars.testing import assert_frame_equal

from metalus_py.base.records import StepRecord
from metalus_py.durable.journal import StoreJournal
from metalus_py.state import ArtifactStore, RunStatus, StateStore, StepStatus
from metalus_py.steps.response import StepResponse
from metalus_py.steps.runtime import StepKey
from tests.durable.apps import SIDE, p, step, write
from tests.durable.conftest import Metalus, side_effect_counts, step_key
from tests.state.conftest import Backend
from tests.state.conftest import backend as backend  # noqa: F401 - the fixture, on both stores

#: Safety limit for waiting on another process or thread (never a timing assertion).
LIMIT = 60.0


def frame_application(*middle: str, objects_at: str | None = None, sleep_ms: int = 0) -> dict[str, Any]:
    """MAKE -> each of ``middle`` (``FrameSteps.add``; ``objects_at``: ``FrameSteps.objects``) -> TOTAL."""
    ids = ["MAKE", *middle, "TOTAL"]
    steps = [step("MAKE", "FrameSteps.make", p("rows", "!rows || 5"), SIDE, next_=ids[1])]
    for index, step_id in enumerate(middle):
        command = "FrameSteps.objects" if step_id == objects_at else "FrameSteps.add"
        params = [p("frame", f"@{ids[index]}"), SIDE]
        if command == "FrameSteps.add":
            params.append(p("sleepMs", sleep_ms))
        steps.append(step(step_id, command, *params, next_=ids[index + 2]))
    steps.append(
        step(
            "TOTAL", "FrameSteps.total", p("frame", f"@{ids[-2]}"), SIDE, p("failFlag", "!failFlag || false")
        )
    )
    return {
        "id": "frames",
        "stepPackages": ["frame_steps"],
        "globals": {},
        "pipelines": [{"id": "P", "name": "P", "steps": steps}],
        "executions": [{"id": "E", "pipelineIds": ["P"]}],
    }


def expected_frames(rows: int, middle: list[str]) -> dict[str, pl.DataFrame]:
    """What each frame step of :func:`frame_application` returns."""
    frames = {"MAKE": pl.DataFrame({"x": list(range(rows))})}
    previous = frames["MAKE"]
    for step_id in middle:
        previous = previous.with_columns(pl.col("x") + 1, pl.lit(step_id).alias("step"))
        frames[step_id] = previous
    return frames


def _check_stored_frames(store: StateStore, run_id: str, expected: dict[str, pl.DataFrame]) -> set[str]:
    """Every COMPLETE frame step's artifact equals its frame; returns the COMPLETE steps' ids."""
    run = store.get_run(run_id=run_id)
    assert run is not None and run.artifact_root
    artifacts = ArtifactStore(run.artifact_root)
    complete = set()
    for record in store.list_steps(run_id=run_id):
        if record.status is not StepStatus.COMPLETE or record.step_path not in expected:
            continue
        complete.add(record.step_path)
        assert record.output_ref is not None, step_key(record)
        assert record.output_ref["primary"]["$type"] == "polars.DataFrame"
        primary, named = artifacts.load_step_output(record.output_ref)
        assert_frame_equal(primary, expected[record.step_path])
        assert named == {}
    return complete


def test_frame_steps_are_stored_and_restored_without_running_again(metalus: Metalus) -> None:
    middle = ["A1", "A2", "A3"]
    app = write(frame_application(*middle), metalus.cwd)
    side = metalus.cwd / "side.txt"
    first = metalus(
        "run",
        str(app),
        "--run-id",
        "fr1",
        "--persist",
        "all",
        "--sideEffect",
        str(side),
        "--failFlag",
        "true",
    )
    assert first.returncode == 1, first.stderr[-3000:]
    store = metalus.store()
    expected = expected_frames(5, middle)
    assert _check_stored_frames(store, "fr1", expected) == set(expected)

    resumed = metalus("resume", "fr1", "--failFlag", "false", "--sideEffect", str(side))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    counts = side_effect_counts(side)
    assert counts == {"E.P.MAKE": 1, "E.P.A1": 1, "E.P.A2": 1, "E.P.A3": 1, "E.P.TOTAL": 2}
    total = store.get_step(run_id="fr1", execution_key="E", pipeline_id="P", step_path="TOTAL")
    assert total is not None and total.status is StepStatus.COMPLETE and total.output_ref is not None
    assert total.output_ref["primary"]["value"] == int(expected["A3"]["x"].sum())


def test_a_frame_that_cannot_be_written_fails_the_run_naming_the_step(metalus: Metalus) -> None:
    app = write(frame_application("A1", "OBJ", "A2", objects_at="OBJ"), metalus.cwd)
    side = metalus.cwd / "side.txt"
    out = metalus.cwd / "result.json"
    run = metalus(
        "run",
        str(app),
        "--run-id",
        "fr2",
        "--persist",
        "all",
        "--sideEffect",
        str(side),
        "--output-json",
        str(out),
    )
    assert run.returncode == 1, run.stderr[-3000:]
    store = metalus.store()
    record = store.get_step(run_id="fr2", execution_key="E", pipeline_id="P", step_path="OBJ")
    assert record is not None and record.status is StepStatus.ERROR, record
    assert (
        record.error is not None
        and "the output of step E.P.OBJ could not be stored" in record.error["message"]
    )
    assert "Object" in record.error["message"], record.error  # the cause: the writer refuses that dtype
    assert record.output_ref is None
    stored_run = store.get_run(run_id="fr2")
    assert stored_run is not None and stored_run.status is RunStatus.FAILED
    document = json.loads(out.read_text())
    assert document["status"] == "FAILED"
    execution = document["executions"]["E"]
    assert execution["status"] == "ERROR" and "E.P.OBJ" in json.dumps(execution), execution
    # the steps before it are stored as usual
    assert _check_stored_frames(store, "fr2", expected_frames(5, ["A1"])) >= {"MAKE", "A1"}


def _wait_for_lines(path: Path, count: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + LIMIT
    while time.monotonic() < deadline and proc.poll() is None:
        if path.exists() and len(path.read_text().splitlines()) >= count:
            return
        time.sleep(0.002)


def test_sigkill_while_frames_are_written_leaves_only_durable_steps_complete(metalus: Metalus) -> None:
    middle = [f"A{i}" for i in range(40)]
    app = write(frame_application(*middle, sleep_ms=2), metalus.cwd)
    side = metalus.cwd / "side.txt"
    pairs = ["--sideEffect", str(side), "--rows", "20000"]
    proc = metalus.popen(
        "run",
        str(app),
        "--run-id",
        "fr3",
        "--persist",
        "all",
        "--quiet",
        *pairs,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_lines(side, 15, proc)
        assert proc.poll() is None, "the run ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=LIMIT)
    store = metalus.store()
    expected = expected_frames(20000, middle)
    counts_at_kill = side_effect_counts(side)
    complete = _check_stored_frames(store, "fr3", expected)  # COMPLETE: the artifact is whole
    assert complete, "some steps were recorded before the kill"

    resumed = metalus("resume", "fr3", *pairs)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    counts = side_effect_counts(side)
    for step_id in complete:
        assert counts[f"E.P.{step_id}"] == counts_at_kill[f"E.P.{step_id}"] == 1, f"{step_id} ran again"
    assert _check_stored_frames(store, "fr3", expected) == set(expected)


class GatedFileSystem(MemoryFileSystem):
    """An in-memory filesystem whose writes wait until :attr:`gate` is set (reads do not)."""

    protocol = "gatedtest"
    gate = threading.Event()

    def _open(self, path: str, mode: str = "rb", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode and not self.gate.wait(LIMIT):
            raise TimeoutError("the gate was never opened")
        return super()._open(path, mode, *args, **kwargs)


@pytest.fixture
def gated_journal(backend: Backend) -> Iterator[tuple[StoreJournal, StateStore, str]]:  # noqa: F811
    """A journal whose artifacts go to a gated filesystem (closed), another store connection, the run."""
    fsspec.register_implementation(GatedFileSystem.protocol, GatedFileSystem, clobber=True)
    GatedFileSystem.gate.clear()
    store, other = backend.open(), backend.open()
    run_id = f"run-{uuid.uuid4().hex[:8]}"
    store.create_run(
        run_id=run_id,
        application_id="app",
        application_json="{}",
        parameters={},
        persist_policy="all",
        artifact_root=None,
    )
    assert store.acquire_lease(run_id=run_id, owner="me", ttl_seconds=600).acquired
    artifacts = ArtifactStore(f"{GatedFileSystem.protocol}://{run_id}")
    journal = StoreJournal(store, artifacts, run_id=run_id, owner="me", max_delay=3600)
    try:
        yield journal, other, run_id
    finally:
        GatedFileSystem.gate.set()
        journal.flush()


def _status(store: StateStore, run_id: str, key: StepKey) -> StepStatus | None:
    record = store.get_step(
        run_id=run_id, execution_key=key.execution_key, pipeline_id=key.pipeline_id, step_path=key.path
    )
    return None if record is None else record.status


def test_the_next_step_runs_while_the_frame_is_written(
    gated_journal: tuple[StoreJournal, StateStore, str],
) -> None:
    journal, other, run_id = gated_journal
    first, second = StepKey("E", "P", "S1"), StepKey("E", "P", "S2")
    frame = pl.DataFrame({"x": [1, 2, 3]})
    record = StepRecord(step_id="S1", path="S1")
    assert journal.begin(first, record, persist=True) is None
    journal.completed(first, record, StepResponse(frame, None), persist=True)  # returns: the gate is closed
    assert journal.begin(second, StepRecord(step_id="S2", path="S2"), persist=True) is None
    assert _status(other, run_id, first) is StepStatus.RUNNING  # not durable yet: not COMPLETE
    frame.extend(pl.DataFrame({"x": [4]}))  # a later step changes the frame in place
    GatedFileSystem.gate.set()
    journal.flush()
    stored = other.get_step(run_id=run_id, execution_key="E", pipeline_id="P", step_path="S1")
    assert stored is not None and stored.status is StepStatus.COMPLETE and stored.output_ref is not None
    assert journal.artifacts is not None
    primary, _ = journal.artifacts.load_step_output(stored.output_ref)
    assert_frame_equal(primary, pl.DataFrame({"x": [1, 2, 3]}))  # the frame as the step returned it
