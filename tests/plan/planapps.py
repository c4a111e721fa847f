"""Small application documents with named topologies for the execution-plan behaviour tests.

Each builder returns a plain JSON-able dict (the application file). ``write_valid_apps()``
writes them to ``tests/resources/apps/valid/<name>.json``; ``test_plan_apps_files`` checks
that the files there are up to date, so they double as runnable examples for the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests import builders
from tests.builders import chain_steps, execution

VALID_DIR = Path(__file__).resolve().parents[1] / "resources" / "apps" / "valid"
STEP_PACKAGES = ["plan_steps", "com.acxiom.pipeline.steps"]


def step(step_id: str, value: Any = None, *, function: str = "PlanSteps.echo", next_step: str | None = None,
         params: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ``pipeline`` step calling ``function`` with ``value`` (and any other ``params``)."""
    values = {"value": value} if value is not None else {}
    values.update(params or {})
    return builders.step(step_id, function, *[{"type": "text", "name": name, "value": v} for name, v in values.items()],
                         next_=next_step)


def pipeline(pipeline_id: str, *steps: dict[str, Any]) -> dict[str, Any]:
    return builders.pipeline(pipeline_id, *chain_steps(*steps))


def application(executions: list[dict[str, Any]], pipelines: list[dict[str, Any]],
                globals_: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = {"stepPackages": list(STEP_PACKAGES), "pipelines": pipelines,
                              "executions": executions}
    if globals_ is not None:
        result["globals"] = globals_
    result.update(fields)
    return result


def primary(execution_id: str, pipeline_id: str, step_id: str) -> str:
    """The mapping string of a parent step's primary return."""
    return f"!{execution_id}.pipelineParameters.{pipeline_id}.{step_id}.primaryReturn"


def embed(execution_id: str, pipeline_id: str, step_id: str) -> str:
    """The same, embedded in a string template."""
    return "!{" + primary(execution_id, pipeline_id, step_id)[1:] + "}"


# -- named topologies ------------------------------------------------------------------------
def diamond() -> dict[str, Any]:
    """A -> {B, C} -> D; D reads both B's and C's results."""
    return application(
        [
            execution("A", "PA"),
            execution("B", "PB", parents=["A"]),
            execution("C", "PC", parents=["A"]),
            execution("D", "PD", parents=["B", "C"]),
        ],
        [
            pipeline("PA", step("S", "a")),
            pipeline("PB", step("S", "b from " + embed("A", "PA", "S"))),
            pipeline("PC", step("S", "c from " + embed("A", "PA", "S"))),
            pipeline("PD", step("FromB", primary("B", "PB", "S")), step("FromC", primary("C", "PC", "S")),
                     step("FromA", primary("A", "PA", "S") + " || A not a parent")),
        ],
    )


def chain3() -> dict[str, Any]:
    """A -> B -> C, each appending to its parent's value."""
    return application(
        [execution("A", "P1"), execution("B", "P2", parents=["A"]), execution("C", "P3", parents=["B"])],
        [
            pipeline("P1", step("S", "1")),
            pipeline("P2", step("S", embed("A", "P1", "S") + "-2")),
            pipeline("P3", step("S", embed("B", "P2", "S") + "-3")),
        ],
    )


def multi_level_injection() -> dict[str, Any]:
    """A -> B -> C: C reads B's primary and named returns and globals; A's only when A is a parent."""
    return application(
        [
            execution("A", "PA", globals={"g": "from A's globals"}),
            execution("B", "PB", parents=["A"], globals={"bg": "from B's globals"}),
            execution("C", "PC", parents=["B"]),
            execution("D", "PC", parents=["B", "A"]),
        ],
        [
            pipeline("PA", step("S", "a-value")),
            pipeline("PB", step("S", primary("A", "PA", "S"), function="PlanSteps.named",
                                params={"key": "k", "other": "named-k"})),
            pipeline(
                "PC",
                step("Primary", primary("B", "PB", "S")),
                step("NamedK", "!B.pipelineParameters.PB.S.namedReturns.k"),
                step("NamedSpelling", "!B.pipelineParameters.PB.S.namedReturn.k"),
                step("AllNamed", "!B.pipelineParameters.PB.S.namedReturns"),
                step("ParentGlobal", "!B.globals.bg"),
                step("GrandparentGlobal", "!A.globals.g"),
                step("GrandparentDirect", primary("A", "PA", "S")),
            ),
        ],
    )


def global_links_collision() -> dict[str, Any]:
    """P1 and P2 both link ``shared``; the child lists ``[P1, P2]`` and links ``own``.

    The child also has a plain global ``own`` (the link wins) and a link only P1 has (inherited
    even though P2 is the last parent: links of all parents are merged).
    """
    return application(
        [
            execution("P1", "Set", globals={"GlobalLinks": {"shared": "!p1value", "onlyP1": "!p1value"},
                                            "p1value": "from P1", "p2value": "from P2 (seen in P1)"}),
            execution("P2", "Set", globals={"GlobalLinks": {"shared": "!p2value"},
                                            "p1value": "?", "p2value": "from P2"}),
            execution("Child", "Read", parents=["P1", "P2"],
                      globals={"GlobalLinks": {"own": "!ownTarget"}, "own": "plain global", "ownTarget": "link",
                               "p1value": "child p1", "p2value": "child p2"}),
            execution("OwnWins", "Read", parents=["P1", "P2"],
                      globals={"GlobalLinks": {"shared": "!ownShared"}, "ownShared": "own link wins",
                               "p1value": "x", "p2value": "y"}),
        ],
        [
            pipeline("Set", step("S", "set")),
            pipeline("Read", step("Shared", "!shared"), step("OnlyP1", "!onlyP1"), step("Own", "!own")),
        ],
    )


def link_updates() -> dict[str, Any]:
    """A step sets ``$globals.counter`` and ``$globalLink.alias``; later steps and children see them."""
    return application(
        [
            execution("A", "Update", globals={"target": "linked target value"}),
            execution("B", "Read", parents=["A"], globals={"target": "child's target"}),
        ],
        [
            pipeline(
                "Update",
                step("SetGlobal", function="PlanSteps.setGlobal", params={"name": "counter", "value": "42"}),
                step("SetLink", function="PlanSteps.setLink", params={"name": "alias", "path": "!target"}),
                step("SeeGlobal", "!counter"),
                step("SeeLink", "!alias"),
            ),
            pipeline("Read", step("ParentGlobal", "!A.globals.counter"), step("Link", "!alias")),
        ],
    )


def evaluation_skip() -> dict[str, Any]:
    """A's evaluation throws SkipExecutionException: A SKIPPED, its child B runs."""
    return application(
        [
            execution("A", "Main", evaluationPipelineIds=["Skip"]),
            execution("B", "Child", parents=["A"]),
        ],
        [
            pipeline("Skip", step("Decide", function="ExceptionSteps.throwSkipExecutionException",
                                  params={"message": "nothing to do today"})),
            pipeline("Main", step("S", "should not run")),
            pipeline("Child", step("S", "child ran"), step("ParentMain", primary("A", "Main", "S"))),
        ],
    )


def evaluation_stop() -> dict[str, Any]:
    """A's evaluation throws PipelineException: A STOPPED, B and its child C BLOCKED, D runs."""
    return application(
        [
            execution("A", "Main", evaluationPipelineIds=["Stop"]),
            execution("B", "Main", parents=["A"]),
            execution("C", "Main", parents=["B"]),
            execution("D", "Main"),
        ],
        [
            pipeline("Stop", step("Decide", function="ExceptionSteps.throwPipelineException",
                                  params={"message": "data not ready"})),
            pipeline("Main", step("S", "ran")),
        ],
    )


def main_pipeline_skip() -> dict[str, Any]:
    """A's second pipeline throws SkipExecutionException: A SKIPPED, its third pipeline never runs, B runs."""
    return application(
        [execution("A", "First", "Skipper", "Third"), execution("B", "First", parents=["A"])],
        [
            pipeline("First", step("S", "first")),
            pipeline("Skipper", step("Skip", function="ExceptionSteps.throwSkipExecutionException",
                                     params={"message": "skip the rest"})),
            pipeline("Third", step("S", "third")),
        ],
    )


def pause_chain() -> dict[str, Any]:
    """A -> B (pauses) -> C -> D; E independent."""
    return application(
        [
            execution("A", "Run"),
            execution("B", "Pause", parents=["A"]),
            execution("C", "Run", parents=["B"]),
            execution("D", "Run", parents=["C"]),
            execution("E", "Run"),
        ],
        [pipeline("Run", step("S", "ran")), pipeline("Pause", step("P", "B", function="PlanSteps.pause"))],
    )


def error_chain() -> dict[str, Any]:
    """A fails; B (child) BLOCKED; C independent completes."""
    return application(
        [execution("A", "Fail"), execution("B", "Run", parents=["A"]), execution("C", "Run")],
        [pipeline("Fail", step("F", "boom", function="PlanSteps.fail")), pipeline("Run", step("S", "ran"))],
    )


def globals_precedence() -> dict[str, Any]:
    """Application globals < execution globals (replace, or merge with mergeGlobals) < command line."""
    read = pipeline("Read", step("App", "!appOnly || absent"), step("Shared", "!shared"),
                    step("Own", "!own || absent"), step("Cli", "!cli || absent"))
    return application(
        [
            execution("NoGlobals", "Read"),
            execution("Replace", "Read", globals={"shared": "execution", "own": "replace-own"}),
            execution("Merge", "Read", mergeGlobals=True, globals={"shared": "execution", "own": "merge-own"}),
        ],
        [read],
        {"appOnly": "app", "shared": "app", "cli": "app"},
    )


def pipeline_order() -> dict[str, Any]:
    """``pipelineIds`` order wins over the order of the execution's own ``pipelines``."""
    return application(
        [
            {"id": "Ordered", "pipelineIds": ["Second", "Lib", "First"],
             "pipelines": [pipeline("First", step("S", "first")), pipeline("Second", step("S", "second"))]},
            execution("FromInitial", "Lib", "Second", "Third", initialPipelineId="Second",
                      pipelines=[pipeline("Second", step("S", "second")), pipeline("Third", step("S", "third"))]),
        ],
        [pipeline("Lib", step("S", "lib"))],
    )


def fork_join(values: list[Any]) -> dict[str, Any]:
    """Root -> Fork (one per value) -> Inside -> Join -> After."""
    return application(
        [
            execution("Root", "Start"),
            execution("Fork", "PerValue", parents=["Root"], executionType="fork", forkByValues="values"),
            execution("Inside", "Inner", parents=["Fork"]),
            execution("Join", "Collect", parents=["Inside"], executionType="join"),
            execution("After", "AfterJoin", parents=["Join"]),
        ],
        [
            pipeline("Start", step("S", "root")),
            pipeline("PerValue", step("Value", "!executionForkValue"), step("Index", "!executionForkValueIndex")),
            pipeline("Inner", step("Seen", "!{executionForkValue}@!{executionForkValueIndex}"),
                     step("FromFork", primary("Fork", "PerValue", "Value"))),
            pipeline("Collect", step("Values", primary("Inside", "Inner", "Seen")),
                     step("ForkValueGlobal", "!executionForkValue || none at the join"),
                     step("InsideGlobals", "!Inside.globals.executionForkValue")),
            pipeline("AfterJoin", step("S", primary("Join", "Collect", "Values"))),
        ],
        {"values": values},
    )


def fork_join_1() -> dict[str, Any]:
    return fork_join(["only"])


def fork_join_3() -> dict[str, Any]:
    return fork_join(["x", "y", "z"])


def fork_error() -> dict[str, Any]:
    """Fork over 1, 2, 3: the in-fork execution fails for value 2."""
    return application(
        [
            execution("Fork", "PerValue", executionType="fork", forkByValues="values"),
            execution("Work", "Work", parents=["Fork"]),
            execution("Join", "Collect", parents=["Work"], executionType="join"),
            execution("After", "Collect", parents=["Join"]),
        ],
        [
            pipeline("PerValue", step("Value", "!executionForkValue")),
            pipeline("Work", step("W", "!executionForkValue", function="PlanSteps.failOn", params={"bad": "2"})),
            pipeline("Collect", step("Values", primary("Work", "Work", "W"))),
        ],
        {"values": ["1", "2", "3"]},
    )


def nested_fork() -> dict[str, Any]:
    """Outer fork over [a, b]; inside it an inner fork over [1, 2, 3] with its own join."""
    return application(
        [
            execution("Outer", "OuterValue", executionType="fork", forkByValues="outerValues"),
            execution("Inner", "InnerValue", parents=["Outer"], executionType="fork", forkByValues="innerValues"),
            execution("Leaf", "Leaf", parents=["Inner"]),
            execution("InnerJoin", "InnerCollect", parents=["Leaf"], executionType="join"),
            execution("OuterJoin", "OuterCollect", parents=["InnerJoin"], executionType="join"),
        ],
        [
            pipeline("OuterValue", step("Value", "!executionForkValue")),
            pipeline("InnerValue", step("Value", "!executionForkValue"),
                     step("OuterValue", primary("Outer", "OuterValue", "Value"))),
            pipeline("Leaf", step("Pair", embed("Inner", "InnerValue", "OuterValue") + "-!{executionForkValue}")),
            pipeline("InnerCollect", step("Pairs", primary("Leaf", "Leaf", "Pair"))),
            pipeline("OuterCollect", step("All", primary("InnerJoin", "InnerCollect", "Pairs"))),
        ],
        {"outerValues": ["a", "b"], "innerValues": ["1", "2", "3"]},
    )


def frames() -> dict[str, Any]:
    """A step returning a polars DataFrame (summarised in the result document)."""
    return application(
        [execution("A", "Frame")],
        [pipeline("Frame", step("Make", function="PlanSteps.frame", params={"rows": "4"}),
                  step("Json", "plain text"))],
    )


NAMED: dict[str, Callable[[], dict[str, Any]]] = {
    "diamond": diamond,
    "chain3": chain3,
    "multi_level_injection": multi_level_injection,
    "global_links_collision": global_links_collision,
    "link_updates": link_updates,
    "evaluation_skip": evaluation_skip,
    "evaluation_stop": evaluation_stop,
    "main_pipeline_skip": main_pipeline_skip,
    "pause_chain": pause_chain,
    "error_chain": error_chain,
    "globals_precedence": globals_precedence,
    "pipeline_order": pipeline_order,
    "fork_join_1": fork_join_1,
    "fork_join_3": fork_join_3,
    "fork_error": fork_error,
    "nested_fork": nested_fork,
    "frames": frames,
}


def render(name: str) -> str:
    return json.dumps(NAMED[name](), indent=2) + "\n"


def write_valid_apps() -> None:
    """Regenerate ``tests/resources/apps/valid/<name>.json`` from the builders."""
    VALID_DIR.mkdir(parents=True, exist_ok=True)
    for name in NAMED:
        (VALID_DIR / f"{name}.json").write_text(render(name), encoding="utf-8")


if __name__ == "__main__":
    write_valid_apps()
