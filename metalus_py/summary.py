"""JSON-safe summaries of step values for result documents, events and the state store.

JSON values appear as themselves; frames and tables as ``{"$type", "shape", "schema"}``;
other objects as ``{"$type", "repr"}``. Secrets never appear.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

_MAX_ITEMS = 1000
_MAX_REPR = 200


def summarize_value(value: Any, *, depth: int = 0) -> Any:
    """A JSON-serialisable description of ``value`` (lists and maps summarised recursively)."""
    if value is None or isinstance(value, bool | int | str):
        return _redacted(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return float(value)
    if depth > 20:
        return {"$type": type(value).__name__, "repr": "..."}
    if isinstance(value, list | tuple):
        items = [summarize_value(v, depth=depth + 1) for v in value[:_MAX_ITEMS]]
        if len(value) > _MAX_ITEMS:
            items.append({"$truncated": len(value) - _MAX_ITEMS})
        return items
    if isinstance(value, Mapping):
        return {str(k): summarize_value(v, depth=depth + 1) for k, v in list(value.items())[:_MAX_ITEMS]}
    frame = _frame_summary(value)
    if frame is not None:
        return frame
    from metalus_py.steps.response import StepResponse

    if isinstance(value, StepResponse):
        return {
            "primaryReturn": summarize_value(value.primary_return, depth=depth + 1),
            "namedReturns": summarize_value(value.named_returns, depth=depth + 1),
        }
    if isinstance(value, BaseException):
        return {"$type": f"{type(value).__module__}.{type(value).__name__}", "message": str(value)}
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return {"$type": _type_name(value), **summarize_value(dump(mode="json"), depth=depth + 1)}
        except Exception:  # not every model dumps cleanly; fall back to repr
            pass
    text = repr(value)
    return {"$type": _type_name(value), "repr": text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 3] + "..."}


def _redacted(value: Any) -> Any:
    if isinstance(value, str) and getattr(value, "is_secret", False):
        return "***REDACTED***"
    return value


def _type_name(value: Any) -> str:
    cls = type(value)
    return f"{cls.__module__}.{cls.__qualname__}"


def _frame_summary(value: Any) -> dict[str, Any] | None:
    module = type(value).__module__
    if module.startswith("polars"):
        import polars as pl

        if isinstance(value, pl.DataFrame):
            return {"$type": "polars.DataFrame", "shape": list(value.shape), "schema": _schema(value.schema)}
        if isinstance(value, pl.LazyFrame):
            return {"$type": "polars.LazyFrame", "schema": _schema(value.collect_schema())}
        if isinstance(value, pl.Series):
            return {"$type": "polars.Series", "name": value.name, "length": len(value), "dtype": str(value.dtype)}
    if module.startswith("pyarrow"):
        import pyarrow as pa

        if isinstance(value, pa.Table | pa.RecordBatch):
            return {
                "$type": f"pyarrow.{type(value).__name__}",
                "shape": [value.num_rows, value.num_columns],
                "schema": {f.name: str(f.type) for f in value.schema},
            }
    return None


def _schema(schema: Mapping[str, Any]) -> dict[str, str]:
    return {name: str(dtype) for name, dtype in schema.items()}


def frame_metrics(value: Any) -> dict[str, Any]:
    """Automatic audit metrics for frames and tables: rows, columns, estimated bytes."""
    module = type(value).__module__
    if module.startswith("polars"):
        import polars as pl

        if isinstance(value, pl.DataFrame):
            return {"rows": value.height, "columns": value.width, "estimatedBytes": int(value.estimated_size())}
    if module.startswith("pyarrow"):
        import pyarrow as pa

        if isinstance(value, pa.Table):
            return {"rows": value.num_rows, "columns": value.num_columns, "estimatedBytes": int(value.nbytes)}
    return {}
