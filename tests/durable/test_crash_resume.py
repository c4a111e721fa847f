"""Crash safety of whole runs: ``metalus run`` SIGKILLed at random instants, then resumed.

Each run of a 23-step application (step group, split, fork execution and join, five
executions) is killed several times at random points, resumed with ``metalus resume`` after
each kill, and finally resumed to COMPLETE. Checked against the store's step records captured
right after each kill and the side-effect file every step appends its key to:

* every run ends COMPLETE;
* a step recorded COMPLETE at a kill never runs again (its side-effect count stays as it was);
* a step runs more than once only if it was RUNNING at a kill (once per such kill at most);
* the final step results equal those of an uninterrupted run.

The RNG seed is printed (``-s`` shows it); set ``METALUS_CRASH_SEED`` to replay a sequence.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from metalus_py.state import ArtifactStore, StateStore
from tests.durable.apps import crash_application, write
from tests.durable.conftest import Metalus, side_effect_counts, step_key

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")

KILLS = int(os.environ.get("METALUS_CRASH_KILLS", "30"))
KILLS_PER_RUN = 5
STEP_COUNT = 23


def step_results(store: StateStore, run_id: str) -> dict[str, Any]:
    """Every step's primary return as stored (loaded back from its artifact)."""
    run = store.get_run(run_id=run_id)
    assert run is not None and run.artifact_root
    artifacts = ArtifactStore(run.artifact_root)
    results = {}
    for record in store.list_steps(run_id=run_id):
        assert record.output_ref, f"{step_key(record)} has no stored output"
        results[step_key(record)] = artifacts.load_step_output(record.output_ref)[0]
    return results


def document_returns(document: dict[str, Any]) -> dict[str, Any]:
    """``execution.step`` -> primaryReturn of every function step of a result document.

    A live document nests a step group's steps under the group step; a recorded one (``resume``
    of a run that had already completed) lists them under their own pipeline: both give the
    same map (step ids are unique per execution in the crash application).
    """
    found: dict[str, Any] = {}

    def visit(execution_key: str, steps: dict[str, Any]) -> None:
        for path, step in steps.items():
            if step.get("steps"):
                visit(execution_key, step["steps"])
            elif step.get("primaryReturn") is not None:  # split/merge steps return nothing
                found[f"{execution_key}.{path.rsplit('.', 1)[-1]}"] = step["primaryReturn"]

    for key, execution in document["executions"].items():
        for pipeline in execution["pipelines"].values():
            visit(key, pipeline["steps"])
    return found


