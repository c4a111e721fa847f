"""Step parameters against their declared ``type`` and the step function's signature.

Errors: a literal ``value`` that contradicts the parameter's declared ``type`` (``"two"`` for an
``integer``) or the function's type hint (``"yes"`` for a ``bool``); an argument the function
requires (no default, a type that does not admit ``None``) that the step neither gives nor maps.
Warning: a parameter name the function does not accept (Metalus ignores it; ``**kwargs`` takes
any name).
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from pydantic.alias_generators import to_camel

from metalus_py.base.classes import snake_case
from metalus_py.base.exceptions import MappingError
from metalus_py.base.problems import ValidationReport
from metalus_py.mapping.coercion import cast_to_type
from metalus_py.model.pipeline import Parameter, PipelineStep
from metalus_py.steps.binding import ArgumentSpec, admits_none, fits_annotation, function_spec
from metalus_py.validation.evaluated import literal
from metalus_py.validation.plan_checks import did_you_mean
from metalus_py.validation.shapes import at

#: Declared types whose literal is checked, and the JSON kinds each cannot be.
_NOT_ALLOWED: dict[str, tuple[type, ...]] = {
    "list": (dict, bool, int, float),
    "object": (list, bool, int, float),
}
_SCALAR_TYPES = ("integer", "int", "long", "short", "byte", "bigint", "boolean", "float", "double")


def step_literals(step: PipelineStep) -> list[tuple[bool, Any]]:
    """Each parameter's literal value, as ``(found, value)`` (both checks below read them)."""
    return [_literal_value(param) for param in step.params]


def check_declared_types(
    step: PipelineStep, pipeline_id: str, path: str, report: ValidationReport,
    literals: list[tuple[bool, Any]] | None = None,
) -> None:
    """Literal values that contradict their parameter's declared ``type``."""
    literals = literals if literals is not None else step_literals(step)
    for index, param in enumerate(step.params):
        kind = param.type_name
        if kind in ("result", "script", "scalascript") or param.class_name:
            continue
        found, value = literals[index]
        if not found:
            continue
        where = f"parameter [{param.name}] of step [{step.id or '?'}] in pipeline [{pipeline_id}]"
        expected = _declared_problem(value, kind)
        if expected:
            report.error(at(path, f"params[{index}].value"), f"{where} is declared {kind!r} but its value "
                         f"{value!r} is not {expected}", f"give {expected}, or fix the parameter's type",
                         subject=param.name)


def _declared_problem(value: Any, kind: str) -> str | None:
    if kind in _NOT_ALLOWED and isinstance(value, _NOT_ALLOWED[kind]):
        return "a list" if kind == "list" else "an object"
    if kind in _SCALAR_TYPES:  # lists and maps pass unchanged (Metalus castToType)
        try:
            cast_to_type(value, kind)
        except MappingError:
            return "'true' or 'false'" if kind == "boolean" else f"a number ({kind})"
    return None


def _literal_value(param: Parameter) -> tuple[bool, Any]:
    """The parameter's value when it is a literal (not a mapping string), after ``defaultValue``."""
    raw = param.value if param.has_value() else param.default_value if param.has_default() else None
    if raw is None:
        return False, None
    if isinstance(raw, str):
        return literal(raw)
    if isinstance(raw, list | dict):
        return not _has_mapping(raw), raw
    return True, raw


def _has_mapping(value: Any) -> bool:
    if isinstance(value, str):
        return not literal(value)[0]
    if isinstance(value, list):
        return any(_has_mapping(v) for v in value)
    if isinstance(value, dict):
        return any(_has_mapping(v) for v in value.values())
    return False


def check_signature(
    step: PipelineStep, function: Callable[..., Any], pipeline_id: str, path: str, report: ValidationReport,
    literals: list[tuple[bool, Any]] | None = None,
) -> None:
    """The step's parameters against ``function``'s signature (names, required arguments, type hints)."""
    literals = literals if literals is not None else step_literals(step)
    try:
        spec = function_spec(function)
    except (TypeError, ValueError):
        return  # a builtin without a signature: nothing to compare
    arguments = _arguments(function)
    sid = step.id or "?"
    covered: set[str] = set()
    for index, param in enumerate(step.params):
        if param.name is None or param.type_name == "result":
            continue
        names = _python_names(param.name)
        matched = next((n for n in names if n in arguments), None)
        if matched is None:
            if not spec.var_keyword and not any(n in ("pipelineContext", "pipeline_context") for n in names):
                camel = _uses_camel(step)
                shown = sorted(to_camel(n) if camel else n for n in arguments)
                report.warning(at(path, f"params[{index}].name"), f"parameter [{param.name}] of step [{sid}] in "
                               f"pipeline [{pipeline_id}] is not an argument of {spec.name}"
                               f"({', '.join(shown)}); it is ignored",
                               did_you_mean(param.name, shown, 0.5) or "remove it or rename it to an argument",
                               subject=param.name)
            continue
        covered.add(matched)
        argument = arguments[matched]
        if param.class_name or param.type_name in ("script", "scalascript"):
            continue
        found, value = literals[index]
        if not found or value is None:
            continue
        try:
            value = cast_to_type(value, param.type_name)
        except MappingError:
            continue  # reported by the declared-type check
        if not fits_annotation(value, argument.annotation):
            hint = getattr(argument.annotation, "__name__", str(argument.annotation))
            report.error(at(path, f"params[{index}].value"), f"parameter [{param.name}] of step [{sid}] in pipeline "
                         f"[{pipeline_id}]: value {value!r} does not fit argument {matched!r} of {spec.name} "
                         f"(annotated {hint})", f"give a value of type {hint}", subject=param.name)
    for name, argument in arguments.items():
        if name in covered or argument.has_default or admits_none(argument.annotation):
            continue
        label = to_camel(name) if _uses_camel(step) else name
        hint = getattr(argument.annotation, "__name__", str(argument.annotation))
        report.error(path, f"step [{sid}] in pipeline [{pipeline_id}] does not give argument {name!r} that "
                     f"{spec.name} requires (no default, annotated {hint}); it would be called with None",
                     f"add a parameter {{\"name\": \"{label}\", ...}} with a value or a mapping", subject=name)


@lru_cache(maxsize=4096)
def _arguments(function: Callable[..., Any]) -> dict[str, ArgumentSpec]:
    """The arguments a step parameter can give, by name (the context argument is not one; read only)."""
    return {a.name: a for a in function_spec(function).arguments if not a.is_context}


@lru_cache(maxsize=8192)
def _python_names(name: str) -> tuple[str, ...]:
    return tuple(f"{c}_" if keyword.iskeyword(c) else c for c in (name, snake_case(name)))


def _uses_camel(step: PipelineStep) -> bool:
    return any(p.name and "_" not in p.name and any(c.isupper() for c in p.name) for p in step.params)
