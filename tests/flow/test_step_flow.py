"""The step loop (metalus-spec 4.2-4.6, DESIGN.md section 3): step types, errors, retries, binding."""

from __future__ import annotations

from typing import Any

import pytest
from flowkit import p, pipeline, primary, records, response, result, run, run_failing, step

from metalus_py.base.exceptions import (
    MappingError,
    PauseException,
    PipelineException,
    SkipExecutionException,
    StepDefinitionError,
    StepError,
)
from metalus_py.flow.pipeline_flow import _retry_delay
from metalus_py.model.pipeline import PipelineStep
from metalus_py.steps.context import PipelineContext, PipelineParameters
from metalus_py.steps.resolution import StepResolver
from metalus_py.steps.runtime import MapPipelineManager, RunServices

MOCK = "MockStepObject"


def echo(step_id: str, value: Any, next_: str | None = None, **extra: Any) -> dict[str, Any]:
    return step(step_id, f"{MOCK}.mockStepFunction", p("string", value), p("boolean", True, "boolean"), next_=next_,
                **extra)


def boom(step_id: str, message: str = "boom", next_: str | None = None, **extra: Any) -> dict[str, Any]:
    return step(step_id, f"{MOCK}.mockValueErrorStepFunction", p("string", message), next_=next_, **extra)


# -- normal steps ---------------------------------------------------------------------------------------------


def test_normal_steps_run_in_order_and_record_results() -> None:
    ctx = run(pipeline("P", echo("A", "first", "B"), echo("B", "@A", "C"), echo("C", "#B.string")))
    assert primary(ctx, "P", "C") == "first"
    assert response(ctx, "P", "A").named_returns == {"boolean": True, "string": "first"}
    steps = records(ctx).steps
    assert list(steps) == ["A", "B", "C"]
    assert all(s.status == "COMPLETE" and s.attempts == 1 and s.ended_at is not None for s in steps.values())
    assert ctx.globals == {"pipelineId": "P", "stepId": None, "lastStepId": "C"}


def test_execution_starts_at_the_first_step_of_the_list() -> None:
    ctx = run(pipeline("P", echo("FIRST", "one"), echo("NEVER", "two")))
    assert primary(ctx, "P", "FIRST") == "one"
    assert ctx.parameters.get("P", "NEVER") is None


def test_step_types_are_case_insensitive() -> None:
    ctx = run(pipeline("P", echo("A", "x", "B", type="PIPELINE"), echo("B", "@A", type="Pipeline")))
    assert primary(ctx, "P", "B") == "x"


def test_initial_pipeline_parameters_are_visible() -> None:
    ctx = run(pipeline("P", echo("A", "$given")), parameters={"P": {"given": "from parameters"}})
    assert primary(ctx, "P", "A") == "from parameters"


def test_empty_pipeline_fails() -> None:
    error = run_failing(pipeline("EMPTY"))
    assert "has no steps" in str(error)


def test_unknown_next_step_fails() -> None:
    error = run_failing(pipeline("P", echo("A", "x", "not_here")))
    assert str(error) == "Step Id (not_here) does not exist in pipeline"
    # The context at the failure holds the results so far.
    assert error.context.parameters.get("P", "A").primary_return == "x"


def test_unknown_function_is_a_terminal_definition_error() -> None:
    definition = pipeline("P", step("A", f"{MOCK}.noSuchFunction", retryLimit=3))
    error = run_failing(definition)
    assert isinstance(error, StepDefinitionError)
    assert "noSuchFunction is not a valid function" in str(error)
    assert error.context is not None


def test_required_parameter_without_value_fails() -> None:
    definition = pipeline("P", step("A", f"{MOCK}.mockStepFunction", p("string", "!missing", required=True)))
    error = run_failing(definition)
    assert isinstance(error, MappingError)
    assert str(error).startswith("required parameter [string] (params[0]) of step [A] in pipeline [P] has no value")


def test_required_is_not_enforced_on_result_parameters() -> None:
    definition = pipeline(
        "P", step("A", f"{MOCK}.mockStepFunction", p("string", "x"), result("y", "NOWHERE"), required=True),
    )
    assert primary(run(definition), "P", "A") == "x"


# -- branch ---------------------------------------------------------------------------------------------------


