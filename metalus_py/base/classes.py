"""Building objects named by ``className`` (globals, parameters and class-info sections).

A ``className`` is a dotted Python path. The class is built by keyword arguments: a pydantic
model through ``model_validate``, a dataclass or plain class through its constructor. Keys
written in camelCase are passed as snake_case when the class expects that. A few Metalus class
names map to ours so Metalus files run unchanged.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from metalus_py.base.allowed import is_standard_library

#: Metalus (Scala) classes with a Python equivalent.
KNOWN_ALIASES = {
    "com.acxiom.pipeline.DefaultPipeline": "metalus_py.model.pipeline.Pipeline",
    "com.acxiom.metalus.DefaultPipeline": "metalus_py.model.pipeline.Pipeline",
    "com.acxiom.pipeline.steps.Schema": "steps_library.schema.Schema",
    "com.acxiom.pipeline.steps.Transformations": "steps_library.schema.Transformations",
    "com.acxiom.pipeline.steps.ColumnDetails": "steps_library.schema.ColumnDetails",
}

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def snake_case(name: str) -> str:
    """``normalFunction`` -> ``normal_function`` (already snake names are unchanged)."""
    return _CAMEL.sub("_", name).lower()


class ClassResolutionError(ImportError):
    """A ``className`` could not be imported; the message names the closest match when there is one."""


@lru_cache(maxsize=512)
def import_class(class_name: str) -> type[Any]:
    """Import the class at a dotted path (Metalus aliases understood)."""
    path = KNOWN_ALIASES.get(class_name, class_name)
    module_name, _, attr = path.rpartition(".")
    if not module_name:
        raise ClassResolutionError(f"className {class_name!r} is not a dotted path 'package.module.Class'")
    if is_standard_library(path) or any(part.startswith("_") for part in path.split(".")):
        # DESIGN §14, enforced at run time too (validation also checks the allowed packages).
        raise ClassResolutionError(f"className {class_name!r} is not allowed: the standard library, builtins "
                                   "and private names never provide classes of an application")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        # ``pkg.Outer.Inner`` style: import the longest importable prefix and walk attributes.
        parts = path.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            try:
                obj: Any = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            try:
                for part in parts[cut:]:
                    obj = getattr(obj, part)
            except AttributeError:
                break
            if isinstance(obj, type) and not is_standard_library(obj.__module__):
                return obj
        raise ClassResolutionError(f"className {class_name!r}: module {module_name!r} cannot be imported ({exc})") from exc
    cls = getattr(module, attr, None)
    if isinstance(cls, type) and is_standard_library(cls.__module__):
        raise ClassResolutionError(f"className {class_name!r} is not allowed: it is a class of the standard "
                                   f"library ({cls.__module__})")
    if not isinstance(cls, type):
        raise ClassResolutionError(f"className {class_name!r}: {module_name!r} has no class {attr!r}")
    return cls


def build_object(class_name: str, arguments: Mapping[str, Any] | None) -> Any:
    """Build ``class_name`` from keyword ``arguments`` (nested ``className`` maps built first)."""
    cls = import_class(class_name)
    kwargs = {key: build_nested(value) for key, value in (arguments or {}).items()}
    if issubclass(cls, BaseModel):
        return cls.model_validate(kwargs)
    return cls(**_fit_keywords(cls, kwargs))


def build_nested(value: Any) -> Any:
    """Build ``{"className", "object"|"parameters"}`` maps inside a value; leave the rest alone."""
    if isinstance(value, Mapping):
        if isinstance(value.get("className"), str) and ("object" in value or "parameters" in value):
            args = value.get("object", value.get("parameters"))
            return build_object(value["className"], args if isinstance(args, Mapping) else {})
        return value
    if isinstance(value, list):
        return [build_nested(item) for item in value]
    return value


def _fit_keywords(cls: type[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return kwargs
    params = signature.parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return kwargs
    fitted: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key in params:
            fitted[key] = value
        elif snake_case(key) in params:
            fitted[snake_case(key)] = value
        elif dataclasses.is_dataclass(cls) or key not in params:
            fitted[key] = value  # let the constructor report the unexpected name
    return fitted
