"""Summaries of step values for result documents: see :mod:`metalus_py.steps.summary` (one implementation)."""

from metalus_py.steps.summary import frame_metrics, is_json_value, summarize_value, type_name

__all__ = ["frame_metrics", "is_json_value", "summarize_value", "type_name"]
