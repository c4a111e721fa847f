"""Applications for the durable-run tests, built as JSON documents."""

from __future__ import annotations

import re
from typing import Any

from tests import builders
from tests.builders import write as write

WORK = "DurableSteps.work"


def step(step_id: str, command: str | None, *params: dict[str, Any], next_: str | None = None,
         type_: str = "Pipeline", **extra: Any) -> dict[str, Any]:
    return builders.step(step_id, command, *params, type_=type_, next_=next_, meta="command", **extra)


def p(name: str, value: Any, type_: str = "text") -> dict[str, Any]:
    return {"name": name, "type": type_, "value": value}


SIDE = p("sideEffect", "!sideEffect")


def work(step_id: str, value: Any, next_: str | None = None, **extra: Any) -> dict[str, Any]:
    return step(step_id, WORK, p("value", value), SIDE, p("sleepMs", "!sleepMs || 25"), next_=next_, **extra)


def chain(pipeline_id: str, first_value: str, ids: list[str], **extra: Any) -> dict[str, Any]:
    """A pipeline of ``work`` steps, each taking the previous step's result."""
    steps = []
    for index, step_id in enumerate(ids):
        value = first_value if index == 0 else f"@{ids[index - 1]}"
        steps.append(work(step_id, value, ids[index + 1] if index + 1 < len(ids) else None))
    return {"id": pipeline_id, "name": pipeline_id, "steps": steps, **extra}


def crash_application() -> dict[str, Any]:
    """25 function steps over 6 executions: a step group, a split, a fork execution and its join.

    ROOT (P_ROOT: R1 -> R2 -> GROUP[SUB: G1 -> G2] -> R3; P_ROOT2: S0 -> split(SA | SB) -> merge -> S1)
      ├─ FORK (fork over 3 values; P_FORK: F1 -> F2) ─ JOIN (P_JOIN: J1)
      └─ SIDE (P_SIDE: D1 -> D2 -> D3 -> D4)
    FINAL (parents JOIN, SIDE; P_FINAL: Z1 -> Z2 -> Z3)
    """
    root = chain("P_ROOT", "!seed", ["R1", "R2", "GROUP", "R3"])
    root["steps"][2] = step("GROUP", None, p("pipelineId", "SUB"), p("useParentGlobals", True, "boolean"),
                             type_="step-group", next_="R3")
    root["steps"][3]["params"][0] = p("value", "@R2")
    root2 = {
        "id": "P_ROOT2", "name": "P_ROOT2",
        "steps": [
            work("S0", "@P_ROOT.R3", "SPLIT"),
            step("SPLIT", None, {"name": "a", "type": "result", "value": "SA"},
                 {"name": "b", "type": "result", "value": "SB"}, type_="split"),
            work("SA", "@S0", "MERGE"),
            work("SB", "!{seed}-b", "MERGE"),
            step("MERGE", None, type_="merge", next_="S1"),
            work("S1", "@{SA}/@{SB}"),
        ],
    }
    sub = chain("SUB", "!seed", ["G1", "G2"])
    fork = chain("P_FORK", "!{executionForkValue}:!{ROOT.pipelineParameters.P_ROOT.R3.primaryReturn}", ["F1", "F2"])
    join = {"id": "P_JOIN", "name": "P_JOIN", "steps": [
        step("J1", "DurableSteps.join_values", p("values", "!FORK.pipelineParameters.P_FORK.F2.primaryReturn"),
             SIDE)]}
    side = chain("P_SIDE", "!ROOT.pipelineParameters.P_ROOT2.S1.primaryReturn", ["D1", "D2", "D3", "D4"])
    final = chain("P_FINAL", "!{JOIN.pipelineParameters.P_JOIN.J1.primaryReturn}|"
                  "!{SIDE.pipelineParameters.P_SIDE.D4.primaryReturn}", ["Z1", "Z2", "Z3"])
    return {
        "id": "durable_crash",
        "stepPackages": ["durable_steps"],
        "globals": {"seed": "s", "values": ["a", "b", "c"]},
        "pipelines": [root, root2, sub, fork, join, side, final],
        "executions": [
            {"id": "ROOT", "pipelineIds": ["P_ROOT", "P_ROOT2"]},
            {"id": "FORK", "pipelineIds": ["P_FORK"], "parents": ["ROOT"], "executionType": "fork",
             "forkByValues": "values"},
            {"id": "JOIN", "pipelineIds": ["P_JOIN"], "parents": ["FORK"], "executionType": "join"},
            {"id": "SIDE", "pipelineIds": ["P_SIDE"], "parents": ["ROOT"]},
            {"id": "FINAL", "pipelineIds": ["P_FINAL"], "parents": ["JOIN", "SIDE"]},
        ],
    }


