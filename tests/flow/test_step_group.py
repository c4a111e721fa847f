"""Step groups (metalus-spec 4.9, StepGroupStepTests and GlobalStepUpdateTests of spec 4.10)."""

from __future__ import annotations

from typing import Any

import pytest
from flowkit import p, pipeline, primary, records, response, run, run_failing, step

from metalus_py.model.pipeline import Pipeline
from metalus_py.steps.response import StepResponse

MOCK = "MockStepObject"
SUB_ID = "subPipelineId"


def sub_pipeline(**extra: Any) -> dict[str, Any]:
    return pipeline(
        SUB_ID,
        step("SUB_PIPELINE_STEP_ONE", f"{MOCK}.mockStepFunction", p("string", "!globalOne || !realGlobalOne || ONE"),
             p("boolean", True, "boolean"), next_="SUB_PIPELINE_STEP_TWO"),
        step("SUB_PIPELINE_STEP_TWO", f"{MOCK}.mockStepFunction", p("string", "!globalTwo || TWO"),
             p("boolean", True, "boolean"), next_="SUB_PIPELINE_STEP_THREE"),
        step("SUB_PIPELINE_STEP_THREE", f"{MOCK}.mockStepFunction", p("string", "!globalThree || THREE"),
             p("boolean", True, "boolean")),
        **extra,
    )


def parent(*group_params: dict[str, Any]) -> dict[str, Any]:
    return pipeline(
        "PARENT",
        step("PIPELINE_STEP_ONE", f"{MOCK}.mockStepFunction", p("string", "!globalOne || ONE"),
             p("boolean", True, "boolean"), next_="PIPELINE_STEP_TWO"),
        step("PIPELINE_STEP_TWO", None, *group_params, type_="step-group", next_="PIPELINE_STEP_THREE"),
        step("PIPELINE_STEP_THREE", f"{MOCK}.mockStepFunction", p("string", "!globalThree || THREE"),
             p("boolean", True, "boolean")),
    )


MAPPINGS = {"globalOne": "globalOne", "globalTwo": "gtwo", "globalThree": "3"}
SUB_STEPS = ["SUB_PIPELINE_STEP_ONE", "SUB_PIPELINE_STEP_TWO", "SUB_PIPELINE_STEP_THREE"]


def sub_primaries(group: StepResponse) -> list[Any]:
    results = group.primary_return if group.named_returns is None else group.named_returns
    assert list(results) == SUB_STEPS
    return [results[s].primary_return for s in SUB_STEPS]


def test_step_group_without_pipeline_fails() -> None:
    error = run_failing(parent(p("pipelineMappings", MAPPINGS, "object")))
    assert str(error) == (
        "Parameter [pipeline] or [pipelineId] is required for step group [PIPELINE_STEP_TWO] in pipeline [PARENT]."
    )


def test_step_group_with_unknown_pipeline_id_fails() -> None:
    error = run_failing(parent(p("pipelineId", "nowhere")))
    assert str(error) == "Unable to retrieve required step group id nowhere"


def test_inline_pipeline_map() -> None:
    inline = {**sub_pipeline(), "category": "step-group"}
    ctx = run(parent(p("pipeline", inline, "object", className="com.acxiom.pipeline.DefaultPipeline")))
    assert sorted(ctx.parameters.pipeline("PARENT")) == ["PIPELINE_STEP_ONE", "PIPELINE_STEP_THREE", "PIPELINE_STEP_TWO"]
    group = response(ctx, "PARENT", "PIPELINE_STEP_TWO")
    # Default return: a map of the sub-steps' responses, no named returns.
    assert group.named_returns is None
    assert sub_primaries(group) == ["ONE", "TWO", "THREE"]
    steps = records(ctx).steps
    assert list(steps) == [
        "PIPELINE_STEP_ONE",
        "PIPELINE_STEP_TWO",
        *(f"PIPELINE_STEP_TWO.{SUB_ID}.{s}" for s in SUB_STEPS),
        "PIPELINE_STEP_THREE",
    ]
    assert steps[f"PIPELINE_STEP_TWO.{SUB_ID}.SUB_PIPELINE_STEP_ONE"].group_id == "PARENT::PIPELINE_STEP_TWO"
    # The sub-pipeline's results stay in the group's response, not in the parent's parameters.
    assert not ctx.parameters.has_pipeline(SUB_ID)
    assert ctx.globals["lastStepId"] == "PIPELINE_STEP_THREE"


