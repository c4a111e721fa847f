"""Applications for the executor tests: a fork over values and its join, a step that reports its pid."""

from __future__ import annotations

from typing import Any

from tests.durable.apps import crash_application, p, step


def fork_join_application(values: int = 8, *, nap: float = 0.0) -> dict[str, Any]:
    """The durable crash application (step group, split, fork execution and join, 5 executions) with
    ``values`` fork values, plus an execution ``WHERE`` whose step returns the pid it ran in.

    ``nap`` makes each fork value's first step sleep that long (a run still busy when a test acts).
    """
    app = crash_application()
    app["stepPackages"] = ["durable_steps", "dask_steps"]
    app["globals"]["values"] = [f"v{i}" for i in range(values)]
    app["globals"]["sleepMs"] = "25"
    if nap:
        fork = next(pipe for pipe in app["pipelines"] if pipe["id"] == "P_FORK")
        first = fork["steps"][0]
        fork["steps"].insert(0, step("NAP", "DaskSteps.nap", p("value", "!executionForkValue"),
                                     p("seconds", str(nap)),
                                     next_=first["id"]))
    app["pipelines"].append({"id": "P_WHERE", "name": "P_WHERE",
                             "steps": [step("PID", "DaskSteps.pid", p("value", "!seed"))]})
    app["executions"].append({"id": "WHERE", "pipelineIds": ["P_WHERE"], "parents": ["ROOT"]})
    return app


_VOLATILE = ("runId", "startedAt", "endedAt", "durationSeconds", "events", "worker")


def comparable(document: dict[str, Any], *, drop_pids: bool = True) -> dict[str, Any]:
    """A result document without timings, ids, hosts and pids (what may differ between executors)."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k not in _VOLATILE}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    out = clean(document)
    if drop_pids:
        out["executions"]["WHERE"]["pipelines"]["P_WHERE"]["steps"]["PID"].pop("primaryReturn", None)
    return out
