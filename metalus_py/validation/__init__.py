"""Validation before anything runs: every problem of an application, with file and JSON path."""

from metalus_py.validation.report import ApplicationValidationError, Problem, ValidationReport
from metalus_py.validation.validate import validate_document

__all__ = ["ApplicationValidationError", "Problem", "ValidationReport", "validate_document"]
