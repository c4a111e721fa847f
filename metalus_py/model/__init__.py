"""Pydantic models of the application file (camelCase in JSON, snake_case in Python).

The model imports nothing of the engine: it only describes the file.
"""

from metalus_py.model.application import (
    Application,
    ClassInfo,
    Execution,
    PipelineParameter,
    PipelineParameters,
)
from metalus_py.model.pipeline import EngineMeta, Parameter, Pipeline, PipelineStep, RetryPolicy

__all__ = [
    "Application",
    "ClassInfo",
    "EngineMeta",
    "Execution",
    "Parameter",
    "Pipeline",
    "PipelineParameter",
    "PipelineParameters",
    "PipelineStep",
    "RetryPolicy",
]
