"""Steps defined in a notebook: ``@step`` registers plain functions so applications can name them.

A decorated function stays an ordinary function (call it directly to try it out). It is also
set on the namespace :class:`NotebookSteps` of this module, so with ``metalus_py.notebook.registry``
in ``stepPackages`` an application names it ``NotebookSteps.<name>``. The builders add that
package for you. Registration lives in the current process: JSON exported from a notebook runs
wherever the same functions are registered (the same kernel, or a module that defines them).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import Any, TypeVar, overload

#: The step package that holds the registered steps.
REGISTRY_PACKAGE = "metalus_py.notebook.registry"
#: The object name under which registered steps are found.
REGISTRY_OBJECT = "NotebookSteps"

F = TypeVar("F", bound=Callable[..., Any])


class NotebookSteps:
    """Namespace of the steps registered with ``@step`` (attributes are set at registration)."""


def register(function: Callable[..., Any], name: str | None = None) -> str:
    """Register ``function`` (again, replacing an earlier one of that name); return its command."""
    step_name = name or getattr(function, "__name__", None)
    if not step_name or not step_name.isidentifier():
        raise ValueError(f"a step needs a Python identifier as its name, not {step_name!r}")
    setattr(NotebookSteps, step_name, staticmethod(function))
    command = f"{REGISTRY_OBJECT}.{step_name}"
    with contextlib.suppress(AttributeError, TypeError):  # builtins cannot carry attributes
        function.__metalus_command__ = command  # type: ignore[attr-defined]
    return command


def registered() -> dict[str, Callable[..., Any]]:
    """Every registered step by name."""
    return {name: getattr(NotebookSteps, name) for name in vars(NotebookSteps) if not name.startswith("_")}


def command_for(function: Callable[..., Any]) -> str:
    """The ``engineMeta.command`` naming ``function``.

    A function defined at the top of an importable module is named ``module.function``, so
    exported JSON runs anywhere that module can be imported (e.g. ``metalus run`` beside it);
    a function defined in the notebook itself gets its registry name (registered if needed).
    """
    importable = _module_path(function)
    if importable is not None:
        return importable
    command = getattr(function, "__metalus_command__", None)
    if isinstance(command, str):
        return command
    return register(function)


def _module_path(function: Callable[..., Any]) -> str | None:
    module_name = getattr(function, "__module__", None)
    name = getattr(function, "__name__", None)
    if not module_name or not name or module_name == "__main__" or module_name.startswith("metalus_py."):
        return None
    module = sys.modules.get(module_name)
    if module is None or getattr(module, name, None) is not function:
        return None
    return f"{module_name}.{name}"


@overload
def step(function: F, /) -> F: ...


@overload
def step(*, name: str | None = None) -> Callable[[F], F]: ...


def step(function: Any = None, /, *, name: str | None = None) -> Any:
    """Register a plain function as a step: ``@step`` or ``@step(name="cleanOrders")``.

    The function is returned unchanged; a pipeline builder given the function (or the string
    ``"NotebookSteps.<name>"``) runs it. Parameters bind by name, as for every step.
    """

    def decorate(target: F) -> F:
        register(target, name)
        return target

    return decorate(function) if function is not None else decorate


__all__ = ["REGISTRY_OBJECT", "REGISTRY_PACKAGE", "NotebookSteps", "command_for", "register", "registered", "step"]
