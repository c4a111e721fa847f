"""Binding mapped parameter values to a step function's arguments (DESIGN.md section 3).

By name (a camelCase name also matches its snake_case argument; a Python keyword such as
``global`` binds to ``global_``); absent or ``None`` values fall back to the function's
default; ``pipeline_context`` receives the live context; ``**kwargs`` takes the rest. With
``validateStepParameterTypes`` on, annotated arguments are converted or rejected clearly.
"""

from __future__ import annotations

import inspect
import keyword
import threading
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from metalus_py.base.classes import snake_case
from metalus_py.base.exceptions import PipelineException
from metalus_py.steps.context import PipelineContext

CONTEXT_NAMES = frozenset({"pipelineContext", "pipeline_context"})


@dataclass(frozen=True)
class ArgumentSpec:
    name: str
    kind: inspect._ParameterKind
    has_default: bool
    annotation: Any
    is_context: bool


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    arguments: tuple[ArgumentSpec, ...]
    var_keyword: bool


_SPECS: dict[Callable[..., Any], FunctionSpec] = {}
_SPECS_LOCK = threading.Lock()


def function_spec(function: Callable[..., Any]) -> FunctionSpec:
    """The cached signature facts of a step function."""
    spec = _SPECS.get(function)  # atomic read; the lock only guards writes
    if spec is not None:
        return spec
    signature = inspect.signature(function)
    try:
        hints = typing.get_type_hints(function)
    except Exception:
        hints = {}
    arguments = []
    for parameter in signature.parameters.values():
        if parameter.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        annotation = hints.get(parameter.name, parameter.annotation)
        is_context = parameter.name in CONTEXT_NAMES or annotation is PipelineContext
        arguments.append(
            ArgumentSpec(
                parameter.name,
                parameter.kind,
                parameter.default is not inspect.Parameter.empty,
                annotation,
                is_context,
            )
        )
    var_keyword = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())
    spec = FunctionSpec(getattr(function, "__name__", repr(function)), tuple(arguments), var_keyword)
    with _SPECS_LOCK:
        _SPECS[function] = spec
    return spec


@dataclass(frozen=True)
class ArgumentPlan:
    """How a function's arguments are filled from parameters with fixed names (worked out once)."""

    spec: FunctionSpec
    #: Each argument with the file parameter it takes its value from (``None``: none gives it).
    sources: tuple[tuple[ArgumentSpec, str | None, Any], ...]
    #: File parameter names no argument takes (passed on through ``**kwargs`` when the function has it).
    spare: tuple[str, ...]


@lru_cache(maxsize=4096)
def plan_arguments(function: Callable[..., Any], names: tuple[str, ...]) -> ArgumentPlan:
    """The :class:`ArgumentPlan` of ``function`` for parameters called ``names`` (cached)."""
    spec = function_spec(function)
    by_python_name = _names_for(names)
    sources = tuple((a, by_python_name.get(a.name), _concrete(a.annotation)) for a in spec.arguments)
    used = {source for _, source, _ in sources if source is not None}
    return ArgumentPlan(spec, sources, tuple(n for n in names if n not in used))


def bind_arguments(
    function: Callable[..., Any],
    values: Mapping[str, Any],
    ctx: PipelineContext,
    *,
    validate_types: bool,
    step_id: str | None,
    pipeline_id: str | None,
) -> tuple[list[Any], dict[str, Any]]:
    """Positional-only and keyword arguments for calling ``function`` with the mapped ``values``."""
    return bind_planned(plan_arguments(function, tuple(values)), values, ctx, validate_types=validate_types,
                        step_id=step_id, pipeline_id=pipeline_id)


def bind_planned(
    plan: ArgumentPlan,
    values: Mapping[str, Any],
    ctx: PipelineContext,
    *,
    validate_types: bool,
    step_id: str | None,
    pipeline_id: str | None,
) -> tuple[list[Any], dict[str, Any]]:
    """:func:`bind_arguments` with the plan already worked out (``values`` has every name of the plan)."""
    positional: list[Any] = []
    keywords: dict[str, Any] = {}
    for argument, source, target in plan.sources:
        value = values[source] if source is not None else None
        if value is None:
            if argument.is_context:
                value = ctx
            elif argument.has_default:
                continue
        elif target is not None:
            value = _fit(value, target, argument, validate_types, plan.spec.name, step_id, pipeline_id)
        if argument.kind is inspect.Parameter.POSITIONAL_ONLY:
            positional.append(value)
        else:
            keywords[argument.name] = value
    if plan.spec.var_keyword:
        for name in plan.spare:
            if name not in keywords:
                keywords[name] = values[name]
    return positional, keywords


