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
