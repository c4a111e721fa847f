"""The bad-input suite: every deliberately malformed application is rejected before anything runs.

Each file of ``tests/resources/apps/invalid/`` holds one problem (``several_problems.json``
holds many). ``metalus validate FILE`` must exit 2 and name the JSON path and the problem;
``metalus run FILE --state none`` must exit 2 too, and no step may run: the first step of every
file appends to the marker file given as ``--markerFile``, which must not exist afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
INVALID = TESTS / "resources" / "apps" / "invalid"
STEPSRC = TESTS / "stepsrc"

# file -> (extra arguments, expected path substring, expected message substring)
CASES: dict[str, tuple[list[str], str, str]] = {
    "syntax_error.json": ([], "line 4, column 19", "invalid JSON"),
    "empty.json": ([], "empty.json", "the file is empty"),
    "not_an_object.json": ([], "not_an_object.json", "expected the application as a JSON object"),
    "wrong_type_field.json": ([], "executions[0].pipelines[0].steps[0].retryLimit", "expected an integer"),
    "executions_not_list.json": ([], "executions:", "expected a list"),
    "parents_not_list.json": ([], "executions[1].parents", "expected a list"),
    "unknown_field_strict.json": (["--strict"], "executions[0].pipelines[0].steps[0].nextStepid",
                                  "did you mean 'nextStepId'?"),
    "unknown_execution_type.json": ([], "executions[0].executionType", "expected 'pipeline', 'fork' or 'join'"),
    "duplicate_execution_id.json": ([], "executions[1].id", "duplicate execution id 'ROOT'"),
    "unknown_parent.json": ([], "executions[1].parents[0]", "did you mean 'ROOT'?"),
    "cycle.json": ([], "executions[1].parents", "executions form a cycle: A -> B -> A"),
    "fork_without_join.json": ([], "executions[1]", "Unable to find a join execution for the fork execution FORK"),
    "fork_two_joins.json": ([], "executions[1]", "Multiple join executions found for FORK"),
    "fork_without_fork_by_values.json": ([], "executions[1].forkByValues", "has no forkByValues"),
    "unknown_pipeline_id.json": ([], "executions[1].pipelineIds[0]", "unknown pipeline id 'NoSuchPipeline'"),
    "unknown_evaluation_pipeline_id.json": ([], "executions[0].evaluationPipelineIds[0]",
                                            "unknown pipeline id 'NoSuchEvaluation'"),
    "bad_initial_pipeline.json": ([], "executions[0].initialPipelineId", "matches none of its pipelines"),
    "no_pipelines.json": ([], "executions[1]",
                          "Either pipelines, pipelineIds or application pipelines must be provided for an execution"),
    "step_missing_id.json": ([], "executions[0].pipelines[0].steps[1].id", "Step is missing id in pipeline [P1]."),
    "step_missing_type.json": ([], "executions[0].pipelines[0].steps[1].type",
                               "[type] is required for step [ECHO] in pipeline [P1]."),
    "reserved_step_id.json": ([], "executions[0].pipelines[0].steps[1].id",
                              "Step id [lastStepId] is a reserved id in pipeline [P1]."),
    "missing_engine_meta.json": ([], "executions[0].pipelines[0].steps[1].engineMeta",
                                 "EngineMeta is required for [Pipeline] step [ECHO] in pipeline [P1]"),
    "unknown_step_type.json": ([], "executions[0].pipelines[0].steps[1].type",
                               "Unknown pipeline type: [moo] for step [ECHO] in pipeline [P1]."),
    "duplicate_step_id.json": ([], "executions[0].pipelines[0].steps[3].id", "duplicate step id [ECHO]"),
    "bad_next_step.json": ([], "executions[0].pipelines[0].steps[0].nextStepId", "did you mean 'ECHO'?"),
    "bad_next_step_on_error.json": ([], "executions[0].pipelines[0].steps[0].nextStepOnError",
                                    "nextStepOnError [HANDLER] of step [MARK] names no step"),
    "bad_branch_result.json": ([], "executions[0].pipelines[0].steps[1].params[2].value",
                               "branch result [b] of step [BRANCH] names no step"),
    "step_group_without_pipeline.json": ([], "executions[0].pipelines[0].steps[1]",
                                         "Parameter [pipeline] or [pipelineId] is required for step group [GROUP]"),
    "step_group_unknown_pipeline.json": ([], "executions[0].pipelines[0].steps[1].params[0].value",
                                         "did you mean 'SubPipeline'?"),
    "fork_step_without_method.json": ([], "executions[0].pipelines[0].steps[1]",
                                      "Parameter [forkMethod] is required for fork step [FORK]"),
    "fork_step_without_values.json": ([], "executions[0].pipelines[0].steps[1]",
                                      "Parameter [forkByValues] is required for fork step [FORK]"),
    "fork_step_bad_method.json": ([], "executions[0].pipelines[0].steps[1].params[1].value",
                                  "did you mean 'serial'?"),
    "unclosed_nested_fork.json": ([], "executions[0].pipelines[0].steps[1]",
                                  "must be closed by join when embedding other forks!"),
    "split_one_path.json": ([], "executions[0].pipelines[0].steps[1]",
                            "At least two paths need to be defined to use a split step!"),
    "split_shared_step.json": ([], "executions[0].pipelines[0].steps[1]", "Step Ids must be unique across split flows!"),
    "split_two_merges.json": ([], "executions[0].pipelines[0].steps[1]",
                              "Flows must either terminate at a single merge step or pipeline end!"),
    "unknown_function.json": ([], "executions[0].pipelines[0].steps[1].engineMeta.spark",
                              "did you mean 'MarkerSteps.writeMarker'"),
    "unknown_step_object.json": ([], "executions[0].pipelines[0].steps[1].engineMeta.spark",
                                 "step object 'MarkerStep' for 'MarkerStep.echo' was not found in stepPackages"),
    "required_param_missing.json": ([], "executions[0].pipelines[0].steps[1].params[0]",
                                    "has neither value nor defaultValue"),
    "scalascript_param.json": ([], "executions[0].pipelines[0].steps[1].params[0].type",
                               "scalascript, which is not supported"),
    "bad_mapping_syntax.json": ([], "executions[0].pipelines[0].steps[1].params[0].value", "unclosed template"),
    "bad_class_name.json": ([], "globals.settings.className", "did you mean 'validation_steps.objects.Settings'?"),
    "class_cannot_be_built.json": ([], "globals.settings.className", "cannot be built from its arguments"),
    "bad_class_info.json": ([], "pipelineListener.className", "cannot be imported"),
    "bad_param_class_name.json": ([], "executions[0].pipelines[0].steps[1].params[0].className",
                                  "has no class 'Missing'"),
    "missing_required_parameters.json": ([], "requiredParameters",
                                         "Missing required parameters: mustGive,alsoThis"),
    "file_pipeline_bad_step.json": ([], "executions[1].pipelineIds[0] -> pipelines/FilePipelineBadStep.json: "
                                    "steps[1].engineMeta.spark", "nope is not a valid function of 'MarkerSteps'"),
    "file_pipeline_syntax_error.json": ([], "executions[1].pipelineIds[0] -> pipelines/FilePipelineSyntax.json",
                                        "invalid JSON at line 4, column 16"),
    "unused_app_pipeline_bad.json": ([], "pipelines[1].steps[0].type", "did you mean 'pipeline'?"),
    "bad_global_link.json": ([], "globals.GlobalLinks.short", "names nothing after '!'"),
    "several_problems.json": ([], "executions[1].parents[0]", "unknown parent 'ROTO'"),
}

#: Everything ``several_problems.json`` must report, all at once.
SEVERAL = [
    ("executions[0].pipelines[0].steps[0].retryLimit", "expected an integer"),
    ("requiredParameters", "Missing required parameters: mustGive"),
    ("executions[2].id", "duplicate execution id 'ROOT'"),
    ("executions[1].parents[0]", "did you mean 'ROOT'?"),
    ("executions[3].executionType", "did you mean 'fork'?"),
    ("executions[0].pipelines[0].steps[1].engineMeta.spark", "ech is not a valid function"),
    ("executions[0].pipelines[0].steps[1].nextStepId", "NOWHERE"),
    ("executions[0].pipelines[0].steps[2].type", "[type] is required for step [X]"),
    ("executions[0].pipelines[0].steps[2].params[0]", "has neither value nor defaultValue"),
]


def _metalus(*arguments: str, cwd: Path = INVALID) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(STEPSRC), str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("METALUS_STATE", None)
    return subprocess.run([sys.executable, "-m", "metalus_py.cli", *arguments], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_every_invalid_file_has_an_expectation() -> None:
    files = {p.name for p in INVALID.glob("*.json")}
    assert files == set(CASES)
    assert len(files) >= 30


@pytest.mark.parametrize("name", sorted(CASES))
def test_validate_names_path_and_problem(name: str) -> None:
    extra, path, message = CASES[name]
    completed = _metalus("validate", name, *extra)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 2, output
    assert path in output, output
    assert message in output, output
    assert "Traceback" not in output, output


@pytest.mark.parametrize("name", sorted(CASES))
def test_run_rejects_and_runs_nothing(name: str, tmp_path: Path) -> None:
    extra, _path, message = CASES[name]
    marker = tmp_path / "marker.txt"
    result = tmp_path / "result.json"
    completed = _metalus("run", name, "--state", "none", "--markerFile", str(marker),
                         "--output-json", str(result), *extra)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 2, output
    assert message in output, output
    assert "Traceback" not in output, output
    assert not marker.exists(), f"a step ran for {name}"
    assert not result.exists()


def test_several_problems_are_reported_together() -> None:
    completed = _metalus("validate", "several_problems.json")
    output = completed.stdout + completed.stderr
    assert completed.returncode == 2
    lines = output.splitlines()
    for path, message in SEVERAL:
        assert any(path in line and message in line for line in lines), (path, message, output)


def test_marker_shows_a_step_ran_for_a_valid_file(tmp_path: Path) -> None:
    """Control: the same skeleton without a problem runs and writes the marker."""
    document = json.loads((INVALID / "bad_next_step.json").read_text())
    document["executions"][0]["pipelines"][0]["steps"][0]["nextStepId"] = "ECHO"
    application = tmp_path / "valid.json"
    application.write_text(json.dumps(document))
    marker = tmp_path / "marker.txt"
    checked = _metalus("validate", str(application), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    completed = _metalus("run", str(application), "--state", "none", "--markerFile", str(marker), cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert marker.read_text().strip() == "ran"
