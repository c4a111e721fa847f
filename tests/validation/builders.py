"""Small applications built in code for the validation tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from metalus_py.validation import ValidationReport
from tests.builders import step


def marker_step(step_id: str = "MARK", next_step: str | None = None, **extra: Any) -> dict[str, Any]:
    return step(step_id, "MarkerSteps.writeMarker",
                {"name": "path", "type": "text", "value": "!markerFile"}, next_=next_step, **extra)


def echo_step(step_id: str, next_step: str | None = None, value: Any = "x", **extra: Any) -> dict[str, Any]:
    return step(step_id, "MarkerSteps.echo", {"name": "value", "type": "text", "value": value},
                next_=next_step, **extra)


def application(steps: list[dict[str, Any]] | None = None, **execution: Any) -> dict[str, Any]:
    """One execution ``ROOT`` running pipeline ``P1`` of ``steps`` (a marker step by default)."""
    root: dict[str, Any] = {"id": "ROOT", "pipelines": [{"id": "P1", "steps": steps or [marker_step()]}]}
    root.update(execution)
    return {"stepPackages": ["validation_steps"], "executions": [root]}


def child(execution_id: str, parents: list[Any], **extra: Any) -> dict[str, Any]:
    execution: dict[str, Any] = {"id": execution_id, "parents": parents,
                                 "pipelines": [{"id": f"P_{execution_id}", "steps": [echo_step("S1")]}]}
    execution.update(extra)
    return execution


#: ``check(document, source=..., parameters=..., strict=...)`` -> the report.
Check = Callable[..., ValidationReport]


def find(report: ValidationReport, path: str, message: str, severity: str = "error") -> bool:
    """Whether the report holds a problem at ``path`` whose message (or suggestion) contains ``message``."""
    return any(
        p.severity == severity and p.path == path and (message in p.message or message in (p.suggestion or ""))
        for p in report.problems
    )
