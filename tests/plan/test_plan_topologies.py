"""Execution-plan behaviour: application JSON in, run result out (DAG shapes, injection, globals)."""

from __future__ import annotations

from typing import Any

import pytest

from metalus_py.api import run_application
from metalus_py.api.results import RunResult
from tests.plan import planapps


def run(name: str, parameters: dict[str, Any] | None = None, **kwargs: Any) -> RunResult:
    return run_application(planapps.NAMED[name](), parameters or {}, **kwargs)


def value(result: RunResult, key: str, pipeline_id: str, step_id: str) -> Any:
    return result.step_result(key, pipeline_id, step_id)


def statuses(result: RunResult) -> dict[str, str]:
    return {key: outcome.status for key, outcome in result.executions.items()}


def test_named_apps_files_are_current() -> None:
    for name in planapps.NAMED:
        path = planapps.VALID_DIR / f"{name}.json"
        assert path.read_text(encoding="utf-8") == planapps.render(name), (
            f"{path} is stale: run python tests/plan/planapps.py")


def test_diamond_child_sees_both_parents() -> None:
    result = run("diamond")
    assert result.status == "COMPLETE" and result.exit_code == 0
    assert statuses(result) == {"A": "COMPLETE", "B": "COMPLETE", "C": "COMPLETE", "D": "COMPLETE"}
    assert value(result, "D", "PD", "FromB") == "b from a"
    assert value(result, "D", "PD", "FromC") == "c from a"
    # A is a grandparent of D, not a parent: its results are not injected
    assert value(result, "D", "PD", "FromA") == "A not a parent"


def test_chain3_values_flow_down() -> None:
    result = run("chain3")
    assert [value(result, k, p, "S") for k, p in (("A", "P1"), ("B", "P2"), ("C", "P3"))] == ["1", "1-2", "1-2-3"]


def test_multi_level_injection_primary_named_and_globals() -> None:
    result = run("multi_level_injection")
    assert result.status == "COMPLETE"
    c = {s: value(result, "C", "PC", s) for s in (
        "Primary", "NamedK", "NamedSpelling", "AllNamed", "ParentGlobal", "GrandparentGlobal", "GrandparentDirect")}
    assert c == {
        "Primary": "a-value",
        "NamedK": "named-k",
        "NamedSpelling": "named-k",  # Metalus docs' ``namedReturn`` spelling is accepted
        "AllNamed": {"k": "named-k"},
        "ParentGlobal": "from B's globals",
        "GrandparentGlobal": None,  # A is not a parent of C
        "GrandparentDirect": None,
    }
    # D lists A as a parent too: A's globals and results become visible
    assert value(result, "D", "PC", "GrandparentGlobal") == "from A's globals"
    assert value(result, "D", "PC", "GrandparentDirect") == "a-value"


def test_global_links_collision_later_parent_wins_own_wins_link_beats_global() -> None:
    result = run("global_links_collision")
    assert result.status == "COMPLETE"
    # both parents link ``shared``; P2 is later in ``parents``: its link (``!p2value``) wins
    assert value(result, "Child", "Read", "Shared") == "child p2"
    # a link only the first parent has is still inherited (links of all parents are merged;
    # Metalus keeps only the last parent's links and would give None here)
    assert value(result, "Child", "Read", "OnlyP1") == "child p1"
    # the child's own link wins over the plain global of the same name
    assert value(result, "Child", "Read", "Own") == "link"
    # the child's own link wins over every inherited one
    assert value(result, "OwnWins", "Read", "Shared") == "own link wins"
    assert value(result, "OwnWins", "Read", "Own") is None


def test_globals_and_global_link_updates_are_seen_downstream() -> None:
    result = run("link_updates")
    assert result.status == "COMPLETE"
    assert value(result, "A", "Update", "SeeGlobal") == "42"
    assert value(result, "A", "Update", "SeeLink") == "linked target value"
    assert result.executions["A"].globals["counter"] == "42"
    assert value(result, "B", "Read", "ParentGlobal") == "42"
    # the link set by A's step (its ``path`` parameter was mapped before the step ran) is inherited
    assert value(result, "B", "Read", "Link") == "linked target value"


def test_globals_precedence_app_then_execution_then_command_line() -> None:
    result = run("globals_precedence")
    read = {k: {s: value(result, k, "Read", s) for s in ("App", "Shared", "Own", "Cli")}
            for k in ("NoGlobals", "Replace", "Merge")}
    assert read == {
        "NoGlobals": {"App": "app", "Shared": "app", "Own": "absent", "Cli": "app"},
        "Replace": {"App": "absent", "Shared": "execution", "Own": "replace-own", "Cli": "absent"},
        "Merge": {"App": "app", "Shared": "execution", "Own": "merge-own", "Cli": "app"},
    }
    with_cli = run("globals_precedence", {"cli": "command line", "shared": "command line"})
    for key in ("NoGlobals", "Replace", "Merge"):
        assert value(with_cli, key, "Read", "Cli") == "command line"
        assert value(with_cli, key, "Read", "Shared") == "command line"


def test_pipelines_run_in_pipeline_ids_order_and_from_initial_pipeline() -> None:
    result = run("pipeline_order")
    assert list(result.executions["Ordered"].pipelines) == ["Second", "Lib", "First"]
    assert list(result.to_dict()["executions"]["Ordered"]["pipelines"]) == ["Second", "Lib", "First"]
    assert list(result.executions["FromInitial"].pipelines) == ["Second", "Third"]
    assert "Lib" not in result.executions["FromInitial"].parameters


def test_error_blocks_descendants_only() -> None:
    result = run("error_chain")
    assert statuses(result) == {"A": "ERROR", "B": "BLOCKED", "C": "COMPLETE"}
    assert result.status == "FAILED" and result.exit_code == 1
    assert "failed on purpose: boom" in (result.executions["A"].reason or "")
    assert "'A'" in (result.executions["B"].reason or "")
    assert result.executions["B"].pipelines == {}


@pytest.mark.parametrize("workers", [1, 4])
def test_independent_executions_all_run_with_any_worker_count(workers: int) -> None:
    result = run("diamond", max_workers=workers)
    assert result.status == "COMPLETE"
    assert value(result, "D", "PD", "FromC") == "c from a"


def test_root_executions_start_from_named_execution() -> None:
    result = run("chain3", root_executions=["B"])
    assert statuses(result)["A"] != "COMPLETE" and result.executions["A"].pipelines == {}
    assert result.executions["A"].reason
    # B starts without parent data: its reference to A resolves to None
    assert value(result, "B", "P2", "S") == "None-2"
    assert value(result, "C", "P3", "S") == "None-2-3"
