"""``metalus show RUN --json`` and the ``--output-json`` result document tell the same run.

One run fails at a step, is resumed, and evaluations then decide STOP and SKIP: executions in plan
order, statuses, per-step attempts (over the whole run), per-attempt times and durations, the
evaluation pipeline's steps, the deciding step and one timestamp form must agree.
"""

from __future__ import annotations

import json
from typing import Any

from tests.durable.apps import TIMESTAMP, gated_application, write
from tests.durable.conftest import Metalus


def _shape(document: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What both documents must agree on, in their order."""
    out: list[tuple[Any, ...]] = []
    for key, execution in document["executions"].items():
        out.append((key, execution["status"], execution["startedAt"], execution["endedAt"],
                    execution["durationSeconds"], execution.get("decidedBy")))
        for pipeline_id, pipeline in execution["pipelines"].items():
            out.append((key, pipeline_id, pipeline["status"], pipeline["startedAt"], pipeline["endedAt"],
                        pipeline["durationSeconds"]))
            for step_id, body in pipeline["steps"].items():
                out.append((key, pipeline_id, step_id, body["status"], body["attempts"], body["startedAt"],
                            body["endedAt"], body["durationSeconds"]))
    return out


def _timestamps(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [v for k, v in value.items() if k.endswith("At") and v is not None] + [
            t for v in value.values() for t in _timestamps(v)]
    if isinstance(value, list):
        return [t for v in value for t in _timestamps(v)]
    return []


def test_show_and_result_document_agree_after_a_resume_and_a_stop(metalus: Metalus) -> None:
    app = write(gated_application(), metalus.cwd)
    first = metalus("run", str(app), "--run-id", "agree1", "--failFlag", "true", "--quiet")
    assert first.returncode == 1, first.stderr
    out = metalus.cwd / "result.json"
    resumed = metalus("resume", "agree1", "--failFlag", "false", "--output-json", str(out), "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(out.read_text())
    shown = metalus("show", "agree1", "--json")
    assert shown.returncode == 0, shown.stderr
    show = json.loads(shown.stdout)

    assert list(show["executions"]) == list(result["executions"]) == ["ZROOT", "MGATED", "AFTER", "KSKIPPED"]
    assert _shape(show) == _shape(result)
    gated = show["executions"]["MGATED"]
    assert gated["status"] == "STOPPED" and gated["decidedBy"] == "GATE.DECIDE"
    assert list(gated["pipelines"]) == ["GATE (evaluation)"]
    assert gated["pipelines"]["GATE (evaluation)"]["steps"]["DECIDE"]["status"] == "ERROR"
    skipped = show["executions"]["KSKIPPED"]
    assert skipped["status"] == "SKIPPED" and skipped["decidedBy"] == "SKIPGATE.SKIPIT"
    assert {k: v["status"] for k, v in skipped["pipelines"].items()} == {"SKIPGATE (evaluation)": "SKIPPED",
                                                                        "Q": "SKIPPED"}
    # B failed in the first process and ran again on resume: two attempts; A was restored.
    steps = show["executions"]["ZROOT"]["pipelines"]["P"]["steps"]
    assert (steps["A"]["attempts"], steps["B"]["attempts"], steps["C"]["attempts"]) == (1, 2, 1)
    assert show["outcome"] == result["outcome"] == "COMPLETE (stopped by evaluation)"
    assert show["status"] == result["status"] == "COMPLETE"
    stamps = _timestamps(show) + _timestamps(result)
    assert stamps and all(TIMESTAMP.fullmatch(t) for t in stamps), stamps


def test_runs_prints_the_outcome_word_and_one_timestamp_form(metalus: Metalus) -> None:
    app = write(gated_application(), metalus.cwd)
    assert metalus("run", str(app), "--run-id", "agree2", "--quiet").returncode == 0
    listed = metalus("runs", "--json")
    assert listed.returncode == 0, listed.stderr
    (line,) = json.loads(listed.stdout)
    assert line["status"] == "COMPLETE" and line["outcome"] == "COMPLETE (stopped by evaluation)"
    assert TIMESTAMP.fullmatch(line["startedAt"]) and TIMESTAMP.fullmatch(line["endedAt"])
    table = metalus("runs").stdout
    assert "COMPLETE (stopped by evaluation)" in table and line["startedAt"] in table
    text = metalus("show", "agree2").stdout
    assert "COMPLETE (stopped by evaluation)" in text and "decided by GATE.DECIDE" in text
    assert "pipeline GATE (evaluation): ERROR" in text and "step DECIDE: ERROR" in text
