"""The local backend runs the values of a fork launch from one queue: all of them, in parallel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import metalus_py
from tests.builders import execution, param, pipeline, step, write


def _fork_app(values: list[Any], seconds: float) -> dict[str, Any]:
    return {
        "stepPackages": ["dask_steps"],
        "globals": {"values": values},
        "pipelines": [
            pipeline("P_ROOT", step("NOOP", "DaskSteps.pid")),
            pipeline("P_VALUE", step("SPAN", "DaskSteps.span", param("value", "!executionForkValue"),
                                     param("seconds", str(seconds)))),
            pipeline("P_SUM", step("COUNT", "DaskSteps.pid")),
        ],
        "executions": [
            execution("ROOT", "P_ROOT"),
            execution("FORK", "P_VALUE", parents=["ROOT"], executionType="fork", forkByValues="values"),
            execution("JOIN", "P_SUM", parents=["FORK"], executionType="join"),
        ],
    }


def _spans(result: Any, count: int) -> list[dict[str, Any]]:
    executions = result.to_dict()["executions"]
    spans = [executions[f"FORK[{i}]"]["pipelines"]["P_VALUE"]["steps"]["SPAN"]["primaryReturn"]
             for i in range(count)]
    assert f"FORK[{count}]" not in executions
    return spans


def test_slow_values_still_run_side_by_side(tmp_path: Path) -> None:
    app = write(_fork_app([f"v{i}" for i in range(4)], 0.4), tmp_path)
    result = metalus_py.run_application(str(app), max_workers=4)
    assert result.status == "COMPLETE"
    spans = sorted(_spans(result, 4), key=lambda s: s["start"])
    assert len({s["thread"] for s in spans}) >= 2
    # the second value started before the first one ended: they overlapped
    assert spans[1]["start"] < spans[0]["end"]


def test_many_values_each_run_once_with_their_own_value(tmp_path: Path) -> None:
    values = [f"v{i}" for i in range(120)]
    app = write(_fork_app(values, 0.0), tmp_path)
    result = metalus_py.run_application(str(app), max_workers=3)
    assert result.status == "COMPLETE"
    spans = _spans(result, 120)
    assert sorted(s["value"] for s in spans) == sorted(values)
    assert len({s["thread"] for s in spans}) <= 3


def _fork_step_app(count: int, seconds: float, method: str) -> dict[str, Any]:
    steps = [
        step("FORK", None, param("forkByValues", "!values"), param("forkMethod", method), type_="fork",
             next_="SPAN"),
        step("SPAN", "DaskSteps.span", param("value", "@FORK"), param("seconds", str(seconds)), next_="JOIN"),
        step("JOIN", None, type_="join"),
    ]
    return {
        "stepPackages": ["dask_steps"],
        "globals": {"values": [f"v{i}" for i in range(count)]},
        "pipelines": [pipeline("P_FORK", *steps)],
        "executions": [execution("ONLY", "P_FORK")],
    }


def _step_spans(result: Any) -> list[dict[str, Any]]:
    spans = result.step_result("ONLY", "P_FORK", "SPAN")
    assert isinstance(spans, list)
    return spans


def test_a_parallel_fork_step_runs_slow_values_side_by_side(tmp_path: Path) -> None:
    result = metalus_py.run_application(str(write(_fork_step_app(4, 0.3, "parallel"), tmp_path)), max_workers=4)
    assert result.status == "COMPLETE"
    spans = sorted(_step_spans(result), key=lambda s: s["start"])
    assert [s["value"] for s in _step_spans(result)] == ["v0", "v1", "v2", "v3"]
    assert len({s["thread"] for s in spans}) >= 2
    assert spans[1]["start"] < spans[0]["end"]


def test_a_parallel_fork_step_over_trivial_values_keeps_every_value_in_order(tmp_path: Path) -> None:
    result = metalus_py.run_application(str(write(_fork_step_app(300, 0.0, "parallel"), tmp_path)), max_workers=4)
    assert result.status == "COMPLETE"
    assert [s["value"] for s in _step_spans(result)] == [f"v{i}" for i in range(300)]
