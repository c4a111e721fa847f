"""The JSON API of ``metalus ui`` (DESIGN §12) through httpx, over runs recorded by real processes."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from metalus_py.state import StateStore
from metalus_py.ui import create_app
from tests.durable.apps import TIMESTAMP, gated_application, linear_application
from tests.ui.conftest import Metalus, finished_run, fork_application, start_running, wait_for


def _record(runner: Metalus) -> tuple[Metalus, StateStore]:
    assert finished_run(runner, fork_application(), "done").returncode == 0
    failing = linear_application("ui_fail", "A", "B", "C", fail_step="B")
    assert finished_run(runner, failing, "broken", "--failFlag", "true").returncode == 1
    return runner, runner.store()


@pytest.fixture
def recorded(metalus: Metalus) -> Iterator[tuple[Metalus, StateStore]]:
    """A store (SQLite, then PostgreSQL) holding a COMPLETE fork run ``done`` and a FAILED run ``broken``."""
    yield _record(metalus)


@pytest.fixture
def recorded_sqlite(sqlite_metalus: Metalus) -> Iterator[tuple[Metalus, StateStore]]:
    """The same runs on SQLite only (for rules that do not depend on the store)."""
    yield _record(sqlite_metalus)


def client(store: StateStore, **kwargs: Any) -> TestClient:
    return TestClient(create_app(store, **kwargs))


def test_runs_list_newest_first_with_status_filter_and_limit(recorded: tuple[Metalus, StateStore]) -> None:
    _, store = recorded
    api = client(store)
    runs = api.get("/api/runs").json()
    assert [r["runId"] for r in runs] == ["broken", "done"]
    assert runs[0]["status"] == "FAILED" and runs[0]["applicationId"] == "ui_fail" and runs[0]["live"] is False
    assert [r["runId"] for r in api.get("/api/runs", params={"status": "COMPLETE"}).json()] == ["done"]
    assert [r["runId"] for r in api.get("/api/runs", params={"status": "failed"}).json()] == ["broken"]
    assert api.get("/api/runs", params={"status": "RUNNING"}).json() == []
    assert len(api.get("/api/runs", params={"limit": 1}).json()) == 1
    bad = api.get("/api/runs", params={"status": "DONE"})
    assert bad.status_code == 400 and "DONE" in bad.json()["error"]
    assert api.get("/api/runs", params={"limit": 0}).status_code == 400


def test_run_document_is_the_show_json_document(recorded: tuple[Metalus, StateStore]) -> None:
    runner, store = recorded
    import json

    shown = json.loads(runner("show", "done", "--json").stdout)
    document = client(store).get("/api/runs/done").json()
    assert document.pop("live") is False
    assert document == shown
    assert set(document["executions"]) == {"ROOT", "FORK[0]", "FORK[1]", "FORK[2]", "JOIN", "LATE"}
    failed = client(store).get("/api/runs/broken").json()
    step = failed["executions"]["E"]["pipelines"]["P"]["steps"]["B"]
    assert step["status"] == "ERROR" and "failing on purpose" in step["error"]["message"]
    assert "Traceback" in step["error"]["traceback"]


def test_plan_has_every_execution_with_pipelines_steps_and_edges(recorded: tuple[Metalus, StateStore]) -> None:
    _, store = recorded
    plan = client(store).get("/api/runs/broken/plan").json()
    assert [e["id"] for e in plan["executions"]] == ["E"]
    assert [s["id"] for s in plan["executions"][0]["pipelines"][0]["steps"]] == ["A", "B", "C"]
    plan = client(store).get("/api/runs/done/plan").json()
    assert [e["id"] for e in plan["executions"]] == ["ROOT", "FORK", "JOIN", "LATE"]  # the fork once
    assert {(e["from"], e["to"]) for e in plan["edges"]} == {("ROOT", "FORK"), ("FORK", "JOIN"), ("JOIN", "LATE")}
    layers = {e["id"]: e["layer"] for e in plan["executions"]}
    assert layers == {"ROOT": 0, "FORK": 1, "JOIN": 2, "LATE": 3}
    assert plan["executions"][1]["kind"] == "fork"


def test_plan_shows_executions_that_have_not_run(metalus: Metalus) -> None:
    proc = start_running(metalus, fork_application(), "slowfork", "--sleepMs", "400")
    try:
        store = metalus.store()
        document = client(store).get("/api/runs/slowfork").json()
        assert "LATE" not in document["executions"]  # not run yet ...
        plan = client(store).get("/api/runs/slowfork/plan").json()
        assert "LATE" in [e["id"] for e in plan["executions"]]  # ... but in the plan
    finally:
        proc.kill()
        proc.wait()


def test_unknown_run_is_404_json_on_every_route(recorded: tuple[Metalus, StateStore]) -> None:
    _, store = recorded
    api = client(store)
    for method, path in [("get", "/api/runs/nope"), ("get", "/api/runs/nope/plan"), ("get", "/api/runs/nope/events"),
                         ("post", "/api/runs/nope/kill"), ("post", "/api/runs/nope/resume"),
                         ("post", "/api/runs/nope/retrigger")]:
        answer = getattr(api, method)(path, **({"json": {"from": "E"}} if method == "post" else {}))
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("application/json")
        assert "nope" in answer.json()["error"]
    assert api.get("/runs/nope").status_code == 404


def test_events_of_a_finished_run_stream_then_end(recorded: tuple[Metalus, StateStore]) -> None:
    from tests.ui.conftest import sse_events

    _, store = recorded
    with client(store).stream("GET", "/api/runs/done/events") as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        events = list(sse_events(answer.iter_lines()))
    assert events[-1]["event"] == "end" and events[-1]["data"]["status"] == "COMPLETE"
    body = events[:-1]
    assert [int(e["id"]) for e in body] == list(range(1, len(body) + 1))
    assert body[0]["event"] == "application_started" and body[-1]["event"] == "application_finished"
    assert all(e["event"] == e["data"]["event"] for e in body)
    with client(store).stream("GET", "/api/runs/done/events", headers={"Last-Event-ID": "5"}) as answer:
        again = list(sse_events(answer.iter_lines()))
    assert [int(e["id"]) for e in again[:-1]] == list(range(6, len(body) + 1))


def test_pages_and_assets_are_served_from_the_package(recorded_sqlite: tuple[Metalus, StateStore]) -> None:
    _, store = recorded_sqlite
    api = client(store)
    for path in ("/", "/runs/done"):
        page = api.get(path)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert "http://" not in page.text and "https://" not in page.text  # no CDN
    for asset in ("app.css", "common.js", "runs.js", "run.js", "graph.js", "favicon.svg"):
        answer = api.get(f"/static/{asset}")
        assert answer.status_code == 200, asset
        assert "https://" not in answer.text
    assert api.get("/favicon.ico").status_code == 200


def test_kill_requests_a_kill_and_the_run_ends_killed(metalus: Metalus) -> None:
    proc = start_running(metalus, linear_application("ui_kill", *[f"S{i}" for i in range(40)]), "victim",
                         "--sleepMs", "200")
    try:
        store = metalus.store()
        answer = client(store).post("/api/runs/victim/kill", json={})
        assert answer.status_code == 202 and answer.json()["runId"] == "victim"
        assert proc.wait(timeout=60) == 4
        assert str(store.get_run(run_id="victim").status) == "KILLED"  # type: ignore[union-attr]
        again = client(store).post("/api/runs/victim/kill")
        assert again.status_code == 409 and "KILLED" in again.json()["error"]
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.fixture
def worker_env(sqlite_metalus: Metalus, monkeypatch: pytest.MonkeyPatch) -> Metalus:
    """Worker processes started by the app see the runner's environment (step packages) and folder."""
    for name, value in sqlite_metalus.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(sqlite_metalus.cwd)
    return sqlite_metalus


