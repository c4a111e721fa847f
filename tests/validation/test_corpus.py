"""The Metalus corpus: valid applications validate; Metalus's invalid ones are rejected with its messages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from metalus_py.validation import validate_document

CORPUS = Path(__file__).resolve().parents[1] / "resources" / "corpus"
APPLICATIONS = CORPUS / "applications"
PIPELINES = CORPUS / "pipelines"

VALID = [
    "single-execution.json", "parent-child.json", "multi-tiered.json", "multi-tiered-pause.json",
    "multi-tiered-exception.json", "global-links.json", "fork-application-test.json", "parent-child-skip.json",
    "skip-execution-test.json",
]

REJECTED = {
    "fork-validation-test.json": ("executions[0]", "Unable to find a join execution for the fork execution 0"),
    "fork-validation-test2.json": ("executions[0]", "Multiple join executions found for 0"),
    "no-pipeline-application-test.json": (
        "executions[0]", "Either pipelines, pipelineIds or application pipelines must be provided for an execution"),
}

INVALID_PIPELINES = {
    "invalid_split_flow.json": "At least two paths need to be defined to use a split step!",
    "invalid_step_split_flow.json": "Step Ids must be unique across split flows!",
    "invalid_complex_split_flow.json": "Flows must either terminate at a single merge step or pipeline end!",
}

VALID_PIPELINES = ["simple_split_flow.json", "complex_split_flow.json", "embedded_fork_pipeline.json",
                   "error_split_flow.json", "9ecbaee7-ba8d-4520-815b-e5e5a24b1872.json"]


def _load(path: Path) -> object:
    return json.loads(path.read_text())


def _wrapped(pipeline_file: str) -> dict[str, object]:
    document = _load(PIPELINES / pipeline_file)
    pipeline = document[0] if isinstance(document, list) else document
    return {"stepPackages": ["com.acxiom.pipeline.steps", "com.acxiom.pipeline"],
            "executions": [{"id": "0", "pipelines": [pipeline]}]}


@pytest.mark.parametrize("name", VALID)
def test_corpus_application_validates(name: str) -> None:
    report = validate_document(_load(APPLICATIONS / name), source=str(APPLICATIONS / name), parameters={})
    assert report.ok, report.format()


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_corpus_application_rejected_with_metalus_message(name: str) -> None:
    path, message = REJECTED[name]
    report = validate_document(_load(APPLICATIONS / name), source=str(APPLICATIONS / name),
                               parameters={"rootLogLevel": "INFO"})
    assert not report.ok
    assert any(p.path == path and message in p.message for p in report.errors), report.format()


@pytest.mark.parametrize("name", sorted(INVALID_PIPELINES))
def test_invalid_corpus_pipeline_rejected(name: str) -> None:
    report = validate_document(_wrapped(name), source=name, parameters={})
    assert any(INVALID_PIPELINES[name] in p.message and p.path.startswith("executions[0].pipelines[0].steps[")
               for p in report.errors), report.format()


@pytest.mark.parametrize("name", VALID_PIPELINES)
def test_valid_corpus_pipeline_validates(name: str) -> None:
    report = validate_document(_wrapped(name), source=name, parameters={})
    assert report.ok, report.format()


def test_pipeline_files_beside_the_application(tmp_path: Path) -> None:
    shutil.copytree(PIPELINES, tmp_path / "pipelines")
    document = {"stepPackages": ["com.acxiom.pipeline.steps"],
                "executions": [{"id": "0", "pipelineIds": ["simple_split_flow", "9ecbaee7-ba8d-4520-815b-e5e5a24b1872"]},
                               {"id": "1", "parents": ["0"], "pipelineIds": ["invalid_split_flow"]},
                               {"id": "2", "parents": ["0"], "pipelineIds": ["bad"]}]}
    source = tmp_path / "app.json"
    report = validate_document(document, source=str(source), parameters={})
    errors = {p.path: p.message for p in report.errors}
    assert errors == {
        "executions[1].pipelineIds[0] -> pipelines/invalid_split_flow.json: steps[1]":
            "At least two paths need to be defined to use a split step! "
            "(step [SPLIT] in pipeline [invalid_split_flow])",
        "executions[2].pipelineIds[0] -> pipelines/bad.json": "the file is empty (expected a JSON object)",
    }, report.format()
