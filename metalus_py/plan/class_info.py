"""The application's class-info objects: listeners, credential provider and pipeline manager.

``{"className": "pkg.mod.Class", "parameters": {...}}`` is built by keyword arguments (a
``credentialProvider``/``credential_provider`` argument receives the run's provider). A built
``pipelineListener`` receives the run's events (an execution's own listener only that
execution's); a ``credentialProvider`` answers ``%name`` mappings; a ``pipelineManager`` is asked
for pipelines before the application's own. ``stepMapper`` and ``securityManager`` are built
(so a bad one is an error) but mapping and parameters follow the built-in rules.
"""

from __future__ import annotations

import inspect
from typing import Any

from metalus_py.base.classes import build_nested, import_class, snake_case
from metalus_py.events import RunEvent
from metalus_py.model.application import Application, ClassInfo
from metalus_py.model.pipeline import Pipeline
from metalus_py.steps.runtime import PipelineManager


def build_class_info(info: ClassInfo | None, *, credential_provider: Any = None) -> Any:
    """The object a class-info section names, or ``None`` when it names no class."""
    if info is None or not info.class_name:
        return None
    cls = import_class(info.class_name)
    arguments = {key: build_nested(value) for key, value in (info.parameters or {}).items()}
    accepted: set[str]
    try:
        accepted = set(inspect.signature(cls).parameters)
    except (TypeError, ValueError):
        accepted = set()
    for name in ("credentialProvider", "credential_provider"):
        if name in accepted and name not in arguments:
            arguments[name] = credential_provider
    fitted = {(k if k in accepted or not accepted else snake_case(k) if snake_case(k) in accepted else k): v
              for k, v in arguments.items()}
    return cls(**fitted)


class ExecutionListener:
    """An execution's own ``pipelineListener``: it hears only that execution's events."""

    def __init__(self, execution_id: str, listener: Any) -> None:
        self.execution_id = execution_id
        self.listener = listener

    def on_event(self, event: RunEvent) -> None:
        if event.execution_id == self.execution_id:
            self.listener.on_event(event)


class ChainedPipelineManager:
    """A user pipeline manager first, then the application's own lookup."""

    def __init__(self, first: Any, fallback: PipelineManager) -> None:
        self.first = first
        self.fallback = fallback

    def get_pipeline(self, pipeline_id: str) -> Pipeline | None:
        found = self.first.get_pipeline(pipeline_id)
        if isinstance(found, dict):
            found = Pipeline.model_validate(found)
        return found if found is not None else self.fallback.get_pipeline(pipeline_id)


def class_info_listeners(application: Application, credential_provider: Any) -> list[Any]:
    """The listeners named by the application and its executions (objects with ``on_event``)."""
    listeners: list[Any] = []
    app_listener = build_class_info(application.pipeline_listener, credential_provider=credential_provider)
    if app_listener is not None:
        listeners.append(_require(app_listener, "on_event", "pipelineListener"))
    for execution in application.executions:
        own = build_class_info(execution.pipeline_listener, credential_provider=credential_provider)
        if own is not None:
            listeners.append(ExecutionListener(execution.id or "", _require(own, "on_event", "pipelineListener")))
    return listeners


def _require(obj: Any, method: str, section: str) -> Any:
    if not callable(getattr(obj, method, None)):
        raise TypeError(f"{section} {type(obj).__name__} has no {method}() method")
    return obj