def test_pipeline_from_a_global_with_mappings() -> None:
    sub = Pipeline.model_validate(sub_pipeline())
    ctx = run(parent(p("pipeline", "!subPipeline"), p("pipelineMappings", MAPPINGS, "object")), {"subPipeline": sub})
    assert sub_primaries(response(ctx, "PARENT", "PIPELINE_STEP_TWO")) == ["globalOne", "gtwo", "3"]
    # Mappings do not leak into the parent.
    assert primary(ctx, "PARENT", "PIPELINE_STEP_THREE") == "THREE"
    assert "globalTwo" not in ctx.globals


def test_use_parent_globals() -> None:
    sub = Pipeline.model_validate(sub_pipeline())
    ctx = run(
        parent(p("pipeline", "!subPipeline"), p("pipelineMappings", {"globalTwo": "gtwo", "globalThree": "3"}, "object"),
               p("useParentGlobals", True, "boolean")),
        {"subPipeline": sub, "realGlobalOne": "globalOne"},
    )
    assert sub_primaries(response(ctx, "PARENT", "PIPELINE_STEP_TWO")) == ["globalOne", "gtwo", "3"]
    assert primary(ctx, "PARENT", "PIPELINE_STEP_THREE") == "THREE"


def test_without_parent_globals_the_sub_pipeline_does_not_see_them() -> None:
    sub = Pipeline.model_validate(sub_pipeline())
    ctx = run(parent(p("pipeline", "!subPipeline")), {"subPipeline": sub, "realGlobalOne": "globalOne"})
    assert sub_primaries(response(ctx, "PARENT", "PIPELINE_STEP_TWO")) == ["ONE", "TWO", "THREE"]


@pytest.mark.parametrize(
    "group_param",
    [pytest.param(p("pipelineId", SUB_ID), id="pipelineId"), pytest.param(p("pipeline", f"&{SUB_ID}"), id="&id")],
)
def test_pipeline_from_the_pipeline_manager(group_param: dict[str, Any]) -> None:
    sub = Pipeline.model_validate(sub_pipeline())
    ctx = run(parent(group_param, p("pipelineMappings", MAPPINGS, "object")), pipelines=[sub])
    assert sub_primaries(response(ctx, "PARENT", "PIPELINE_STEP_TWO")) == ["globalOne", "gtwo", "3"]


def test_pipeline_id_wins_over_pipeline() -> None:
    sub = Pipeline.model_validate(sub_pipeline())
    other = Pipeline.model_validate(pipeline("other", step("X", f"{MOCK}.mockNoParamsStepFunction")))
    ctx = run(parent(p("pipelineId", SUB_ID), p("pipeline", "&other")), pipelines=[sub, other])
    assert sub_primaries(response(ctx, "PARENT", "PIPELINE_STEP_TWO")) == ["ONE", "TWO", "THREE"]


@pytest.mark.parametrize(
    ("output", "expected"),
    [pytest.param("@SUB_PIPELINE_STEP_TWO", "gtwo", id="mapping"),
     pytest.param(" (value:!globalThree:String) value", "3", id="script")],
)
def test_result_parameter(output: str, expected: str) -> None:
    sub = Pipeline.model_validate(sub_pipeline())
    ctx = run(parent(p("pipelineId", SUB_ID), p("pipelineMappings", MAPPINGS, "object"), p("output", output, "result")),
              pipelines=[sub])
    group = response(ctx, "PARENT", "PIPELINE_STEP_TWO")
    assert group.primary_return == expected
    assert group.named_returns is not None
    assert sub_primaries(group) == ["globalOne", "gtwo", "3"]


def test_step_group_result_and_global_updates_reach_the_parent() -> None:
    definition = sub_pipeline(stepGroupResult="@SUB_PIPELINE_STEP_TWO")
    definition["steps"][1] = step(
        "SUB_PIPELINE_STEP_TWO", f"{MOCK}.mockStepGlobalsUpdateFunction", p("string", "!globalTwo || TWO"),
        p("boolean", True, "boolean"), p("global", "This global has been updated"), next_="SUB_PIPELINE_STEP_THREE",
    )
    sub = Pipeline.model_validate(definition)
    mappings = {**MAPPINGS, "updatedGlobal": "sub only"}
    ctx = run(parent(p("pipelineId", SUB_ID), p("pipelineMappings", mappings, "object")), pipelines=[sub])
    assert primary(ctx, "PARENT", "PIPELINE_STEP_TWO") == "gtwo"
    assert ctx.globals["mockGlobal"] == "This global has been updated"
    assert ctx.get_global_string("mockGlobalLink") == "!some global link"
    assert "updatedGlobal" not in ctx.globals
    assert "groupId" not in ctx.globals


