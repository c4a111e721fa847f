"""Step output contracts (``outputSchema``, DESIGN.md section 10).

A contract is either a JSON Schema for a JSON result, checked with ``jsonschema``, or a frame
contract ``{"columns": {"name": "dtype", ...}, "required": [...]}`` for a polars DataFrame or
LazyFrame or a pyarrow Table, checked on the schema only (a LazyFrame is never collected:
``collect_schema()`` resolves its columns). ``required`` defaults to every listed column.
Library steps declare theirs with :func:`output_schema`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from metalus_py.base.exceptions import PipelineException

ATTRIBUTE = "__metalus_output_schema__"
F = TypeVar("F", bound=Callable[..., Any])

#: Spellings of a dtype that mean the same polars type (all compared lower-case).
_ALIASES = {"str": "string", "utf8": "string", "text": "string", "bool": "boolean", "double": "float64",
            "float": "float64", "int": "int64", "integer": "int64", "long": "int64", "timestamp": "datetime",
            "large_string": "string", "large_utf8": "string"}
_FRAME_KEYS = frozenset({"columns", "required", "description", "additionalColumns"})


class OutputContractError(PipelineException):
    """A step's result breaks its ``outputSchema`` (never retried: the same code gives the same shape)."""

    terminal = True


def check_output(schema: Mapping[str, Any], value: Any, *, step_id: str | None, pipeline_id: str | None) -> None:
    """Raise :class:`OutputContractError` listing how ``value`` breaks ``schema``."""
    violations = contract_violations(schema, value)
    if violations:
        raise OutputContractError(f"the result of step [{step_id}] in pipeline [{pipeline_id}] breaks its "
                                  f"outputSchema: {'; '.join(violations[:10])}", step_id=step_id,
                                  pipeline_id=pipeline_id)


def output_schema(schema: Mapping[str, Any]) -> Callable[[F], F]:
    """Declare the output contract of a step function (shown by ``metalus steps --json``)."""

    def mark(function: F) -> F:
        setattr(function, ATTRIBUTE, dict(schema))
        return function

    return mark


def declared_schema(function: Any) -> dict[str, Any] | None:
    """The contract a step function declares, if any."""
    schema = getattr(function, ATTRIBUTE, None)
    return schema if isinstance(schema, dict) else None


def is_frame_contract(schema: Mapping[str, Any]) -> bool:
    return isinstance(schema.get("columns"), Mapping)


def schema_problems(schema: Any) -> list[tuple[str, str]]:
    """Problems of the contract itself, as ``(sub path, message)`` (empty when usable)."""
    if not isinstance(schema, Mapping):
        return [("", f"outputSchema must be an object (a JSON Schema or {{\"columns\": ...}}), got {schema!r}")]
    if is_frame_contract(schema):
        problems: list[tuple[str, str]] = []
        for key in schema:
            if key not in _FRAME_KEYS:
                problems.append((str(key), f"unknown key {key!r} of a frame contract (expected columns, required)"))
        for name, dtype in schema["columns"].items():
            if not isinstance(dtype, str) or _dtype_class(dtype) is None:
                problems.append((f"columns.{name}", f"column {name!r}: {dtype!r} is not a polars dtype name "
                                 "(e.g. Int64, Float64, String, Boolean, Date, Datetime)"))
        required = schema.get("required", [])
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            problems.append(("required", f"required must be a list of column names, got {required!r}"))
        return problems
    import jsonschema  # imported on first use: most runs declare no contract
    from jsonschema.exceptions import SchemaError

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except SchemaError as exc:
        where = ".".join(str(p) for p in exc.absolute_path)
        return [(where, f"not a valid JSON Schema: {exc.message} (keyword {exc.validator!r})")]
    return []


def contract_violations(schema: Mapping[str, Any], value: Any) -> list[str]:
    """How ``value`` breaks ``schema`` (empty when it fits)."""
    if is_frame_contract(schema):
        return _frame_violations(schema, value)
    if _frame_schema(value) is not None:
        return [f"expected a JSON value for this JSON Schema, got a {type(value).__module__}.{type(value).__name__}"]
    import jsonschema

    validator = jsonschema.validators.validator_for(schema)(schema)
    out = []
    for error in sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path)):
        out.append(f"at {error.json_path}: {error.message} (keyword {error.validator!r})")
    return out


def _frame_violations(schema: Mapping[str, Any], value: Any) -> list[str]:
    actual = _frame_schema(value)
    if actual is None:
        return [f"expected a frame or table (polars DataFrame/LazyFrame, pyarrow Table), got "
                f"{type(value).__name__}"]
    columns: Mapping[str, str] = schema["columns"]
    required = schema.get("required", list(columns))
    out = [f"missing column {name!r}" for name in required if name not in actual]
    for name, dtype in columns.items():
        if name in actual and not _same_dtype(dtype, actual[name]):
            out.append(f"column {name!r} has dtype {actual[name]}, expected {dtype}")
    if schema.get("additionalColumns") is False:
        out.extend(f"unexpected column {name!r}" for name in actual if name not in columns)
    return out


def _frame_schema(value: Any) -> dict[str, Any] | None:
    """Column -> polars dtype of a frame or table, read from its schema (never collected)."""
    import sys

    polars = sys.modules.get("polars")
    if polars is not None:
        if isinstance(value, polars.LazyFrame):
            return dict(value.collect_schema())
        if isinstance(value, polars.DataFrame):
            return dict(value.schema)
    pyarrow = sys.modules.get("pyarrow")
    if pyarrow is not None and isinstance(value, pyarrow.Table):
        import polars as pl

        return dict(pl.from_arrow(value.schema.empty_table()).schema)  # type: ignore[union-attr]
    return None


def _same_dtype(expected: str, actual: Any) -> bool:
    want = _ALIASES.get(expected.strip().lower(), expected.strip().lower())
    full = str(actual).lower()
    base = getattr(actual, "base_type", lambda: type(actual))().__name__.lower()
    base = _ALIASES.get(base, base)
    return want in (full, base)


def _dtype_class(name: str) -> Any:
    import polars as pl

    lowered = _ALIASES.get(name.strip().lower(), name.strip().lower())
    for attribute in dir(pl.datatypes):
        candidate = getattr(pl.datatypes, attribute)
        if isinstance(candidate, type) and issubclass(candidate, pl.DataType) and attribute.lower() == lowered:
            return candidate
    return None