def test_resume_answers_202_and_runs_in_another_process(worker_env: Metalus) -> None:
    failing = linear_application("ui_resume", "A", "B", "C", fail_step="B")
    assert finished_run(worker_env, failing, "again", "--failFlag", "true").returncode == 1
    store = worker_env.store()
    api = client(store, state_url=str(worker_env.cwd / ".metalus" / "state.db"))
    answer = api.post("/api/runs/again/resume", json={"parameters": {"failFlag": False}})
    assert answer.status_code == 202 and answer.json() == {"runId": "again"}
    children = list(api.app.state.launcher.children)  # type: ignore[attr-defined]
    assert children and all(child.pid != os.getpid() for child in children)
    for child in children:
        assert child.wait(timeout=120) == 0
    assert str(store.get_run(run_id="again").status) == "COMPLETE"  # type: ignore[union-attr]
    done = api.post("/api/runs/again/resume")
    assert done.status_code == 409 and "COMPLETE" in done.json()["error"]


def test_retrigger_answers_202_with_the_new_run(worker_env: Metalus) -> None:
    sqlite_metalus = worker_env
    assert finished_run(sqlite_metalus, fork_application(), "source").returncode == 0
    store = sqlite_metalus.store()
    api = client(store, state_url=str(sqlite_metalus.cwd / ".metalus" / "state.db"))
    answer = api.post("/api/runs/source/retrigger", json={"from": "JOIN.P_JOIN.J1"})
    assert answer.status_code == 202
    new_id = answer.json()["runId"]
    assert new_id != "source"
    wait_for(lambda: str(store.get_run(run_id=new_id).status) == "COMPLETE", "the retriggered run")  # type: ignore[union-attr]
    record = store.get_run(run_id=new_id)
    assert record is not None and record.parent_run_id == "source"


