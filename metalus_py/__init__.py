"""metalus_py: an execution-plan orchestrator for data applications (the Python counterpart of Metalus).

Public names; everything else is internal.
"""

from metalus_py.api import load_document, run_application, run_pipeline, validate_application
from metalus_py.api.results import RunResult
from metalus_py.base.exceptions import (
    ApplicationError,
    ForkedPipelineStepException,
    PauseException,
    PipelineException,
    SkipExecutionException,
    SkipExecutionPipelineStepException,
    SplitStepException,
    StepError,
)
from metalus_py.events import PipelineListener, RunEvent
from metalus_py.steps.context import PipelineContext
from metalus_py.steps.response import StepResponse
from metalus_py.validation import ApplicationValidationError, ValidationReport

#: Notebook names, imported on first use (they pull in polars): ``from metalus_py import step``.
_NOTEBOOK = {
    "step": "step",
    "NotebookResult": "NotebookResult",
    "PlanView": "PlanView",
    "PipelineBuilder": "Pipeline",
    "ApplicationBuilder": "Application",
}


def __getattr__(name: str) -> object:
    if name in _NOTEBOOK:
        from metalus_py import notebook

        return getattr(notebook, _NOTEBOOK[name])
    raise AttributeError(f"module 'metalus_py' has no attribute {name!r}")


__all__ = [
    "ApplicationBuilder",
    "ApplicationError",
    "ApplicationValidationError",
    "ForkedPipelineStepException",
    "PauseException",
    "PipelineContext",
    "PipelineException",
    "PipelineListener",
    "RunEvent",
    "RunResult",
    "SkipExecutionException",
    "SkipExecutionPipelineStepException",
    "SplitStepException",
    "StepError",
    "StepResponse",
    "ValidationReport",
    "NotebookResult",
    "PipelineBuilder",
    "PlanView",
    "load_document",
    "run_application",
    "run_pipeline",
    "step",
    "validate_application",
]
