"""Finding the function a step runs from ``engineMeta`` and ``stepPackages``.

``Object.function`` is looked up as attribute ``Object`` (a class, module or namespace) of each
package in ``stepPackages`` (or submodule ``package.Object``), in order, then as an absolute
module path. A camelCase name that is not found is retried as snake_case.

Only allowed packages are searched (:mod:`metalus_py.base.allowed`, DESIGN §14): the look-up
passes through no module outside them and no ``_private`` name, and a function of the standard
library or builtins is never a step.
"""

from __future__ import annotations

import difflib
import importlib
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

from metalus_py.base.allowed import AllowedPackages, is_standard_library
from metalus_py.base.classes import snake_case
from metalus_py.base.exceptions import StepDefinitionError


class StepResolutionError(StepDefinitionError):
    """No function matches an ``engineMeta`` reference; ``suggestions`` lists the closest names."""

    def __init__(self, message: str, *, suggestions: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.suggestions = list(suggestions or [])


class StepResolver:
    """Resolves and caches step functions for one set of step packages."""

    def __init__(self, step_packages: list[str] | None = None, allowed: AllowedPackages | None = None) -> None:
        self.step_packages = list(step_packages or [])
        self.allowed = allowed if allowed is not None else AllowedPackages(self.step_packages)
        self._cache: dict[tuple[str, str | None], Callable[..., Any]] = {}
        self._lock = threading.Lock()

    def resolve(self, target: str, pkg: str | None = None) -> Callable[..., Any]:
        """The function for ``target`` (``Object.function`` or ``module.function``).

        Raises:
            StepResolutionError: nothing matches; the message lists what was searched and close names.
        """
        key = (target, pkg)
        cached = self._cache.get(key)  # a dict read is atomic: no lock on the hot path
        if cached is not None:
            return cached
        function = self._find(target, pkg)
        with self._lock:
            self._cache[key] = function
        return function

    def _find(self, target: str, pkg: str | None) -> Callable[..., Any]:
        owner_name, _, function_name = target.rpartition(".")
        if any(part.startswith("_") for part in target.split(".")):
            raise StepResolutionError(f"step function {target!r} goes through a private name (starting with '_'); "
                                      "only public names of allowed packages are steps")
        requested = [pkg] if pkg else list(self.step_packages)
        allowed = self.allowed.including(pkg) if pkg else self.allowed
        refusals = [why for why in map(allowed.why_not_package, requested) if why]
        packages = [package for package in requested if not allowed.why_not_package(package)]
        if pkg and refusals:
            raise StepResolutionError(f"engineMeta.pkg {refusals[0]}")
        candidates: list[str] = []
        owners: list[Any] = []
        for package in packages:
            owner = _owner_in_package(package, owner_name, allowed)
            if owner is not None:
                owners.append(owner)
        if owner_name and allowed.allows_module(owner_name):  # an absolute path inside an allowed package
            top = next(p for p in allowed.packages if owner_name == p or owner_name.startswith(f"{p}."))
            absolute = _owner_in_package(top, owner_name[len(top) + 1:], allowed)
            if absolute is not None:
                owners.append(absolute)
        for owner in owners:
            function = _function_on(owner, function_name)
            if function is not None:
                why = allowed.why_not_object(function, target)
                if why:
                    raise StepResolutionError(why)
                return function
            candidates.extend(f"{owner_name}.{name}" for name in _public_callables(owner))
        if not owners and is_standard_library(owner_name or function_name):
            raise StepResolutionError(
                f"{target!r} names the Python standard library or builtins, which are never step functions; "
                f"steps come from steps_library, the file's stepPackages and the operator's allowed packages")
        if not owners:
            for package in packages:
                module = _import_path(package)
                if module is not None:
                    candidates.extend(_public_owners(module))
        searched = ", ".join(packages) if packages else "(no stepPackages)"
        suggestions = difflib.get_close_matches(target, candidates, n=3, cutoff=0.5)
        if not suggestions and candidates:
            suggestions = difflib.get_close_matches(snake_case(target), candidates, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        if owners:
            message = f"{function_name} is not a valid function of {owner_name!r} (searched {searched}){hint}"
        else:
            message = f"step object {owner_name!r} for {target!r} was not found in stepPackages [{searched}]{hint}"
        raise StepResolutionError(message, suggestions=suggestions)


def _import_path(path: str) -> Any:
    """Import a dotted path: a module, or attributes walked from the longest importable module."""
    if not path:
        return None
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for part in parts[cut:]:
                obj = getattr(obj, part)
        except AttributeError:
            return None
        return obj
    return None


def _owner_in_package(package: str, owner_name: str, allowed: AllowedPackages) -> Any:
    if not owner_name:
        return _import_path(package)
    base = _import_path(package)
    if base is None:
        return None
    obj: Any = base
    for part in owner_name.split("."):
        nxt = getattr(obj, part, None)
        if nxt is None and isinstance(obj, ModuleType):
            nxt = _import_path(f"{obj.__name__}.{part}")
        if nxt is None or (isinstance(nxt, ModuleType) and not allowed.allows_module(nxt.__name__)):
            return None  # never through a module outside the allowed packages (e.g. a re-exported `os`)
        obj = nxt
    return obj


def _function_on(owner: Any, name: str) -> Callable[..., Any] | None:
    for candidate in (name, snake_case(name)):
        function = getattr(owner, candidate, None)
        if callable(function) and not isinstance(function, type):
            return function
    return None


def _public_callables(owner: Any) -> list[str]:
    return [n for n in dir(owner) if not n.startswith("_") and callable(getattr(owner, n, None))]


def _public_owners(module: ModuleType) -> list[str]:
    return [n for n in dir(module) if not n.startswith("_")]
