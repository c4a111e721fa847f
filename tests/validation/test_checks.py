"""Each check of DESIGN.md section 5a, called through ``validate_document``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from metalus_py.validation import ApplicationValidationError, validate_document
from metalus_py.validation.validate import validate_file

from .builders import Check, application, child, echo_step, find, marker_step


def test_valid_application_has_no_problem(check: Check) -> None:
    report = check(application([marker_step(next_step="E"), echo_step("E")]))
    assert report.ok and not report.problems, report.format()
    report.raise_for_errors()  # no error: nothing raised


def test_raise_for_errors_lists_every_problem(check: Check) -> None:
    report = check(application([marker_step(next_step="NOPE"), echo_step("E", type="moo")]))
    with pytest.raises(ApplicationValidationError) as caught:
        report.raise_for_errors()
    assert len(caught.value.problems) >= 2
    assert "NOPE" in str(caught.value) and "moo" in str(caught.value)
    assert report.format().endswith("in app.json")


# -- shapes and unknown fields -------------------------------------------------------------------
def test_type_problems_do_not_hide_other_problems(check: Check) -> None:
    document = application([marker_step(retryLimit="often", next_step="NOWHERE")])
    document["executions"].append(child("C", ["ROTO"], mergeGlobals="sometimes"))
    report = check(document)
    assert find(report, "executions[0].pipelines[0].steps[0].retryLimit", "expected an integer")
    assert find(report, "executions[1].mergeGlobals", "expected a boolean")
    assert find(report, "executions[0].pipelines[0].steps[0].nextStepId", "NOWHERE")
    assert find(report, "executions[1].parents[0]", "did you mean 'ROOT'?")


def test_bad_list_item_is_reported_once_at_its_path(check: Check) -> None:
    document = application()
    document["executions"][0]["pipelines"][0]["steps"].append("not a step")
    document["executions"].append(child("C", ["ROOT", 7]))
    report = check(document)
    assert find(report, "executions[0].pipelines[0].steps[1]", "expected an object, got string")
    assert find(report, "executions[1].parents[1]", "expected a string, got number 7")
    assert len(report.errors) == 2, report.format()


@pytest.mark.parametrize("document", [[1], "text", None])
def test_document_must_be_an_object(check: Check, document: Any) -> None:
    report = check(document)
    assert report.errors and "expected the application as a JSON object" in report.errors[0].message


def test_application_wrapper_is_accepted(check: Check) -> None:
    assert check({"application": application()}).ok


def test_fork_by_value_spelling_is_named_as_written(check: Check) -> None:
    report = check(application(executionType="fork", forkByValue=["a"]))
    assert find(report, "executions[0].forkByValue", "expected a string")


def test_unknown_fields_warn_at_every_level(check: Check) -> None:
    document = application([marker_step(nextStepid="X", engineMeta={"spark": "MarkerSteps.writeMarker", "sprak": 1})])
    document["executions"][0]["parent"] = ["x"]
    document["executions"][0]["pipelines"][0]["stepz"] = []
    document["executions"][0]["pipelines"][0]["steps"][0]["params"][0]["vaule"] = 1
    document["stepPackage"] = []
    report = check(document)
    assert report.ok
    for path, hint in [("executions[0].pipelines[0].steps[0].nextStepid", "nextStepId"),
                       ("executions[0].pipelines[0].steps[0].engineMeta.sprak", "spark"),
                       ("executions[0].parent", "parents"), ("executions[0].pipelines[0].stepz", "steps"),
                       ("executions[0].pipelines[0].steps[0].params[0].vaule", "value"),
                       ("stepPackage", "stepPackages")]:
        assert find(report, path, f"did you mean '{hint}'?", "warning"), (path, report.format())
    strict = check(document, strict=True)
    assert find(strict, "stepPackage", "unknown field 'stepPackage'")
    assert len(strict.errors) == 6


def test_spark_sections_warn_once_each(check: Check) -> None:
    document = application()
    document.update({"sparkConf": {}, "sparkListeners": [], "sparkUdfs": [], "json4sSerializers": {}})
    report = check(document, strict=True)
    assert report.ok, report.format()
    assert sorted(p.path for p in report.warnings) == ["json4sSerializers", "sparkConf", "sparkListeners",
                                                       "sparkUdfs"]


# -- the execution plan --------------------------------------------------------------------------
def test_plan_problems(check: Check) -> None:
    document = application(executionType="forked")
    document["executions"] += [child("ROOT", []), child("A", ["B"]), child("B", ["A"]), child("S", ["S"]),
                               {"parents": ["ROOT"], "pipelines": [{"id": "X", "steps": [echo_step("E")]}]}]
    report = check(document)
    assert find(report, "executions[0].executionType", "did you mean 'fork'?")
    assert find(report, "executions[1].id", "duplicate execution id 'ROOT'")
    assert find(report, "executions[2].parents", "executions form a cycle: A -> B -> A")
    assert find(report, "executions[4].parents[0]", "is its own parent")
    assert find(report, "executions[5].id", "execution has no id")


def test_fork_executions(check: Check) -> None:
    document = application()
    document["executions"] += [child("F", ["ROOT"], executionType="fork", forkByValues="values"),
                               child("IN", ["F"]), child("J", ["IN"], executionType="join"),
                               child("AFTER", ["J"])]
    assert check(document).ok, check(document).format()
    no_values = application()
    no_values["executions"] += [child("F", ["ROOT"], executionType="fork"), child("J", ["F"], executionType="join")]
    assert find(check(no_values), "executions[1].forkByValues", "has no forkByValues")


def test_fork_scope_problem_comes_from_the_graph(check: Check) -> None:
    document = application()
    document["executions"] += [child("F", ["ROOT"], executionType="fork", forkByValues="v"),
                               child("IN", ["F"]), child("J", ["IN"], executionType="join"),
                               child("LEAK", ["J", "IN"])]
    report = check(document)
    assert any("without going through its join" in p.message for p in report.errors), report.format()


def test_execution_pipelines(check: Check) -> None:
    document = application(pipelineIds=["P1", "Pipeline9"], evaluationPipelineIds=["Eval"], initialPipelineId="P2")
    document["pipelines"] = [{"id": "Pipeline8", "steps": [echo_step("E")]}]
    report = check(document)
    assert find(report, "executions[0].pipelineIds[1]", "did you mean 'Pipeline8'?")
    assert find(report, "executions[0].evaluationPipelineIds[0]", "unknown pipeline id 'Eval'")
    assert find(report, "executions[0].initialPipelineId", "matches none of its pipelines (P1)")


def test_application_pipelines_serve_executions_without_pipelines(check: Check) -> None:
    document: dict[str, Any] = {"stepPackages": ["validation_steps"], "executions": [{"id": "0"}],
                                "pipelines": [{"id": "A", "steps": [marker_step()]}]}
    assert check(document).ok
    document.pop("pipelines")
    assert find(check(document), "executions[0]", "Either pipelines, pipelineIds or application pipelines")


def test_no_executions(check: Check) -> None:
    assert find(check({"stepPackages": []}), "executions", "has no executions")


def test_required_parameters(check: Check) -> None:
    document = application()
    document["requiredParameters"] = ["a", "b", "c"]
    report = check(document, parameters={"b": "x"})
    assert find(report, "requiredParameters", "Missing required parameters: a,c")
    assert check(document, parameters={"a": 1, "b": 2, "c": 3}).ok


# -- steps -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("reserved", ["LastStepId", "laststepid", "LASTSTEPID"])
def test_reserved_step_id(check: Check, reserved: str) -> None:
    report = check(application([marker_step(next_step=reserved), echo_step(reserved)]))
    assert find(report, "executions[0].pipelines[0].steps[1].id", f"Step id [{reserved}] is a reserved id")


def test_step_fields(check: Check) -> None:
    no_id = {k: v for k, v in echo_step("X").items() if k != "id"}
    no_type = {k: v for k, v in echo_step("T").items() if k != "type"}
    no_meta = {k: v for k, v in echo_step("M").items() if k != "engineMeta"}
    branch_no_meta = {"id": "B", "type": "branch", "params": []}
    report = check(application([marker_step(next_step="T"), no_id, no_type, no_meta, branch_no_meta,
                                echo_step("U", type="Step-Grup")]))
    base = "executions[0].pipelines[0].steps"
    assert find(report, f"{base}[1].id", "Step is missing id in pipeline [P1].")
    assert find(report, f"{base}[2].type", "[type] is required for step [T] in pipeline [P1].")
    assert find(report, f"{base}[3].engineMeta", "EngineMeta is required for [Pipeline] step [M]")
    assert find(report, f"{base}[4].engineMeta", "EngineMeta is required for [branch] step [B]")
    assert find(report, f"{base}[5].type", "did you mean 'step-group'?")


def test_step_types_are_case_insensitive(check: Check) -> None:
    assert check(application([marker_step(type="PIPELINE")])).ok


def test_step_references(check: Check) -> None:
    branch = {"id": "BR", "type": "branch", "engineMeta": {"spark": "MarkerSteps.echo"},
              "params": [{"name": "value", "type": "text", "value": "a"},
                         {"name": "a", "type": "result", "value": "E1"},
                         {"name": "b", "type": "result", "value": "E3"}]}
    report = check(application([marker_step(next_step="BR", nextStepOnError="HANDLR"), branch, echo_step("E1"),
                                echo_step("E2"), echo_step("HANDLER")]))
    base = "executions[0].pipelines[0].steps"
    assert find(report, f"{base}[0].nextStepOnError", "did you mean 'HANDLER'?")
    assert find(report, f"{base}[1].params[2].value", "branch result [b] of step [BR] names no step")
    assert find(report, f"{base}[3]", "is never reached", "warning")


def test_unreachable_step_is_a_warning(check: Check) -> None:
    report = check(application([marker_step(), echo_step("ORPHAN")]))
    assert report.ok
    assert find(report, "executions[0].pipelines[0].steps[1]", "step [ORPHAN] of pipeline [P1] is never reached",
                "warning")


def test_error_handler_is_reachable(check: Check) -> None:
    report = check(application([marker_step(nextStepOnError="H"), echo_step("H")]))
    assert not report.problems, report.format()


def test_pipeline_without_steps_or_id(check: Check) -> None:
    document = application()
    document["pipelines"] = [{"steps": []}]
    report = check(document)
    assert find(report, "pipelines[0].id", "pipeline has no id")
    assert find(report, "pipelines[0].steps", "has no steps")


# -- functions -------------------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["MarkerSteps.writeMarker", "MarkerSteps.write_marker",
                                    "validation_steps.marker_steps.MarkerSteps.echo"])
def test_functions_resolve(check: Check, target: str) -> None:
    assert check(application([marker_step(engineMeta={"spark": target})])).ok


def test_unresolvable_function_suggests_in_the_file_style(check: Check) -> None:
    report = check(application([marker_step(engineMeta={"command": "MarkerSteps.writeMarkr"})]))
    problem = report.errors[0]
    assert problem.path == "executions[0].pipelines[0].steps[0].engineMeta.command"
    assert problem.suggestion is not None and problem.suggestion.startswith("did you mean 'MarkerSteps.writeMarker'")
    assert problem.subject == "MARK"


def test_unknown_step_object_and_unimportable_package(check: Check) -> None:
    document = application([marker_step(engineMeta={"spark": "MarkerStep.writeMarker"})])
    document["stepPackages"].append("no_such_step_package")
    report = check(document)
    assert find(report, "executions[0].pipelines[0].steps[0].engineMeta.spark", "step object 'MarkerStep'")
    assert find(report, "stepPackages[1]", "cannot be imported", "warning")


def test_engine_meta_pkg_narrows_the_search(check: Check) -> None:
    meta = {"spark": "MarkerSteps.echo", "pkg": "com.acxiom.pipeline.steps"}
    report = check(application([marker_step(engineMeta=meta)]))
    assert find(report, "executions[0].pipelines[0].steps[0].engineMeta.spark", "MarkerSteps")


# -- step groups, forks, splits -------------------------------------------------------------------
def _group(*params: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": "G", "type": "step-group", "params": list(params), **extra}


def test_step_groups(check: Check, tmp_path: Path) -> None:
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "FileSub.json").write_text(
        '{"id": "FileSub", "steps": [{"id": "S", "type": "pipeline", "engineMeta": {"spark": "MarkerSteps.nope"}}]}')
    source = str(tmp_path / "app.json")
    document = application([marker_step(next_step="G"), _group({"name": "pipelineId", "value": "FileSub"})])
    report = check(document, source=source)
    assert find(report, "executions[0].pipelines[0].steps[1].params[0].value -> pipelines/FileSub.json: "
                "steps[0].engineMeta.spark", "nope is not a valid function")
    document = application([marker_step(next_step="G"), _group({"name": "pipeline", "value": "&Sub"})])
    document["pipelines"] = [{"id": "Sub", "steps": [echo_step("S")]}]
    assert check(document).ok
    document = application([marker_step(next_step="G"), _group(pipelineId="Sbu")])
    document["pipelines"] = [{"id": "Sub", "steps": [echo_step("S")]}]
    assert find(check(document), "executions[0].pipelines[0].steps[1].pipelineId", "did you mean 'Sub'?")
    mapped = application([marker_step(next_step="G"), _group({"name": "pipelineId", "value": "!subId"})])
    assert check(mapped).ok


def test_inline_step_group_pipeline_is_checked(check: Check) -> None:
    inline = {"id": "Inline", "steps": [echo_step("S", type="moo")]}
    document = application([marker_step(next_step="G"), _group(
        {"name": "pipeline", "type": "object", "className": "com.acxiom.pipeline.DefaultPipeline", "value": inline})])
    report = check(document)
    assert find(report, "executions[0].pipelines[0].steps[1].params[0].value.steps[0].type",
                "Unknown pipeline type: [moo]")


def _fork(*params: dict[str, Any]) -> dict[str, Any]:
    return {"id": "F", "type": "fork", "params": list(params), "nextStepId": "P"}


_VALUES = {"name": "forkByValues", "type": "text", "value": "@MARK"}
_TAIL = [echo_step("P", next_step="J", value="@F"), {"id": "J", "type": "join"}]


def test_fork_steps(check: Check) -> None:
    base = "executions[0].pipelines[0].steps[1]"
    report = check(application([marker_step(next_step="F"), _fork(), *_TAIL]))
    assert find(report, base, "Parameters [forkByValues] and [forkMethod] is required for fork step [F]")
    mapped_method = {"name": "forkMethod", "type": "text", "value": "!method"}
    assert check(application([marker_step(next_step="F"), _fork(_VALUES, mapped_method), *_TAIL])).ok
    upper = {"name": "forkMethod", "type": "text", "value": "Parallel"}
    assert check(application([marker_step(next_step="F"), _fork(_VALUES, upper), *_TAIL])).ok
    default = {"name": "forkMethod", "type": "text", "defaultValue": "serial"}
    assert check(application([marker_step(next_step="F"), _fork(_VALUES, default), *_TAIL])).ok


def test_split_steps(check: Check) -> None:
    split = {"id": "S", "type": "split", "params": [{"name": "a", "type": "result", "value": "A"},
                                                    {"name": "b", "type": "result", "value": "BB"}]}
    report = check(application([marker_step(next_step="S"), split, echo_step("A", next_step="M"),
                                echo_step("B", next_step="M"), {"id": "M", "type": "merge"}]))
    assert find(report, "executions[0].pipelines[0].steps[1].params[1].value", "split result [b] of step [S]")


# -- parameters ------------------------------------------------------------------------------------
def _with_param(param: dict[str, Any]) -> dict[str, Any]:
    return application([marker_step(next_step="E"), echo_step("E", params=[param])])


_PARAM = "executions[0].pipelines[0].steps[1].params[0]"


def test_required_parameters_of_steps(check: Check) -> None:
    assert find(check(_with_param({"name": "value", "required": True})), _PARAM, "has neither value nor defaultValue")
    assert find(check(_with_param({"name": "value", "required": True, "value": None})), _PARAM, "neither")
    assert check(_with_param({"name": "value", "required": True, "defaultValue": "d"})).ok
    assert check(_with_param({"name": "value", "required": True, "value": False})).ok
    branch = {"id": "E", "type": "branch", "engineMeta": {"spark": "MarkerSteps.echo"},
              "params": [{"name": "x", "type": "result", "required": True}]}
    assert check(application([marker_step(next_step="E"), branch])).ok


def test_scalascript_and_scripts(check: Check) -> None:
    report = check(_with_param({"name": "value", "type": "scalascript", "value": "(a:@MARK) a"}))
    assert find(report, f"{_PARAM}.type", "'result' parameter with a Python script")
    assert check(_with_param({"name": "value", "type": "result", "value": "(a:@MARK:String) a.upper()"})).ok
    report = check(_with_param({"name": "value", "type": "result", "value": "(a:@MARK"}))
    assert find(report, f"{_PARAM}.value", "Malformed bindings")


@pytest.mark.parametrize("value", ["@", "!.x", "@STEP..x", "Hi ${name", "!a || ", ["ok", {"k": "#"}]])
def test_bad_mapping_syntax(check: Check, value: Any) -> None:
    report = check(_with_param({"name": "value", "value": value}))
    assert any(p.path.startswith(f"{_PARAM}.value") and "bad mapping string" in p.message for p in report.errors), (
        report.format())


@pytest.mark.parametrize("value", ["@MARK", "!a || @MARK.c || default", "Hello ${MARK}!", "50$", "Hi \\${x",
                                   "text with @ sign"])
def test_good_mapping_strings(check: Check, value: str) -> None:
    assert check(_with_param({"name": "value", "value": value})).ok


def test_execute_if_empty_syntax(check: Check) -> None:
    report = check(application([marker_step(executeIfEmpty="@")]))
    assert find(report, "executions[0].pipelines[0].steps[0].executeIfEmpty", "names nothing")


def test_global_links_syntax(check: Check) -> None:
    document = application()
    document["globals"] = {"GlobalLinks": {"good": "!a.b", "bad": "@x..y", "notText": 3}}
    report = check(document)
    assert find(report, "globals.GlobalLinks.bad", "empty path segment")
    assert find(report, "globals.GlobalLinks.notText", "must be a mapping string")
    assert len(report.errors) == 2


# -- className objects -----------------------------------------------------------------------------
def test_class_names_in_globals(check: Check) -> None:
    document = application(globals={"one": {"className": "validation_steps.objects.Settings",
                                            "object": {"name": "n", "size": 2}},
                                    "many": [{"className": "validation_steps.objects.TypedSettings",
                                              "object": {"name": "n", "size": "big"}}]})
    document["globals"] = {"bad": {"className": "validation_steps.objects.Setings", "object": {}},
                           "dotless": {"className": "Settings", "object": {}}}
    report = check(document)
    assert find(report, "globals.bad.className", "did you mean 'validation_steps.objects.Settings'?")
    assert find(report, "globals.dotless.className", "not a dotted path")
    assert find(report, "executions[0].globals.many[0].className", "cannot be built")
    assert len(report.errors) == 3, report.format()


def test_class_info_sections(check: Check) -> None:
    document = application(stepMapper={"className": "validation_steps.objects.Settings",
                                       "parameters": {"name": "n", "extra": 1}})
    document["credentialProvider"] = {"className": "validation_steps.objects.Settings", "parameters": {"name": "x"}}
    document["securityManager"] = {"className": "nowhere.Manager"}
    report = check(document)
    assert find(report, "executions[0].stepMapper.className", "unexpected keyword argument 'extra'")
    assert find(report, "securityManager.className", "cannot be imported")
    assert len(report.errors) == 2, report.format()


def test_class_names_in_parameters(check: Check) -> None:
    good = {"name": "value", "type": "object", "className": "validation_steps.objects.TypedSettings",
            "value": {"name": "!someName", "size": "@MARK"}}
    assert check(_with_param(good)).ok
    missing = dict(good, className="validation_steps.objects.Nope")
    assert find(check(_with_param(missing)), f"{_PARAM}.className", "has no class 'Nope'")
    unbuildable = dict(good, value=[{"name": "a", "size": "big"}])
    assert find(check(_with_param(unbuildable)), f"{_PARAM}.className", "cannot be built")


# -- files -----------------------------------------------------------------------------------------
def test_pipeline_file_checked_once(check: Check, tmp_path: Path) -> None:
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "Shared.json").write_text(
        '[{"id": "Shared", "steps": [{"id": "A", "type": "pipeline", "nextStepId": "Z", '
        '"engineMeta": {"spark": "MarkerSteps.echo"}, "extraField": 1}]}]')
    document = application()
    document["executions"] += [{"id": "C1", "parents": ["ROOT"], "pipelineIds": ["Shared"]},
                               {"id": "C2", "parents": ["ROOT"], "pipelineIds": ["Shared"]}]
    report = check(document, source=str(tmp_path / "app.json"))
    assert [p.path for p in report.errors] == [
        "executions[1].pipelineIds[0] -> pipelines/Shared.json: steps[0].nextStepId"]
    assert find(report, "executions[1].pipelineIds[0] -> pipelines/Shared.json: steps[0].extraField", "unknown",
                "warning")


def test_validate_file_reports_syntax_and_empty_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "executions": [\n    {"id": 1,,}\n  ]\n}\n')
    report = validate_file(str(broken))
    assert not report.ok and "line 3, column 14" in report.format()
    empty = tmp_path / "empty.json"
    empty.write_text("  \n")
    assert "the file is empty" in validate_file(str(empty)).format()
    missing = validate_file(str(tmp_path / "missing.json"))
    assert "file not found" in missing.format()
    good = tmp_path / "good.json"
    good.write_text('{"stepPackages": ["validation_steps"], "executions": [{"id": "0", "pipelines": '
                    '[{"id": "P", "steps": [{"id": "S", "type": "pipeline", '
                    '"engineMeta": {"spark": "MarkerSteps.echo"}}]}]}]}')
    assert validate_file(str(good)).ok


def test_problem_to_dict_names_the_subject() -> None:
    report = validate_document(application([marker_step(next_step="NOPE")]), source="a.json", parameters={})
    data = report.errors[0].to_dict()
    assert data["path"] == "executions[0].pipelines[0].steps[0].nextStepId"
    assert data["id"] == "NOPE" and data["source"] == "a.json" and data["severity"] == "error"


def test_type_problems_inside_pipeline_files_and_inline_groups(check: Check, tmp_path: Path) -> None:
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "Typed.json").write_text(
        '{"id": "Typed", "steps": [{"id": "A", "type": "pipeline", "retryLimit": "often", '
        '"engineMeta": {"spark": "MarkerSteps.echo"}}, "not a step"]}')
    (tmp_path / "pipelines" / "Listed.json").write_text('"just text"')
    inline = {"id": "Inline", "steps": [echo_step("S", params="none")]}
    document = application([marker_step(next_step="G"), _group({"name": "pipeline", "value": inline})])
    document["executions"] += [{"id": "C", "parents": ["ROOT"], "pipelineIds": ["Typed", "Listed"]}]
    report = check(document, source=str(tmp_path / "app.json"))
    typed = "executions[1].pipelineIds[0] -> pipelines/Typed.json: "
    assert find(report, f"{typed}steps[0].retryLimit", "expected an integer")
    assert find(report, f"{typed}steps[1]", "expected an object, got string")
    assert find(report, "executions[1].pipelineIds[1] -> pipelines/Listed.json", "expected a pipeline as a JSON object")
    assert find(report, "executions[0].pipelines[0].steps[1].params[0].value.steps[0].params", "expected a list")
    assert len(report.errors) == 4, report.format()


@pytest.mark.parametrize("executions", [True, 3, "E", None])
def test_executions_of_the_wrong_type_are_reported_not_raised(executions: object) -> None:
    from metalus_py.validation.validate import validate_document

    report = validate_document({"executions": executions, "pipelines": []}, source="app.json", parameters={})
    assert not report.ok
    assert any(p.path.startswith("executions") for p in report.errors)
