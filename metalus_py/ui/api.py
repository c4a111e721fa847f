"""The JSON API of the monitor (DESIGN §12): runs, one run, its plan, and the kill/resume/retrigger actions.

Routes are plain ``def`` functions: FastAPI runs them in its thread pool, where the state store's
blocking calls belong. Errors are ``{"error": "..."}`` with 400 (bad request), 404 (unknown run)
or 409 (the run is not in a state that allows the action, or secrets must be given again).
"""

from __future__ import annotations

import difflib
import json
import logging
import threading
from typing import Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse, Response

from metalus_py.base.secrets import REDACTED
from metalus_py.plan.layout import plan_graph
from metalus_py.state import RunRecord, RunStatus, StateStore
from metalus_py.state.errors import StoreClosedError

_LOG = logging.getLogger("metalus_py.ui")

router = APIRouter(prefix="/api")

_STATUSES = tuple(str(s) for s in RunStatus)


def error(status: int, message: str, **extra: Any) -> JSONResponse:
    """A JSON error answer."""
    return JSONResponse({"error": message, **extra}, status_code=status)


def _store(request: Request) -> StateStore:
    store: StateStore = request.app.state.store
    return store


def _run(request: Request, run_id: str) -> RunRecord | JSONResponse:
    record = _store(request).get_run(run_id=run_id)
    if record is None:
        return error(404, f"no run {run_id!r} in the state store", runId=run_id)
    return record


def _live(store: StateStore, record: RunRecord) -> bool:
    if str(record.status) != RunStatus.RUNNING:
        return False
    lease = store.get_lease(run_id=record.run_id)
    return lease is not None and lease.alive(store.now())


#: Outcome words of COMPLETE runs kept per app (a COMPLETE run never changes), at most this many.
_OUTCOMES_KEPT = 10_000


def run_summary(store: StateStore, record: RunRecord, outcomes: dict[str, str] | None = None) -> dict[str, Any]:
    """One line of the runs list: the line of ``metalus runs --json`` and whether a process holds it.

    ``outcomes`` remembers the outcome words of COMPLETE runs, so a refreshing list does not read
    every run's executions again.
    """
    from metalus_py.durable.inspect import run_line

    remembered = f"{record.run_id}@{record.started_at}"  # a pruned id used again is another run
    known = outcomes.get(remembered) if outcomes is not None and record.status == RunStatus.COMPLETE else None
    line = run_line(store, record, known)
    if outcomes is not None and record.status == RunStatus.COMPLETE and known is None:
        if len(outcomes) >= _OUTCOMES_KEPT:
            outcomes.clear()
        outcomes[remembered] = line["outcome"]
    return {**line, "live": _live(store, record)}


@router.get("/runs")
def list_runs(request: Request, status: str | None = Query(None), limit: int = Query(50)) -> Any:
    """Runs, newest first, optionally only those with ``status``."""
    if status is not None and status.strip() == "":
        status = None
    if status is not None and status.upper() not in _STATUSES:
        return error(400, f"unknown status {status!r}: use one of {', '.join(_STATUSES)}")
    if not 1 <= limit <= 1000:
        return error(400, f"limit must be between 1 and 1000, got {limit}")
    store = _store(request)
    runs = store.list_runs(status=status.upper() if status else None, limit=limit)
    outcomes: dict[str, str] | None = getattr(request.app.state, "outcomes", None)
    if outcomes is None:
        outcomes = request.app.state.outcomes = {}
    return [run_summary(store, r, outcomes) for r in runs]


@router.get("/runs/{run_id}")
def get_run(request: Request, run_id: str) -> Any:
    """The document of ``metalus show RUN --json`` (plus whether a live process holds the run)."""
    from metalus_py.durable.inspect import RecordedRun

    record = _run(request, run_id)
    if isinstance(record, JSONResponse):
        return record
    store = _store(request)
    document = RecordedRun.load(store, run_id).to_dict()
    document["live"] = _live(store, record)
    text = json.dumps(document, default=str)
    etag = f'W/"{hash(text) & 0xFFFFFFFFFFFF:x}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"etag": etag})
    return Response(text, media_type="application/json", headers={"etag": etag, "cache-control": "no-cache"})


@router.get("/runs/{run_id}/plan")
def get_plan(request: Request, run_id: str) -> Any:
    """Executions, pipelines and steps of the run's application with the edges, laid out."""
    record = _run(request, run_id)
    if isinstance(record, JSONResponse):
        return record
    graph = plan_graph(json.loads(record.application_json), source=str(record.metadata.get("source") or ""))
    graph["runId"] = run_id
    return graph


def _body(payload: Any) -> dict[str, Any]:
    return payload if isinstance(payload, dict) else {}


@router.post("/runs/{run_id}/kill", status_code=202)
def kill(request: Request, run_id: str, payload: Any = Body(None)) -> Any:
    """Ask the run's process to stop (cooperative, forced after ``grace`` seconds, default 10)."""
    record = _run(request, run_id)
    if isinstance(record, JSONResponse):
        return record
    if str(record.status) != RunStatus.RUNNING:
        return error(409, f"run {run_id} is {record.status}; nothing to kill", runId=run_id)
    body = _body(payload)
    step = body.get("step")
    grace = body.get("grace", 10)
    if not isinstance(grace, int | float) or grace < 0:
        return error(400, f"grace must be a number of seconds, got {grace!r}")
    store = _store(request)
    store.request_kill(run_id=run_id, target=step, reason="metalus ui")
    threading.Thread(target=enforce_kill, args=(store, run_id, step, float(grace)),
                     name=f"ui-kill-{run_id}", daemon=True).start()
    return JSONResponse({"runId": run_id, "kill": "requested", "step": step}, status_code=202)