def test_retrigger_with_an_unknown_step_is_400_with_did_you_mean(recorded_sqlite: tuple[Metalus, StateStore]) -> None:
    _, store = recorded_sqlite
    api = client(store)
    answer = api.post("/api/runs/done/retrigger", json={"from": "ROOT.P_ROOT.R3"})
    assert answer.status_code == 400
    message = answer.json()["error"]
    assert "no step 'R3' in pipeline 'P_ROOT'" in message and "did you mean 'R" in message
    wrong_exec = api.post("/api/runs/done/retrigger", json={"from": "ROTO"}).json()["error"]
    assert "'ROTO'" in wrong_exec and "did you mean 'ROOT'" in wrong_exec
    wrong_pipe = api.post("/api/runs/done/retrigger", json={"from": "ROOT.P_ROOTS.R1"}).json()["error"]
    assert "did you mean 'P_ROOT'" in wrong_pipe
    assert api.post("/api/runs/done/retrigger", json={}).status_code == 400
    assert api.post("/api/runs/done/retrigger", json={"from": "A.B"}).status_code == 400
    assert len(store.list_runs()) == 2  # nothing was recorded


def test_resume_and_retrigger_name_secrets_that_must_be_given_again(sqlite_metalus: Metalus) -> None:
    from metalus_py.base.secrets import REDACTED

    store = sqlite_metalus.store()
    document = linear_application("ui_secret", "A")
    store.create_run(run_id="secretive", application_id="ui_secret", application_json=__import__("json").dumps(document),
                     parameters={"seed": "s", "dbPassword": REDACTED}, status="FAILED")
    api = client(store)
    answer = api.post("/api/runs/secretive/resume", json={})
    assert answer.status_code == 409
    assert answer.json()["missingSecrets"] == ["dbPassword"] and "dbPassword" in answer.json()["error"]
    answer = api.post("/api/runs/secretive/retrigger", json={"from": "E"})
    assert answer.status_code == 409 and answer.json()["missingSecrets"] == ["dbPassword"]


TOKEN = "s3cret-token-value"


def test_token_rules(recorded_sqlite: tuple[Metalus, StateStore], caplog: pytest.LogCaptureFixture) -> None:
    _, store = recorded_sqlite
    api = client(store, token=TOKEN)
    for path in ("/", "/runs/done", "/api/runs", "/api/runs/done", "/api/runs/done/plan", "/api/runs/done/events",
                 "/static/app.css"):
        assert api.get(path).status_code == 401, path
    assert api.post("/api/runs/done/kill").status_code == 401
    page = api.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 401 and "/login?token=" in page.text  # a person is told what to do
    assert api.get("/api/runs", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert api.get("/api/runs", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    forged = client(store, token=TOKEN)
    forged.cookies.set("metalus_ui_token", "wrong")
    assert forged.get("/api/runs").status_code == 401
    assert api.get("/login", params={"token": "wrong"}, follow_redirects=False).status_code == 401
    with caplog.at_level(logging.INFO, logger="metalus_py.ui.access"):
        login = api.get("/login", params={"token": TOKEN}, follow_redirects=False)
    assert login.status_code == 303 and login.headers["location"] == "/"  # the token leaves the address bar
    assert "HttpOnly" in login.headers["set-cookie"] and "SameSite=Strict" in login.headers["set-cookie"]
    assert api.get("/api/runs").status_code == 200  # the cookie now authorises the browser
    assert api.get("/runs/done").status_code == 200
    assert any("/login" in r.getMessage() for r in caplog.records)
    assert not any(TOKEN in r.getMessage() for r in caplog.records)  # the access log never shows it


def test_cross_site_mutations_are_refused(recorded_sqlite: tuple[Metalus, StateStore]) -> None:
    _, store = recorded_sqlite
    api = client(store)
    evil = api.post("/api/runs/done/resume", headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403
    fetch = api.post("/api/runs/done/resume", headers={"Sec-Fetch-Site": "cross-site"})
    assert fetch.status_code == 403
    same = api.post("/api/runs/done/resume", headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 409  # allowed through: the run is COMPLETE
    assert api.get("/api/runs", headers={"Origin": "http://evil.example"}).status_code == 200  # reads are not mutations


def test_runs_list_and_run_document_give_the_outcome_word_and_one_timestamp_form(metalus: Metalus) -> None:
    assert finished_run(metalus, gated_application(), "gated").returncode == 0
    with client(metalus.store()) as api:
        (line,) = api.get("/api/runs").json()
        document = api.get("/api/runs/gated").json()
    assert line["status"] == "COMPLETE" and line["outcome"] == "COMPLETE (stopped by evaluation)"
    assert document["outcome"] == line["outcome"]
    assert TIMESTAMP.fullmatch(line["startedAt"]) and TIMESTAMP.fullmatch(document["startedAt"])
    assert document["executions"]["MGATED"]["decidedBy"] == "GATE.DECIDE"
    assert "DECIDE" in document["executions"]["MGATED"]["pipelines"]["GATE (evaluation)"]["steps"]