def branch(answer: Any, *params: dict[str, Any]) -> dict[str, Any]:
    return step("BRANCH", f"{MOCK}.mockStepFunction", p("string", answer), p("boolean", True, "boolean"), *params,
                type_="branch")


def test_branch_follows_the_matching_result() -> None:
    definition = pipeline("P", branch("right", result("left", "LEFT"), result("right", "RIGHT")),
                          echo("LEFT", "went left"), echo("RIGHT", "went right"))
    ctx = run(definition)
    assert primary(ctx, "P", "RIGHT") == "went right"
    assert ctx.parameters.get("P", "LEFT") is None


def test_branch_on_a_boolean_answer() -> None:
    definition = pipeline(
        "P", step("BRANCH", f"{MOCK}.mockBoolean", p("value", "!flag", "boolean"), result("true", "YES"),
                  result("false", "NO"), type_="branch"),
        echo("YES", "yes"), echo("NO", "no"),
    )
    # Booleans answer "true"/"false" (Metalus's toString), not Python's "True"/"False".
    assert primary(run(definition, {"flag": True}), "P", "YES") == "yes"
    assert primary(run(definition, {"flag": "false"}), "P", "NO") == "no"


def test_branch_on_a_non_string_answer_matches_its_text() -> None:
    definition = pipeline(
        "P", step("BRANCH", f"{MOCK}.mockIncrement", p("value", 1, "integer"), result("2", "TWO"), type_="branch"),
        echo("TWO", "two"),
    )
    assert primary(run(definition), "P", "TWO") == "two"


def test_branch_without_a_matching_result_ends_the_pipeline_normally() -> None:
    definition = pipeline("P", branch("nothing", result("left", "LEFT")), echo("LEFT", "went left"))
    ctx = run(definition)
    assert primary(ctx, "P", "BRANCH") == "nothing"
    assert ctx.parameters.get("P", "LEFT") is None
    assert ctx.globals["stepId"] is None


def test_branch_matches_only_result_parameters() -> None:
    # The answer "string" is also the name of a text parameter: only result parameters are targets (DESIGN 10).
    definition = pipeline("P", branch("string", result("other", "LEFT")), echo("LEFT", "went left"))
    ctx = run(definition)
    assert ctx.parameters.get("P", "LEFT") is None


# -- errors: nextStepOnError (StepErrorTests) ----------------------------------------------------------------


def error_pipeline(on_error: str | None) -> dict[str, Any]:
    extra = {"nextStepOnError": on_error} if on_error else {}
    return pipeline(
        "P", boom("THROW", "bad argument", **extra),
        step("HANDLE_ERROR", f"{MOCK}.errorHandlingStep", p("ex", "@LastStepId")),
    )


def test_next_step_on_error_receives_the_exception() -> None:
    ctx = run(error_pipeline("HANDLE_ERROR"), {"validateStepParameterTypes": True})
    # Metalus wraps unknown exceptions as "An unknown exception has occurred"; metalus_py's StepError
    # keeps the original type and message.
    assert primary(ctx, "P", "HANDLE_ERROR") == "ValueError: exception thrown for string value (bad argument)"
    stored = primary(ctx, "P", "THROW")
    assert isinstance(stored, StepError)
    assert isinstance(stored.cause, ValueError)
    steps = records(ctx).steps
    assert steps["THROW"].status == "ERROR"
    assert steps["THROW"].error is not None and steps["THROW"].error.message == "ValueError: exception thrown for string value (bad argument)"
    assert steps["HANDLE_ERROR"].status == "COMPLETE"


def test_error_without_next_step_on_error_fails_the_pipeline() -> None:
    error = run_failing(error_pipeline(None), {"validateStepParameterTypes": True})
    assert isinstance(error, StepError)
    assert str(error) == "ValueError: exception thrown for string value (bad argument)"
    assert error.step_id == "THROW"
    assert error.pipeline_id == "P"
    assert isinstance(error.__cause__, ValueError)


def test_next_step_on_error_naming_no_step_fails() -> None:
    error = run_failing(error_pipeline("not_here"), {"validateStepParameterTypes": True})
    assert str(error) == "Step Id (not_here) does not exist in pipeline"


