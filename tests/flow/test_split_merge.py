"""Split and merge steps (metalus-spec 4.8, SplitMergeStepTests of spec 4.10) on the corpus pipelines."""

from __future__ import annotations

import pytest
from flowkit import corpus, p, pipeline, primary, records, result, run, run_failing, step

from metalus_py.base.exceptions import PauseException, PipelineException, SplitStepException

MOCK = "MockStepObject"


def test_simple_split_flow() -> None:
    ctx = run(corpus("simple_split_flow"))
    pid = "simple_split_flow"
    assert ctx.parameters.pipeline_ids() == [pid]
    assert primary(ctx, pid, "SUM_VALUES") == 3
    assert primary(ctx, pid, "STRING_VALUES") == "1,2"
    assert primary(ctx, pid, "FORMAT_STRING") == "List with values 1,2 has a sum of 3"
    # Metalus audits: SPLIT, MERGE, FORMAT_STRING, STRING_VALUES, GENERATE_DATA, SUM_VALUES; the
    # merge step runs nothing, so it has no step record here.
    assert sorted(records(ctx).steps) == ["FORMAT_STRING", "GENERATE_DATA", "SPLIT", "STRING_VALUES", "SUM_VALUES"]
    assert ctx.globals["lastStepId"] == "FORMAT_STRING"


def test_complex_split_flow() -> None:
    ctx = run(corpus("complex_split_flow"))
    pid = "complex_split_flow"
    assert primary(ctx, pid, "FORMAT_STRING") == "List with values 1,2 has a sum of 3"
    assert primary(ctx, pid, "FORMAT_STRING_PART_2") == "List has a sum of 3"
    # GLOBAL_VALUES (mockStepGlobalsUpdateFunction, ``global`` bound to ``global_``) sets
    # $globals.mockGlobal and $globalLink.mockGlobalLink inside a split path: they reach the pipeline.
    assert ctx.globals["mockGlobal"] == "split_global"
    assert ctx.get_global("mockGlobalLink") == "!some global link"
    assert sorted(records(ctx).steps) == sorted(
        ["SPLIT", "FORMAT_STRING", "FORMAT_STRING_PART_2", "STRING_VALUES", "GENERATE_DATA", "SUM_VALUES",
         "SUM_VALUES_NOT_MERGED", "BRANCH", "GLOBAL_VALUES"]
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("invalid_split_flow", "At least two paths need to be defined to use a split step!"),
        ("invalid_step_split_flow", "Step Ids must be unique across split flows!"),
        ("invalid_complex_split_flow", "Flows must either terminate at a single merge step or pipeline end!"),
    ],
)
def test_invalid_split_flows_are_rejected(name: str, message: str) -> None:
    error = run_failing(corpus(name))
    assert type(error) is PipelineException
    assert str(error) == message
    assert error.step_id == "SPLIT"
    # GENERATE_DATA ran before the split step failed.
    assert error.context.parameters.get(error.context.pipeline_id, "GENERATE_DATA").primary_return == [1, 2]


def test_error_split_flow() -> None:
    error = run_failing(corpus("error_split_flow"))
    assert isinstance(error, SplitStepException)
    assert str(error) == (
        "One or more errors has occurred while processing split step:\n"
        " Split Step SUM_VALUES: exception thrown for string value (some other value)\n"
        " Split Step STRING_VALUES: exception thrown for string value (doesn't matter)\n"
    )
    assert sorted(error.exceptions) == ["STRING_VALUES", "SUM_VALUES"]


def test_two_different_merges_without_a_pipeline_end_path_are_rejected() -> None:
    # Metalus fails here with an internal lookup error (metalus-spec 8.3 #29); we give the documented message.
    definition = pipeline(
        "two_merges",
        step("SPLIT", None, result("a", "A"), result("b", "B"), type_="split"),
        step("A", f"{MOCK}.mockNoParamsStepFunction", next_="MERGE1"),
        step("B", f"{MOCK}.mockNoParamsStepFunction", next_="MERGE2"),
        step("MERGE1", None, type_="merge"),
        step("MERGE2", None, type_="merge"),
    )
    assert str(run_failing(definition)) == "Flows must either terminate at a single merge step or pipeline end!"


def test_error_after_the_merge_of_a_complex_split_is_keyed_by_the_step_after_the_merge() -> None:
    definition = corpus("complex_split_flow")
    for s in definition["steps"]:
        if s["id"] == "FORMAT_STRING":
            s["engineMeta"]["spark"] = f"{MOCK}.mockExceptionStepFunction"
            s["params"] = [p("string", "after merge")]
    error = run_failing(definition)
    assert isinstance(error, SplitStepException)
    assert str(error) == (
        "One or more errors has occurred while processing split step:\n"
        " Split Step FORMAT_STRING: exception thrown for string value (after merge)\n"
    )


def test_split_paths_keep_their_step_messages() -> None:
    # DESIGN 10: split paths keep their messages (Metalus drops them); the pipeline completes first.
    definition = pipeline(
        "split_pause",
        step("SPLIT", None, result("a", "A"), result("b", "B"), type_="split"),
        step("A", f"{MOCK}.mockStepMessage", p("string", "paused in A"), p("kind", "pause"), next_="MERGE"),
        step("B", f"{MOCK}.mockNoParamsStepFunction", next_="MERGE"),
        step("MERGE", None, type_="merge", next_="AFTER"),
        step("AFTER", f"{MOCK}.mockStepFunction", p("string", "@B")),
    )
    error = run_failing(definition)
    assert isinstance(error, PauseException)
    assert str(error) == "paused in A"
    assert error.step_id == "A"
    assert error.context.parameters.get("split_pause", "AFTER").primary_return == "no params"


def test_split_paths_run_on_their_own_globals() -> None:
    definition = pipeline(
        "split_globals",
        step("SPLIT", None, result("a", "A"), result("b", "B"), type_="split"),
        step("A", f"{MOCK}.mockStepFunction", p("string", "!groupId || no group"), next_="MERGE"),
        step("B", f"{MOCK}.mockStepSetGlobal", p("string", "b"), p("globalName", "fromB"), next_="MERGE"),
        step("MERGE", None, type_="merge", next_="AFTER"),
        step("AFTER", f"{MOCK}.mockStepFunction", p("string", "!fromB")),
    )
    ctx = run(definition, {"groupId": "outer"})
    assert primary(ctx, "split_globals", "A") == "no group"
    assert primary(ctx, "split_globals", "AFTER") == "b"
