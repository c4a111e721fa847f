"""Hot spots of a missed target: a cProfile summary, or the import-time breakdown for start-up."""

from __future__ import annotations

import pstats
import re
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import Harness
from bench.report import Miss, table

TOP = 12
PROJECT_DIRS = ("metalus_py", "steps_library")
_WAITS = (
    "of '_thread.lock'",
    "of '_thread.RLock'",
    "'get' of '_queue.SimpleQueue'",
    "time.sleep",
    "select.",
    "poll",
)

FunctionKey = tuple[str, int, str]


def _where(key: FunctionKey, repo: Path) -> str:
    filename, line, name = key
    if filename == "~":
        return f"built-in `{name}`"
    path = filename
    if path.startswith(str(repo) + "/"):
        path = path[len(str(repo)) + 1 :]
    elif "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    else:
        path = Path(path).name
    return f"`{path}:{line}:{name}`"


def _is_project(key: FunctionKey, repo: Path) -> bool:
    return any(key[0].startswith(str(repo / folder) + "/") for folder in PROJECT_DIRS)


def _is_wait(key: FunctionKey) -> bool:
    return key[0] == "~" and any(marker in key[2] for marker in _WAITS)


def _waited(stats: dict[FunctionKey, Any]) -> dict[FunctionKey, float]:
    """Seconds of each function's cumulative time spent blocked in waiting primitives below it.

    Propagated up the call graph: a caller gets each callee's waiting in proportion to the share of
    the callee's cumulative time spent on the caller's behalf (an approximation for recursion).
    """
    callees: dict[FunctionKey, list[tuple[FunctionKey, float]]] = defaultdict(list)
    for callee, entry in stats.items():
        for caller, edge in entry[4].items():
            callees[caller].append((callee, edge[3]))
    memo: dict[FunctionKey, float] = {}
    active: set[FunctionKey] = set()

    def waited(key: FunctionKey) -> float:
        if key in memo:
            return memo[key]
        if _is_wait(key):
            return float(stats[key][3])
        if key in active:
            return 0.0
        active.add(key)
        total = 0.0
        for callee, edge_cumulative in callees.get(key, []):
            callee_cumulative = stats[callee][3]
            if callee_cumulative > 0:
                total += waited(callee) * min(1.0, edge_cumulative / callee_cumulative)
        active.discard(key)
        memo[key] = min(total, float(stats[key][3]))
        return memo[key]

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20 * len(stats) + 1000))
    try:
        return {key: waited(key) for key in stats}
    finally:
        sys.setrecursionlimit(limit)


Ranked = list[tuple[FunctionKey, Any, float]]


def _collapse_chains(ranked: Ranked, wall: float) -> Ranked:
    """Keep the deepest of a call chain: a callee within 2 % of wall of its caller replaces it."""
    kept: Ranked = []
    for key, entry, busy in ranked:
        if kept:
            previous, _, previous_busy = kept[-1]
            if previous in entry[4] and previous_busy - busy <= 0.02 * wall:
                kept[-1] = (key, entry, busy)
                continue
        kept.append((key, entry, busy))
    return kept


def summarise_profile(path: Path, repo: Path, wall: float) -> str:
    """Markdown: the top functions by own time, then the project functions by cumulative time.

    Shares are of ``wall``, the profiled run's timed section; with several threads the own times
    add up to more than 100 %. Waiting primitives (a thread blocked on a lock, queue or sleep) are
    left out of the own-time table.
    """
    stats: dict[FunctionKey, tuple[int, int, float, float, Any]] = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    wall = wall or 1.0
    waits = sum(entry[2] for key, entry in stats.items() if _is_wait(key))
    busy = sum(entry[2] for key, entry in stats.items() if not _is_wait(key))
    own = sorted(((k, v) for k, v in stats.items() if not _is_wait(k)), key=lambda kv: kv[1][2], reverse=True)
    own_rows = [
        [_where(k, repo), f"{v[2] / wall:.1%}", f"{v[3] / wall:.1%}", f"{v[1]:,}"] for k, v in own[:TOP]
    ]
    waited = _waited(stats)
    project = sorted(
        (
            (k, v, v[3] - waited[k])
            for k, v in stats.items()
            if _is_project(k, repo) and (v[3] - waited[k]) / wall < 0.97
        ),
        key=lambda item: item[2],
        reverse=True,
    )
    project_rows = [
        [_where(k, repo), f"{busy / wall:.1%}", f"{v[2] / wall:.1%}", f"{v[1]:,}"]
        for k, v, busy in _collapse_chains(project, wall)[:TOP]
    ]
    native = sum(
        entry[3] for key, entry in stats.items() if key[0] == "~" and "builtins.PyLazyFrame" in key[2]
    )
    native = min(native, wall)
    native_line = (
        [
            "",
            f"{native / wall:.0%} of the profiled run is polars executing queries (`PyLazyFrame` methods: "
            f"`collect`, `sink_*`, `collect_schema`); the rest, {1 - native / wall:.0%}, is everything else "
            "(metalus_py, steps_library, Python).",
        ]
        if native > 0.01 * wall
        else []
    )
    return "\n".join(
        [
            f"Profiled run: {wall:.2f} s under cProfile; {busy:.2f} s running Python frames and built-ins"
            + (
                f", {waits:.2f} s of threads blocked on locks, queues or sleep (left out below)"
                if waits
                else ""
            )
            + ". Shares are of the profiled wall time.",
            *native_line,
            "",
            "Top functions by own time:",
            "",
            table(["function", "own", "cum.", "calls"], own_rows),
            "",
            "metalus_py / steps_library functions by busy cumulative time (cumulative minus time blocked "
            "waiting below it; entry points above 97 % left out; of a call chain only the deepest "
            "function within 2 % is shown):",
            "",
            table(["function", "busy cum.", "own", "calls"], project_rows),
        ]
    )