def test_pipeline_exception_from_a_step_is_kept_as_is() -> None:
    error = run_failing(pipeline("P", step("A", f"{MOCK}.mockExceptionStepFunction", p("string", "v"))))
    assert type(error) is PipelineException
    assert str(error) == "exception thrown for string value (v)"
    assert error.step_id == "A"


# -- retries --------------------------------------------------------------------------------------------------


def retry_step(retry_count: int, retry_limit: int, **extra: Any) -> dict[str, Any]:
    return step("RETRY", f"{MOCK}.mockRetryStep", p("retryCount", retry_count, "integer"), retryLimit=retry_limit,
                **extra)


def test_retry_limit_with_metalus_backoff() -> None:
    # Metalus waits attempt x 1 s (0 s before the first retry); retryLimit 1 keeps the test instant.
    ctx = run(pipeline("P", retry_step(1, 1)))
    assert primary(ctx, "P", "RETRY") == "Retried step 1 of 1"
    assert records(ctx).steps["RETRY"].attempts == 2
    assert "stepRetryCount" not in ctx.globals


def test_retry_limit_4_succeeds_on_the_fourth_attempt() -> None:
    # SparkSuiteTests: retryLimit 4 succeeds at stepRetryCount 3 ("Retried step 3 of 3").
    ctx = run(pipeline("P", retry_step(3, 4, retryPolicy={"type": "fixed", "delaySeconds": 0})))
    assert primary(ctx, "P", "RETRY") == "Retried step 3 of 3"
    assert records(ctx).steps["RETRY"].attempts == 4


def test_retries_exhausted_then_next_step_on_error() -> None:
    policy = {"type": "fixed", "delaySeconds": 0}
    definition = pipeline("P", retry_step(10, 3, retryPolicy=policy, nextStepOnError="HANDLE"),
                          step("HANDLE", f"{MOCK}.errorHandlingStep", p("ex", "@RETRY")))
    ctx = run(definition)
    assert primary(ctx, "P", "HANDLE") == "ValueError: attempt 3 failed"
    assert records(ctx).steps["RETRY"].attempts == 4


def test_retries_exhausted_fail_the_pipeline() -> None:
    error = run_failing(pipeline("P", retry_step(10, 2, retryPolicy={"type": "fixed", "delaySeconds": 0})))
    assert str(error) == "ValueError: attempt 2 failed"


@pytest.mark.parametrize(
    "definition",
    [
        pytest.param(step("T", "ExecutionSteps.throwSkipExecutionException", retryLimit=3), id="skip"),
        pytest.param(step("T", f"{MOCK}.notAFunction", retryLimit=3), id="definition-error"),
    ],
)
def test_terminal_errors_are_not_retried(definition: dict[str, Any]) -> None:
    error = run_failing(pipeline("P", definition))
    assert error.terminal
    assert error.context is not None


def test_skip_exception_ignores_next_step_on_error() -> None:
    definition = pipeline("P", step("T", "ExecutionSteps.throwSkipExecutionException", nextStepOnError="H"),
                          echo("H", "handled"))
    error = run_failing(definition)
    assert isinstance(error, SkipExecutionException)


def policy_step(retry_limit: int, policy: dict[str, Any] | None) -> PipelineStep:
    data: dict[str, Any] = {"id": "S", "retryLimit": retry_limit}
    if policy is not None:
        data["retryPolicy"] = policy
    return PipelineStep.model_validate(data)


def test_metalus_default_delay_is_linear_from_zero() -> None:
    error = PipelineException("x")
    s = policy_step(3, None)
    assert [_retry_delay(s, attempt, error) for attempt in range(4)] == [0.0, 1.0, 2.0, None]


def test_exponential_delay_is_capped() -> None:
    error = PipelineException("x")
    s = policy_step(6, {"type": "exponential", "delaySeconds": 0.5, "multiplier": 3, "maxDelaySeconds": 10})
    assert [_retry_delay(s, attempt, error) for attempt in range(7)] == [0.5, 1.5, 4.5, 10, 10, 10, None]


def test_fixed_and_linear_delays() -> None:
    error = PipelineException("x")
    assert [_retry_delay(policy_step(2, {"type": "fixed", "delaySeconds": 2}), a, error) for a in range(3)] == [
        2, 2, None
    ]
    assert [_retry_delay(policy_step(3, {"type": "linear", "delaySeconds": 2}), a, error) for a in range(3)] == [
        2, 4, 6
    ]