def linear_application(app_id: str, *step_ids: str, fail_step: str | None = None,
                       **step_extra: dict[str, Any]) -> dict[str, Any]:
    """One execution, one pipeline of ``work`` steps; ``fail_step`` fails while ``!failFlag`` is true."""
    pipe = chain("P", "!seed", list(step_ids))
    for body in pipe["steps"]:
        if body["id"] == fail_step:
            body["engineMeta"] = {"command": "DurableSteps.fail_when"}
            body["params"] = [body["params"][0], SIDE, p("failFlag", "!failFlag || false")]
        body.update(step_extra.get(body["id"], {}))
    return {
        "id": app_id,
        "stepPackages": ["durable_steps"],
        "globals": {"seed": "s"},
        "pipelines": [pipe],
        "executions": [{"id": "E", "pipelineIds": ["P"]}],
    }


def secret_application() -> dict[str, Any]:
    """A step builds a token from the ``%dbPassword`` credential, returns it and puts it in a global."""
    login = step("LOGIN", "DurableSteps.use_credential", p("credential", "%dbPassword"), SIDE,
                 p("failFlag", "!failFlag || false"), next_="USE_GLOBAL")
    use_global = work("USE_GLOBAL", "!authToken", "USE_RESULT")
    use_result = work("USE_RESULT", "@LOGIN")
    child = chain("P_CHILD", "!ROOT.globals.authToken", ["CHILD1"])
    return {
        "id": "secrets",
        "stepPackages": ["durable_steps"],
        "globals": {"seed": "s"},
        "pipelines": [{"id": "P", "name": "P", "steps": [login, use_global, use_result]}, child],
        "executions": [{"id": "ROOT", "pipelineIds": ["P"]},
                       {"id": "CHILD", "pipelineIds": ["P_CHILD"], "parents": ["ROOT"]}],
    }


#: The one timestamp form of every output: ISO-8601 UTC, milliseconds, ``Z``.
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def gated_application() -> dict[str, Any]:
    """ZROOT (A -> B -> C, B fails while ``failFlag``) -> MGATED (evaluation GATE decides STOP) -> AFTER;
    ZROOT -> KSKIPPED (evaluation SKIPGATE decides SKIP: its pipeline Q is SKIPPED).

    The execution ids are not in alphabetical order, so plan order shows.
    """
    app = linear_application("agree", "A", "B", "C", fail_step="B")
    app["stepPackages"].append("com.acxiom.pipeline.steps")
    app["pipelines"] += [
        {"id": "GATE", "name": "GATE",
         "steps": [step("DECIDE", "ExceptionSteps.throwPipelineException", p("message", "not today"))]},
        {"id": "Q", "name": "Q", "steps": [step("Q1", "DurableSteps.work", p("value", "q"), p("sideEffect", None))]},
        {"id": "SKIPGATE", "name": "SKIPGATE",
         "steps": [step("SKIPIT", "ExceptionSteps.throwSkipExecutionException", p("message", "nothing new"))]},
    ]
    app["executions"] = [
        {"id": "ZROOT", "pipelineIds": ["P"]},
        {"id": "MGATED", "pipelineIds": ["Q"], "parents": ["ZROOT"], "evaluationPipelineIds": ["GATE"]},
        {"id": "AFTER", "pipelineIds": ["Q"], "parents": ["MGATED"]},
        {"id": "KSKIPPED", "pipelineIds": ["Q"], "parents": ["ZROOT"], "evaluationPipelineIds": ["SKIPGATE"]},
    ]
    return app
