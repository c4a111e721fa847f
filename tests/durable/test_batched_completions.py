"""Step completions recorded with the next claim or in the background, and what a SIGKILL costs then.

A step's completion is queued once its outputs are durable and recorded in the round trip of the
next claim, by a background flush (``max_delay``) when no claim follows, or when the run ends. A
killed process therefore only leaves the steps whose completion was still queued RUNNING (in a
serial chain: at most the one that just ended and the one claimed next), and resume runs only those.
"""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from metalus_py.base.records import StepRecord
from metalus_py.durable.journal import StoreJournal
from metalus_py.state import ArtifactStore, StateStore, StepStatus
from metalus_py.steps.response import StepResponse
from metalus_py.steps.runtime import StepKey
from tests.durable.apps import linear_application, write
from tests.durable.conftest import Metalus, side_effect_counts, step_key
from tests.state.conftest import Backend
from tests.state.conftest import backend as backend  # noqa: F401 - the fixture, on both stores

#: Safety limit for waiting on another process or thread (never a timing assertion).
LIMIT = 60.0


@pytest.fixture
def two_stores(backend: Backend) -> Iterator[tuple[StateStore, StateStore, str]]:  # noqa: F811
    """The journal's store, another connection to the same database, and a leased run."""
    store, other = backend.open(), backend.open()
    run_id = f"run-{uuid.uuid4().hex[:8]}"
    store.create_run(run_id=run_id, application_id="app", application_json="{}", parameters={},
                     persist_policy="all", artifact_root=None)
    assert store.acquire_lease(run_id=run_id, owner="me", ttl_seconds=600).acquired
    yield store, other, run_id


def _status(store: StateStore, run_id: str, key: StepKey) -> StepStatus | None:
    record = store.get_step(run_id=run_id, execution_key=key.execution_key, pipeline_id=key.pipeline_id,
                            step_path=key.path)
    return None if record is None else record.status


def _run_step(journal: StoreJournal, key: StepKey, value: object, *, persist: bool = False) -> None:
    record = StepRecord(step_id=key.path, path=key.path)
    assert journal.begin(key, record, persist=persist) is None
    journal.completed(key, record, StepResponse(value, None), persist=persist)


def test_a_completion_is_recorded_with_the_next_claim(
    two_stores: tuple[StateStore, StateStore, str], tmp_path: Path
) -> None:
    store, other, run_id = two_stores
    artifacts = ArtifactStore(str(tmp_path / "artifacts"))
    journal = StoreJournal(store, artifacts, run_id=run_id, owner="me", max_delay=3600)  # no timed flush here
    first, second = StepKey("E", "P", "S1"), StepKey("E", "P", "S2")
    _run_step(journal, first, {"rows": [1, 2, 3]}, persist=True)
    assert _status(other, run_id, first) is StepStatus.RUNNING  # queued: its outputs are on disk already
    journal.begin(second, StepRecord(step_id="S2", path="S2"), persist=True)
    assert _status(other, run_id, first) is StepStatus.COMPLETE
    assert _status(other, run_id, second) is StepStatus.RUNNING
    record = other.get_step(run_id=run_id, execution_key="E", pipeline_id="P", step_path="S1")
    assert record is not None and record.output_ref is not None and record.ended_at is not None
    assert artifacts.load_step_output(record.output_ref)[0] == {"rows": [1, 2, 3]}
    journal.completed(second, StepRecord(step_id="S2", path="S2"), StepResponse(2, None), persist=True)
    journal.flush()
    assert _status(other, run_id, second) is StepStatus.COMPLETE


def test_a_completion_no_claim_follows_is_recorded_in_the_background(
    two_stores: tuple[StateStore, StateStore, str],
) -> None:
    store, other, run_id = two_stores
    journal = StoreJournal(store, None, run_id=run_id, owner="me", max_delay=0.05)
    key = StepKey("E", "P", "LAST")
    _run_step(journal, key, 1)
    deadline = time.monotonic() + LIMIT  # no flush, no further claim: the background flush records it
    while _status(other, run_id, key) is not StepStatus.COMPLETE and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _status(other, run_id, key) is StepStatus.COMPLETE


def test_ending_the_run_records_queued_completions_before_failing_the_rest(
    two_stores: tuple[StateStore, StateStore, str],
) -> None:
    store, other, run_id = two_stores
    journal = StoreJournal(store, None, run_id=run_id, owner="me", max_delay=3600)
    done, unfinished = StepKey("E", "P", "DONE"), StepKey("E", "P", "UNFINISHED")
    _run_step(journal, done, 1)
    journal.begin(unfinished, StepRecord(step_id="UNFINISHED", path="UNFINISHED"), persist=False)
    journal.completed(StepKey("E", "P", "DONE2"), StepRecord(step_id="DONE2", path="DONE2"),
                      StepResponse(0, None), persist=False)  # never claimed: nothing to record
    assert journal.end_unfinished(killed=False, reason="test") == [unfinished]
    assert _status(other, run_id, done) is StepStatus.COMPLETE
    assert _status(other, run_id, unfinished) is StepStatus.ERROR
    assert _status(other, run_id, StepKey("E", "P", "DONE2")) is None


def _wait_for_lines(path: Path, count: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + LIMIT
    while time.monotonic() < deadline and proc.poll() is None:
        if path.exists() and len(path.read_text().splitlines()) >= count:
            return
        time.sleep(0.002)


def test_sigkill_in_a_long_chain_costs_only_the_steps_not_yet_recorded(metalus: Metalus) -> None:
    ids = [f"S{i}" for i in range(80)]
    app = write(linear_application("long_chain", *ids), metalus.cwd)
    side = metalus.cwd / "side.txt"
    pairs = ["--sideEffect", str(side), "--sleepMs", "2", "--quiet"]
    proc = metalus.popen("run", str(app), "--run-id", "long", *pairs, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        _wait_for_lines(side, 30, proc)
        assert proc.poll() is None, "the run ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=LIMIT)
    assert proc.returncode == -signal.SIGKILL

    store = metalus.store()
    counts_at_kill = side_effect_counts(side)
    records = store.list_steps(run_id="long")
    complete = {step_key(r): r for r in records if r.status is StepStatus.COMPLETE}
    running = {step_key(r) for r in records if r.status is StepStatus.RUNNING}
    assert len(complete) >= 20, "most of the steps that ran were recorded before the kill"
    assert len(running) <= 2, f"only steps whose completion was still queued may be left RUNNING: {running}"
    run = store.get_run(run_id="long")
    assert run is not None and run.artifact_root
    artifacts = ArtifactStore(run.artifact_root)
    for key, record in complete.items():  # a COMPLETE step's outputs are durable
        assert record.output_ref, key
        index = int(key.rsplit(".S", 1)[1])
        assert artifacts.load_step_output(record.output_ref)[0] == ">".join(["s", *ids[: index + 1]])

    resumed = metalus("resume", "long", *pairs)
    assert resumed.returncode == 0, resumed.stderr
    counts = side_effect_counts(side)
    assert set(counts) == {f"E.P.{i}" for i in ids}
    for key in complete:
        assert counts[key] == counts_at_kill[key] == 1, f"{key} was COMPLETE at the kill but ran again"
    for key, count in counts.items():
        assert count <= 1 + (key in running), f"{key} ran {count} times"
    last = store.get_step(run_id="long", execution_key="E", pipeline_id="P", step_path="S79")
    assert last is not None and last.status is StepStatus.COMPLETE and last.output_ref
    assert artifacts.load_step_output(last.output_ref)[0] == ">".join(["s", *ids])