@lru_cache(maxsize=4096)
def _names_for(file_names: tuple[str, ...]) -> dict[str, str]:
    """Map each candidate Python argument name to the file parameter name it comes from."""
    values = file_names
    names: dict[str, str] = {}
    for name in values:
        for candidate in (name, snake_case(name)):
            if keyword.iskeyword(candidate):
                candidate += "_"
            names.setdefault(candidate, name)
    # exact names win over converted ones
    for name in values:
        names[name] = name
    return names


_SIMPLE = {int: "int", float: "float", bool: "bool", str: "str", list: "list", dict: "dict"}


def _fit(
    value: Any, target: type, argument: ArgumentSpec, validate: bool, function: str, step_id: str | None,
    pipeline_id: str | None,
) -> Any:
    """``value`` for an argument whose annotation's concrete class is ``target``."""
    if target is list and not isinstance(value, list | tuple):
        return [value]
    if not validate or argument.is_context:
        return value
    if _matches(value, target):
        return value
    converted = _convert(value, target)
    if converted is not _FAIL:
        return converted
    declared = getattr(target, "__name__", str(target))
    raise PipelineException(
        f"Failed to map value [{_short(value)}] of type [{type(value).__name__}] to paramName [{argument.name}] "
        f"of type [{declared}] for method [{function}] in step [{step_id}] in pipeline [{pipeline_id}]",
        step_id=step_id,
        pipeline_id=pipeline_id,
        parameter=argument.name,
    )


_FAIL = object()


def _concrete(annotation: Any) -> Any:
    """The single concrete class of an annotation (``Optional[X]`` -> X); ``None`` when not checkable."""
    if annotation is inspect.Parameter.empty or annotation is Any:
        return None
    origin = typing.get_origin(annotation)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _concrete(members[0]) if len(members) == 1 else None
    if origin is not None:
        return origin if isinstance(origin, type) else None
    return annotation if isinstance(annotation, type) else None


def _matches(value: Any, target: type) -> bool:
    if target is float and isinstance(value, int) and not isinstance(value, bool):
        return True
    if target is int and isinstance(value, bool):
        return False
    try:
        return isinstance(value, target)
    except TypeError:
        return True


def _convert(value: Any, target: type) -> Any:
    try:
        if target is int and isinstance(value, str):
            return int(value.strip())
        if target is int and isinstance(value, float) and value.is_integer():
            return int(value)
        if target is float and isinstance(value, str):
            return float(value.strip())
        if target is bool and isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        if target is str and isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        if target is list and isinstance(value, tuple):
            return list(value)
    except ValueError:
        return _FAIL
    return _FAIL


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def fits_annotation(value: Any, annotation: Any) -> bool:
    """Whether a literal ``value`` binds to an argument annotated ``annotation`` (as converted with
    ``validateStepParameterTypes`` on; a scalar given to a ``list`` argument is wrapped)."""
    target = _concrete(annotation)
    if target not in _SIMPLE or target is list or _matches(value, target):
        return True  # only plain JSON-like types are judged: other classes may accept a string or map
    return _convert(value, target) is not _FAIL


def admits_none(annotation: Any) -> bool:
    """Whether ``None`` is an acceptable value for ``annotation`` (unannotated and ``Any`` admit it)."""
    if annotation is inspect.Parameter.empty or annotation is Any or annotation is None or annotation is object:
        return True
    if isinstance(annotation, str):
        return True  # an unresolved forward reference: unknown, so not reported
    if annotation is type(None):
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        return any(admits_none(a) for a in typing.get_args(annotation))
    return isinstance(annotation, typing.TypeVar)


def none_arguments(function: Callable[..., Any], keywords: Mapping[str, Any]) -> list[str]:
    """Arguments bound to ``None`` whose annotation does not admit it (the likely cause of a failure)."""
    spec = function_spec(function)
    return [a.name for a in spec.arguments
            if not a.is_context and a.name in keywords and keywords[a.name] is None and not admits_none(a.annotation)]
