"""Kill tells the truth (issue 9, finding 5): a step-level kill of a step that cannot be interrupted
in its process ends the run process (run and step KILLED, resumable) and says so."""

from __future__ import annotations

from typing import Any

import pytest

from tests.durable.apps import SIDE, p, step, work, write
from tests.durable.conftest import Metalus, side_effect_counts
from tests.durable.test_durable_cli import SAFETY, steps_by_key, wait_until


def slow_application() -> dict[str, Any]:
    slow = step("SLOW", "SlowSteps.sleep_then_mark", SIDE, p("seconds", "!slowSeconds || 0"), next_="AFTER")
    return {
        "id": "slow", "stepPackages": ["durable_steps"], "globals": {"seed": "s"},
        "pipelines": [{"id": "P", "name": "P", "steps": [work("FIRST", "!seed", "SLOW"), slow,
                                                          work("AFTER", "!seed")]}],
        "executions": [{"id": "E", "pipelineIds": ["P"]}],
    }


@pytest.mark.slow
def test_step_kill_of_an_uninterruptible_step_ends_the_run_process(metalus: Metalus) -> None:
    app = write(slow_application(), metalus.cwd)
    side = metalus.cwd / "side.txt"
    run = metalus.popen("run", str(app), "--run-id", "ks", "--sideEffect", str(side), "--slowSeconds", "12")
    wait_until(lambda: "E.P.SLOW" in side_effect_counts(side), "the slow step to start")
    killed = metalus("kill", "ks", "--step", "E.P.SLOW", "--grace", "1")
    assert killed.returncode == 0, killed.stderr
    assert "could not be interrupted" in killed.stdout and "KILLED" in killed.stdout, killed.stdout
    code = run.wait(timeout=SAFETY)
    assert code == 4, run.communicate()
    assert str(metalus.store().get_run(run_id="ks").status) == "KILLED"  # type: ignore[union-attr]
    assert str(steps_by_key(metalus, "ks")["E.P.SLOW"].status) == "KILLED"
    # the step's side effect never happens after the kill was reported
    import time

    time.sleep(13)
    assert "E.P.SLOW:done" not in side_effect_counts(side)
    resumed = metalus("resume", "ks", "--slowSeconds", "0")
    assert resumed.returncode == 0, resumed.stderr
    assert "took over the lease" not in resumed.stderr
    counts = side_effect_counts(side)
    assert counts["E.P.FIRST"] == 1 and counts["E.P.SLOW"] == 2 and counts["E.P.SLOW:done"] == 1
    assert counts["E.P.AFTER"] == 1
