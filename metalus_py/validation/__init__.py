"""Validation before anything runs: every problem of an application, with file and JSON path.

``validate_document`` checks a parsed application, ``validate_file`` reads and parses one first
(JSON syntax errors reported with line and column). Both return a :class:`ValidationReport`;
``report.raise_for_errors()`` raises one :class:`ApplicationValidationError` listing them all.
"""

from metalus_py.base.problems import ApplicationValidationError, Problem, ValidationReport
from metalus_py.validation.validate import validate_document, validate_file

__all__ = ["ApplicationValidationError", "Problem", "ValidationReport", "validate_document", "validate_file"]
