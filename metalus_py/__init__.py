"""metalus_py: an execution-plan orchestrator for data applications (the Python counterpart of Metalus).

Public names; everything else is internal.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
    from metalus_py.notebook import Application as ApplicationBuilder
    from metalus_py.notebook import NotebookResult, PlanView, step
    from metalus_py.notebook import Pipeline as PipelineBuilder
    from metalus_py.steps.context import PipelineContext
    from metalus_py.steps.response import StepResponse
    from metalus_py.validation import ApplicationValidationError, ValidationReport

_EXCEPTIONS = "metalus_py.base.exceptions"
#: Where each public name lives: ``(module, name there)``. Nothing is imported until a name is
#: used, so ``metalus`` commands and ``import metalus_py.<module>`` load only what they need.
_PUBLIC = {
    "load_document": ("metalus_py.api", "load_document"),
    "run_application": ("metalus_py.api", "run_application"),
    "run_pipeline": ("metalus_py.api", "run_pipeline"),
    "validate_application": ("metalus_py.api", "validate_application"),
    "RunResult": ("metalus_py.api.results", "RunResult"),
    **{
        name: (_EXCEPTIONS, name)
        for name in (
            "ApplicationError",
            "ForkedPipelineStepException",
            "PauseException",
            "PipelineException",
            "SkipExecutionException",
            "SkipExecutionPipelineStepException",
            "SplitStepException",
            "StepError",
        )
    },
    "PipelineListener": ("metalus_py.events", "PipelineListener"),
    "RunEvent": ("metalus_py.events", "RunEvent"),
    "PipelineContext": ("metalus_py.steps.context", "PipelineContext"),
    "StepResponse": ("metalus_py.steps.response", "StepResponse"),
    "ApplicationValidationError": ("metalus_py.validation", "ApplicationValidationError"),
    "ValidationReport": ("metalus_py.validation", "ValidationReport"),
    # the notebook names pull in polars
    "step": ("metalus_py.notebook", "step"),
    "NotebookResult": ("metalus_py.notebook", "NotebookResult"),
    "PlanView": ("metalus_py.notebook", "PlanView"),
    "PipelineBuilder": ("metalus_py.notebook", "Pipeline"),
    "ApplicationBuilder": ("metalus_py.notebook", "Application"),
}


def __getattr__(name: str) -> object:
    """A public name, imported from its module on first use (PEP 562)."""
    if name not in _PUBLIC:
        raise AttributeError(f"module 'metalus_py' has no attribute {name!r}")
    import importlib

    module, attribute = _PUBLIC[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})


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
