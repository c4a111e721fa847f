"""The plan's layout for pictures (monitor, notebooks): layers by depth, nodes under their parents."""

from __future__ import annotations

from typing import Any

from metalus_py.plan.layout import NODE_WIDTH, plan_graph
from metalus_py.plan.svg import node_status, plan_svg


def _app(*executions: dict[str, Any]) -> dict[str, Any]:
    steps = [{"id": "S1", "type": "Pipeline", "nextStepId": "S2"}, {"id": "S2", "type": "Pipeline"}]
    return {"id": "layout", "pipelines": [{"id": "P", "steps": steps}], "executions": list(executions)}


def _e(eid: str, *parents: str, **extra: Any) -> dict[str, Any]:
    return {"id": eid, "pipelineIds": ["P"], "parents": list(parents), **extra}


def test_layers_follow_the_longest_path_and_boxes_never_overlap() -> None:
    graph = plan_graph(_app(_e("ROOT"), _e("A", "ROOT"), _e("B", "ROOT"), _e("C", "ROOT"), _e("END", "A", "B", "C"),
                            _e("SIDE", "ROOT"), _e("LAST", "END", "SIDE")))
    nodes = {n["id"]: n for n in graph["executions"]}
    assert {k: n["layer"] for k, n in nodes.items()} == {
        "ROOT": 0, "A": 1, "B": 1, "C": 1, "SIDE": 1, "END": 2, "LAST": 3}
    for layer in range(4):
        xs = sorted(n["x"] for n in nodes.values() if n["layer"] == layer)
        assert all(b - a >= NODE_WIDTH for a, b in zip(xs, xs[1:], strict=False))
        assert all(x >= 0 and x + NODE_WIDTH <= graph["width"] for x in xs)
    assert {(e["from"], e["to"]) for e in graph["edges"]} >= {("ROOT", "A"), ("END", "LAST"), ("SIDE", "LAST")}
    assert [s["next"] for s in nodes["A"]["pipelines"][0]["steps"]] == [["S2"], []]


def test_a_single_child_sits_under_its_parent() -> None:
    graph = plan_graph(_app(_e("ROOT"), _e("LEFT", "ROOT"), _e("RIGHT", "ROOT"), _e("UNDER", "LEFT")))
    nodes = {n["id"]: n for n in graph["executions"]}
    assert nodes["UNDER"]["x"] == nodes["LEFT"]["x"]


def test_a_cycle_or_unknown_parent_still_draws() -> None:
    graph = plan_graph(_app(_e("A", "B"), _e("B", "A"), _e("C", "NOPE")))
    assert [n["id"] for n in graph["executions"]] == ["A", "B", "C"]
    assert "<svg" in plan_svg(graph)


def test_fork_counts_colour_a_node_by_its_worst_status() -> None:
    assert node_status({"COMPLETE": 2, "ERROR": 1}) == "ERROR"
    assert node_status({"COMPLETE": 2, "RUNNING": 1}) == "RUNNING"
    assert node_status({}) == "PENDING"
    graph = plan_graph(_app(_e("F", executionType="fork", forkByValues="values")))
    svg = plan_svg(graph, {"F": {"COMPLETE": 2, "ERROR": 1}})
    assert "2 complete · 1 error" in svg and "F (fork)" in svg and "#ffb3b3" in svg
