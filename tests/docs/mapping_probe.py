"""Evaluate the guide's mapping-table rows against the real engine (run as a script by the tests).

Reads a list of JSON requests on stdin (one per table, answered in one process); each names the application path, ``probe`` (``EXEC.PIPELINE``), ``step`` (the
``engineMeta.command`` of a function returning its ``value`` parameter) and the rows (``value``,
``type``, ``defaultValue``; a row may leave out ``value``). For each row, a copy of the application gets one more step ``PROBE`` at the end of
that pipeline whose parameter ``value`` is the row's value; the application runs and the row's
result is the ``primaryReturn`` of ``PROBE`` in the result document (JSON on stdout).
"""

from __future__ import annotations

import copy
import json
import sys
from typing import Any

from metalus_py import run_application


def _pipeline(document: dict[str, Any], execution_id: str, pipeline_id: str) -> dict[str, Any]:
    execution = next(e for e in document["executions"] if e["id"] == execution_id)
    for pipeline in [*execution.get("pipelines", []), *document.get("pipelines", [])]:
        if pipeline["id"] == pipeline_id:
            return pipeline
    raise LookupError(f"pipeline {pipeline_id} not in the application")


def probe(request: dict[str, Any]) -> list[dict[str, Any]]:
    with open(request["app"], encoding="utf-8") as handle:
        base = json.load(handle)
    execution_id, pipeline_id = request["probe"].split(".", 1)
    answers = []
    for row in request["rows"]:
        document = copy.deepcopy(base)
        pipeline = _pipeline(document, execution_id, pipeline_id)
        last = next(s for s in pipeline["steps"] if not s.get("nextStepId") and s.get("type", "").lower() != "branch")
        last["nextStepId"] = "PROBE"
        param: dict[str, Any] = {"name": "value", "type": row.get("type") or "text"}
        for key in ("value", "defaultValue"):
            if key in row:
                param[key] = row[key]
        pipeline["steps"].append({"id": "PROBE", "type": "Pipeline", "params": [param],
                                  "engineMeta": {"command": request["step"]}})
        result = run_application(document, request.get("globals") or {}, source=request["app"]).to_dict()
        step = result["executions"][execution_id]["pipelines"][pipeline_id]["steps"].get("PROBE", {})
        answers.append({"status": result["status"], "result": step.get("primaryReturn"),
                        "error": result["executions"][execution_id].get("error")})
    return answers


if __name__ == "__main__":
    sys.path.insert(0, ".")
    json.dump([probe(request) for request in json.load(sys.stdin)], sys.stdout)
