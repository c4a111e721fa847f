"""Fork and join steps (metalus-spec 4.7, ForkJoinStepTests of spec 4.10), with Metalus 2.0 nesting."""

from __future__ import annotations

from typing import Any

import pytest
from flowkit import corpus, p, pipeline, primary, records, response, result, run, run_failing, step

from metalus_py.base.exceptions import ForkedPipelineStepException, PipelineException
from metalus_py.flow.structure import FlowStructure
from metalus_py.model.pipeline import Pipeline

MOCK = "MockStepObject"


def generate_data(next_: str = "FORK_DATA") -> dict[str, Any]:
    return step("GENERATE_DATA", f"{MOCK}.mockStringListStepFunction", p("listSize", 3, "integer"), next_=next_)


def fork(method: str | None = "serial", *, fork_id: str = "FORK_DATA", values: Any = "@GENERATE_DATA",
         next_: str = "PROCESS_VALUE", limit: str | None = None) -> dict[str, Any]:
    params = []
    if values is not None:
        params.append(p("forkByValues", values))
    if method is not None:
        params.append(p("forkMethod", method))
    if limit is not None:
        params.append(p("forkLimit", limit))
    return step(fork_id, None, *params, type_="fork", next_=next_)


def process_value(next_: str | None = None) -> dict[str, Any]:
    return step("PROCESS_VALUE", f"{MOCK}.mockStepFunction", p("string", "@FORK_DATA"), p("boolean", True, "boolean"),
                next_=next_)


def branch_value(targets: tuple[str, str, str] = ("JOIN", "JOIN", "JOIN")) -> dict[str, Any]:
    return step(
        "BRANCH_VALUE", f"{MOCK}.mockStepFunction", p("string", "@PROCESS_VALUE"), p("boolean", True, "boolean"),
        result("0", targets[0]), result("1", targets[1]), result("2", targets[2]), type_="branch",
    )


def raw_value(step_id: str = "PROCESS_RAW_VALUE", string: str = "RAW_DATA", next_: str | None = None) -> dict[str, Any]:
    return step(step_id, f"{MOCK}.mockStepFunction", p("string", string), p("boolean", False, "boolean"), next_=next_)


def join(join_id: str = "JOIN", next_: str | None = "PROCESS_RAW_VALUE") -> dict[str, Any]:
    return step(join_id, None, type_="join", next_=next_)


FORK_VARIANTS = [
    pytest.param({"method": "serial"}, id="serial"),
    pytest.param({"method": "parallel"}, id="parallel"),
    pytest.param({"method": "parallel", "limit": "2"}, id="parallel-forkLimit-2"),
    # forkMethod is compared case-insensitively (DESIGN 10); Metalus runs "Parallel" serially.
    pytest.param({"method": "Parallel"}, id="parallel-any-case"),
]


def check_process_value(ctx: Any, pid: str) -> None:
    merged = response(ctx, pid, "PROCESS_VALUE")
    assert merged.primary_return == ["0", "1", "2"]
    assert merged.named_returns == {"boolean": [True, True, True], "string": ["0", "1", "2"]}
    assert "groupId" not in ctx.globals


@pytest.mark.parametrize("variant", FORK_VARIANTS)
def test_fork_without_join_runs_to_the_pipeline_end(variant: dict[str, Any]) -> None:
    definition = pipeline("FORK_TEST", generate_data(), fork(**variant), process_value())
    ctx = run(definition)
    check_process_value(ctx, "FORK_TEST")
    steps = records(ctx).steps
    assert sorted(steps) == sorted(
        ["GENERATE_DATA", "FORK_DATA", *(f"FORK_DATA[{i}].PROCESS_VALUE" for i in range(3))]
    )
    assert all(s.status == "COMPLETE" for s in steps.values())
    # Each value ran with its own group id.
    assert len({steps[f"FORK_DATA[{i}].PROCESS_VALUE"].group_id for i in range(3)}) == 3
    # The fork step itself stores no result in the parent (metalus-spec 4.7).
    assert ctx.parameters.get("FORK_TEST", "FORK_DATA") is None