def enforce_kill(store: StateStore, run_id: str, step: str | None, grace: float) -> None:
    """Enforce a kill in the background; a monitor shutting down (its store closed) ends it quietly."""
    from metalus_py.durable.kill import kill_run

    try:
        _LOG.info("%s", kill_run(store, run_id, step=step, grace=grace))
    except StoreClosedError:
        _LOG.debug("kill of run %s not followed up: the monitor's state store is closed", run_id)


def missing_secrets(record: RunRecord, given: dict[str, Any]) -> list[str]:
    """Names of recorded parameters stored redacted (secrets) that the request does not give again."""
    return sorted(name for name, value in record.effective_parameters.items()
                  if REDACTED in json.dumps(value, default=str) and name not in given)


def _parameters(body: dict[str, Any]) -> dict[str, Any] | JSONResponse:
    parameters = body.get("parameters") or {}
    if not isinstance(parameters, dict):
        return error(400, "parameters must be an object of name: value")
    return parameters


@router.post("/runs/{run_id}/resume", status_code=202)
def resume(request: Request, run_id: str, payload: Any = Body(None)) -> Any:
    """Resume the run in a separate process: 202 ``{"runId": run}``."""
    record = _run(request, run_id)
    if isinstance(record, JSONResponse):
        return record
    parameters = _parameters(_body(payload))
    if isinstance(parameters, JSONResponse):
        return parameters
    store = _store(request)
    if str(record.status) == RunStatus.COMPLETE:
        return error(409, f"run {run_id} is COMPLETE; nothing to resume", runId=run_id)
    if _live(store, record):
        return error(409, f"run {run_id} is running in another process", runId=run_id)
    missing = missing_secrets(record, parameters)
    if missing:
        return error(409, f"secrets must be given again to resume run {run_id}: {', '.join(missing)}",
                     runId=run_id, missingSecrets=missing)
    request.app.state.launcher.resume(run_id, parameters)
    return JSONResponse({"runId": run_id}, status_code=202)


@router.post("/runs/{run_id}/retrigger", status_code=202)
def retrigger(request: Request, run_id: str, payload: Any = Body(None)) -> Any:
    """A new run recomputing from ``{"from": "EXEC[.PIPELINE.STEP]"}``, run in a separate process."""
    from metalus_py.base.exceptions import ApplicationError
    from metalus_py.durable.session import prepare_retrigger

    record = _run(request, run_id)
    if isinstance(record, JSONResponse):
        return record
    body = _body(payload)
    start = body.get("from")
    if not isinstance(start, str) or not start.strip():
        return error(400, 'give the point to recompute from: {"from": "EXEC.PIPELINE.STEP"} (or "EXEC")')
    parameters = _parameters(body)
    if isinstance(parameters, JSONResponse):
        return parameters
    problem = check_point(record, start.strip())
    if problem:
        return error(400, problem, **{"from": start})
    missing = missing_secrets(record, parameters)
    if missing:
        return error(409, f"secrets must be given again to retrigger run {run_id}: {', '.join(missing)}",
                     runId=run_id, missingSecrets=missing)
    secrets = {k: v for k, v in parameters.items() if k in record.effective_parameters
               and REDACTED in json.dumps(record.effective_parameters[k], default=str)}
    plain = {k: v for k, v in parameters.items() if k not in secrets}
    try:
        new_id = prepare_retrigger(_store(request), run_id, start.strip(), plain)
    except ApplicationError as exc:
        return error(400, str(exc), **{"from": start})
    request.app.state.launcher.resume(new_id, secrets)
    return JSONResponse({"runId": new_id, "retriggeredFrom": run_id}, status_code=202)


def _suggest(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else (f" (one of: {', '.join(options[:12])})" if options else "")


def check_point(record: RunRecord, start: str) -> str | None:
    """Why ``start`` names no execution, pipeline or step of the run's application (None if it does)."""
    parts = start.split(".")
    if len(parts) not in (1, 3) or not all(parts):
        return f"'from' expects EXEC or EXEC.PIPELINE.STEP, got {start!r}"
    graph = plan_graph(json.loads(record.application_json), source=str(record.metadata.get("source") or ""))
    executions = {e["id"]: e for e in graph["executions"]}
    if parts[0] not in executions:
        return f"no execution {parts[0]!r} in the application{_suggest(parts[0], list(executions))}"
    if len(parts) == 1:
        return None
    pipelines = {p["id"]: p for p in executions[parts[0]]["pipelines"] if not p.get("evaluation")}
    if parts[1] not in pipelines:
        return f"execution {parts[0]!r} runs no pipeline {parts[1]!r}{_suggest(parts[1], list(pipelines))}"
    steps = [str(s["id"]) for s in pipelines[parts[1]]["steps"]]
    if parts[2] not in steps:
        return f"no step {parts[2]!r} in pipeline {parts[1]!r} of execution {parts[0]!r}{_suggest(parts[2], steps)}"
    return None
