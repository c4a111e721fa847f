"""The lines ``metalus run`` prints when a run ends: the run, one line per execution, the outputs.

The values of a fork execution are summarised on one line (``PROCESS ×3: 3 COMPLETE``); the
outputs are the files that write steps report in their ``files`` named return.
"""

from __future__ import annotations

import re
from typing import Any

from metalus_py.base.status import ExecutionStatus, StepStatus
from metalus_py.base.timestamps import duration, epoch

_INDEX = re.compile(r"(\[\d+\])+$")


def _seconds(start: Any, end: Any) -> float | None:
    try:
        return duration(epoch(str(start)), epoch(str(end)))
    except (TypeError, ValueError):
        return None


def execution_lines(document: dict[str, Any]) -> list[str]:
    """One line per execution id (fork values grouped), in the document's order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for key, execution in document.get("executions", {}).items():
        groups.setdefault(_INDEX.sub("", key), []).append(execution)
    width = max((len(k) for k in groups), default=0)
    lines = []
    for name, entries in groups.items():
        statuses: dict[str, int] = {}
        for entry in entries:
            statuses[entry.get("status", "?")] = statuses.get(entry.get("status", "?"), 0) + 1
        starts = [str(e["startedAt"]) for e in entries if e.get("startedAt")]
        ends = [str(e["endedAt"]) for e in entries if e.get("endedAt")]
        took = _seconds(min(starts), max(ends)) if starts and ends else None
        timing = f"  {took:.2f}s" if took is not None else ""
        if len(entries) > 1:
            state = f"×{len(entries)}: " + ", ".join(f"{n} {s}" for s, n in statuses.items())
        else:
            state = entries[0].get("status", "?")
        reasons = sorted({str(e.get("reason")) for e in entries if e.get("reason") and e.get("status") != ExecutionStatus.COMPLETE})
        reason = f"  - {reasons[0]}" + (f" (+{len(reasons) - 1} more)" if len(reasons) > 1 else "") if reasons else ""
        located = next((_located(e) for e in entries if e.get("status") != ExecutionStatus.COMPLETE and _located(e)), "")
        lines.append(f"  {name:<{width}}  {state}{timing}{reason}{located}")
    return lines


def _located(execution: dict[str, Any]) -> str:
    """`` [at executions[0].pipelines[0].steps[2].params[1] (parameter count)]`` for a step failure."""
    error = execution.get("error")
    if not isinstance(error, dict) or not error.get("jsonPath"):
        return ""
    parameter = f" (parameter {error['parameter']})" if error.get("parameter") else ""
    return f" [at {error['jsonPath']}{parameter}]"


def output_files(document: dict[str, Any]) -> list[str]:
    """Files written by the run's steps (their ``files`` named return), in order, once each."""
    found: list[str] = []
    for execution in document.get("executions", {}).values():
        for pipeline in (execution.get("pipelines") or {}).values():
            for step in (pipeline.get("steps") or {}).values():
                files = (step.get("namedReturns") or {}).get("files") if step.get("status") == StepStatus.COMPLETE else None
                if isinstance(files, str):
                    files = [files]
                for item in files if isinstance(files, list) else []:
                    if isinstance(item, str) and item not in found:
                        found.append(item)
    return found


def summary_text(document: dict[str, Any]) -> str:
    """The run's status line, its executions and where the outputs went."""
    counts: dict[str, int] = {}
    for execution in document["executions"].values():
        counts[execution.get("status", "?")] = counts.get(execution.get("status", "?"), 0) + 1
    parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    took = f" in {document['durationSeconds']:.2f}s" if document.get("durationSeconds") is not None else ""
    lines = [f"run {document['runId']} {document['status']}{took} ({parts})", *execution_lines(document)]
    files = output_files(document)
    if files:
        lines.append("outputs:")
        shown = files[:20]
        lines.extend(f"  {f}" for f in shown)
        if len(files) > len(shown):
            lines.append(f"  ... and {len(files) - len(shown)} more")
    return "\n".join(lines)
