"""Fork and join executions: value lists, joins seeing lists, failures, empty and nested forks."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from metalus_py.api import run_application
from metalus_py.api.results import RunResult
from tests.plan import planapps


def keys(result: RunResult) -> list[str]:
    return list(result.executions)


@pytest.mark.parametrize("values", [["only"], ["x", "y", "z"]], ids=["fork_join_1", "fork_join_3"])
def test_fork_join_runs_each_value_and_join_sees_lists(values: list[str]) -> None:
    result = run_application(planapps.fork_join(values))
    n = len(values)
    assert result.status == "COMPLETE"
    expected = ["Root", *[f"Fork[{i}]" for i in range(n)], *[f"Inside[{i}]" for i in range(n)], "Join", "After"]
    assert keys(result) == expected
    for i, v in enumerate(values):
        assert result.step_result(f"Fork[{i}]", "PerValue", "Value") == v
        assert result.step_result(f"Fork[{i}]", "PerValue", "Index") == i
        # in-between executions inherit executionForkValue / executionForkValueIndex
        assert result.executions[f"Inside[{i}]"].globals["executionForkValue"] == v
        assert result.executions[f"Inside[{i}]"].globals["executionForkValueIndex"] == i
        assert result.step_result(f"Inside[{i}]", "Inner", "Seen") == f"{v}@{i}"
        assert result.step_result(f"Inside[{i}]", "Inner", "FromFork") == v
    seen = [f"{v}@{i}" for i, v in enumerate(values)]
    assert result.step_result("Join", "Collect", "Values") == seen  # a list even for one value
    assert result.step_result("Join", "Collect", "InsideGlobals") == values
    assert result.step_result("Join", "Collect", "ForkValueGlobal") == "none at the join"
    assert "executionForkValue" not in result.executions["Join"].globals
    assert result.step_result("After", "AfterJoin", "S") == seen
    document = result.to_dict()["executions"]
    assert [document[f"Fork[{i}]"]["forkIndex"] for i in range(n)] == list(range(n))
    assert document["Join"]["forkIndex"] is None


def test_fork_join_10000_values_sums_in_join_with_bounded_threads() -> None:
    samples: list[int] = []

    class Sampler:
        def on_event(self, event: Any) -> None:
            if event.kind in ("execution_started", "application_finished"):
                samples.append(threading.active_count())

    before = threading.active_count()
    app = Path(planapps.VALID_DIR / "fork_join_10000.json")
    result = run_application(str(app), max_workers=4, listeners=[Sampler()])
    assert result.status == "COMPLETE"
    assert len(result.executions) == 10_002
    assert result.step_result("Fork[9999]", "PerValue", "Value") == 10_000
    assert result.step_result("Join", "Sum", "Total") == sum(range(1, 10_001))
    assert len(samples) >= 10_000 and max(samples) <= before + 4 + 2  # the pool's workers, never one thread per value


def test_error_in_one_fork_value() -> None:
    result = run_application(planapps.fork_error())
    states = {k: o.status for k, o in result.executions.items()}
    # DESIGN 10: the fork execution is ERROR for each failing value (the value names where it failed)
    assert states == {
        "Fork[0]": "COMPLETE", "Fork[1]": "ERROR", "Fork[2]": "COMPLETE",
        "Work[0]": "COMPLETE", "Work[1]": "ERROR", "Work[2]": "COMPLETE",
        "Join": "BLOCKED", "After": "BLOCKED",
    }
    assert "failed on value 2" in (result.executions["Work[1]"].reason or "")
    assert "Work[1]" in (result.executions["Fork[1]"].reason or "")
    assert "[1]" in (result.executions["Join"].reason or "")
    assert result.step_result("Work[2]", "Work", "W") == "3"
    assert result.status == "FAILED" and result.exit_code == 1


def test_empty_fork_list_runs_join_with_empty_lists() -> None:
    result = run_application(planapps.fork_join([]))
    assert result.status == "COMPLETE"
    assert result.executions["Join"].status == "COMPLETE"
    assert result.step_result("Join", "Collect", "Values") == []
    assert result.step_result("Join", "Collect", "InsideGlobals") == []
    assert result.step_result("After", "AfterJoin", "S") == []
    assert not any("[" in key for key in result.executions)
    assert result.executions["Inside"].status == "SKIPPED" and result.executions["Inside"].reason


@pytest.mark.parametrize("values", ["not a list", None], ids=["string", "missing"])
def test_fork_values_not_a_list_is_a_clear_error(values: Any) -> None:
    app = planapps.fork_join(values)
    if values is None:
        del app["globals"]["values"]
    result = run_application(app)
    fork = result.executions["Fork"]
    assert fork.status == "ERROR"
    assert "Fork" in (fork.reason or "") and "values" in (fork.reason or "") and "list" in (fork.reason or "")
    assert result.executions["Inside"].status == "BLOCKED"
    assert result.executions["Join"].status == "BLOCKED"
    assert result.status == "FAILED" and result.exit_code == 1


def test_fork_by_values_as_mapping_string_and_forkByValue_spelling() -> None:
    app = planapps.fork_join(["p", "q"])
    fork = app["executions"][1]
    del fork["forkByValues"]
    fork["forkByValue"] = "!values"
    result = run_application(app)
    assert result.step_result("Join", "Collect", "Values") == ["p@0", "q@1"]


def test_nested_forks_each_join_closes_its_own_fork() -> None:
    result = run_application(planapps.nested_fork())
    assert result.status == "COMPLETE"
    ks = keys(result)
    assert [k for k in ks if k.startswith("Leaf")] == [f"Leaf[{i}][{j}]" for i in range(2) for j in range(3)]
    assert [k for k in ks if k.startswith("InnerJoin")] == ["InnerJoin[0]", "InnerJoin[1]"]
    assert [k for k in ks if k.startswith("OuterJoin")] == ["OuterJoin"]
    assert result.step_result("Leaf[1][2]", "Leaf", "Pair") == "b-3"
    assert result.step_result("InnerJoin[0]", "InnerCollect", "Pairs") == ["a-1", "a-2", "a-3"]
    assert result.step_result("OuterJoin", "OuterCollect", "All") == [["a-1", "a-2", "a-3"], ["b-1", "b-2", "b-3"]]
    assert result.to_dict()["executions"]["Leaf[1][2]"]["forkIndex"] == [1, 2]
