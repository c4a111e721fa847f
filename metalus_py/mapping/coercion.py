"""Converting a mapped value to the parameter's declared ``type`` (Metalus ``castToType``)."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from metalus_py.base.exceptions import MappingError

INTEGER_TYPES = frozenset({"int", "integer", "long", "short", "byte", "bigint"})
FLOAT_TYPES = frozenset({"float", "double"})
#: Every type a parameter may declare; anything else is treated as untyped.
KNOWN_TYPES = frozenset(
    {"text", "string", "boolean", "list", "object", "script", "scalascript", "result", "char", "character",
     "bigdecimal", "decimal", "number"}
) | INTEGER_TYPES | FLOAT_TYPES


def cast_to_type(value: Any, type_name: str | None, *, name: str | None = None) -> Any:
    """Convert ``value`` to ``type_name``; lists, maps and objects pass unchanged except to ``string``.

    Raises:
        MappingError: a string that does not parse as the declared number or boolean.
    """
    kind = (type_name or "text").lower()
    if value is None or isinstance(value, list | dict) and kind != "string":
        return value
    try:
        if kind == "string":
            return _to_string(value)
        if kind in INTEGER_TYPES:
            return _to_int(value)
        if kind in FLOAT_TYPES:
            return float(value.strip()) if isinstance(value, str) else float(value) if _is_number(value) else value
        if kind == "bigdecimal":
            return Decimal(str(value).strip()) if _is_number(value) or isinstance(value, str) else value
        if kind in ("char", "character"):
            return chr(int(value)) if _is_number(value) else value
        if kind == "boolean":
            return _to_bool(value)
    except (ValueError, InvalidOperation) as exc:
        label = f" for parameter [{name}]" if name else ""
        raise MappingError(f"Cannot convert {value!r} to {kind}{label}: {exc}") from exc
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _to_int(value: Any) -> Any:
    if isinstance(value, str):
        return int(value.strip())
    if isinstance(value, bool):
        return int(value)
    if _is_number(value):
        return int(value)
    return value


def _to_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        raise ValueError("expected 'true' or 'false'")
    if _is_number(value):
        return value != 0
    return value


def _to_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        try:
            return json.dumps(value)
        except TypeError:
            return str(value)
    return str(value)
