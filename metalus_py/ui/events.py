"""``GET /api/runs/{run}/events``: a run's events as server-sent events, resumable by sequence number.

Each event goes out as ``id: <seq>`` (its sequence number in the store), ``event: <kind>``
(``step_finished``, ...) and ``data: <the event as JSON>``. A client reconnecting with
``Last-Event-ID: N`` (or ``?after=N``) gets every event after ``N``. Once the run is no longer
RUNNING and every event has been sent, ``event: end`` (data: the run's status) closes the stream.

The run's status is read *before* the events of each poll: a run's process writes its last
events before its final status, so a finished status seen first means nothing is missed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from metalus_py.base.status import RunStatus
from metalus_py.state import StateStore
from metalus_py.ui.api import error

router = APIRouter(prefix="/api")

#: Seconds between two polls of the store, and between keep-alive comments.
POLL_SECONDS = 0.2
KEEPALIVE_SECONDS = 15.0


def sse(event: str, data: object, event_id: int | None = None) -> str:
    """One server-sent event as text."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, default=str)}\n\n"


def _after(request: Request) -> int:
    for text in (request.headers.get("last-event-id"), request.query_params.get("after")):
        if text and text.strip().isdigit():
            return int(text.strip())
    return 0


async def stream(store: StateStore, run_id: str, after: int, request: Request) -> AsyncIterator[str]:
    """Events of ``run_id`` after ``after``, then ``end`` once the run is finished."""
    last = after
    quiet = 0.0
    yield "retry: 1000\n\n"
    while True:
        record = await run_in_threadpool(store.get_run, run_id=run_id)
        status = str(record.status) if record is not None else "UNKNOWN"
        while True:
            batch = await run_in_threadpool(store.list_events, run_id=run_id, after_seq=last, limit=500)
            for item in batch:
                last = item.seq
                yield sse(str(item.event.get("event", "message")), item.event, item.seq)
            if len(batch) < 500:
                break
        if batch:
            quiet = 0.0
        if status != RunStatus.RUNNING:
            yield sse("end", {"runId": run_id, "status": status, "lastEventId": last})
            return
        if await request.is_disconnected():
            return
        await anyio.sleep(POLL_SECONDS)
        quiet += POLL_SECONDS
        if quiet >= KEEPALIVE_SECONDS:
            quiet = 0.0
            yield ": keep-alive\n\n"


@router.get("/runs/{run_id}/events", response_model=None)
async def events(request: Request, run_id: str) -> StreamingResponse:
    """The event stream of one run (see the module docstring)."""
    store: StateStore = request.app.state.store
    record = await run_in_threadpool(store.get_run, run_id=run_id)
    if record is None:
        return error(404, f"no run {run_id!r} in the state store", runId=run_id)  # type: ignore[return-value]
    return StreamingResponse(stream(store, run_id, _after(request), request), media_type="text/event-stream",
                             headers={"cache-control": "no-cache", "x-accel-buffering": "no"})
