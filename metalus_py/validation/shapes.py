"""JSON types and shapes of every field, and unknown fields at every level.

The file models (``metalus_py.model``) describe the shapes. :func:`build_model` validates a JSON
value against a model and, when pydantic finds problems, reports each one at its bracket path,
removes the offending value and tries again, so one bad field never hides the others and the
remaining checks still get a model to look at. :func:`check_unknown_fields` walks the raw JSON
guided by the same models. To accept a new field, add it to the model (or to ``EXTRA_FIELDS``
when it is accepted but has no model field).
"""

from __future__ import annotations

import copy
import difflib
import functools
import types
from dataclasses import dataclass, field
from typing import Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from metalus_py.base.problems import ValidationReport
from metalus_py.model.application import (
    Application,
    ClassInfo,
    Execution,
    PipelineParameter,
    PipelineParameters,
)
from metalus_py.model.pipeline import EngineMeta, Parameter, Pipeline, PipelineStep, RetryPolicy

M = TypeVar("M", bound=BaseModel)

#: Fields accepted without a model field of their own.
EXTRA_FIELDS: dict[type[BaseModel], frozenset[str]] = {
    # The model's generated alias is ``json4SSerializers``; files write ``json4sSerializers``.
    Application: frozenset({"json4sSerializers"}),
    Execution: frozenset({"forkByValue"}),
    Parameter: frozenset({"json4sSerializers"}),
}

_LABELS: dict[type[BaseModel], str] = {
    Application: "the application",
    Execution: "an execution",
    Pipeline: "a pipeline",
    PipelineStep: "a step",
    Parameter: "a step parameter",
    EngineMeta: "engineMeta",
    ClassInfo: "a class-info object",
    PipelineParameters: "pipelineParameters",
    PipelineParameter: "a pipelineParameters entry",
    RetryPolicy: "retryPolicy",
}

_EXPECTED = {
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "bool_type": "a boolean (true or false)",
    "bool_parsing": "a boolean (true or false)",
    "float_type": "a number",
    "float_parsing": "a number",
}


@dataclass
class Broken:
    """Where type problems were reported: later checks say nothing more about those places."""

    paths: list[str] = field(default_factory=list)
    reported: set[tuple[str, str]] = field(default_factory=set)

    def add(self, path: str, message: str) -> None:
        self.paths.append(path)
        self.reported.add((path, message))

    def hides(self, path: str, message: str) -> bool:
        """Whether a problem at ``path`` is about a value already reported as malformed."""
        if (path, message) in self.reported:
            return False
        return any(_under(path, broken) for broken in self.paths)


def _under(path: str, broken: str) -> bool:
    if not broken:
        return True
    return path == broken or path.startswith((broken + ".", broken + "[", broken + " ->", broken + ": "))


def json_path(loc: tuple[Any, ...]) -> str:
    """``("executions", 2, "pipelines", 0)`` -> ``executions[2].pipelines[0]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def at(prefix: str, relative: str) -> str:
    """Join a path prefix and a relative bracket path (``a[0]`` + ``b`` -> ``a[0].b``).

    A prefix ending with ``": "`` (a file reference such as ``pipelines/x.json: ``) is joined
    without a dot.
    """
    if not prefix:
        return relative
    if not relative:
        return prefix[:-2] if prefix.endswith(": ") else prefix
    if prefix.endswith(": ") or relative.startswith("["):
        return prefix + relative
    return f"{prefix}.{relative}"


def json_kind(value: Any) -> str:
    """The JSON name of a value's type (``string``, ``number``, ``object`` ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def describe_error(error: Any) -> str:
    """A pydantic error as "wrong type for 'x': expected a string, got number 1"."""
    loc = tuple(error.get("loc", ()))
    names = [p for p in loc if isinstance(p, str)]
    field = names[-1] if names else "value"
    if isinstance(loc[-1] if loc else None, int):
        field = f"{field}[{loc[-1]}]"
    expected = _EXPECTED.get(str(error.get("type")))
    value = error.get("input")
    if expected is None:
        return f"invalid value for {field!r}: {error.get('msg')} (got {_short(value)})"
    return f"wrong type for {field!r}: expected {expected}, got {json_kind(value)} {_short(value)}"


