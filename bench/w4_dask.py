"""``python -m bench.w4_dask``: W4, fork values on a Dask LocalCluster against the local executor.

1. CPU: a fork execution over 8 values whose step is ~0.5 s of pure-Python CPU work, run with
   ``executor=local`` (threads of one process: one GIL) and ``executor=dask`` (2 worker
   processes, one thread each), in this same process, one after the other. Target on 2 cores:
   dask >= 1.7x faster.
2. Overhead: a fork execution over 1,000 trivial values on dask; per value = run time / 1,000
   (target <= 5 ms), with the local executor's figure beside it.

Both runs are recorded (SQLite state under ``bench/work/w4``). The cluster is started once,
before the clocks; its start-up is reported separately. Each figure is measured once (the
machine is shared): the section written into RESULTS.md between the W4 markers says so.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
START, END = "<!-- W4 start -->", "<!-- W4 end -->"


def _application(values: int, step: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"w4_{values}",
        "stepPackages": ["bench.steps"],
        "globals": {"values": list(range(values))},
        "pipelines": [
            {"id": "P", "name": "P", "steps": [step]},
            {"id": "J", "name": "J", "steps": [{"id": "SUM", "type": "Pipeline",
                                                "engineMeta": {"command": "BenchSteps.sumValues"},
                                                "params": [{"name": "values", "type": "text",
                                                            "value": "!FORK.pipelineParameters.P.S.primaryReturn"}]}]},
        ],
        "executions": [
            {"id": "FORK", "executionType": "fork", "forkByValues": "values", "pipelineIds": ["P"]},
            {"id": "JOIN", "executionType": "join", "parents": ["FORK"], "pipelineIds": ["J"]},
        ],
    }


def _step(command: str, *params: dict[str, Any]) -> dict[str, Any]:
    return {"id": "S", "type": "Pipeline", "engineMeta": {"command": command}, "params": list(params)}


def _timed(store: Any, path: Path, executor: Any, expected: int) -> float:
    from metalus_py.durable.options import RunOptions
    from metalus_py.durable.session import start_run

    started = time.perf_counter()
    result = start_run(store, str(path), {}, options=RunOptions(persist="all", executor=executor))
    took = time.perf_counter() - started
    total = result.to_dict()["executions"]["JOIN"]["pipelines"]["J"]["steps"]["SUM"]["primaryReturn"]
    if result.status != "COMPLETE" or total != expected:
        raise SystemExit(f"W4 check failed: {path.name} on {executor}: {result.status}, sum {total} != {expected}")
    return took


def _identity(value: Any) -> Any:
    return value


def _bare_dask(client: Any, count: int = 1000) -> float:
    """Seconds for ``count`` identity tasks on the same cluster: Dask's own floor on this machine now."""
    client.gather(client.map(_identity, range(10), pure=False))
    started = time.perf_counter()
    client.gather([client.submit(_identity, i, pure=False) for i in range(count)])
    return time.perf_counter() - started


def main() -> int:
    sys.path.insert(0, str(REPO))
    os.chdir(REPO)
    from metalus_py.executors.dask import DaskExecutor
    from metalus_py.state import open_store

    work = BENCH / "work" / "w4"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    cpu = work / "cpu.json"
    cpu.write_text(json.dumps(_application(8, _step("CpuSteps.burn", {"name": "value", "type": "text",
                                                                       "value": "!executionForkValue"},
                                                      {"name": "seconds", "type": "text", "value": "0.5"}))))
    trivial = work / "trivial.json"
    trivial.write_text(json.dumps(_application(1000, _step("BenchSteps.addOne", {"name": "value", "type": "text",
                                                                                  "value": "!executionForkValue"}))))
    store = open_store(f"sqlite:///{work / 'state.db'}")
    load = os.getloadavg()
    started = time.perf_counter()
    dask = DaskExecutor(None, workers=2)
    cluster_start = time.perf_counter() - started
    warm = work / "warm.json"  # workers import metalus_py and polars once, before any clock
    warm.write_text(json.dumps(_application(4, _step("BenchSteps.addOne", {"name": "value", "type": "text",
                                                                            "value": "!executionForkValue"}))))
    try:
        _timed(store, warm, dask, sum(range(1, 5)))
        cpu_local = _timed(store, cpu, "local", 28)
        cpu_dask = _timed(store, cpu, dask, 28)
        trivial_dask = _timed(store, trivial, dask, sum(range(1, 1001)))
        trivial_local = _timed(store, trivial, "local", sum(range(1, 1001)))
        bare = _bare_dask(dask.client)
    finally:
        dask.close()
    speedup = cpu_local / cpu_dask
    per_value = trivial_dask / 1000 * 1000
    section = "\n".join([
        START,
        "## W4 — fork values on Dask distributed (`python -m bench.w4_dask`)",
        "",
        f"Measured once each on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, on the shared 2-core machine "
        f"(load average at start {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}: other engineers' builds and tests ran "
        "at the same time, so treat the figures as indicative). SQLite state, persist all. Dask: a LocalCluster of "
        f"2 worker processes, one thread each, started once before the clocks ({cluster_start:.2f} s to start) "
        "and warmed by a 4-value run (imports).",
        "",
        "| measurement | local executor | dask executor | target |",
        "| --- | --- | --- | --- |",
        f"| fork over 8 values, ~0.5 s pure-Python CPU each, + join | {cpu_local:.2f} s | {cpu_dask:.2f} s "
        f"(**{speedup:.2f}×** faster) | ≥ 1.7× {'✓' if speedup >= 1.7 else '✗'} |",
        f"| fork over 1,000 trivial values + join | {trivial_local:.2f} s ({trivial_local:.3f} ms/value) "
        f"| {trivial_dask:.2f} s (**{per_value:.2f} ms/value**) | ≤ 5 ms/value {'✓' if per_value <= 5 else '✗'} |",
        f"| bare Dask on the same cluster, 1,000 identity tasks (the floor) | — | {bare:.2f} s "
        f"({bare:.2f} ms/task) | — |",
        "",
        "Per value on dask = the whole run (validation, planning, 1,000 tasks, the join) / 1,000: each value is one "
        "task that claims its execution attempt and its step in the store, writes its events and its outputs "
        "manifest, and returns a small summary.",
        END,
    ])
    results = BENCH / "RESULTS.md"
    text = results.read_text() if results.exists() else "# metalus_py benchmark results\n"
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    results.write_text(text)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
