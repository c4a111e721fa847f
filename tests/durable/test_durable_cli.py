"""Durable runs through the ``metalus`` command (real processes): concurrent resumes, retrigger,
kill, persistence off, idempotent submission and secrets."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

from tests.durable.apps import SIDE, chain, linear_application, p, secret_application, step, work, write
from tests.durable.conftest import Metalus, side_effect_counts, step_key

SAFETY = 90  # seconds: a safety limit only, never asserted as a duration


def wait_until(condition: Any, what: str, limit: float = SAFETY) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def steps_by_key(metalus: Metalus, run_id: str) -> dict[str, Any]:
    return {step_key(r): r for r in metalus.store().list_steps(run_id=run_id)}


# -- 2. two resumes at once -------------------------------------------------------------------
def test_two_concurrent_resumes_run_each_step_once(metalus: Metalus) -> None:
    app = write(linear_application("concurrent", "A", "B", "C", "D", "E", fail_step="C"), metalus.cwd)
    side = metalus.cwd / "side.txt"
    first = metalus("run", str(app), "--run-id", "r1", "--sideEffect", str(side), "--failFlag", "true")
    assert first.returncode == 1, first.stderr
    assert side_effect_counts(side) == {"E.P.A": 1, "E.P.B": 1, "E.P.C": 1}

    procs = [metalus.popen("resume", "r1", "--failFlag", "false", "--sleepMs", "200") for _ in range(2)]
    outcomes = [(proc.wait(timeout=SAFETY), *proc.communicate()) for proc in procs]
    codes = sorted(code for code, _, _ in outcomes)
    assert 0 in codes, outcomes
    for code, _, err in outcomes:
        if code != 0:
            assert "running in another process" in err and "not starting it twice" in err, err
    # The failed step ran once more, everything else exactly once over the three processes.
    assert side_effect_counts(side) == {"E.P.A": 1, "E.P.B": 1, "E.P.C": 2, "E.P.D": 1, "E.P.E": 1}
    run = metalus.store().get_run(run_id="r1")
    assert run is not None and str(run.status) == "COMPLETE"
    changes = [c.changes for c in run.parameter_changes]
    assert {"failFlag": False, "sleepMs": "200"} in changes
    assert run.effective_parameters["failFlag"] is False


# -- 3. retrigger -------------------------------------------------------------------------------
def retrigger_application() -> dict[str, Any]:
    p1 = chain("P1", "!seed", ["A", "B", "GROUP", "C"])
    p1["steps"][2] = step("GROUP", None, p("pipelineId", "SUB"), p("useParentGlobals", True, "boolean"),
                          type_="step-group", next_="C")
    p1["steps"][3]["params"][0] = p("value", "@B")
    return {
        "id": "retrigger",
        "stepPackages": ["durable_steps"],
        "globals": {"seed": "s"},
        "pipelines": [
            p1, chain("SUB", "!seed", ["G1"]), chain("P2", "@P1.C", ["D"]),
            chain("P_CHILD", "!ROOT.pipelineParameters.P2.D.primaryReturn", ["E"]),
            chain("P_OTHER", "!seed", ["O"]),
        ],
        "executions": [
            {"id": "ROOT", "pipelineIds": ["P1", "P2"]},
            {"id": "CHILD", "pipelineIds": ["P_CHILD"], "parents": ["ROOT"]},
            {"id": "OTHER", "pipelineIds": ["P_OTHER"]},
        ],
    }


def test_retrigger_from_a_middle_step_recomputes_it_and_downstream(metalus: Metalus) -> None:
    app = write(retrigger_application(), metalus.cwd)
    side = metalus.cwd / "side.txt"
    first = metalus("run", str(app), "--run-id", "orig", "--sideEffect", str(side))
    assert first.returncode == 0, first.stderr
    everything = {"ROOT.P1.A", "ROOT.P1.B", "ROOT.P1.GROUP.SUB.G1", "ROOT.P1.C", "ROOT.P2.D", "CHILD.P_CHILD.E",
                  "OTHER.P_OTHER.O"}
    assert side_effect_counts(side) == dict.fromkeys(everything, 1)
    side.unlink()

    out = metalus.cwd / "retriggered.json"
    again = metalus("retrigger", "orig", "--from", "ROOT.P1.B", "--output-json", str(out))
    assert again.returncode == 0, again.stderr
    recomputed = {"ROOT.P1.B", "ROOT.P1.GROUP.SUB.G1", "ROOT.P1.C", "ROOT.P2.D", "CHILD.P_CHILD.E"}
    assert side_effect_counts(side) == dict.fromkeys(recomputed, 1)  # A and O: 0 times
    document = json.loads(out.read_text())
    new_id = document["runId"]
    assert new_id != "orig" and document["status"] == "COMPLETE"
    assert document["executions"]["CHILD"]["pipelines"]["P_CHILD"]["steps"]["E"]["primaryReturn"] == (
        "s>A>B>C>D>E")

    runs = metalus("runs")
    assert runs.returncode == 0, runs.stderr
    line = next(row for row in runs.stdout.splitlines() if row.startswith(new_id))
    assert "COMPLETE" in line and "orig" in line
    listed = json.loads(metalus("runs", "--json").stdout)
    assert {"runId": new_id, "parentRunId": "orig"}.items() <= next(r for r in listed if r["runId"] == new_id).items()

    show = metalus("show", new_id)
    assert show.returncode == 0, show.stderr
    tree = show.stdout
    assert f"run {new_id}" in tree and "retriggered from run orig" in tree
    for fragment in ("execution ROOT: COMPLETE", "pipeline P1: COMPLETE", "step B: COMPLETE", "pipeline P2",
                     "execution CHILD: COMPLETE", "step E: COMPLETE"):
        assert fragment in tree, tree


# -- 4. kill ------------------------------------------------------------------------------------
def kill_application(*, retry_limit: int = 0) -> dict[str, Any]:
    loop = step("LOOP", "DurableSteps.busy_loop", SIDE, p("seconds", "!loopSeconds || 0"), p("release", "!releaseFile"),
                next_="SLEEP")
    sleeper = step("SLEEP", "DurableSteps.sleep_process", SIDE, p("seconds", "!sleepSeconds || 0"),
                   next_="AFTER", retryLimit=retry_limit)
    return {
        "id": "kill",
        "stepPackages": ["durable_steps"],
        "globals": {"seed": "s"},
        "pipelines": [{"id": "P", "name": "P", "steps": [loop, sleeper, work("AFTER", "!seed")]}],
        "executions": [{"id": "E", "pipelineIds": ["P"]}],
    }


def test_cooperative_kill_between_steps(metalus: Metalus) -> None:
    app = write(kill_application(), metalus.cwd)
    side, release = metalus.cwd / "side.txt", metalus.cwd / "release"
    # LOOP runs until the test releases it (SAFETY seconds at most), so the kill surely arrives while it runs.
    run = metalus.popen("run", str(app), "--run-id", "k1", "--sideEffect", str(side), "--loopSeconds", str(SAFETY),
                        "--releaseFile", str(release))
    wait_until(lambda: "E.P.LOOP" in side_effect_counts(side), "the looping step to start")
    killer = metalus.popen("kill", "k1", "--grace", "60")
    store = metalus.store()
    wait_until(lambda: any(r.acknowledged_at for r in store.kill_requests(run_id="k1")),
               "the running process to take the kill request")
    assert str(steps_by_key(metalus, "k1")["E.P.LOOP"].status) == "RUNNING"  # the kill came while LOOP ran
    release.write_text("go", encoding="utf-8")
    out, err = killer.communicate(timeout=SAFETY)
    assert killer.returncode == 0, err
    assert "ended cooperatively" in out, out
    assert run.wait(timeout=SAFETY) == 4, run.communicate()
    record = metalus.store().get_run(run_id="k1")
    assert record is not None and str(record.status) == "KILLED"
    assert "E.P.SLEEP" not in side_effect_counts(side) and "E.P.AFTER" not in side_effect_counts(side)
    assert str(steps_by_key(metalus, "k1")["E.P.LOOP"].status) == "COMPLETE"


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rpartition(")")[2].split()[0] in ("Z", "X")


def test_forced_kill_of_a_run_stuck_in_a_subprocess_then_resume(metalus: Metalus) -> None:
    app = write(kill_application(), metalus.cwd)
    side = metalus.cwd / "side.txt"
    pid_file = Path(str(side) + ".pid")
    run = metalus.popen("run", str(app), "--run-id", "k2", "--sideEffect", str(side), "--sleepSeconds", "30")
    wait_until(pid_file.exists, "the sleep process to start")
    child = int(pid_file.read_text())
    killed = metalus("kill", "k2", "--grace", "1")
    assert killed.returncode == 0, killed.stderr
    assert "forced" in killed.stdout, killed.stdout
    assert run.wait(timeout=SAFETY) == 4  # the documented exit code of a killed run, not -9
    wait_until(lambda: process_gone(child), "the child sleep process to go")
    record = metalus.store().get_run(run_id="k2")
    assert record is not None and str(record.status) == "KILLED"
    assert str(steps_by_key(metalus, "k2")["E.P.SLEEP"].status) == "KILLED"  # never left RUNNING
    assert "the run is KILLED" in killed.stdout and "resume" in killed.stdout

    resumed = metalus("resume", "k2", "--sleepSeconds", "0")
    assert resumed.returncode == 0, resumed.stderr
    record = metalus.store().get_run(run_id="k2")
    assert record is not None and str(record.status) == "COMPLETE"
    assert side_effect_counts(side) == {"E.P.LOOP": 1, "E.P.SLEEP": 2, "E.P.AFTER": 1}


def test_step_level_kill_ends_the_step_killed_without_retry(metalus: Metalus) -> None:
    app = write(kill_application(retry_limit=2), metalus.cwd)
    side = metalus.cwd / "side.txt"
    pid_file = Path(str(side) + ".pid")
    run = metalus.popen("run", str(app), "--run-id", "k3", "--sideEffect", str(side), "--sleepSeconds", "30")
    wait_until(pid_file.exists, "the sleep process to start")
    child = int(pid_file.read_text())
    killed = metalus("kill", "k3", "--step", "E.P.SLEEP", "--grace", "1")
    assert killed.returncode == 0, killed.stderr
    code = run.wait(timeout=SAFETY)
    wait_until(lambda: process_gone(child), "the child sleep process to go")
    step = steps_by_key(metalus, "k3")["E.P.SLEEP"]
    assert str(step.status) == "KILLED", (code, step)
    assert step.attempts == 1
    assert side_effect_counts(side) == {"E.P.LOOP": 1, "E.P.SLEEP": 1}  # not retried, AFTER never ran
    assert code != 0


# -- 5. persistence off, idempotent submission ---------------------------------------------------
def test_persist_none_resume_recomputes_completed_steps(metalus: Metalus) -> None:
    app = write(linear_application("nopersist", "A", "B", "C", fail_step="B"), metalus.cwd)
    side = metalus.cwd / "side.txt"
    first = metalus("run", str(app), "--run-id", "np", "--persist", "none", "--sideEffect", str(side),
                    "--failFlag", "true")
    assert first.returncode == 1, first.stderr
    assert not list((metalus.cwd / ".metalus").glob("artifacts/np/**/*.json"))
    resumed = metalus("resume", "np", "--failFlag", "false")
    assert resumed.returncode == 0, resumed.stderr
    assert side_effect_counts(side) == {"E.P.A": 2, "E.P.B": 2, "E.P.C": 1}


def test_run_id_submitted_twice(metalus: Metalus) -> None:
    app = write({**linear_application("idem", "A", "B", "C", fail_step=None)}, metalus.cwd)
    side = metalus.cwd / "side.txt"
    for _ in range(2):
        proc = metalus("run", str(app), "--run-id", "done", "--sideEffect", str(side))
        assert proc.returncode == 0, proc.stderr
    assert side_effect_counts(side) == {"E.P.A": 1, "E.P.B": 1, "E.P.C": 1}  # the second did nothing

    marker = metalus.cwd / "broken"
    marker.write_text("x")
    failing = linear_application("idem2", "A", "B", "C")
    failing["pipelines"][0]["steps"][1] = step("B", "MarkerSteps.fail_while_file", p("value", "@A"), SIDE,
                                               p("marker", str(marker)), next_="C")
    app2 = write(failing, metalus.cwd, "app2.json")
    side.unlink()
    first = metalus("run", str(app2), "--run-id", "again", "--sideEffect", str(side))
    assert first.returncode == 1, first.stderr
    marker.unlink()
    second = metalus("run", str(app2), "--run-id", "again", "--sideEffect", str(side))
    assert second.returncode == 0, second.stderr
    assert side_effect_counts(side) == {"E.P.A": 1, "E.P.B": 2, "E.P.C": 1}  # resumed, A not re-run
    record = metalus.store().get_run(run_id="again")
    assert record is not None and str(record.status) == "COMPLETE"
    third = metalus("run", str(app2), "--run-id", "again", "--sideEffect", str(side))
    assert third.returncode == 0 and side_effect_counts(side)["E.P.C"] == 1


# -- 6. secrets ---------------------------------------------------------------------------------
SECRET = "Zq7-s3cr3t-VALUE-9xw"


def test_secrets_never_reach_state_artifacts_events_or_logs(sqlite_metalus: Metalus) -> None:
    metalus = sqlite_metalus
    metalus.env["METALUS_CREDENTIAL_DBPASSWORD"] = SECRET
    app = write(secret_application(), metalus.cwd)
    side = metalus.cwd / "side.txt"
    logs: list[str] = []
    first = metalus("run", str(app), "--run-id", "sec", "--sideEffect", str(side), "--failFlag", "true",
                    "--output-json", str(metalus.cwd / "out1.json"), "--verbose")
    assert first.returncode == 1, first.stderr
    assert "cannot log in with" in first.stderr  # the failure is reported, without the value
    logs += [first.stdout, first.stderr]
    resumed = metalus("resume", "sec", "--failFlag", "false", "--output-json", str(metalus.cwd / "out2.json"),
                      "--verbose")
    assert resumed.returncode == 0, resumed.stderr
    logs += [resumed.stdout, resumed.stderr]
    for command in (("show", "sec"), ("show", "sec", "--json"), ("runs", "--json")):
        shown = metalus(*command)
        assert shown.returncode == 0, shown.stderr
        logs += [shown.stdout, shown.stderr]

    # The token was really built from the secret and flowed on (redacted wherever it is written).
    document = json.loads((metalus.cwd / "out2.json").read_text())
    login = document["executions"]["ROOT"]["pipelines"]["P"]["steps"]["LOGIN"]["primaryReturn"]
    assert login == "token-***REDACTED***"

    leaks = [f"captured output #{i}" for i, text in enumerate(logs) if SECRET in text]
    files = [path for path in metalus.cwd.rglob("*") if path.is_file()]
    assert any(path.suffix == ".db" for path in files)
    assert any(path.suffix == ".jsonl" for path in files)
    # Every step output here holds the secret: none is persisted (it could only come back redacted,
    # DESIGN §14), so resume re-runs those steps instead of restoring them.
    login_record = next(r for r in metalus.store().list_steps(run_id="sec") if r.step_path == "LOGIN")
    assert str(login_record.status) == "COMPLETE" and not login_record.output_ref
    leaks += [str(path.relative_to(metalus.cwd)) for path in files if SECRET.encode() in path.read_bytes()]
    assert not leaks, f"the secret leaked into: {leaks}"
    assert re.search(r"REDACTED", (metalus.cwd / "out1.json").read_text())
