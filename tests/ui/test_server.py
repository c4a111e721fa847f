"""``metalus ui`` as a real uvicorn process: live server-sent events, reconnection, start-up errors."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import httpx

from tests.durable.apps import linear_application
from tests.ui.conftest import Metalus, Server, sse_events, start_running


def _check_order(events: list[dict[str, Any]]) -> None:
    """Sequence numbers 1, 2, 3, ... and each step started before it finished, steps in flow order."""
    assert [int(e["id"]) for e in events] == list(range(1, len(events) + 1))
    started = [e["data"]["stepId"] for e in events if e["event"] == "step_started"]
    finished = [e["data"]["stepId"] for e in events if e["event"] == "step_finished"]
    assert started == finished == [f"S{i}" for i in range(1, 9)]
    for step in started:
        kinds = [e["event"] for e in events if e["data"].get("stepId") == step]
        assert kinds == ["step_started", "step_finished"]


def test_sse_follows_a_running_run_and_resumes_with_last_event_id(
    metalus: Metalus, serve: Callable[..., Server]
) -> None:
    server = serve(metalus)
    steps = [f"S{i}" for i in range(1, 9)]
    proc = start_running(metalus, linear_application("ui_live", *steps), "live", "--sleepMs", "300")
    try:
        with server.client() as client:
            first: list[dict[str, Any]] = []
            with client.stream("GET", "/api/runs/live/events") as answer:
                assert answer.status_code == 200
                for event in sse_events(answer.iter_lines()):
                    first.append(event)
                    if event["event"] == "step_finished" and event["data"]["stepId"] == "S2":
                        break  # drop the connection while the run is still going
            assert first[-1]["event"] == "step_finished"
            record = metalus.store().get_run(run_id="live")
            assert record is not None and str(record.status) == "RUNNING"  # really a running run
            last_id = first[-1]["id"]
            with client.stream("GET", "/api/runs/live/events", headers={"Last-Event-ID": last_id}) as answer:
                rest = list(sse_events(answer.iter_lines()))
        assert proc.wait(timeout=120) == 0
        assert rest[-1]["event"] == "end" and rest[-1]["data"]["status"] == "COMPLETE"
        events = first + rest[:-1]
        _check_order(events)  # nothing lost, nothing twice
        assert events[-1]["event"] == "application_finished"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_step_events_reach_the_store_while_the_step_still_runs(sqlite_metalus: Metalus) -> None:
    """A step's start is in the store (for the monitor) long before the pipeline ends, not batched till then."""
    document = linear_application("ui_prompt", "FAST", "SLOW", SLOW={"params": [
        {"name": "value", "type": "text", "value": "@FAST"},
        {"name": "sideEffect", "type": "text", "value": "!sideEffect"},
        {"name": "sleepMs", "type": "text", "value": "60000"}]})
    proc = start_running(sqlite_metalus, document, "prompt")
    store = sqlite_metalus.store()
    try:
        from tests.ui.conftest import wait_for

        def slow_started() -> bool:
            kinds = [(e.event.get("event"), e.event.get("stepId")) for e in store.list_events(run_id="prompt")]
            return ("step_started", "SLOW") in kinds

        wait_for(slow_started, "SLOW's step_started event in the store", timeout=30)
        step = store.get_step(run_id="prompt", execution_key="E", pipeline_id="P", step_path="SLOW")
        assert step is not None and str(step.status) == "RUNNING"  # the 60 s step has not finished
        kinds = [e.event.get("event") for e in store.list_events(run_id="prompt")]
        assert ("step_finished" in kinds) and kinds.index("step_started") < kinds.index("step_finished")
    finally:
        proc.kill()
        proc.wait()


def test_non_loopback_host_without_token_is_refused(sqlite_metalus: Metalus) -> None:
    refused = sqlite_metalus("ui", "--host", "0.0.0.0", "--port", "0", timeout=60)
    assert refused.returncode == 2
    assert "token" in refused.stderr and "0.0.0.0" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_state_url_that_cannot_be_opened_exits_2_with_the_password_masked(sqlite_metalus: Metalus) -> None:
    url = "postgresql://someone:hunter2secret@127.0.0.1:1/nothing"
    failed = sqlite_metalus("ui", "--state", url, "--port", "0", timeout=60)
    assert failed.returncode == 2
    assert "hunter2secret" not in failed.stderr + failed.stdout
    assert "postgresql://someone:***@127.0.0.1:1/nothing" in failed.stderr
    assert "Traceback" not in failed.stderr
    bad = sqlite_metalus("ui", "--state", "ftp://x/y", "--port", "0", timeout=60)
    assert bad.returncode == 2 and "unsupported state store URL" in bad.stderr


def test_ui_help_and_bad_options() -> None:
    ok = subprocess.run([sys.executable, "-m", "metalus_py.cli", "ui", "--help"], capture_output=True, text=True,
                        timeout=60)
    assert ok.returncode == 0 and "--token" in ok.stdout and "--host" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "metalus_py.cli", "ui", "--port", "many"], capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2


def test_token_from_the_environment_and_access_log_without_it(
    sqlite_metalus: Metalus, serve: Callable[..., Server]
) -> None:
    token = "env-token-123456"
    server = serve(sqlite_metalus, env={"METALUS_UI_TOKEN": token})
    assert httpx.get(server.base + "/api/runs").status_code == 401
    assert httpx.get(server.base + "/api/runs", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with httpx.Client(base_url=server.base, follow_redirects=True) as browser:
        login = browser.get("/login", params={"token": token})
        assert login.status_code == 200 and str(login.url) == server.base + "/"
        assert browser.get("/api/runs").status_code == 200
    server.proc.terminate()
    server.proc.wait(timeout=30)
    log = server.log.read_text()
    assert "GET /login" in log and "GET /api/runs" in log
    assert token not in log