def test_step_group_error_uses_the_group_steps_next_step_on_error() -> None:
    failing = pipeline(SUB_ID, step("BOOM", f"{MOCK}.mockExceptionStepFunction", p("string", "in group")))
    definition = parent(p("pipelineId", SUB_ID))
    definition["steps"][1]["nextStepOnError"] = "PIPELINE_STEP_THREE"
    ctx = run(definition, pipelines=[Pipeline.model_validate(failing)])
    error = primary(ctx, "PARENT", "PIPELINE_STEP_TWO")
    assert str(error) == "exception thrown for string value (in group)"
    assert primary(ctx, "PARENT", "PIPELINE_STEP_THREE") == "THREE"


def test_step_group_error_fails_the_pipeline() -> None:
    failing = pipeline(SUB_ID, step("BOOM", f"{MOCK}.mockExceptionStepFunction", p("string", "in group")))
    error = run_failing(parent(p("pipelineId", SUB_ID)), pipelines=[Pipeline.model_validate(failing)])
    assert str(error) == "exception thrown for string value (in group)"
    assert error.step_id == "BOOM"


# -- GlobalStepUpdateTests ----------------------------------------------------------------------------------


def setter(step_id: str, value: str, name: str, next_: str | None) -> dict[str, Any]:
    return step(step_id, f"{MOCK}.mockStepSetGlobal", p("string", value), p("globalName", name), next_=next_)


def plain(step_id: str, next_: str | None = None) -> dict[str, Any]:
    return step(step_id, f"{MOCK}.mockStepFunction", p("string", "plain"), next_=next_)


def test_steps_set_globals() -> None:
    ctx = run(pipeline("P1", setter("Pipeline1Step1", "fred", "redonthehead", "Pipeline1Step2"),
                       setter("Pipeline1Step2", "fred1", "redonthehead1", "Pipeline1Step3"), plain("Pipeline1Step3")))
    assert ctx.globals == {
        "pipelineId": "P1",
        "stepId": None,
        "lastStepId": "Pipeline1Step3",
        "redonthehead": "fred",
        "redonthehead1": "fred1",
    }


def test_later_step_overwrites_a_global() -> None:
    ctx = run(pipeline("P1", setter("Pipeline1Step1", "fred", "redonthehead", "Pipeline1Step2"),
                       setter("Pipeline1Step2", "fred1", "redonthehead", "Pipeline1Step3"), plain("Pipeline1Step3")))
    assert len(ctx.globals) == 4
    assert ctx.globals["redonthehead"] == "fred1"
    assert ctx.globals["lastStepId"] == "Pipeline1Step3"


@pytest.mark.parametrize(("second_name", "count"), [("redonthehead1", 6), ("redonthehead", 5)])
def test_step_group_global_updates(second_name: str, count: int) -> None:
    group = pipeline("group", setter("G1", "fred", "redonthehead", "G2"), setter("G2", "fred1", second_name, None))
    definition = pipeline(
        "P1",
        step("Pipeline1Step1", None, p("pipelineId", "group"), type_="step-group", next_="Pipeline1Step2"),
        setter("Pipeline1Step2", "fred2", "redonthehead2", None),
    )
    ctx = run(definition, pipelines=[Pipeline.model_validate(group)])
    assert len(ctx.globals) == count, ctx.globals
    assert ctx.globals["redonthehead"] == ("fred" if second_name == "redonthehead1" else "fred1")
    assert ctx.globals["redonthehead2"] == "fred2"
    assert "groupId" not in ctx.globals


def test_metrics_secondary_return_goes_to_the_step_record() -> None:
    ctx = run(pipeline("P1", plain("Pipeline1Step1", "Pipeline1Step4"),
                       step("Pipeline1Step4", f"{MOCK}.mockStepSetMetric", p("string", "2"), p("metricName", "chickenCount"))))
    assert records(ctx).steps["Pipeline1Step4"].metrics["chickenCount"] == "2"
    assert "chickenCount" not in records(ctx).steps["Pipeline1Step1"].metrics
    # $ keys stay in the named returns.
    assert response(ctx, "P1", "Pipeline1Step4").named_returns == {"$metrics.chickenCount": "2"}