# ------------------------------------------------------------------------------------ import time

_IMPORT_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( +)(\S+)\s*$")


@dataclass
class _Import:
    name: str
    own_us: int
    cumulative_us: int
    level: int
    children: list[_Import] = field(default_factory=list)
    parent: _Import | None = None


def _import_tree(stderr: str) -> list[_Import]:
    """Every import (post-order as ``-X importtime`` prints it), linked to the module that imported it."""
    done: list[_Import] = []
    pending: list[_Import] = []
    for line in stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if not match:
            continue
        node = _Import(
            match.group(4), int(match.group(1)), int(match.group(2)), (len(match.group(3)) - 1) // 2
        )
        while pending and pending[-1].level > node.level:
            child = pending.pop()
            child.parent = node
            node.children.append(child)
        pending.append(node)
        done.append(node)
    return done


def _importer(node: _Import) -> str:
    """The nearest project module above ``node`` (who pulled it in)."""
    current = node.parent
    while current is not None:
        if current.name.split(".")[0] in PROJECT_DIRS:
            return current.name
        current = current.parent
    return "—"


def summarise_imports(harness: Harness, command: list[str], wall: float, runs: int = 3) -> str:
    """Markdown: import time per top-level package (median of ``runs``), who imported it, top modules."""
    per_package: dict[str, list[float]] = defaultdict(list)
    totals: list[float] = []
    importers: dict[str, str] = {}
    modules: dict[str, list[float]] = defaultdict(list)
    for _ in range(runs):
        _, _, code, _, stderr = harness.spawn(command, 300)
        if code != 0:
            return f"(import profile failed: exit {code})\n\n```\n{stderr[-2000:]}\n```"
        nodes = _import_tree(stderr)
        sums: dict[str, int] = defaultdict(int)
        for node in nodes:
            root = node.name.split(".")[0]
            sums[root] += node.own_us
            if node.name == root and root not in importers:
                importers[root] = _importer(node)
            if root in PROJECT_DIRS:
                modules[node.name].append(node.own_us / 1e6)
        for root, value in sums.items():
            per_package[root].append(value / 1e6)
        totals.append(sum(sums.values()) / 1e6)
    total = statistics.median(totals)
    ranked = sorted(per_package.items(), key=lambda kv: statistics.median(kv[1]), reverse=True)
    package_rows = [
        [
            f"`{name}`",
            f"{statistics.median(v) * 1000:.0f} ms",
            f"{statistics.median(v) / wall:.1%}",
            f"`{importers.get(name, '—')}`" if importers.get(name, "—") != "—" else "—",
        ]
        for name, v in ranked[:TOP]
    ]
    module_rows = [
        [f"`{name}`", f"{statistics.median(v) * 1000:.1f} ms"]
        for name, v in sorted(modules.items(), key=lambda kv: statistics.median(kv[1]), reverse=True)[:8]
    ]
    return "\n".join(
        [
            f"`{' '.join(Path(c).name if i == 0 else c for i, c in enumerate(command))}` (median of {runs}): "
            f"imports take {total * 1000:.0f} ms of the {wall * 1000:.0f} ms process ({total / wall:.0%}; "
            "`-X importtime` itself adds some overhead). Import time per top-level package (own time of "
            "all its modules) and the project module that first imported it:",
            "",
            table(["package", "import time", "share of process", "imported by"], package_rows),
            "",
            "Slowest project modules by their own import time (module body, excluding what they import):",
            "",
            table(["module", "own import time"], module_rows),
        ]
    )


def profile_miss(harness: Harness, miss: Miss, directory: Path, index: int) -> str:
    """The hot-spot subsection for one missed target."""
    harness.log(f"[profile] {miss.title}")
    lines = [f"### {miss.title}", ""]
    if miss.note:
        lines += [miss.note, ""]
    if miss.importtime is not None:
        lines.append(summarise_imports(harness, miss.importtime, miss.wall or miss.target.value))
    elif miss.profile is not None:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"miss-{index}.prof"
        sample = harness.run_child(miss.profile, profile=path)
        lines.append(summarise_profile(path, harness.repo, sample.seconds))
        lines += ["", f"(raw stats: `{path.relative_to(harness.repo)}`, open with `python -m pstats`)"]
    return "\n".join(lines) + "\n"
