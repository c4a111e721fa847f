"""Generators of the benchmark applications (plain JSON dicts, written to ``bench/work/apps/``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

JsonDict = dict[str, Any]

#: The step package holding :class:`bench.steps.BenchSteps`.
BENCH_PACKAGE = "bench.steps"


def param(name: str, value: Any, kind: str = "text") -> JsonDict:
    return {"type": kind, "name": name, "value": value}


def step(
    step_id: str,
    command: str | None,
    params: list[JsonDict],
    next_step: str | None = None,
    step_type: str = "pipeline",
) -> JsonDict:
    definition: JsonDict = {"id": step_id, "type": step_type, "params": params}
    if command is not None:
        definition["engineMeta"] = {"command": command}
    if next_step is not None:
        definition["nextStepId"] = next_step
    return definition


def chain_app(steps: int) -> JsonDict:
    """W1: one pipeline of ``steps`` steps, each returning the previous step's result + 1."""
    definitions = [
        step(
            f"S{i}",
            "BenchSteps.addOne",
            [param("value", f"@S{i - 1}" if i else "0")],
            f"S{i + 1}" if i + 1 < steps else None,
        )
        for i in range(steps)
    ]
    return {
        "id": f"chain-{steps}",
        "stepPackages": [BENCH_PACKAGE],
        "pipelines": [{"id": "Chain", "name": "Chain", "steps": definitions}],
        "executions": [{"id": "Chain", "pipelineIds": ["Chain"]}],
    }


def one_step_library_app() -> JsonDict:
    """Start-up: one ``steps_library`` step (``StringSteps.toUpperCase``; the string steps need no polars)."""
    return {
        "id": "one-step",
        "stepPackages": ["steps_library"],
        "pipelines": [
            {
                "id": "One",
                "name": "One",
                "steps": [step("Upper", "StringSteps.toUpperCase", [param("value", "hello")])],
            }
        ],
        "executions": [{"id": "One", "pipelineIds": ["One"]}],
    }


def fork_step_app(values: int, method: str) -> JsonDict:
    """W2: values → fork step (serial|parallel) → +1 per value → join → sum, in one pipeline."""
    definitions = [
        step("Values", "BenchSteps.values", [param("count", "!count", "integer")], "Fork"),
        step("Fork", None, [param("forkByValues", "@Values"), param("forkMethod", method)], "AddOne", "fork"),
        step("AddOne", "BenchSteps.addOne", [param("value", "@Fork")], "Join"),
        step("Join", None, [], "Sum", "join"),
        step("Sum", "BenchSteps.sumValues", [param("values", "@AddOne", "list")]),
    ]
    return {
        "id": f"fork-step-{method}-{values}",
        "stepPackages": [BENCH_PACKAGE],
        "globals": {"count": values},
        "pipelines": [{"id": "Map", "name": "Map", "steps": definitions}],
        "executions": [{"id": "Map", "pipelineIds": ["Map"]}],
    }


def fork_execution_app(values: int) -> JsonDict:
    """W2: a source execution → fork execution (+1 per value) → join execution summing the values."""
    total = "!Fork.pipelineParameters.PerValue.AddOne.primaryReturn"
    pipelines = [
        {
            "id": "Numbers",
            "steps": [step("Values", "BenchSteps.values", [param("count", "!count", "integer")])],
        },
        {
            "id": "PerValue",
            "steps": [step("AddOne", "BenchSteps.addOne", [param("value", "!executionForkValue")])],
        },
        {"id": "Total", "steps": [step("Sum", "BenchSteps.sumValues", [param("values", total, "list")])]},
    ]
    return {
        "id": f"fork-execution-{values}",
        "stepPackages": [BENCH_PACKAGE],
        "globals": {"count": values},
        "pipelines": pipelines,
        "executions": [
            {"id": "Source", "pipelineIds": ["Numbers"]},
            {
                "id": "Fork",
                "parents": ["Source"],
                "executionType": "fork",
                "forkByValues": "!Source.pipelineParameters.Numbers.Values.primaryReturn",
                "pipelineIds": ["PerValue"],
            },
            {"id": "Join", "parents": ["Fork"], "executionType": "join", "pipelineIds": ["Total"]},
        ],
    }


#: The W3 stages, shared by the plain polars versions (see ``bench.child``) for the same work.
W3_FILTER = "quantity > 1"
W3_GROUPINGS = ["category", "substr(order_date, 1, 7) AS month"]
W3_AGGREGATIONS = {"revenue": "sum(quantity * price)", "orders": "count(*)"}


def etl_app(lazy: bool) -> JsonDict:
    """W3: read orders CSV → filter → join products → group by category, month → write Parquet."""
    read_mode = param("lazy", lazy, "boolean")
    definitions = [
        step(
            "ReadOrders", "DataReaderSteps.readCsv", [param("path", "!ordersPath"), read_mode], "ReadProducts"
        ),
        step(
            "ReadProducts", "DataReaderSteps.readCsv", [param("path", "!productsPath"), read_mode], "Filter"
        ),
        step(
            "Filter",
            "TransformationSteps.applyFilter",
            [param("dataFrame", "@ReadOrders"), param("expression", W3_FILTER)],
            "Join",
        ),
        step(
            "Join",
            "TransformationSteps.join",
            [param("left", "@Filter"), param("right", "@ReadProducts"), param("on", ["product_id"], "list")],
            "Group",
        ),
        step(
            "Group",
            "TransformationSteps.groupBy",
            [
                param("dataFrame", "@Join"),
                param("groupings", W3_GROUPINGS, "list"),
                param("aggregations", W3_AGGREGATIONS, "object"),
            ],
            "Write",
        ),
        step(
            "Write",
            "DataWriterSteps.writeParquet",
            [param("dataFrame", "@Group"), param("path", "!outputPath")],
        ),
    ]
    return {
        "id": f"orders-etl-{'lazy' if lazy else 'eager'}",
        "stepPackages": ["steps_library"],
        "pipelines": [{"id": "Etl", "name": "Orders ETL", "steps": definitions}],
        "executions": [{"id": "Etl", "pipelineIds": ["Etl"]}],
    }


def write_app(directory: Path, name: str, application: JsonDict) -> Path:
    """Write ``application`` as ``directory/name.json`` (only if it changed) and return the path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    text = json.dumps(application, indent=1)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path
