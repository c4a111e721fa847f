"""Test step objects referenced by the Metalus corpus (``ExecutionSteps.normalFunction`` ...)."""

from com.acxiom.pipeline.steps.execution_steps import ExceptionSteps, ExecutionSteps
from com.acxiom.pipeline.steps.mock_steps import ContextSteps, MockStepObject

__all__ = ["ContextSteps", "ExceptionSteps", "ExecutionSteps", "MockStepObject"]
