"""The execution plan as a self-contained SVG picture (notebooks, docs), from :func:`plan_graph`.

The web monitor draws the same layout in the browser (``metalus_py/ui/static/graph.js``) with the same colours.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

#: Fill colour per status (shared with ``static/app.css``).
STATUS_COLOURS: dict[str, str] = {
    "PENDING": "#eaeef2",
    "RUNNING": "#bde0fe",
    "COMPLETE": "#b7e4c7",
    "ERROR": "#ffb3b3",
    "FAILED": "#ffb3b3",
    "KILLED": "#ffc9a9",
    "PAUSED": "#d8ccff",
    "STOPPED": "#ffe8a3",
    "SKIPPED": "#e0e0e0",
    "BLOCKED": "#f1d9b5",
}

#: Which status colours a node when fork values differ (the first one present wins).
PRECEDENCE = ("ERROR", "KILLED", "RUNNING", "PAUSED", "STOPPED", "BLOCKED", "PENDING", "SKIPPED", "COMPLETE")


def node_status(counts: Mapping[str, int]) -> str:
    """The status that colours a node from its per-status counts (PENDING when nothing ran)."""
    for status in PRECEDENCE:
        if counts.get(status):
            return status
    return next(iter(counts), "PENDING")


def _text(x: float, y: float, text: str, *, size: int = 12, weight: str = "normal", anchor: str = "middle") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-weight="{weight}" text-anchor="{anchor}" '
            f'font-family="system-ui, sans-serif" fill="#1f2328">{html.escape(text)}</text>')


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plan_svg(graph: Mapping[str, Any], counts: Mapping[str, Mapping[str, int]] | None = None) -> str:
    """An SVG of ``graph`` (from :func:`~metalus_py.plan.layout.plan_graph`).

    Args:
        graph: the plan graph with its layout.
        counts: per execution id, how many of its keys (fork values) are in each status; the node
            is coloured by :func:`node_status` and the counts are written under its name.
    """
    counts = counts or {}
    nodes = {n["id"]: n for n in graph["executions"]}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{graph["width"]}" height="{graph["height"]}" '
        f'viewBox="0 0 {graph["width"]} {graph["height"]}" role="img" aria-label="execution plan">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#57606a"/></marker></defs>',
    ]
    for edge in graph["edges"]:
        a, b = nodes[edge["from"]], nodes[edge["to"]]
        x1, y1 = a["x"] + a["width"] / 2, a["y"] + a["height"]
        x2, y2 = b["x"] + b["width"] / 2, b["y"]
        mid = (y1 + y2) / 2
        parts.append(f'<path d="M {x1:.1f} {y1:.1f} C {x1:.1f} {mid:.1f}, {x2:.1f} {mid:.1f}, {x2:.1f} {y2 - 2:.1f}" '
                     'fill="none" stroke="#57606a" stroke-width="1.4" marker-end="url(#arrow)"/>')
    for node in graph["executions"]:
        own = counts.get(node["id"], {})
        status = node_status(own)
        fill = STATUS_COLOURS.get(status, "#eaeef2")
        x, y, w, h = node["x"], node["y"], node["width"], node["height"]
        dash = ' stroke-dasharray="6 3"' if node["kind"] in ("fork", "join") else ""
        parts.append(f'<g class="execution" data-id="{html.escape(node["id"])}">'
                     f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="8" fill="{fill}" stroke="#57606a"'
                     f' stroke-width="1.2"{dash}/>')
        title = node["id"] + (f" ({node['kind']})" if node["kind"] != "pipeline" else "")
        parts.append(_text(x + w / 2, y + 20, _short(title, 26), weight="bold"))
        if own:
            summary = " · ".join(f"{n} {s.lower()}" for s, n in own.items())
        else:
            summary = ", ".join(str(p["id"]) for p in node["pipelines"]) or "no pipelines"
        parts.append(_text(x + w / 2, y + 40, _short(summary, 30), size=11))
        parts.append(f"<title>{html.escape(node['id'])}: {html.escape(status)}</title></g>")
    parts.append("</svg>")
    return "".join(parts)
