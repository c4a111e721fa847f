"""Metalus 2.0's test step package name: the same mock step objects."""

from com.acxiom.pipeline.steps import ExecutionSteps, MockStepObject

__all__ = ["ExecutionSteps", "MockStepObject"]
