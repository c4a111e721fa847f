"""HTML for a run result: the step table (status, time, reused), errors, and frame previews.

Below the table: each failed step's error with its JSON path in the application file and its
traceback, then a preview (first rows and schema) of every frame a step produced. Previews
never compute a whole LazyFrame (see :mod:`.preview`).
"""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any

from metalus_py.base.records import StepRecord
from metalus_py.notebook.preview import preview, preview_ref

if TYPE_CHECKING:
    from metalus_py.notebook.results import NotebookResult

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


def _step_items(result: NotebookResult) -> list[tuple[str, str, str, StepRecord]]:
    return [
        (key, pipeline_id, path, step)
        for key, outcome in result.executions.items()
        for pipeline_id, record in outcome.pipelines.items()
        for path, step in record.steps.items()
    ]


def _errors_html(result: NotebookResult) -> str:
    from metalus_py.notebook.names import step_paths

    paths = step_paths(result.document or {})
    blocks = []
    for key, pipeline_id, path, step in _step_items(result):
        if step.error is None:
            continue
        name = f"{key}.{pipeline_id}.{path}"
        execution_id = result.executions[key].execution_id
        where = paths.get(f"{execution_id}.{pipeline_id}.{path.split('.')[0].split('[')[0]}")
        located = f" at <code>{html.escape(where)}</code>" if where else ""
        blocks.append(
            f"<div><b>{html.escape(name)}</b>{located}: {html.escape(step.error.type)}: "
            f"{html.escape(step.error.message)}<details><summary>traceback</summary>"
            f"<pre>{html.escape(step.error.traceback or '(no traceback recorded)')}</pre></details></div>"
        )
    return f"<h4>Errors</h4>{''.join(blocks)}" if blocks else ""


def _previews_html(result: NotebookResult) -> str:
    blocks = []
    for key, pipeline_id, path, step in _step_items(result):
        if "." in path or step.status != "COMPLETE":
            continue
        shown = None
        held = result.executions[key].parameters.get(pipeline_id, {})
        if path in held:
            shown = preview(getattr(held[path], "primary_return", held[path]))
        elif (key, pipeline_id, path) in result.output_refs:
            ref = result.output_refs[(key, pipeline_id, path)].get("primary") or {}
            try:
                shown = preview_ref(ref)
            except Exception as exc:  # a missing artifact must not hide the rest of the view
                blocks.append(f"<p>{html.escape(key)}.{html.escape(pipeline_id)}.{html.escape(path)}: "
                              f"preview unavailable ({html.escape(str(exc))})</p>")
        if shown is None:
            continue
        head, schema = shown
        columns = ", ".join(f"{html.escape(n)}: {html.escape(t)}" for n, t in schema.items())
        blocks.append(
            f"<details><summary><code>{html.escape(key)}.{html.escape(pipeline_id)}.{html.escape(path)}</code> "
            f"— first {head.height} rows; schema {{{columns}}}</summary>{head._repr_html_()}</details>"
        )
    return f"<h4>Frames</h4>{''.join(blocks)}" if blocks else ""


def result_html(result: NotebookResult) -> str:
    """The run's status line, the step table, the errors and the frame previews."""
    rows = []
    for key, outcome in result.executions.items():
        rows.append(_row(0, key, outcome.status, _seconds(outcome.started_at, outcome.ended_at), outcome.reason or ""))
        for pipeline_id, record in outcome.pipelines.items():
            error = record.error.message if record.error else ""
            rows.append(_row(1, pipeline_id, record.status, _seconds(record.started_at, record.ended_at), error))
            for path, step in record.steps.items():
                detail = step.error.message if step.error else _summary(step.primary_return)
                attempts = f" ×{step.attempts}" if step.attempts > 1 else ""
                took = "reused" if step.restored else _seconds(step.started_at, step.ended_at)
                rows.append(_row(2, path + attempts, step.status, took, detail))
    header = "".join(f'<th style="{_CELL}">{title}</th>' for title in ("execution / pipeline / step", "status", "time", "result or reason"))
    return (
        f'<div class="metalus-run"><p>Run <code>{html.escape(result.run_id)}</code> of '
        f"<code>{html.escape(result.application_id or '')}</code>: {_badge(result.status)} "
        f"in {_seconds(result.started_at, result.ended_at)} (exit code {result.exit_code})</p>"
        f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"{_reused_html(result)}{_errors_html(result)}{_previews_html(result)}</div>"
    )


def _reused_html(result: NotebookResult) -> str:
    reused = result.reused
    if not reused:
        return ""
    return f"<p>Reused from an earlier run ({len(reused)}): {html.escape(', '.join(reused))}</p>"
