"""Mapping strings and parameters checked before anything runs (DESIGN.md section 5a, second paragraph).

Each file of ``tests/resources/apps/invalid_mappings/`` holds one mistake a user makes. Errors:
``metalus validate`` and ``metalus run`` exit 2 naming the JSON path and suggesting the fix, and
nothing runs. Warnings: exit 0 with the warning, exit 2 with ``--strict``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from metalus_py.cli.main import main

BAD = Path(__file__).resolve().parents[1] / "resources" / "apps" / "invalid_mappings"
STEPS = "executions[0].pipelines[0].steps[1]"
CHILD = "executions[2].pipelines[0].steps[0].params[0].value"

# file -> (JSON path, message, did-you-mean or fix)
ERRORS: dict[str, tuple[str, str, str]] = {
    "unknown_step_reference.json": (f"{STEPS}.params[0].value", "'@READSTP' (the primary return of a step) names no step",
                                    "did you mean 'READSTEP'?"),
    "unknown_named_return.json": (f"{STEPS}.params[0].value", "'#READSTP.count'", "did you mean 'READSTEP'?"),
    "unknown_parameter_reference.json": (f"{STEPS}.params[0].value", "names no step or pipelineParameters key",
                                         "did you mean 'READSTEP'?"),
    "unknown_step_in_template.json": (f"{STEPS}.params[0].value", "'@{READSTP}'", "did you mean 'READSTEP'?"),
    "qualified_unknown_step.json": (f"{STEPS}.params[0].value", "names no step [READSTP] of pipeline [P1]",
                                    "did you mean 'READSTEP'?"),
    "parent_section_misspelled.json": (CHILD, "[pipelineParameter] is not a part of execution [LOAD]'s result",
                                       "did you mean 'pipelineParameters'?"),
    "parent_not_ancestor.json": (CHILD, "names execution [OTHER], which is not an ancestor of execution [USE]",
                                 "add 'OTHER' to the parents of [USE]"),
    "parent_unknown_pipeline.json": (CHILD, "pipeline [P_LAOD] is not run by execution [LOAD]",
                                     "did you mean 'P_LOAD'?"),
    "parent_unknown_step.json": (CHILD, "[RAED] is not a step of pipeline [P_LOAD]", "did you mean 'READ'?"),
    "parent_return_misspelled.json": (CHILD, "[primaryRetrun] is not a part of a step result",
                                      "did you mean 'primaryReturn'?"),
    "global_link_bad_parent_path.json": ("globals.GlobalLinks.loaded",
                                         f"(used by execution [USE] at {CHILD})", "did you mean 'namedReturn"),
    "integer_not_a_number.json": (f"{STEPS}.params[0].value", "is declared 'integer' but its value 'two' is not a number",
                                  "fix the parameter's type"),
    "boolean_not_true_false.json": (f"{STEPS}.params[2].value", "is declared 'boolean' but its value 'yes'",
                                    "give 'true' or 'false'"),
    "bool_hint_contradicted.json": (f"{STEPS}.params[2].value", "value 'yes' does not fit argument 'lazy' of take "
                                    "(annotated bool)", "give a value of type bool"),
    "int_hint_contradicted.json": (f"{STEPS}.params[1].value", "value 'two' does not fit argument 'count'",
                                   "give a value of type int"),
    "list_given_an_object.json": (f"{STEPS}.params[0].value", "is declared 'list' but its value {'a': 1} is not a list",
                                  "give a list"),
    "missing_required_argument.json": (STEPS, "does not give argument 'frame' that total requires",
                                       'add a parameter {"name": "frame", ...}'),
    "step_loops_on_itself.json": (STEPS, "loop forever: USE -> USE", "point a nextStepId or a branch result outside"),
    "steps_loop_forever.json": (STEPS, "loop forever: USE -> AGAIN -> USE", "outside the loop"),
    "bad_output_schema.json": (f"{STEPS}.outputSchema.type", "not a valid JSON Schema", "give a JSON Schema"),
    "bad_frame_contract.json": (f"{STEPS}.outputSchema.columns.id", "'Integer64' is not a polars dtype name",
                                '{"columns": {"name": "Int64"}'),
}

# file -> (JSON path, message, did-you-mean)
WARNINGS: dict[str, tuple[str, str, str]] = {
    "unknown_parameter_name.json": (f"{STEPS}.params[1].name", "parameter [cuont] of step [USE] in pipeline [P1] is not "
                                    "an argument of take(count, lazy, rows)", "did you mean 'count'?"),
    "undefined_global.json": (f"{STEPS}.params[0].value", "global '!inputPth' (in '!inputPth') is defined nowhere",
                              "did you mean 'inputPath'?"),
    "mapping_without_prefix.json": (f"{STEPS}.params[0].value", "'{outputPath}' in '{outputPath}/x.parquet' looks like "
                                    "a mapping but is not one", "write '!{outputPath}'"),
}


def _metalus(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str]:
    code = main(list(arguments))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _line(output: str, severity: str, path: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith(f"{severity}: ") and f": {path}: " in line]
    assert lines, output
    return "\n".join(lines)


def test_every_file_has_an_expectation() -> None:
    assert {p.name for p in BAD.glob("*.json")} == set(ERRORS) | set(WARNINGS)
    assert len(ERRORS) + len(WARNINGS) >= 15


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_error_names_path_text_and_fix(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path, message, suggestion = ERRORS[name]
    code, output = _metalus(capsys, "validate", str(BAD / name))
    assert code == 2, output
    line = _line(output, "error", path)
    assert message in line and suggestion in line, output
    assert "Traceback" not in output


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_run_of_a_bad_file_runs_nothing(name: str, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "result.json"
    code, output = _metalus(capsys, "run", str(BAD / name), "--output-json", str(out))
    assert code == 2, output
    assert ERRORS[name][0] in output
    assert not out.exists() and not (tmp_path / ".metalus").exists()


@pytest.mark.parametrize("name", sorted(WARNINGS))
def test_warning_is_an_error_with_strict(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path, message, suggestion = WARNINGS[name]
    code, output = _metalus(capsys, "validate", str(BAD / name))
    assert code == 0, output
    line = _line(output, "warning", path)
    assert message in line and suggestion in line, output
    code, output = _metalus(capsys, "validate", str(BAD / name), "--strict")
    assert code == 2, output
    line = _line(output, "error", path)
    assert message in line and suggestion in line, output
