"""JSON summaries of step values, as shown in result documents (DESIGN.md section 6).

* Plain JSON values (``None``, bool, int, float, str, lists and str-keyed dicts of them) are
  returned as themselves, with non-JSON members summarised recursively.
* ``polars.DataFrame`` / ``pyarrow.Table`` / ``pyarrow.RecordBatch`` / ``pandas.DataFrame``:
  ``{"$type": ..., "shape": [rows, columns], "schema": {column: dtype string}}``.
* ``polars.LazyFrame``: ``{"$type": "polars.LazyFrame", "schema": {...}}`` – the schema only;
  nothing is collected.
* ``polars.Series``: ``{"$type": "polars.Series", "name": ..., "shape": [n], "dtype": ...}``.
* A :class:`~metalus_py.base.secrets.Secret`: the string ``***REDACTED***``; a secret value inside
  any other string is replaced by it too (:func:`~metalus_py.base.secrets.redact_secrets`).
* A :class:`~metalus_py.steps.response.StepResponse`: ``{"primaryReturn", "namedReturns"}``.
* An exception: ``{"$type": ..., "message": ...}``.
* Anything else: ``{"$type": "module.Class", "repr": <repr truncated to 200 characters>}``.

Libraries are recognised without importing them: a polars value implies polars is imported.
"""

from __future__ import annotations

import math
from typing import Any

from metalus_py.base.loaded_modules import loaded
from metalus_py.base.secrets import REDACTED, Secret, redact_secrets

__all__ = ["frame_metrics", "is_json_value", "summarize_value", "type_name"]

_REPR_LIMIT = 200
_SCALARS = (type(None), bool, int, float, str)


def type_name(value: Any) -> str:
    """``module.Class`` of a value (``polars.DataFrame`` rather than the internal module)."""
    cls = type(value)
    module = (
        cls.__module__.split(".", 1)[0]
        if cls.__module__.startswith(("polars", "pyarrow", "pandas"))
        else cls.__module__
    )
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def is_json_value(value: Any) -> bool:
    """True when ``value`` round-trips through JSON unchanged.

    Exact types only: ``None``, bool, int, finite float, str, and lists / str-keyed dicts of
    those (tuples, sets, str subclasses and secrets are not JSON values).
    """
    kind = type(value)
    if kind is float:
        return value == value and value not in (float("inf"), float("-inf"))
    if kind in _SCALARS:
        return True
    if kind is list:
        return all(is_json_value(v) for v in value)
    if kind is dict:
        return all(type(k) is str and is_json_value(v) for k, v in value.items())
    return False


def summarize_value(value: Any, *, repr_limit: int = _REPR_LIMIT) -> Any:
    """Describe ``value`` as JSON for a result document (rules in the module docstring).

    Args:
        value: any step value.
        repr_limit: longest ``repr`` kept for other objects.

    Returns:
        A JSON-serialisable value.
    """
    if isinstance(value, Secret):
        return REDACTED
    kind = type(value)
    if kind is str:
        return redact_secrets(value)  # a secret value inside a plain string (by value)
    if kind is float and not math.isfinite(value):  # NaN/Infinity are not JSON
        return {"$type": "float", "repr": repr(value)}
    if kind in _SCALARS:
        return value
    if kind is list or kind is tuple:
        return [summarize_value(v, repr_limit=repr_limit) for v in value]
    if kind is dict and all(type(k) is str for k in value):
        return {k: summarize_value(v, repr_limit=repr_limit) for k, v in value.items()}
    frame = _frame_summary(value)
    if frame is not None:
        return frame
    from metalus_py.steps.response import StepResponse

    if isinstance(value, StepResponse):
        return {
            "primaryReturn": summarize_value(value.primary_return, repr_limit=repr_limit),
            "namedReturns": summarize_value(value.named_returns, repr_limit=repr_limit),
        }
    if isinstance(value, BaseException):
        return {"$type": type_name(value), "message": redact_secrets(str(value))}
    try:
        text = repr(value)
    except Exception as exc:  # a broken __repr__ must not break the run
        text = f"<unrepresentable: {type(exc).__name__}>"
    if len(text) > repr_limit:
        text = text[: repr_limit - 1] + "…"
    return {"$type": type_name(value), "repr": redact_secrets(text)}


def _frame_summary(value: Any) -> dict[str, Any] | None:
    pl = loaded("polars")
    if pl is not None:
        if isinstance(value, pl.DataFrame):
            return {
                "$type": "polars.DataFrame",
                "shape": list(value.shape),
                "schema": {name: str(dtype) for name, dtype in value.schema.items()},
            }
        if isinstance(value, pl.LazyFrame):
            schema = value.collect_schema()
            return {"$type": "polars.LazyFrame", "schema": {n: str(d) for n, d in schema.items()}}
        if isinstance(value, pl.Series):
            return {
                "$type": "polars.Series",
                "name": value.name,
                "shape": [len(value)],
                "dtype": str(value.dtype),
            }
    pa = loaded("pyarrow")
    if pa is not None and isinstance(value, pa.Table | pa.RecordBatch):
        return {
            "$type": "pyarrow.Table" if isinstance(value, pa.Table) else "pyarrow.RecordBatch",
            "shape": [value.num_rows, value.num_columns],
            "schema": {field.name: str(field.type) for field in value.schema},
        }
    pd = loaded("pandas")
    if pd is not None and isinstance(value, pd.DataFrame):
        return {
            "$type": "pandas.DataFrame",
            "shape": list(value.shape),
            "schema": {str(name): str(dtype) for name, dtype in value.dtypes.items()},
        }
    return None


#: Plain values that are never frames (checked first: most step results are one of them).
_PLAIN_TYPES = frozenset({type(None), bool, int, float, str, bytes, list, dict, tuple, set})


def frame_metrics(value: Any) -> dict[str, Any]:
    """Automatic audit metrics for frames and tables: rows, columns, estimated bytes."""
    if type(value) in _PLAIN_TYPES:
        return {}
    pl = loaded("polars")
    if pl is not None and isinstance(value, pl.DataFrame):
        return {"rows": value.height, "columns": value.width, "estimatedBytes": int(value.estimated_size())}
    pa = loaded("pyarrow")
    if pa is not None and isinstance(value, pa.Table):
        return {"rows": value.num_rows, "columns": value.num_columns, "estimatedBytes": int(value.nbytes)}
    return {}