@pytest.mark.parametrize("variant", FORK_VARIANTS)
def test_fork_with_join_continues_once_after_the_join(variant: dict[str, Any]) -> None:
    definition = pipeline(
        "FORK_TEST", generate_data(), fork(**variant), process_value("BRANCH_VALUE"), branch_value(), join(),
        raw_value(),
    )
    ctx = run(definition)
    check_process_value(ctx, "FORK_TEST")
    assert response(ctx, "FORK_TEST", "BRANCH_VALUE").primary_return == ["0", "1", "2"]
    raw = response(ctx, "FORK_TEST", "PROCESS_RAW_VALUE")
    assert raw.primary_return == "RAW_DATA"
    assert raw.named_returns == {"boolean": False, "string": "RAW_DATA"}
    steps = records(ctx).steps
    assert [k for k in steps if k.endswith("PROCESS_RAW_VALUE")] == ["PROCESS_RAW_VALUE"]
    assert len([k for k in steps if k.endswith(".BRANCH_VALUE")]) == 3
    assert ctx.globals["lastStepId"] == "PROCESS_RAW_VALUE"


def test_fork_limit_that_is_not_a_number_uses_the_default_pool() -> None:
    definition = pipeline("FORK_TEST", generate_data(), fork("parallel", limit="lots"), process_value())
    check_process_value(run(definition), "FORK_TEST")


def test_results_are_lists_in_input_order_with_none_for_missing_values() -> None:
    # Only value "1" reaches ONLY_ONE: element 0 and 2 are None, in value order.
    definition = pipeline(
        "FORK_TEST",
        generate_data(),
        fork("parallel"),
        process_value("BRANCH_VALUE"),
        branch_value(("JOIN", "ONLY_ONE", "JOIN")),
        raw_value("ONLY_ONE", "@FORK_DATA", next_="JOIN"),
        join(),
        raw_value(),
    )
    ctx = run(definition)
    only = response(ctx, "FORK_TEST", "ONLY_ONE")
    assert only.primary_return == [None, "1", None]
    assert only.named_returns == {"boolean": [None, False, None], "string": [None, "1", None]}


def test_empty_fork_values_run_nothing_and_continue() -> None:
    definition = pipeline(
        "FORK_TEST", step("GENERATE_DATA", f"{MOCK}.mockStringListStepFunction", p("listSize", 0, "integer"),
                          next_="FORK_DATA"),
        fork("parallel"), process_value("JOIN"), join(), raw_value(),
    )
    ctx = run(definition)
    assert ctx.parameters.get("FORK_TEST", "PROCESS_VALUE") is None
    assert primary(ctx, "FORK_TEST", "PROCESS_RAW_VALUE") == "RAW_DATA"


def test_fork_values_given_as_a_list_parameter() -> None:
    definition = pipeline(
        "FORK_TEST", step("START", f"{MOCK}.mockNoParamsStepFunction", next_="FORK_DATA"),
        fork("serial", values=["a", "!missing", "b"], next_="PROCESS_VALUE"), process_value(),
    )
    ctx = run(definition)
    # dropNoneFromLists (default true) removes the missing global from the fork values.
    assert primary(ctx, "FORK_TEST", "PROCESS_VALUE") == ["a", "b"]


@pytest.mark.parametrize("method", ["serial", "parallel"])
def test_embedded_forks_each_join_closes_its_own_fork(method: str) -> None:
    # ForkJoinStepTests "Embedded fork steps". Metalus wraps the value with a scalascript
    # ``(value: @ROOT_FORK) List(value)``; here a list parameter does the same (scalascript is rejected).
    definition = pipeline(
        "EMBEDDED",
        generate_data("ROOT_FORK"),
        fork(method, fork_id="ROOT_FORK", next_="FORK_DATA"),
        fork(method, values=["@ROOT_FORK"]),
        process_value("BRANCH_VALUE"),
        branch_value(),
        join(next_="ROOT_JOIN"),
        join("ROOT_JOIN", next_="FLATTEN_LIST"),
        step("FLATTEN_LIST", f"{MOCK}.mockFlattenListOfOptions", p("s", "@PROCESS_VALUE"),
             p("boolean", True, "boolean"), next_="PROCESS_RAW_VALUE"),
        raw_value(),
    )
    ctx = run(definition, {"validateStepParameterTypes": True})
    # Outer merge of inner merges: a list (per outer value) of lists (per inner value).
    assert primary(ctx, "EMBEDDED", "PROCESS_VALUE") == [["0"], ["1"], ["2"]]
    assert primary(ctx, "EMBEDDED", "FLATTEN_LIST") == ["0", "1", "2"]
    assert primary(ctx, "EMBEDDED", "PROCESS_RAW_VALUE") == "RAW_DATA"


