"""HTML for a run result: one table of executions, their pipelines and steps, with status and time."""

from __future__ import annotations

import html
import json
from typing import Any

from metalus_py.api.results import RunResult

_COLOURS = {
    "COMPLETE": "#1a7f37",
    "SKIPPED": "#6e7781",
    "STOPPED": "#9a6700",
    "BLOCKED": "#9a6700",
    "PAUSED": "#0969da",
    "ERROR": "#cf222e",
    "FAILED": "#cf222e",
    "KILLED": "#cf222e",
}
_CELL = "padding:2px 8px;text-align:left;"


def _badge(status: str) -> str:
    colour = _COLOURS.get(status, "#57606a")
    return f'<span style="color:{colour};font-weight:bold">{html.escape(status)}</span>'


def _seconds(start: float | None, end: float | None) -> str:
    return f"{end - start:.3f}s" if start is not None and end is not None else ""


def _summary(value: Any, limit: int = 80) -> str:
    if value is None:
        return ""
    if isinstance(value, dict) and "$type" in value:
        shape = value.get("shape")
        text = str(value["$type"]) + (f" {shape[0]}×{shape[1]}" if isinstance(shape, list) and len(shape) == 2 else "")
    else:
        try:
            text = json.dumps(value, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _row(level: int, name: str, status: str, seconds: str, detail: str) -> str:
    indent = f"padding-left:{8 + 18 * level}px;"
    weight = "font-weight:bold;" if level == 0 else ""
    return (
        f'<tr><td style="{_CELL}{indent}{weight}">{html.escape(name)}</td><td style="{_CELL}">{_badge(status)}</td>'
        f'<td style="{_CELL}">{seconds}</td><td style="{_CELL}">{html.escape(detail)}</td></tr>'
    )


def result_html(result: RunResult) -> str:
    """The run's status line and a table: executions, then their pipelines, then their steps."""
    rows = []
    for key, outcome in result.executions.items():
        rows.append(_row(0, key, outcome.status, _seconds(outcome.started_at, outcome.ended_at), outcome.reason or ""))
        for pipeline_id, record in outcome.pipelines.items():
            error = record.error.message if record.error else ""
            rows.append(_row(1, pipeline_id, record.status, _seconds(record.started_at, record.ended_at), error))
            for path, step in record.steps.items():
                detail = step.error.message if step.error else _summary(step.primary_return)
                attempts = f" ×{step.attempts}" if step.attempts > 1 else ""
                rows.append(_row(2, path + attempts, step.status, _seconds(step.started_at, step.ended_at), detail))
    header = "".join(f'<th style="{_CELL}">{title}</th>' for title in ("execution / pipeline / step", "status", "time", "result or reason"))
    return (
        f'<div class="metalus-run"><p>Run <code>{html.escape(result.run_id)}</code> of '
        f"<code>{html.escape(result.application_id or '')}</code>: {_badge(result.status)} "
        f"in {_seconds(result.started_at, result.ended_at)} (exit code {result.exit_code})</p>"
        f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )
