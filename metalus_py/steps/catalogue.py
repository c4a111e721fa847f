"""The step catalogue: every step function of some step packages, with parameters and summaries.

A step object is a public class (or module) of a step package whose public callables are the
steps; each entry gives the ``engineMeta.command`` to use (``Object.function``), the parameters
with their types and defaults, and the first line of the docstring. ``templates`` turns the
catalogue into Metalus-style step templates an editor or UI can offer.
"""

from __future__ import annotations

import importlib
import inspect
import typing
import uuid
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from metalus_py.steps.binding import CONTEXT_NAMES

_NAMESPACE = uuid.UUID("6f1c2b0e-8a3d-4c55-9d7e-3b6a1f0c9e21")


@dataclass(frozen=True)
class StepParameter:
    name: str
    type: str
    required: bool
    default: Any = None


@dataclass(frozen=True)
class StepEntry:
    """One step function as the catalogue lists it."""

    package: str
    owner: str
    function: str
    summary: str
    description: str
    parameters: tuple[StepParameter, ...] = field(default_factory=tuple)
    returns: str = ""
    #: The answers of a step usable as a branch (its ``branch_results`` attribute), else empty.
    branch_results: tuple[str, ...] = ()

    @property
    def command(self) -> str:
        return f"{self.owner}.{_camel(self.function)}"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _type_name(annotation: Any) -> str:
    if annotation is inspect.Parameter.empty:
        return "any"
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def describe(function: Any, *, package: str, owner: str, name: str) -> StepEntry:
    """A catalogue entry for one step function."""
    signature = inspect.signature(function)
    try:
        hints = typing.get_type_hints(function)
    except Exception:
        hints = {}
    parameters = []
    for parameter in signature.parameters.values():
        if parameter.name in CONTEXT_NAMES or parameter.kind in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL):
            continue
        annotation = hints.get(parameter.name, parameter.annotation)
        has_default = parameter.default is not inspect.Parameter.empty
        parameters.append(
            StepParameter(parameter.name, _type_name(annotation), not has_default,
                          parameter.default if has_default else None)
        )
    doc = inspect.getdoc(function) or ""
    summary = doc.splitlines()[0].strip() if doc else ""
    return StepEntry(package, owner, name, summary, doc, tuple(parameters),
                     _type_name(hints.get("return", signature.return_annotation)),
                     tuple(str(r) for r in getattr(function, "branch_results", ()) or ()))


def catalogue(packages: list[str]) -> list[StepEntry]:
    """Every step function of the given packages.

    Raises:
        ImportError: a package cannot be imported.
    """
    entries: list[StepEntry] = []
    for package in packages:
        module = importlib.import_module(package)
        for owner_name, owner in _owners(module):
            for name, function in _functions(owner):
                entries.append(describe(function, package=package, owner=owner_name, name=name))
    return entries


def _owners(module: ModuleType) -> list[tuple[str, Any]]:
    owners = []
    for name in sorted(dir(module)):
        if name.startswith("_"):
            continue
        value = getattr(module, name)
        if inspect.isclass(value) and value.__module__.startswith(module.__name__) and _functions(value):
            owners.append((name, value))
    return owners


def _functions(owner: Any) -> list[tuple[str, Any]]:
    found = []
    for name, value in inspect.getmembers(owner):
        if name.startswith("_"):
            continue
        raw = inspect.getattr_static(owner, name, None)
        if isinstance(raw, staticmethod) or (inspect.isfunction(value) and not inspect.isclass(owner)):
            found.append((name, value))
    return found


def templates(entries: list[StepEntry]) -> list[dict[str, Any]]:
    """Metalus-style step templates (``id``, ``displayName``, ``params``, ``engineMeta``) for editors."""
    out = []
    for entry in entries:
        out.append(
            {
                "id": str(uuid.uuid5(_NAMESPACE, f"{entry.package}.{entry.command}")),
                "displayName": entry.summary or entry.function,
                "description": entry.description,
                "type": "branch" if entry.branch_results else "Pipeline",
                "category": entry.owner,
                "params": [
                    {
                        "type": _template_type_from_name(p.type),
                        "name": _camel(p.name.rstrip("_")),
                        "required": p.required,
                        **({"defaultValue": p.default} if _jsonable(p.default) and p.default is not None else {}),
                        "parameterType": p.type,
                    }
                    for p in entry.parameters
                ] + [{"type": "result", "name": answer, "required": False} for answer in entry.branch_results],
                "engineMeta": {"command": entry.command, "pkg": entry.package, "results": {"primaryType": entry.returns}},
            }
        )
    return out


def _template_type_from_name(type_name: str) -> str:
    lowered = type_name.lower()
    if lowered.startswith("bool"):
        return "boolean"
    if lowered.startswith("int"):
        return "integer"
    if lowered.startswith(("list", "tuple", "sequence")):
        return "list"
    if lowered.startswith(("dict", "mapping")):
        return "object"
    return "text"


def _jsonable(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | dict)