def test_complex_embedded_fork_corpus_pipeline_uses_metalus_2_semantics() -> None:
    # embedded_fork_pipeline.json: GENERATE_DATA [1,2,3] -> ROOT_FORK -> GENERATE_INNER_DATA
    # ([1], [1,2], [1,2,3]) -> FORK_DATA -> PROCESS_VALUE -> JOIN -> SUM_VALUES -> ROOT_JOIN -> FLATTEN_LIST.
    # Metalus 1.x runs SUM_VALUES once over everything (10) and never reaches FLATTEN_LIST. With the
    # documented 2.0 semantics (DESIGN 10), JOIN closes FORK_DATA, so SUM_VALUES runs once per outer
    # value: sum([1]) = 1, sum([1,2]) = 3, sum([1,2,3]) = 6 -> [1, 3, 6]; ROOT_JOIN closes ROOT_FORK
    # and FLATTEN_LIST (mockSumListOfInts over [1, 3, 6]) is reached: 10.
    ctx = run(corpus("embedded_fork_pipeline"))
    pid = "embedded_fork_pipeline"
    assert primary(ctx, pid, "GENERATE_INNER_DATA") == [[1], [1, 2], [1, 2, 3]]
    assert primary(ctx, pid, "PROCESS_VALUE") == [[1], [1, 2], [1, 2, 3]]
    assert primary(ctx, pid, "SUM_VALUES") == [1, 3, 6]
    assert primary(ctx, pid, "FLATTEN_LIST") == 10
    steps = records(ctx).steps
    process_records = [s for k, s in steps.items() if k.endswith(".PROCESS_VALUE")]
    assert len(process_records) == 6
    assert all(s.group_id for s in process_records)
    assert len([k for k in steps if k.endswith(".SUM_VALUES")]) == 3
    assert [k for k in steps if k.endswith("FLATTEN_LIST")] == ["FLATTEN_LIST"]
    assert "ROOT_FORK[2].FORK_DATA[2].PROCESS_VALUE" in steps


@pytest.mark.parametrize("method", ["serial", "parallel"])
def test_second_fork_without_join_is_rejected(method: str) -> None:
    definition = pipeline(
        "FORK_TEST", generate_data(), fork(method), process_value("BAD_FORK"),
        fork("parallel", fork_id="BAD_FORK", next_=""),
    )
    error = run_failing(definition)
    # Metalus prints the ids as Options: (Some(FORK_DATA),Some(BAD_FORK)).
    assert str(error) == "Fork step(s) (FORK_DATA,BAD_FORK) must be closed by join when embedding other forks!"


@pytest.mark.parametrize(
    ("method", "values", "message"),
    [
        pytest.param(None, "@GENERATE_DATA", "Parameter [forkMethod] is required for fork step [FORK_DATA] in "
                     "pipeline [FORK_TEST].", id="no-forkMethod"),
        pytest.param("seiral", "@GENERATE_DATA", "Unsupported value [seiral] for parameter [forkMethod]. Value must be "
                     "one of the supported values [serial, parallel] for fork step [FORK_DATA] in pipeline "
                     "[FORK_TEST].", id="typo"),
        pytest.param("serial", None, "Parameter [forkByValues] is required for fork step [FORK_DATA] in pipeline "
                     "[FORK_TEST].", id="no-forkByValues"),
        pytest.param(None, None, "Parameters [forkByValues] and [forkMethod] is required for fork step [FORK_DATA] "
                     "in pipeline [FORK_TEST].", id="no-parameters"),
        pytest.param("serial", "!globalString", "Parameter [forkByValues] of fork step [FORK_DATA] in pipeline "
                     "[FORK_TEST] must be a list, got str", id="not-a-list"),
    ],
)
def test_fork_parameters_are_checked(method: str | None, values: Any, message: str) -> None:
    definition = pipeline("FORK_TEST", generate_data(), fork(method, values=values), process_value("JOIN"), join(None))
    error = run_failing(definition, {"globalString": "text"})
    assert isinstance(error, PipelineException)
    assert str(error) == message
    assert error.step_id == "FORK_DATA"


ERROR_MESSAGE = (
    "One or more errors has occurred while processing fork step:\n"
    " Execution 1: exception thrown for string value (1)\n"
    " Execution 2: exception thrown for string value (2)\n"
)


def error_pipeline(method: str, *, on_error: bool = False) -> dict[str, Any]:
    exception = step("EXCEPTION", f"{MOCK}.mockExceptionStepFunction", p("string", "@FORK_DATA"), next_="JOIN")
    steps = [generate_data(), fork(method), process_value("BRANCH_VALUE"), branch_value(("JOIN", "EXCEPTION", "EXCEPTION")),
             exception]
    if on_error:
        exception["nextStepOnError"] = "ON_ERROR"
        steps.append(step("ON_ERROR", f"{MOCK}.mockStepFunction", p("string", "!lastStepId"),
                          p("boolean", False, "boolean"), next_="JOIN"))
    steps += [join(), raw_value()]
    return pipeline("ON_ERROR_FORK_TEST", *steps)