def test_jitter_stays_within_bounds() -> None:
    error = PipelineException("x")
    s = policy_step(50, {"type": "fixed", "delaySeconds": 1, "jitter": 0.5})
    delays = [_retry_delay(s, a, error) for a in range(50)]
    assert all(d is not None and 0.5 <= d <= 1.5 for d in delays)
    zero = policy_step(5, {"type": "fixed", "delaySeconds": 0, "jitter": 2})
    assert all(d is not None and d >= 0 for d in (_retry_delay(zero, a, error) for a in range(5)))


def test_no_retry_without_limit_or_for_terminal_errors() -> None:
    assert _retry_delay(policy_step(-1, None), 0, PipelineException("x")) is None
    assert _retry_delay(policy_step(0, None), 0, PipelineException("x")) is None
    assert _retry_delay(policy_step(5, None), 0, PauseException("x")) is None
    assert _retry_delay(policy_step(5, None), 0, StepDefinitionError("x")) is None


# -- executeIfEmpty (SparkSuiteTests) -------------------------------------------------------------------------


def test_execute_if_empty() -> None:
    definition = pipeline(
        "P",
        step("RETURNNONESTEP", f"{MOCK}.mockReturnNoneStep", next_="DYNAMICBRANCHSTEP"),
        echo("DYNAMICBRANCHSTEP", "!globalInput", "DYNAMICBRANCH2STEP",
             executeIfEmpty="@RETURNNONESTEP || !NON_EXISTENT_VALUE"),
        # Would throw if it ran: the executeIfEmpty value is the result instead.
        boom("DYNAMICBRANCH2STEP", executeIfEmpty="!NON_EXISTENT_VALUE || @DYNAMICBRANCHSTEP"),
    )
    ctx = run(definition, {"globalInput": "global-input-value"})
    assert primary(ctx, "P", "RETURNNONESTEP") is None
    assert primary(ctx, "P", "DYNAMICBRANCHSTEP") == "global-input-value"
    skipped = response(ctx, "P", "DYNAMICBRANCH2STEP")
    assert skipped.primary_return == "global-input-value"
    assert skipped.named_returns is None


def test_execute_if_empty_works_on_a_step_group() -> None:
    definition = pipeline(
        "P", step("GROUP", None, p("pipelineId", "nowhere"), type_="step-group", executeIfEmpty="!cached",
                  next_="AFTER"),
        echo("AFTER", "@GROUP"),
    )
    assert primary(run(definition, {"cached": "from cache"}), "P", "AFTER") == "from cache"


# -- step messages --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "exception"), [("pause", PauseException), ("error", PipelineException)])
def test_step_message_stops_after_the_pipeline_completes(kind: str, exception: type[PipelineException]) -> None:
    definition = pipeline(
        "P", echo("GLOBALVALUESTEP", "!globalInput", "PAUSESTEP"),
        step("PAUSESTEP", f"{MOCK}.mockStepMessage", p("string", "stop here"), p("kind", kind), next_="AFTER"),
        echo("AFTER", "still ran"),
    )
    error = run_failing(definition, {"globalInput": "in"})
    assert type(error) is exception
    assert str(error) == "stop here"
    assert (error.step_id, error.pipeline_id) == ("PAUSESTEP", "P")
    assert error.context.parameters.get("P", "AFTER").primary_return == "still ran"


def test_info_and_warn_messages_do_not_stop() -> None:
    definition = pipeline(
        "P", step("W", f"{MOCK}.mockStepMessage", p("string", "careful"), p("kind", "warn"), next_="I"),
        step("I", f"{MOCK}.mockStepMessage", p("string", "fyi"), p("kind", "info")),
    )
    assert primary(run(definition), "P", "I") == "fyi"


# -- binding (DESIGN.md section 3) ----------------------------------------------------------------------------


def test_camel_case_function_and_parameters_bind_to_snake_case() -> None:
    definition = pipeline("P", step("A", f"{MOCK}.mockIntListStepFunction", p("listSize", 3, "integer")),)
    assert primary(run(definition), "P", "A") == [1, 2, 3]
    snake = pipeline("P", step("A", f"{MOCK}.mock_int_list_step_function", p("list_size", 2, "integer")))
    assert primary(run(snake), "P", "A") == [1, 2]


