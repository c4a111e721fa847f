"""Checks of a whole application document (DESIGN.md section 5a)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from metalus_py.model.application import Application
from metalus_py.plan.graph import ExecutionGraph
from metalus_py.validation.report import ValidationReport


def json_path(loc: tuple[Any, ...]) -> str:
    """``("executions", 2, "pipelines", 0)`` -> ``executions[2].pipelines[0]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def validate_document(
    document: Any, *, source: str, parameters: dict[str, Any], strict: bool = False
) -> ValidationReport:
    """Every problem of an application document; nothing is run."""
    report = ValidationReport(source)
    if not isinstance(document, dict):
        report.error("", f"expected a JSON object (the application), got {type(document).__name__}")
        return report
    try:
        application = Application.model_validate(document)
    except ValidationError as exc:
        for error in exc.errors():
            report.error(json_path(tuple(error["loc"])), f"{error['msg']} (got {error.get('input')!r})")
        return report
    missing = [name for name in application.required_parameters if name not in parameters]
    if missing:
        report.error("requiredParameters", f"Missing required parameters: {','.join(missing)}",
                     "give each as --name value on the command line")
    for problem in ExecutionGraph(application).problems():
        report.error(problem.path, problem.message)
    return report
