"""The execution DAG as successor lists: what planning needs, without importing networkx."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from metalus_py.plan.dag import Adjacency
from tests.builders import execution, param, pipeline, step, write


def _graph(*edges: tuple[str, str], nodes: tuple[str, ...] = ()) -> Adjacency:
    graph = Adjacency()
    graph.add_nodes_from(nodes)
    for parent, child in edges:
        graph.add_edge(parent, child)
    return graph


def test_successors_and_descendants_follow_the_edges() -> None:
    graph = _graph(("A", "B"), ("B", "C"), ("A", "D"), ("D", "C"), nodes=("A", "B", "C", "D", "E"))
    assert graph.successors("A") == ["B", "D"]
    assert graph.successors("E") == [] and graph.successors("unknown") == []
    assert graph.descendants("A") == {"B", "C", "D"}
    assert graph.descendants("C") == set()
    assert graph.is_acyclic()


def test_a_repeated_edge_counts_once() -> None:
    graph = _graph(("A", "B"), ("A", "B"))
    assert graph.number_of_edges() == 1 and graph.successors("A") == ["B"]


def test_a_cycle_is_found_and_its_members_reach_themselves() -> None:
    graph = _graph(("A", "B"), ("B", "C"), ("C", "A"), ("C", "D"))
    assert not graph.is_acyclic()
    assert graph.descendants("A") == {"A", "B", "C", "D"}
    assert _graph(("A", "A")).is_acyclic() is False


def test_running_a_fork_and_join_plan_does_not_import_networkx(tmp_path: Path) -> None:
    app = write({
        "stepPackages": ["dask_steps"],
        "globals": {"values": [1, 2, 3]},
        "pipelines": [
            pipeline("P_ROOT", step("NOOP", "DaskSteps.pid")),
            pipeline("P_VALUE", step("V", "DaskSteps.nap", param("value", "!executionForkValue"),
                                     param("seconds", "0"))),
            pipeline("P_JOIN", step("J", "DaskSteps.pid")),
        ],
        "executions": [
            execution("ROOT", "P_ROOT"),
            execution("FORK", "P_VALUE", parents=["ROOT"], executionType="fork", forkByValues="values"),
            execution("JOIN", "P_JOIN", parents=["FORK"], executionType="join"),
        ],
    }, tmp_path)
    stepsrc = Path(__file__).resolve().parents[1] / "stepsrc"
    code = (
        "import json, sys; import metalus_py\n"
        f"sys.path.insert(0, {str(stepsrc)!r})\n"
        f"result = metalus_py.run_application({str(app)!r})\n"
        "print(json.dumps([result.status, 'networkx' in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == ["COMPLETE", False]


def test_is_acyclic_on_plain_successor_lists() -> None:
    from metalus_py.base.acyclic import is_acyclic

    assert is_acyclic({})
    assert is_acyclic({"a": ["b", "c"], "b": ["c"], "c": []})
    assert not is_acyclic({"a": ["a"]})
    assert not is_acyclic({"a": ["b"], "b": ["c"], "c": ["a"], "d": []})