def test_keyword_parameter_name_binds_with_underscore() -> None:
    definition = pipeline("P", step("A", f"{MOCK}.mockStepGlobalsUpdateFunction", p("string", "s"),
                                    p("boolean", True, "boolean"), p("global", "kw")))
    ctx = run(definition)
    assert ctx.globals["mockGlobal"] == "kw"
    definition = pipeline("P", step("A", f"{MOCK}.mockListOfIntsToString", p("ints", [1, 2], "list")))
    assert primary(run(definition), "P", "A") == "1,2"


def test_unknown_parameters_go_to_kwargs() -> None:
    definition = pipeline("P", step("A", "ContextSteps.keywordArgs", p("value", 1, "integer"), p("extraName", "x")))
    assert primary(run(definition), "P", "A") == {"value": 1, "extraName": "x"}


@pytest.mark.parametrize("function", ["ContextSteps.camelNamed", "ContextSteps.annotated", f"{MOCK}.mockContextStep"])
def test_pipeline_context_is_injected(function: str) -> None:
    assert primary(run(pipeline("P", step("A", function))), "P", "A") == "P"


def test_function_defaults_apply_when_the_value_maps_to_none() -> None:
    definition = pipeline(
        "P",
        step("A", f"{MOCK}.mockStepFunctionWithDefaultValue", p("string", "s"), p("default", "!missing"), next_="B"),
        step("B", f"{MOCK}.mockStepFunctionWithDefaultValueNoOption", p("string", "s"), next_="C"),
        step("C", f"{MOCK}.mockStepFunctionWithOptionalGenericParams", p("string", "!missing"), next_="D"),
        step("D", f"{MOCK}.mockStepFunctionWithDefaultValue", p("string", "s"), p("default", "given")),
    )
    ctx = run(definition)
    assert primary(ctx, "P", "A") == "chicken"
    assert primary(ctx, "P", "B") == "default chicken"
    assert primary(ctx, "P", "C") == "chicken"
    assert primary(ctx, "P", "D") == "given"


def test_missing_parameter_without_default_is_none() -> None:
    definition = pipeline("P", step("A", f"{MOCK}.mockStepFunction", p("boolean", True, "boolean")))
    assert primary(run(definition), "P", "A") is None


def test_single_value_for_a_list_parameter_becomes_a_list() -> None:
    definition = pipeline("P", step("A", f"{MOCK}.mockListOfIntsToString", p("ints", 7, "integer")))
    assert primary(run(definition), "P", "A") == "7"


def primitives(**values: Any) -> dict[str, Any]:
    return pipeline("P", step("S", f"{MOCK}.mockStepFunctionWithPrimitives", *(p(k, v) for k, v in values.items())))


def test_validate_step_parameter_types_coerces() -> None:
    ctx = run(primitives(i="5", d="2.5", s=7, b="true", items="x"), {"validateStepParameterTypes": True})
    assert primary(ctx, "P", "S") == {"i": 5, "d": 2.5, "s": "7", "b": True, "items": ["x"]}


def test_validate_step_parameter_types_given_as_string() -> None:
    ctx = run(primitives(i="5", d=2, s="s", b=False, items=[1]), {"validateStepParameterTypes": "true"})
    assert primary(ctx, "P", "S") == {"i": 5, "d": 2, "s": "s", "b": False, "items": [1]}


def test_validate_step_parameter_types_error_message() -> None:
    error = run_failing(primitives(i="abc", d=1.0, s="s", b=True, items=[]), {"validateStepParameterTypes": True})
    assert str(error) == (
        "Failed to map value ['abc'] of type [str] to paramName [i] of type [int] for method "
        "[mock_step_function_with_primitives] in step [S] in pipeline [P]"
    )
    assert error.step_id == "S"


def test_without_validation_values_are_passed_unchanged() -> None:
    ctx = run(primitives(i="5", d="2.5", s=7, b="true", items="x"))
    assert primary(ctx, "P", "S") == {"i": "5", "d": "2.5", "s": 7, "b": "true", "items": ["x"]}


def test_step_metrics_from_the_context_and_secondary_returns() -> None:
    definition = pipeline("P", step("A", "ContextSteps.stepMetric", p("value", 3, "integer"), next_="B"),
                          step("B", "ExecutionSteps.normalFunction", p("value", "v")))
    steps = records(run(definition)).steps
    assert steps["A"].metrics["seen"] == 3
    assert steps["B"].metrics["funcMetric"] == "v"
    assert "seen" not in steps["B"].metrics


