"""Walking a dotted path (``a.b[1].c``) into maps, lists, strings and other Python objects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from metalus_py.base.classes import snake_case
from metalus_py.base.exceptions import MappingError
from metalus_py.mapping.syntax import split_indexes

_MISSING = object()


def extract_path(value: Any, segments: Sequence[str], *, methods_enabled: bool) -> Any:
    """Follow ``segments`` from ``value``; a missing key, attribute or index gives ``None``.

    Raises:
        MappingError: a segment names a method and ``extractMethodsEnabled`` is off.
    """
    for segment in segments:
        if value is None:
            return None
        found = _member(value, segment, methods_enabled=methods_enabled)
        if found is _MISSING:
            name, indexes = split_indexes(segment)
            if not indexes:
                return None
            found = _member(value, name, methods_enabled=methods_enabled) if name else value
            for index in indexes:
                found = index_into(found, index)
        value = None if found is _MISSING else found
    return value


def index_into(value: Any, index: int) -> Any:
    """``value[index]`` for strings, lists and tuples; ``None`` when out of range or not indexable."""
    if value is _MISSING or value is None:
        return None
    if isinstance(value, str | Sequence) and not isinstance(value, Mapping):
        return value[index] if 0 <= index < len(value) else None
    getitem = getattr(value, "__getitem__", None)
    if getitem is not None and not isinstance(value, Mapping):
        try:
            return getitem(index)
        except (IndexError, KeyError, TypeError):
            return None
    return None


def _member(value: Any, name: str, *, methods_enabled: bool) -> Any:
    if isinstance(value, Mapping):
        return value.get(name, _MISSING)
    if isinstance(value, str | bytes | int | float | bool):
        return _call_if_allowed(value, name, methods_enabled) if hasattr(value, name) else _MISSING
    for candidate in (name, snake_case(name)):
        if hasattr(type(value), candidate) or hasattr(value, candidate):
            return _call_if_allowed(value, candidate, methods_enabled)
    return _MISSING


def _call_if_allowed(owner: Any, name: str, methods_enabled: bool) -> Any:
    try:
        attribute = getattr(owner, name)
    except Exception:  # a property that raises: treat as missing, as Metalus does
        return _MISSING
    if callable(attribute) and not isinstance(attribute, type):
        if not methods_enabled:
            raise MappingError(
                f"Unable to extract: [{type(owner).__name__}.{name}]. {name} is a method. "
                "To enable method extraction, set the global [extractMethodsEnabled] to true."
            )
        return attribute()
    return attribute