def build_model(
    cls: type[M], data: Any, report: ValidationReport, prefix: str, broken: Broken
) -> M | None:
    """Validate ``data`` as ``cls``, reporting every type problem under ``prefix``.

    Offending values are removed and validation retried, so the model returned holds every
    correct part. Paths of the removed values are recorded in ``broken`` (later checks do not
    report again about what is already reported here). ``None`` when ``data`` is not an object.
    """
    if not isinstance(data, dict):
        message = f"expected {_LABELS.get(cls, 'an object')} as a JSON object, got {json_kind(data)} {_short(data)}"
        report.error(at(prefix, ""), message)
        broken.add(at(prefix, ""), message)
        return None
    try:  # the common case: valid as written, no copy needed
        return cls.model_validate(data)
    except ValidationError:
        pass
    work = copy.deepcopy(data)
    pruned: set[tuple[Any, ...]] = set()
    for _ in range(100):
        try:
            return cls.model_validate(work)
        except ValidationError as exc:
            progress = False
            for error in exc.errors():
                loc = _actual_loc(work, tuple(error["loc"]))
                path = at(prefix, json_path(loc))
                message = describe_error({**error, "loc": loc})
                report.error(path, message)
                broken.add(path, message)
                if loc not in pruned:
                    pruned.add(loc)
                    progress = _prune(work, loc, str(error["type"])) or progress
            if not progress:
                return None
    return None


def _actual_loc(work: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Pydantic reports ``forkByValue`` under its accepted name ``forkByValues``: name what was written."""
    node: Any = work
    out: list[Any] = []
    for part in loc:
        if isinstance(node, dict) and part == "forkByValues" and part not in node and "forkByValue" in node:
            part = "forkByValue"
        out.append(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(out)


def _prune(work: Any, loc: tuple[Any, ...], kind: str) -> bool:
    node: Any = work
    for part in loc[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    last = loc[-1] if loc else None
    if isinstance(node, dict) and last in node:
        del node[last]
        return True
    if isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node):
        node[last] = {} if kind in ("model_type", "dict_type", "model_attributes_type") else ""
        return True
    return False


def _nested_model(annotation: Any) -> tuple[str, type[BaseModel]] | None:
    """``("one", Model)`` or ``("list", Model)`` when a field holds file models."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "one", annotation
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is list and args:
        inner = _nested_model(args[0])
        return ("list", inner[1]) if inner and inner[0] == "one" else None
    if origin is Union or origin is types.UnionType:
        for arg in args:
            found = _nested_model(arg)
            if found:
                return found
    return None


@functools.cache
def _fields(cls: type[BaseModel]) -> dict[str, Any]:
    """JSON name (alias) -> annotation of every field of ``cls``."""
    return {(info.alias or name): info.annotation for name, info in cls.model_fields.items()}


@functools.cache
def allowed_fields(cls: type[BaseModel]) -> frozenset[str]:
    """Every name a JSON object of ``cls`` may use (camelCase aliases, snake_case names, extras)."""
    return frozenset(_fields(cls)) | frozenset(cls.model_fields) | frozenset(EXTRA_FIELDS.get(cls, frozenset()))


@functools.cache
def _nested_fields(cls: type[BaseModel]) -> dict[str, tuple[str, type[BaseModel]] | None]:
    """For each JSON name or Python name of ``cls``: the file model it holds, if any."""
    fields = _fields(cls)
    table: dict[str, tuple[str, type[BaseModel]] | None] = {}
    for name, info in cls.model_fields.items():
        nested = _nested_model(fields[info.alias or name])
        table[name] = nested
        table[info.alias or name] = nested
    return table


def check_unknown_fields(
    cls: type[BaseModel], data: Any, report: ValidationReport, prefix: str, *, strict: bool
) -> None:
    """Report fields no model knows (warnings, errors when ``strict``), at every level below ``data``."""
    _walk_fields(cls, data, report, prefix, (), strict)


def _walk_fields(
    cls: type[BaseModel], data: Any, report: ValidationReport, prefix: str, loc: tuple[str | int, ...], strict: bool
) -> None:
    # The JSON path is only built for an unknown field: most objects have none.
    if not isinstance(data, dict):
        return
    if not allowed_fields(cls).issuperset(data):
        _report_unknown(cls, data, report, at(prefix, json_path(loc)) if loc else prefix, strict)
    nested_fields = _nested_fields(cls)
    for key in [k for k in data if k in nested_fields]:
        nested = nested_fields[key]
        if nested is None:
            continue
        kind, sub = nested
        value = data[key]
        if kind == "one":
            _walk_fields(sub, value, report, prefix, (*loc, key), strict)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                _walk_fields(sub, item, report, prefix, (*loc, key, index), strict)


def _report_unknown(cls: type[BaseModel], data: dict[Any, Any], report: ValidationReport, path: str,
                    strict: bool) -> None:
    allowed = allowed_fields(cls)
    fields = _fields(cls)
    for key in data:
        if key in allowed:
            continue
        close = difflib.get_close_matches(key, sorted(fields), n=1, cutoff=0.6)
        suggestion = f"did you mean {close[0]!r}?" if close else None
        message = f"unknown field {key!r} in {_LABELS.get(cls, 'an object')}" + ("" if strict else "; it is ignored")
        if strict:
            report.error(at(path, key), message, suggestion, subject=key)
        else:
            report.warning(at(path, key), message, suggestion, subject=key)