def test_global_link_secondary_return_is_stored_as_text() -> None:
    definition = pipeline(
        "P", step("A", f"{MOCK}.mockStepGlobalsUpdateFunction", p("string", "s"), p("boolean", True, "boolean"),
                  p("global", "g"), next_="B"),
        echo("B", "!mockGlobal"),
    )
    ctx = run(definition)
    assert ctx.global_links() == {"mockGlobalLink": "!some global link"}
    assert primary(ctx, "P", "B") == "g"


# -- a long chain ---------------------------------------------------------------------------------------------


def test_ten_thousand_step_chain_completes() -> None:
    count = 10_000
    steps = [step("S0", f"{MOCK}.mockIncrement", p("value", 0, "integer"), next_="S1")]
    steps += [
        step(f"S{i}", f"{MOCK}.mockIncrement", p("value", f"@S{i - 1}"), next_=f"S{i + 1}" if i + 1 < count else None)
        for i in range(1, count)
    ]
    ctx = run(pipeline("CHAIN", *steps))
    assert primary(ctx, "CHAIN", f"S{count - 1}") == count
    assert len(records(ctx).steps) == count


# -- PipelineContext helpers (SparkSuiteTests) ----------------------------------------------------------------


def test_context_helpers() -> None:
    services = RunServices(resolver=StepResolver([]), pipeline_manager=MapPipelineManager({}))
    ctx = PipelineContext(globals={}, parameters=PipelineParameters(), services=services)
    ctx.set_global("one", 1)
    ctx.set_globals({"two": "2", "three": 3})
    ctx.set_global_link("testGL", "!some.path")
    assert len(ctx.globals) == 4
    assert ctx.get_global("testGL") == "!some.path"
    assert ctx.is_global_link("testGL")
    assert ctx.get_global_string("one") is None
    assert ctx.get_global_string("two") == "2"
    ctx.remove_global("one")
    assert "one" not in ctx.globals
    with pytest.raises(ValueError, match="unknown step message kind"):
        ctx.add_step_message("x", "loud")


def test_execute_if_empty_on_a_fork_skips_to_the_step_after_its_join() -> None:
    # DESIGN 10: executeIfEmpty works on every step type (Metalus tries to call the fork's engineMeta).
    definition = pipeline(
        "P",
        step("FORK", None, p("forkByValues", ["a", "b"], "list"), p("forkMethod", "serial"), type_="fork",
             executeIfEmpty="!cached", next_="BODY"),
        boom("BODY", next_="JOIN"),
        step("JOIN", None, type_="join", next_="AFTER"),
        echo("AFTER", "@FORK"),
    )
    ctx = run(definition, {"cached": ["x", "y"]})
    assert primary(ctx, "P", "AFTER") == ["x", "y"]
    assert ctx.parameters.get("P", "BODY") is None
    # Without a value the fork runs as usual.
    error = run_failing(definition)
    assert str(error).startswith("One or more errors has occurred while processing fork step:\n Execution 0:")


def test_execute_if_empty_on_a_fork_without_join_ends_the_pipeline() -> None:
    definition = pipeline(
        "P",
        step("FORK", None, p("forkByValues", ["a"], "list"), p("forkMethod", "serial"), type_="fork",
             executeIfEmpty="!cached", next_="BODY"),
        boom("BODY"),
    )
    ctx = run(definition, {"cached": "skip"})
    assert primary(ctx, "P", "FORK") == "skip"
    assert ctx.parameters.get("P", "BODY") is None


def test_execute_if_empty_on_a_split_skips_to_the_step_after_its_merge() -> None:
    definition = pipeline(
        "P",
        step("SPLIT", None, result("a", "A"), result("b", "B"), type_="split", executeIfEmpty="!cached"),
        boom("A", next_="MERGE"),
        boom("B", next_="MERGE"),
        step("MERGE", None, type_="merge", next_="AFTER"),
        echo("AFTER", "@SPLIT"),
    )
    ctx = run(definition, {"cached": "done before"})
    assert primary(ctx, "P", "AFTER") == "done before"
    assert ctx.parameters.get("P", "A") is None