@pytest.mark.parametrize("method", ["serial", "parallel"])
def test_fork_errors_are_collected_per_value(method: str) -> None:
    error = run_failing(error_pipeline(method))
    assert isinstance(error, ForkedPipelineStepException)
    assert str(error) == ERROR_MESSAGE
    assert sorted(error.exceptions) == [1, 2]
    assert error.step_id == "FORK_DATA"
    # The other values still ran to the end, and the context carries the results so far.
    assert error.context is not None
    merged = error.context.parameters.get("ON_ERROR_FORK_TEST", "PROCESS_VALUE")
    assert merged.primary_return == ["0", "1", "2"]
    assert error.context.parameters.get("ON_ERROR_FORK_TEST", "PROCESS_RAW_VALUE") is None


def test_fork_error_from_a_plain_python_exception_names_its_type() -> None:
    # Metalus prints the raw exception's message; a Python exception is wrapped in StepError whose
    # message starts with the exception type.
    definition = error_pipeline("serial")
    definition["steps"][4]["engineMeta"]["spark"] = f"{MOCK}.mockValueErrorStepFunction"
    error = run_failing(definition)
    assert str(error) == (
        "One or more errors has occurred while processing fork step:\n"
        " Execution 1: ValueError: exception thrown for string value (1)\n"
        " Execution 2: ValueError: exception thrown for string value (2)\n"
    )


@pytest.mark.parametrize("method", ["serial", "parallel"])
def test_next_step_on_error_inside_a_fork(method: str) -> None:
    ctx = run(error_pipeline(method, on_error=True))
    on_error = response(ctx, "ON_ERROR_FORK_TEST", "ON_ERROR")
    # lastStepId inside the value is the failed step; index 0 never failed and is padded with None.
    assert on_error.primary_return == [None, "EXCEPTION", "EXCEPTION"]
    exceptions = response(ctx, "ON_ERROR_FORK_TEST", "EXCEPTION").primary_return
    assert exceptions[0] is None
    assert all(isinstance(e, PipelineException) for e in exceptions[1:])
    assert primary(ctx, "ON_ERROR_FORK_TEST", "PROCESS_RAW_VALUE") == "RAW_DATA"


def test_global_updates_inside_fork_values_are_discarded() -> None:
    definition = pipeline(
        "FORK_TEST", generate_data(), fork("parallel"),
        step("PROCESS_VALUE", f"{MOCK}.mockStepSetGlobal", p("string", "@FORK_DATA"), p("globalName", "fromFork"),
             next_="JOIN"),
        join(next_="AFTER"),
        step("AFTER", f"{MOCK}.mockStepFunction", p("string", "!fromFork || not set")),
    )
    ctx = run(definition)
    assert "fromFork" not in ctx.globals
    assert primary(ctx, "FORK_TEST", "AFTER") == "not set"
    assert primary(ctx, "FORK_TEST", "PROCESS_VALUE") == ["0", "1", "2"]


def test_step_messages_of_fork_values_reach_the_pipeline() -> None:
    definition = pipeline(
        "FORK_TEST", generate_data(), fork("parallel"),
        step("PROCESS_VALUE", f"{MOCK}.mockStepMessage", p("string", "@FORK_DATA"), p("kind", "pause"),
             next_="JOIN"),
        join(next_="AFTER"),
        step("AFTER", f"{MOCK}.mockNoParamsStepFunction"),
    )
    error = run_failing(definition)
    assert type(error).__name__ == "PauseException"
    # The pipeline completed before the pause was raised.
    assert error.context.parameters.get("FORK_TEST", "AFTER").primary_return == "no params"


def test_fork_body_structure() -> None:
    model = Pipeline.model_validate(corpus("embedded_fork_pipeline"))
    structure = FlowStructure(model)
    root = structure.fork_body("ROOT_FORK")
    assert root.join_id == "ROOT_JOIN"
    assert set(root.steps) == {"GENERATE_INNER_DATA", "FORK_DATA", "PROCESS_VALUE", "JOIN", "SUM_VALUES"}
    inner = structure.fork_body("FORK_DATA")
    assert inner.join_id == "JOIN"
    assert inner.steps == ("PROCESS_VALUE",)
