"""Fixtures of the validation tests."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from metalus_py.validation import ValidationReport, validate_document

from .builders import Check


@pytest.fixture
def check() -> Check:
    """``check(document, source=..., parameters=..., strict=...)`` -> the report."""

    def run(document: Any, *, source: str = "app.json", parameters: dict[str, Any] | None = None,
            strict: bool = False) -> ValidationReport:
        # The builders' marker step reads ``!markerFile``: given as on the command line unless a test says otherwise.
        given = {"markerFile": "marker.txt"} if parameters is None else parameters
        return validate_document(copy.deepcopy(document), source=source, parameters=given, strict=strict)

    return run
