"""Crash safety: SIGKILL a writer at an arbitrary moment; the store and artifacts stay consistent."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from metalus_py.state import ArtifactStore, StateStore, StepStatus, load_artifact, load_step_output

from . import _workers
from .conftest import Backend

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")


@pytest.mark.parametrize("iterations", [3, 11])
def test_sigkill_leaves_store_and_artifacts_consistent(
    backend: Backend, store: StateStore, make_run: Callable[..., str], tmp_path: Path, iterations: int
) -> None:
    run_id = make_run()
    root = str(tmp_path / "artifacts" / run_id)
    ctx = multiprocessing.get_context("spawn")
    progress = ctx.Queue()
    proc = ctx.Process(target=_workers.write_forever, args=(backend.url, run_id, root, progress))
    proc.start()
    try:
        for _ in range(iterations):  # let it get well into its loop, then kill it wherever it is
            progress.get(timeout=300)
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # type: ignore[arg-type]
        proc.join(timeout=60)
    assert proc.exitcode == -signal.SIGKILL

    again = backend.open()
    if backend.name == "sqlite":
        db = backend.url[len("sqlite:///") :]
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    events = again.list_events(run_id=run_id)
    seqs = [e.seq for e in events]
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) % 5 == 0  # whole batches only
    assert len(seqs) >= 5 * iterations
    assert again.append_event(run_id=run_id, event={"after": "crash"}) == len(seqs) + 1

    steps = again.list_steps(run_id=run_id)
    complete = [s for s in steps if s.status is StepStatus.COMPLETE]
    assert len(complete) >= iterations
    assert all(s.status in (StepStatus.COMPLETE, StepStatus.RUNNING) for s in steps)
    for step in complete:
        assert step.output_ref is not None and step.ended_at is not None
        primary, named = load_step_output(step.output_ref)
        assert primary.shape == (20_000, 2) and isinstance(named["n"]["i"], int)

    artifacts = ArtifactStore(root)
    folder = artifacts.step_folder(execution_key="E", pipeline_id="P", step_path="SAME")
    frame = load_artifact({"url": f"{folder}/primary.arrow", "format": "arrow", "$type": "polars.DataFrame"})
    assert frame.shape == (20_000, 2)  # never half-written
    artifacts.clean_temp_files()
    assert artifacts.temp_files() == []
