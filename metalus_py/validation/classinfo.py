"""``className`` objects: globals, step parameters and the class-info sections.

A class must come from an allowed package (DESIGN §14: never the standard library, builtins or
a ``_private`` name) and import; objects whose arguments are known before the run (globals,
class-info ``parameters``) must bind to the constructor's signature. Nothing is built: no
constructor, validator or nested class is called during validation.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pydantic import BaseModel, ValidationError

from metalus_py.base.allowed import AllowedPackages
from metalus_py.base.classes import (
    KNOWN_ALIASES,
    ClassResolutionError,
    import_class,
    snake_case,
)
from metalus_py.base.problems import ValidationReport
from metalus_py.mapping.syntax import contains_special
from metalus_py.validation.shapes import at

#: Class-info sections of the application and of each execution.
CLASS_INFO_SECTIONS = ("pipelineListener", "stepMapper", "securityManager", "pipelineManager", "credentialProvider")

#: Constructor arguments the engine supplies itself.
_INJECTED = frozenset({"credentialProvider", "credential_provider"})

_POLICY: ContextVar[AllowedPackages | None] = ContextVar("metalus_allowed_packages", default=None)


@contextmanager
def allowed_classes(policy: AllowedPackages) -> Iterator[None]:
    """Check every ``className`` met inside the block against ``policy``."""
    token = _POLICY.set(policy)
    try:
        yield
    finally:
        _POLICY.reset(token)


def _refusal(class_name: str) -> str | None:
    policy = _POLICY.get() or AllowedPackages()
    return policy.why_not_class_path(KNOWN_ALIASES.get(class_name, class_name))


def check_class_name(
    class_name: Any, arguments: Any, report: ValidationReport, path: str, *, build: bool
) -> None:
    """Report a ``className`` that cannot be imported, or (``build``) built from ``arguments``."""
    if not isinstance(class_name, str) or not class_name.strip():
        report.error(path, f"className must be a dotted Python path 'package.module.Class', got {class_name!r}")
        return
    refused = _refusal(class_name)
    if refused and "not in an allowed package" not in refused:  # the standard library or a private name
        report.error(path, refused, "use a class of steps_library or of a package in stepPackages",
                     subject=class_name)
        return
    try:
        cls = import_class(class_name)
    except ClassResolutionError as exc:
        report.error(path, f"{exc}", _class_suggestion(class_name), subject=class_name)
        return
    except Exception as exc:  # noqa: BLE001 - importing user code may raise anything
        report.error(path, f"className {class_name!r} cannot be imported: {type(exc).__name__}: {exc}",
                     subject=class_name)
        return
    if refused:  # importable, but outside the allowed packages
        report.error(path, refused, "use a class of steps_library or of a package in stepPackages",
                     subject=class_name)
        return
    if not build:
        return
    if arguments is not None and not isinstance(arguments, Mapping):
        report.error(path, f"className {class_name!r}: its arguments ('object' or 'parameters') must be a JSON "
                     f"object, got {type(arguments).__name__} {arguments!r}", subject=class_name)
        return
    problem = _build_problem(cls, arguments if isinstance(arguments, Mapping) else {})
    if problem:
        report.error(path, f"className {class_name!r} cannot be built from its arguments: {problem}",
                     "give the constructor's keyword arguments (camelCase or snake_case names)", subject=class_name)


def _class_suggestion(class_name: str) -> str | None:
    module_name, _, attr = class_name.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except Exception:  # noqa: BLE001 - a module that does not import has nothing to suggest
        return "check the module path and that its package is importable (PYTHONPATH or the application folder)"
    classes = [n for n in dir(module) if isinstance(getattr(module, n, None), type)]
    close = difflib.get_close_matches(attr, classes, n=1)
    return f"did you mean '{module_name}.{close[0]}'?" if close else None


def _build_problem(cls: type[Any], arguments: Mapping[str, Any]) -> str | None:
    """Why ``cls`` cannot be built from ``arguments`` (``None``: it can), from its signature alone."""
    if any(_has_mapping(v) for v in arguments.values()):
        return None  # resolved at run time; only the import is checked
    for key, value in arguments.items():
        problem = _nested_problem(value)
        if problem:
            return f"{key}: {problem}"
    if issubclass(cls, BaseModel) and not any(_is_class_value(v) for v in arguments.values()):
        # A pydantic model's declared field types are checked (its own validators are the model's code).
        try:
            cls.model_validate(dict(arguments))
        except ValidationError as exc:
            return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return None
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):  # a class without a signature: nothing more to check without calling it
        return None
    params = signature.parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        fitted = dict(arguments)
    else:
        fitted = {}
        for key, value in arguments.items():
            name = key if key in params else snake_case(key) if snake_case(key) in params else key
            fitted[name] = value
    for injected in _INJECTED:
        if injected in params and injected not in fitted:
            fitted[injected] = None
    try:
        signature.bind(**fitted)
    except TypeError as exc:
        return str(exc)
    return None


def _is_class_value(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("className"), str)


def _nested_problem(value: Any) -> str | None:
    """A nested ``{"className", "object"}`` value that is not allowed, does not import or does not bind."""
    if isinstance(value, list):
        return next((p for p in map(_nested_problem, value) if p), None)
    if not (isinstance(value, Mapping) and isinstance(value.get("className"), str)
            and ("object" in value or "parameters" in value)):
        return None
    class_name = value["className"]
    refused = _refusal(class_name)
    if refused:
        return refused
    try:
        cls = import_class(class_name)
    except Exception as exc:  # noqa: BLE001 - importing user code may raise anything
        return f"{type(exc).__name__}: {exc}"
    args = value.get("object", value.get("parameters"))
    return _build_problem(cls, args if isinstance(args, Mapping) else {})


def _has_mapping(value: Any) -> bool:
    if isinstance(value, str):
        return contains_special(value)
    if isinstance(value, Mapping):
        return any(_has_mapping(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_mapping(v) for v in value)
    return False


def check_global_objects(globals_: Any, report: ValidationReport, prefix: str) -> None:
    """``{"className", "object"}`` values (and list elements) of a globals object."""
    if not isinstance(globals_, Mapping):
        return
    for key, value in globals_.items():
        _check_value(value, report, at(prefix, str(key)))


def _check_value(value: Any, report: ValidationReport, path: str) -> None:
    if isinstance(value, Mapping) and "className" in value:
        if "object" in value or "parameters" in value:
            args = value.get("object", value.get("parameters"))
            build = not value.get("mapEmbeddedVariables")
            check_class_name(value["className"], args, report, at(path, "className"), build=build)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_value(item, report, f"{path}[{index}]")


def check_class_info_sections(section_owner: Any, report: ValidationReport, prefix: str) -> None:
    """The class-info sections of the application or of one execution (raw JSON)."""
    if not isinstance(section_owner, Mapping):
        return
    for section in CLASS_INFO_SECTIONS:
        info = section_owner.get(section)
        if isinstance(info, Mapping) and info.get("className") is not None:
            check_class_name(info["className"], info.get("parameters"), report,
                             at(at(prefix, section), "className"), build=True)


def check_parameter_class(
    class_name: Any, value: Any, report: ValidationReport, path: str
) -> None:
    """A step parameter's ``className``: importable; buildable when the value holds no mapping string."""
    if isinstance(value, list):
        check_class_name(class_name, None, report, path, build=False)
        for item in value:
            if isinstance(item, Mapping) and not _has_mapping(item):
                check_class_name(class_name, item, report, path, build=True)
        return
    build = isinstance(value, Mapping) and not _has_mapping(value)
    check_class_name(class_name, value if build else None, report, path, build=build)
