"""Every step object exposes typed, documented functions that the engine can resolve by name."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import steps_library
from steps_library import STEP_OBJECTS

STEPS = [
    (object_name, function_name, function)
    for object_name, cls in STEP_OBJECTS.items()
    for function_name, function in vars(cls).items()
    if isinstance(function, staticmethod)
]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_all_objects_are_exported() -> None:
    expected = {
        "FileSteps",
        "DataReaderSteps",
        "DataWriterSteps",
        "TransformationSteps",
        "SqlSteps",
        "QualitySteps",
        "DatabaseSteps",
        "StringSteps",
        "LoggingSteps",
        "FlowSteps",
        "ExceptionSteps",
    }
    assert set(STEP_OBJECTS) == expected
    assert expected <= set(steps_library.__all__)
    assert len(STEPS) >= 70


@pytest.mark.parametrize(
    ("object_name", "function_name", "function"), STEPS, ids=[f"{o}.{f}" for o, f, _ in STEPS]
)
def test_step_is_typed_and_documented(object_name: str, function_name: str, function: staticmethod) -> None:
    resolved = getattr(getattr(steps_library, object_name), function_name)
    assert inspect.isfunction(resolved)
    signature = inspect.signature(resolved)
    assert signature.return_annotation is not inspect.Signature.empty, "no return annotation"
    for parameter in signature.parameters.values():
        assert parameter.annotation is not inspect.Parameter.empty, (
            f"parameter {parameter.name} has no annotation"
        )
    doc = inspect.getdoc(resolved) or ""
    summary = doc.splitlines()[0] if doc else ""
    assert summary and summary.endswith((".", ")")), f"first docstring line is not a summary: {summary!r}"
    documented = [name for name in signature.parameters if name != "pipeline_context"]
    for name in documented:
        assert f"{name}:" in doc, f"parameter {name} is not documented under Args"


@pytest.mark.parametrize(
    "command",
    [
        "DataReaderSteps.readCsv",
        "DataWriterSteps.writeParquet",
        "FileSteps.listFiles",
        "TransformationSteps.applyFilter",
        "TransformationSteps.groupBy",
        "TransformationSteps.mapDataFrameToSchema",
        "TransformationSteps.addStaticColumnToDataFrame",
        "SqlSteps.queryDataFrame",
        "QualitySteps.checkNotNull",
        "DatabaseSteps.readTable",
        "StringSteps.toLowerCase",
        "StringSteps.stringSplit",
        "LoggingSteps.logMessage",
        "FlowSteps.isEmpty",
        "FlowUtilsSteps.simpleRetry",
        "ExceptionSteps.throwSkipExecutionException",
        "ExceptionSteps.throwPipelineException",
    ],
)
def test_metalus_camel_case_commands_resolve(command: str) -> None:
    object_name, function_name = command.split(".")
    holder = getattr(steps_library, object_name)
    assert callable(getattr(holder, function_name, None) or getattr(holder, _snake(function_name)))


def test_throw_pipeline_exception_parameters_match_metalus() -> None:
    parameters = inspect.signature(steps_library.ExceptionSteps.throw_pipeline_exception).parameters
    assert list(parameters) == ["message", "cause", "step_id_override"]


def test_modules_stay_small_and_typed_marker_exists() -> None:
    package = Path(steps_library.__file__).parent
    assert (package / "py.typed").exists()
    for module in package.glob("*.py"):
        assert len(module.read_text().splitlines()) < 500, module.name