def wait_for_growth(path: Path, size: int, proc: subprocess.Popen[str], limit: float) -> None:
    """Wait until the side-effect file grows past ``size`` (steps are executing) or the process ends."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        if path.exists() and path.stat().st_size > size:
            return
        time.sleep(0.005)


class CrashRun:
    """One run id killed repeatedly: what the store held after each kill."""

    def __init__(self, metalus: Metalus, app: Path, run_id: str, rng: random.Random) -> None:
        self.metalus, self.app, self.run_id, self.rng = metalus, app, run_id, rng
        self.side = metalus.cwd / f"side-{run_id}.txt"
        self.store = metalus.store()
        self.kills = 0
        self.launches = 0
        self.completed_at: dict[str, int] = {}  # step key -> its side-effect count when first seen COMPLETE
        self.running_at_kill: dict[str, int] = {}
        self.last_output: Path | None = None

    def _args(self) -> list[str]:
        self.last_output = self.metalus.cwd / f"out-{self.run_id}-{self.launches}.json"
        common = ["--sideEffect", str(self.side), "--output-json", str(self.last_output), "--quiet"]
        if self.store.get_run(run_id=self.run_id) is None:  # killed before the run was even recorded
            return ["run", str(self.app), "--run-id", self.run_id, *common]
        return ["resume", self.run_id, *common]

    def launch_and_kill(self) -> bool:
        """Start the next process and SIGKILL it at a random point; False if it finished first."""
        self.launches += 1
        size = self.side.stat().st_size if self.side.exists() else 0
        proc = self.metalus.popen(*self._args(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            if self.rng.random() < 0.2:
                time.sleep(self.rng.uniform(0.0, 1.2))  # anywhere, start-up and recording included
            else:
                wait_for_growth(self.side, size, proc, limit=60)
                time.sleep(self.rng.uniform(0.0, 0.3))  # somewhere among the steps
            if proc.poll() is not None:
                return False
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(timeout=60)
        if proc.returncode != -signal.SIGKILL:
            return False
        self.kills += 1
        self._snapshot()
        return True

    def _snapshot(self) -> None:
        counts = side_effect_counts(self.side)
        for record in self.store.list_steps(run_id=self.run_id):
            key = step_key(record)
            if str(record.status) == "COMPLETE":
                self.completed_at.setdefault(key, counts.get(key, 0))
            elif str(record.status) == "RUNNING":
                self.running_at_kill[key] = self.running_at_kill.get(key, 0) + 1

    def resume_to_end(self) -> subprocess.CompletedProcess[str]:
        for _ in range(5):
            self.launches += 1
            proc = self.metalus(*self._args())
            if proc.returncode == 0:
                return proc
        raise AssertionError(f"run {self.run_id} did not complete: {proc.returncode} {proc.stderr}")


def test_sigkill_at_random_points_then_resume(metalus: Metalus) -> None:
    seed = int(os.environ.get("METALUS_CRASH_SEED") or random.SystemRandom().randrange(2**32))
    print(f"crash test seed: {seed} (METALUS_CRASH_SEED={seed} replays it), backend {metalus.backend}")
    rng = random.Random(seed)
    app = write(crash_application(), metalus.cwd)
    started = time.monotonic()

    reference_side = metalus.cwd / "side-reference.txt"
    reference = metalus("run", str(app), "--run-id", "reference", "--sideEffect", str(reference_side),
                        "--output-json", str(metalus.cwd / "reference.json"), "--quiet")
    assert reference.returncode == 0, reference.stderr
    store = metalus.store()
    expected = step_results(store, "reference")
    assert len(expected) == STEP_COUNT
    assert side_effect_counts(reference_side) == dict.fromkeys(expected, 1)
    expected_document = document_returns(json.loads((metalus.cwd / "reference.json").read_text()))

    runs: list[CrashRun] = []
    total_kills = 0
    while total_kills < KILLS:
        crash = CrashRun(metalus, app, f"crash{len(runs)}", rng)
        runs.append(crash)
        misses = 0
        while crash.kills < KILLS_PER_RUN and total_kills + crash.kills < KILLS and misses < 3:
            if not crash.launch_and_kill():
                misses += 1  # the process finished (or had nothing left) before the kill
        total_kills += crash.kills
        final = crash.resume_to_end()

        record = store.get_run(run_id=crash.run_id)
        assert record is not None and str(record.status) == "COMPLETE", final.stderr
        counts = side_effect_counts(crash.side)
        problems = []
        for key, count_then in crash.completed_at.items():
            if counts.get(key, 0) != count_then:
                problems.append(f"{key} was COMPLETE at a kill but ran again ({count_then} -> {counts.get(key)})")
        for key, count in counts.items():
            if count > 1 + crash.running_at_kill.get(key, 0):
                problems.append(f"{key} ran {count} times but was RUNNING at only "
                                f"{crash.running_at_kill.get(key, 0)} kill(s)")
        assert not problems, "\n".join(problems)
        assert set(counts) == set(expected), "every step ran at least once"
        assert step_results(store, crash.run_id) == expected
        assert crash.last_output is not None
        document = json.loads(crash.last_output.read_text())
        assert document["status"] == "COMPLETE"
        assert document_returns(document) == expected_document

    took = time.monotonic() - started
    launches = sum(r.launches for r in runs)
    print(f"crash test ({metalus.backend}): {total_kills} SIGKILLs over {len(runs)} runs, {launches} processes "
          f"({launches - total_kills} not killed: resumes to the end or kills that came too late), "
          f"steps re-run after a kill: {sum(sum(r.running_at_kill.values()) for r in runs)}, {took:.1f}s")
    assert total_kills >= KILLS
